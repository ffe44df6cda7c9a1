"""Refresh: import a person's accounts, teams and milestones into their snapshot.

The wall time follows the chain of dependent round trips (WhoAmI -> my assignments ->
accounts -> territories), with teams, milestones and e-mails fetched beside it, all under
the gateway's concurrency bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.domain import (
    Account,
    DiscoveryPath,
    Milestone,
    Role,
    Snapshot,
    SnapshotDiff,
    TeamMember,
)
from bot.msx.client import MsxEvent, listening
from bot.msx.collection import Collection
from bot.msx.errors import MsxError
from bot.msx.gateway import REFUSED_FUNCTION, MsxGateway
from bot.msx.mapping import Assignment
from bot.msx.slots import BACKGROUND, URGENT, priority
from bot.store import SnapshotStore
from bot.workflows.concurrency import all_of
from bot.workflows.diff import diff_snapshots
from bot.workflows.emails import TeamEmails
from bot.workflows.gc_pause import gc_paused
from bot.workflows.team_fetch import TeamResult, fetch_teams

# Accounts per milestone query: at least this many (a page holds ~100 milestones, an
# account has a few), and no more queries than MILESTONE_QUERIES, so a big book's
# milestones take about as many requests as pages.
MILESTONE_CHUNK = 8
MILESTONE_QUERIES = 16
_ROLE_ORDER = list(Role)
log = logging.getLogger(__name__)
MISSING_ACCOUNTS = "Some of your accounts may be missing: MSX cut the list of your alignments short"


@dataclass(frozen=True)
class Progress:
    """One step of a refresh, for a progress bar or a Slack message."""

    stage: str
    done: int = 0
    total: int | None = None
    # A passing wait, e.g. "MSX is throttling us; retrying in 20 s".
    note: str = ""


ProgressFn = Callable[[Progress], None]


@dataclass
class RefreshResult:
    snapshot: Snapshot
    diff: SnapshotDiff
    previous: Snapshot | None
    team_requests: int = 0
    elapsed_s: float = 0.0


class UnknownUser(Exception):
    """An allowed Slack user whose e-mail is no MSX user."""

    def __init__(self, email: str) -> None:
        super().__init__(f"No MSX user has the e-mail {email}.")
        self.user_message = f"No MSX user has the e-mail {email}: ask the owner to check it."


@dataclass
class _Counter:
    total: int
    done: int = 0
    stage: str = ""
    progress: ProgressFn | None = None

    def add(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(Progress(self.stage, self.done, self.total))


async def refresh(
    gateway: MsxGateway,
    store: SnapshotStore,
    *,
    email: str | None = None,
    progress: ProgressFn | None = None,
    user_hint: str | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> RefreshResult:
    """Import the signed-in user's book (or, given `email`, that MSX user's) and save it.

    On failure the previous snapshot is untouched, the failure is recorded against it
    (`user_hint` names it when MSX cannot even say who I am), and the exception
    propagates for the caller to explain.
    """
    started = now()
    known_id = user_hint
    last = Progress("Starting")

    def report(event: Progress) -> None:
        nonlocal last
        last = event
        if progress:
            progress(event)

    def waiting(event: MsxEvent) -> None:
        report(Progress(last.stage, last.done, last.total, note=event.message))

    # The snapshot this one replaces, read from the store while MSX is asked (a thread:
    # a big book takes ~0.1 s to load), for the diff.
    earlier: asyncio.Future[Snapshot | None] | None = None
    try:
        with listening(waiting), gc_paused():
            report(Progress("Signing in"))

            async def book(
                user_id: str, mine: asyncio.Future[Collection[Assignment]] | None
            ) -> tuple[_Found, _Imported]:
                nonlocal earlier
                earlier = asyncio.ensure_future(asyncio.to_thread(store.load, user_id))
                report(Progress("Finding my accounts"))
                found = await _discover(gateway, user_id, mine)
                return found, await _import(gateway, list(found.roles), found.roles, report)

            if email is None:
                # Who I am and my alignments at once: EqualUserId names me in both.
                mine = asyncio.ensure_future(gateway.my_assignments())
                try:
                    identity = await gateway.me()
                except BaseException:
                    await _drop(mine)
                    raise
                known_id = user_id = identity.user_id
                try:
                    found, imported = await book(user_id, mine)
                finally:
                    if not mine.done():  # the import failed before it read my alignments
                        await _drop(mine)
            else:
                person = await gateway.user_by_email(email)
                if person is None:
                    raise UnknownUser(email)
                identity, known_id, user_id = person, person.user_id, person.user_id
                found, imported = await book(user_id, None)
            accounts = imported.accounts
            if found.path is DiscoveryPath.ACCESS_TEAMS:
                accounts = _roles_from_team(accounts, imported.team, user_id)

            snapshot = Snapshot(
                user=identity,
                taken_at=now(),
                discovery=found.path,
                accounts=tuple(accounts),
                team=tuple(imported.team),
                milestones=tuple(imported.milestones),
                gaps=(*found.gaps, *imported.gaps),
            )
            report(Progress("Saving"))
            assert earlier is not None
            previous = await earlier
            store.save(snapshot, over=previous)
    except BaseException as exc:
        if earlier is not None:  # the store is used by one thread at a time
            with contextlib.suppress(BaseException):
                await earlier
        if known_id is not None:
            store.record_failure(known_id, _reason(exc), now())
        raise
    return RefreshResult(
        snapshot=snapshot,
        diff=diff_snapshots(previous, snapshot),
        previous=previous,
        team_requests=imported.team_requests,
        elapsed_s=(now() - started).total_seconds(),
    )


@dataclass(frozen=True)
class _Found:
    roles: dict[str, list[Role]]
    path: DiscoveryPath
    gaps: tuple[str, ...] = ()


async def _discover(
    gateway: MsxGateway, user_id: str, mine: asyncio.Future[Collection[Assignment]] | None
) -> _Found:
    """The accounts of `user_id`; `mine`, when given, is my own alignments already asked
    for with EqualUserId (beside WhoAmI), so the access teams can only follow it."""
    access = None
    if mine is None:
        # msp_accountteams has been seen answering nothing for current alignments
        # (mid-2026): ask the access teams at the same time, so that falling back costs
        # no extra round trip.
        access = asyncio.ensure_future(gateway.access_team_accounts(user_id))
    try:
        assignments = await (
            _mine_or_by_id(gateway, user_id, mine) if mine else gateway.my_assignments(user_id)
        )
    except BaseException:
        if access is not None:
            await _drop(access)
        raise
    roles: dict[str, list[Role]] = {}
    for a in assignments.items:
        bucket = roles.setdefault(a.account_id, [])
        if a.role not in bucket:
            bucket.append(a.role)
    if roles:
        if access is not None:
            _abandon(access)
        gaps = (MISSING_ACCOUNTS,) if assignments.may_be_truncated else ()
        return _Found(
            {k: sorted(v, key=_ROLE_ORDER.index) for k, v in roles.items()},
            DiscoveryPath.ACCOUNT_TEAMS,
            gaps,
        )
    ids = await (access or gateway.access_team_accounts(user_id))
    return _Found({a: [] for a in dict.fromkeys(ids)}, DiscoveryPath.ACCESS_TEAMS)


async def _mine_or_by_id(
    gateway: MsxGateway, user_id: str, mine: asyncio.Future[Collection[Assignment]]
) -> Collection[Assignment]:
    """My alignments asked with EqualUserId, or by my id where MSX refuses the function."""
    try:
        return await mine
    except MsxError as exc:
        if exc.status not in REFUSED_FUNCTION:
            raise
        log.info("MSX refused EqualUserId (HTTP %s); asking by user id", exc.status)
        return await gateway.my_assignments(user_id)


async def _drop(task: asyncio.Future[Any]) -> None:
    """Cancel a speculative request we no longer need; its failure is no longer ours."""
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


_abandoned: set[asyncio.Future[Any]] = set()


def _abandon(task: asyncio.Future[Any]) -> None:
    """Let a speculative request we no longer need finish unheeded. Cancelling would free
    its place under the concurrency bound while MSX is still working on it."""
    _abandoned.add(task)  # the event loop keeps only weak references to tasks
    task.add_done_callback(_forget)


def _forget(task: asyncio.Future[Any]) -> None:
    _abandoned.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as lost


@dataclass
class _Imported:
    accounts: list[Account]
    team: list[TeamMember]
    milestones: list[Milestone]
    gaps: list[str]
    team_requests: int


async def _import(
    gateway: MsxGateway,
    account_ids: list[str],
    my_roles: dict[str, list[Role]],
    progress: ProgressFn,
) -> _Imported:
    """Teams, milestones and account details side by side, each started at once."""
    counter = _Counter(total=len(account_ids) * 2, stage="Teams and milestones", progress=progress)
    progress(Progress(counter.stage, 0, counter.total))

    async def accounts_with_territories() -> list[Account]:
        with priority(URGENT):  # a chain of two: never let it wait behind the rest
            accounts = await gateway.accounts(account_ids)
            territory_ids = sorted({a.territory_id for a in accounts if a.territory_id})
            territories = {t.id: t for t in await gateway.territories(territory_ids)}
        out = []
        for a in accounts:
            t = territories.get(a.territory_id or "")
            out.append(
                a.model_copy(
                    update={
                        "territory": t.name if t else None,
                        "pod": t.pod if t else None,
                        "my_roles": tuple(my_roles.get(a.id, ())),
                    }
                )
            )
        return out

    emails = TeamEmails(gateway)

    async def teams_with_emails() -> TeamResult:
        fetched = await fetch_teams(
            gateway,
            account_ids,
            on_done=counter.add,
            prepare=emails.fill,
            on_last_round=emails.eager,
        )
        fetched.members = await emails.all(fetched.members)
        return fetched

    async def all_milestones() -> tuple[list[Milestone], list[str]]:
        async def chunk(ids: list[str]) -> tuple[list[Milestone], list[str]]:
            # Independent pages: they fill the places the team lanes leave free, so the
            # lanes (and the e-mails that follow their last pages) finish sooner.
            with priority(BACKGROUND):
                found = await gateway.milestones(ids)
            counter.add(len(ids))
            return found.items, ids if found.may_be_truncated else []

        step = max(MILESTONE_CHUNK, math.ceil(len(account_ids) / MILESTONE_QUERIES))
        parts = await all_of(
            *(chunk(account_ids[i : i + step]) for i in range(0, len(account_ids), step))
        )
        return [m for found, _ in parts for m in found], [a for _, cut in parts for a in cut]

    try:
        team_result, (milestones, cut), accounts = await all_of(
            teams_with_emails(), all_milestones(), accounts_with_territories()
        )
    finally:
        await emails.aclose()
    names = {a.id: a.name for a in accounts}
    gaps = [
        f"The team of {names.get(account_id, account_id)} may be incomplete"
        for account_id in team_result.incomplete
    ]
    if cut:
        gaps.append(f"The milestones of {len(cut)} account(s) may be incomplete")
    missing = set(account_ids) - names.keys()
    if missing:
        gaps.append(f"{len(missing)} account(s) could not be read (no access?)")
    return _Imported(
        accounts=sorted(accounts, key=lambda a: a.name.casefold()),
        team=team_result.members,
        milestones=milestones,
        gaps=gaps,
        team_requests=team_result.requests,
    )


def _roles_from_team(
    accounts: list[Account], team: list[TeamMember], user_id: str
) -> list[Account]:
    # Access teams say which accounts, not in what role: my own rows on each team do.
    mine: dict[str, list[Role]] = {}
    for m in team:
        if m.user_id == user_id and m.role not in mine.setdefault(m.account_id, []):
            mine[m.account_id].append(m.role)
    return [
        a.model_copy(update={"my_roles": tuple(sorted(mine.get(a.id, ()), key=_ROLE_ORDER.index))})
        for a in accounts
    ]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return "Refresh interrupted before it finished"
    return getattr(exc, "user_message", None) or f"Refresh failed: {type(exc).__name__}"
