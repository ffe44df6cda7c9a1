"""Fetch whole account teams although msp_accountteams caps a page and never pages.

A team query answers at most one page and gives no nextLink, so a full page may be cut
short. Rows come ordered by account, so every account whose rows are followed by another
account's rows in a cut page is complete; only the last one seen (and those not reached)
are asked again, in one query: a lane of accounts moves on like a cursor, a page at a
time, and every page but a lane's last is full. A single account that still fills a page
is split by role; what even that cannot fetch whole is reported, never dropped silently.

The accounts are dealt into `lanes` lanes that run side by side (the gateway bounds the
requests in flight), so the wall time follows the longest lane, and the request count
stays close to the rows divided by the page size.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain import Role, TeamMember
from bot.msx.gateway import TeamPage
from bot.workflows.concurrency import all_of

# As many lanes as the gateway lets requests fly: fewer leaves it idle, more only adds
# requests (every lane's last page is part-empty).
LANES = 16


class TeamSource(Protocol):
    async def team_members(
        self, account_ids: Sequence[str], role: Role | None = None
    ) -> TeamPage: ...


@dataclass
class TeamResult:
    members: list[TeamMember] = field(default_factory=list)
    requests: int = 0
    # Accounts (with the role that could not be fetched whole), for the snapshot's gaps.
    incomplete: list[tuple[str, Role | None]] = field(default_factory=list)


async def fetch_teams(
    source: TeamSource,
    account_ids: Sequence[str],
    *,
    batch_size: int | None = None,
    lanes: int = LANES,
    on_done: Callable[[int], None] | None = None,
    on_members: Callable[[list[TeamMember]], None] | None = None,
) -> TeamResult:
    """Every team member of every account, asking again for whatever a page cut short.

    `batch_size` accounts start each lane (by default the accounts are shared out over
    `lanes`); `on_done(n)` hears of n more accounts complete, `on_members` of the members
    kept, as they come (e.g. to look up their e-mails while the rest is fetched).
    """
    result = TeamResult()
    by_account: dict[str, list[TeamMember]] = {}
    ids = list(dict.fromkeys(account_ids))

    held: set[tuple[str, str, Role]] = set()

    def keep(members: list[TeamMember], complete: Sequence[str]) -> None:
        fresh = []
        for account_id in complete:
            by_account.setdefault(account_id, [])
        for member in members:
            key = (member.account_id, member.user_id, member.role)
            if key not in held:
                held.add(key)
                by_account.setdefault(member.account_id, []).append(member)
                fresh.append(member)
        if on_members and fresh:
            on_members(fresh)
        if on_done and complete:
            on_done(len(complete))

    async def lane(pending: list[str]) -> None:
        splits: list[asyncio.Future[None]] = []
        try:
            await walk(pending, splits)
        except BaseException:
            for task in splits:
                task.cancel()
            await asyncio.gather(*splits, return_exceptions=True)
            raise
        await all_of(*splits)

    async def walk(pending: list[str], splits: list[asyncio.Future[None]]) -> None:
        while pending:
            page = await source.team_members(pending)
            result.requests += 1
            if not page.may_be_truncated:
                keep(page.items, pending)
                break
            seen = page.accounts_in_order
            # Accounts before the last one seen are whole; the last may be cut.
            whole = set(seen[:-1])
            keep([m for m in page.items if m.account_id in whole], seen[:-1])
            if not whole:
                # One account filled the page alone: ask for it role by role, beside the lane.
                alone = seen[0] if seen else pending[0]
                splits.append(asyncio.ensure_future(by_role(alone)))
                whole = {alone}
            pending = [a for a in pending if a not in whole]

    async def by_role(account_id: str) -> None:
        async def one(role: Role) -> list[TeamMember]:
            page = await source.team_members([account_id], role=role)
            result.requests += 1
            if page.may_be_truncated:
                result.incomplete.append((account_id, role))
            return page.items

        parts = await all_of(*(one(role) for role in Role))
        keep([m for part in parts for m in part], [account_id])

    size = batch_size or max(1, math.ceil(len(ids) / max(1, lanes)))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    await all_of(*(lane(chunk) for chunk in chunks))
    result.members = [m for a in ids for m in by_account.get(a, [])]
    return result
