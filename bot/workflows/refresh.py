"""Refresh: import a person's accounts, teams and milestones into their snapshot.

The wall time follows the chain of dependent round trips (WhoAmI -> my assignments ->
accounts -> territories), with teams, milestones and e-mails fetched beside it, all under
the gateway's concurrency bound.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

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
from bot.msx.gateway import MsxGateway
from bot.store import SnapshotStore
from bot.workflows.diff import diff_snapshots
from bot.workflows.team_fetch import fetch_teams

# Accounts per milestone query: small enough to run in parallel, large enough to fill pages.
MILESTONE_CHUNK = 8


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

    try:
        with listening(waiting):
            report(Progress("Signing in"))
            if email is None:
                known_id = user_id = await gateway.whoami()
                report(Progress("Finding my accounts"))
                identity, (my_roles, discovery) = await asyncio.gather(
                    gateway.user(user_id), _discover(gateway, user_id)
                )
            else:
                found = await gateway.user_by_email(email)
                if found is None:
                    raise UnknownUser(email)
                identity, known_id, user_id = found, found.user_id, found.user_id
                report(Progress("Finding my accounts"))
                my_roles, discovery = await _discover(gateway, user_id)
            account_ids = list(my_roles)
            result = await _import(gateway, user_id, account_ids, my_roles, report)
            accounts, team, milestones, gaps, team_requests = result
            if discovery is DiscoveryPath.ACCESS_TEAMS:
                accounts = _roles_from_team(accounts, team, user_id)

            snapshot = Snapshot(
                user=identity,
                taken_at=now(),
                discovery=discovery,
                accounts=tuple(accounts),
                team=tuple(team),
                milestones=tuple(milestones),
                gaps=tuple(gaps),
            )
            report(Progress("Saving"))
            previous = store.load(user_id)
            store.save(snapshot)
    except BaseException as exc:
        if known_id is not None:
            store.record_failure(known_id, _reason(exc), now())
        raise
    return RefreshResult(
        snapshot=snapshot,
        diff=diff_snapshots(previous, snapshot),
        previous=previous,
        team_requests=team_requests,
        elapsed_s=(now() - started).total_seconds(),
    )


async def _discover(
    gateway: MsxGateway, user_id: str
) -> tuple[dict[str, list[Role]], DiscoveryPath]:
    assignments = await gateway.my_assignments(user_id)
    roles: dict[str, list[Role]] = {}
    for a in assignments.items:
        bucket = roles.setdefault(a.account_id, [])
        if a.role not in bucket:
            bucket.append(a.role)
    if roles:
        return roles, DiscoveryPath.ACCOUNT_TEAMS
    # msp_accountteams has been seen answering nothing for current alignments (mid-2026).
    ids = await gateway.access_team_accounts(user_id)
    return {a: [] for a in dict.fromkeys(ids)}, DiscoveryPath.ACCESS_TEAMS


async def _import(
    gateway: MsxGateway,
    user_id: str,
    account_ids: list[str],
    my_roles: dict[str, list[Role]],
    progress: ProgressFn,
) -> tuple[list[Account], list[TeamMember], list[Milestone], list[str], int]:
    counter = _Counter(total=len(account_ids) * 2, stage="Teams and milestones", progress=progress)
    progress(Progress(counter.stage, 0, counter.total))

    async def accounts_with_territories() -> list[Account]:
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

    async def teams_with_emails() -> tuple[list[TeamMember], list[tuple[str, Role | None]], int]:
        fetched = await fetch_teams(gateway, account_ids, on_done=counter.add)
        people = await gateway.users(sorted({m.user_id for m in fetched.members}))
        members = [
            m.model_copy(update={"email": people[m.user_id].email})
            if m.user_id in people and not m.email
            else m
            for m in fetched.members
        ]
        return members, fetched.incomplete, fetched.requests

    async def all_milestones() -> list[Milestone]:
        async def chunk(ids: list[str]) -> list[Milestone]:
            found = await gateway.milestones(ids)
            counter.add(len(ids))
            return found

        step = MILESTONE_CHUNK
        parts = await asyncio.gather(
            *(chunk(account_ids[i : i + step]) for i in range(0, len(account_ids), step))
        )
        return [m for part in parts for m in part]

    accounts, (team, incomplete, team_requests), milestones = await asyncio.gather(
        accounts_with_territories(), teams_with_emails(), all_milestones()
    )
    names = {a.id: a.name for a in accounts}
    gaps = [
        f"The team of {names.get(account_id, account_id)} may be incomplete"
        + (f" ({role.label}s)" if role else "")
        for account_id, role in incomplete
    ]
    missing = set(account_ids) - names.keys()
    if missing:
        gaps.append(f"{len(missing)} account(s) could not be read (no access?)")
    return sorted(accounts, key=lambda a: a.name.casefold()), team, milestones, gaps, team_requests


def _roles_from_team(
    accounts: list[Account], team: list[TeamMember], user_id: str
) -> list[Account]:
    # Access teams say which accounts, not in what role: my own rows on each team do.
    mine: dict[str, list[Role]] = {}
    for m in team:
        if m.user_id == user_id and m.role not in mine.setdefault(m.account_id, []):
            mine[m.account_id].append(m.role)
    return [a.model_copy(update={"my_roles": tuple(mine.get(a.id, ()))}) for a in accounts]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return "Refresh interrupted before it finished"
    return getattr(exc, "user_message", None) or f"Refresh failed: {type(exc).__name__}"
