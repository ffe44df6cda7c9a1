"""Refresh: import a person's accounts, teams and milestones into their snapshot.

Who I am and my accounts first; then the accounts' details, teams and milestones side by
side (how each is read from MSX is the gateway's business); then one save.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain import Account, Identity, Role, Snapshot, SnapshotDiff, TeamMember
from bot.msx import MsxEvent, MsxGateway, MyAccounts
from bot.store import SnapshotStore
from bot.store.tasks import TaskStore
from bot.workflows.concurrency import all_of
from bot.workflows.diff import diff_snapshots
from bot.workflows.task_rules import read_task_categories

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
    team_requests: int
    # Team queries that came back as a full page without a nextLink and were asked again
    # split (msx/teams.py): what a cutting msp_accountteams costs.
    team_splits: int
    elapsed_s: float


class UnknownUser(Exception):
    """An allowed Slack user whose e-mail is no MSX user."""

    def __init__(self, email: str) -> None:
        super().__init__(f"No MSX user has the e-mail {email}.")
        self.user_message = f"No MSX user has the e-mail {email}: ask the owner to check it."


@dataclass
class _Counter:
    total: int
    stage: str
    progress: ProgressFn
    done: int = 0

    def add(self, n: int) -> None:
        self.done += n
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
    last = Progress("Signing in")

    def report(event: Progress) -> None:
        nonlocal last
        last = event
        if progress:
            progress(event)

    def waiting(event: MsxEvent) -> None:
        report(Progress(last.stage, last.done, last.total, note=event.message))

    msx = gateway.listening(waiting)
    earlier: asyncio.Future[Snapshot | None] | None = None
    try:
        report(last)
        identity, found = await _whose_book(msx, email)
        known_id = user_id = identity.user_id
        ids = list(found.roles)
        # The snapshot this one replaces, for the diff: read in a thread while MSX is
        # asked (a big book takes ~0.1 s to load).
        sizes = store.team_sizes(user_id)
        earlier = asyncio.ensure_future(asyncio.to_thread(store.load, user_id))

        counter = _Counter(total=len(ids) * 2, stage="Teams and milestones", progress=report)
        report(Progress(counter.stage, 0, counter.total))
        accounts, teams, milestones, categories = await all_of(
            msx.accounts(ids),
            msx.teams(ids, sizes=sizes, on_done=counter.add),
            msx.milestones(ids, on_done=counter.add),
            # MSX adds task categories over time: the HoK form offers what it has now.
            read_task_categories(msx),
        )

        snapshot = Snapshot(
            user=identity,
            taken_at=now(),
            discovery=found.path,
            accounts=tuple(_with_my_roles(accounts, found, teams.members, user_id)),
            team=tuple(teams.members),
            milestones=tuple(milestones.items),
            gaps=tuple(_gaps(found, ids, accounts, teams.incomplete, milestones.may_be_truncated)),
        )
        report(Progress("Saving"))
        previous = await earlier
        store.save(snapshot, over=previous)
        if categories:
            TaskStore(store).save_categories(categories, now())
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
        team_requests=teams.requests,
        team_splits=teams.splits,
        elapsed_s=(now() - started).total_seconds(),
    )


async def _whose_book(msx: MsxGateway, email: str | None) -> tuple[Identity, MyAccounts]:
    if email is None:
        return await msx.me_and_my_accounts()
    person = await msx.user_by_email(email)
    if person is None:
        raise UnknownUser(email)
    return person, await msx.accounts_of(person.user_id)


def _with_my_roles(
    accounts: list[Account], found: MyAccounts, team: list[TeamMember], user_id: str
) -> list[Account]:
    """Accounts by name, each with my roles on it: from my alignments, or, where only an
    access team says the account is mine, from my own rows on its team."""
    from_team: dict[str, list[Role]] = {}
    for m in team:
        if m.user_id == user_id and m.role not in from_team.setdefault(m.account_id, []):
            from_team[m.account_id].append(m.role)
    out = []
    for a in accounts:
        roles = found.roles.get(a.id) or tuple(
            sorted(from_team.get(a.id, ()), key=_ROLE_ORDER.index)
        )
        out.append(a.model_copy(update={"my_roles": roles}))
    return sorted(out, key=lambda a: a.name.casefold())


def _gaps(
    found: MyAccounts,
    ids: list[str],
    accounts: list[Account],
    incomplete_teams: list[str],
    milestones_cut: bool,
) -> list[str]:
    names = {a.id: a.name for a in accounts}
    gaps = [] if found.complete else [MISSING_ACCOUNTS]
    gaps += [f"The team of {names.get(a, a)} may be incomplete" for a in incomplete_teams]
    if milestones_cut:
        gaps.append("Some milestones may be missing: MSX cut a list of them short")
    missing = set(ids) - names.keys()
    if missing:
        gaps.append(f"{len(missing)} account(s) could not be read (no access?)")
    return gaps


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return "Refresh interrupted before it finished"
    return getattr(exc, "user_message", None) or f"Refresh failed: {type(exc).__name__}"
