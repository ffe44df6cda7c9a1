"""Fetch whole account teams although msp_accountteams caps a page and never pages.

A team query answers at most one page and gives no nextLink, so a full page may be cut
short. Rows come ordered by account, so every account whose rows are followed by another
account's rows in a cut page is complete; only the last one seen (and those not reached)
are asked again. A single account that still fills a page is split by role.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain import Role, TeamMember
from bot.msx.gateway import TeamPage

# ~22 members an account after filtering (the guide); 3 accounts fill most of a page.
FIRST_BATCH = 3


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
    batch_size: int = FIRST_BATCH,
    on_done: Callable[[int], None] | None = None,
) -> TeamResult:
    """Every team member of every account, splitting batches until nothing is cut short."""
    result = TeamResult()
    by_account: dict[str, list[TeamMember]] = {}

    async def batch(ids: list[str]) -> None:
        page = await source.team_members(ids)
        result.requests += 1
        if not page.may_be_truncated:
            _keep(by_account, page.items, ids)
            _report(len(ids))
            return
        seen = page.accounts_in_order
        # Accounts before the last one seen are whole; the last may be cut.
        whole = set(seen[:-1])
        _keep(by_account, [m for m in page.items if m.account_id in whole], list(whole))
        _report(len(whole))
        rest = [a for a in ids if a not in whole]
        if len(rest) == 1:
            await by_role(rest[0])
        else:
            mid = (len(rest) + 1) // 2
            await asyncio.gather(batch(rest[:mid]), batch(rest[mid:]))

    async def by_role(account_id: str) -> None:
        async def one(role: Role) -> list[TeamMember]:
            page = await source.team_members([account_id], role=role)
            result.requests += 1
            if page.may_be_truncated:
                result.incomplete.append((account_id, role))
            return page.items

        parts = await asyncio.gather(*(one(role) for role in Role))
        _keep(by_account, [m for part in parts for m in part], [account_id])
        _report(1)

    def _report(n: int) -> None:
        if on_done and n:
            on_done(n)

    ids = list(dict.fromkeys(account_ids))
    chunks = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
    await asyncio.gather(*(batch(chunk) for chunk in chunks))
    result.members = [m for a in ids for m in by_account.get(a, [])]
    return result


def _keep(
    by_account: dict[str, list[TeamMember]], members: list[TeamMember], ids: list[str]
) -> None:
    for account_id in ids:
        by_account.setdefault(account_id, [])
    for member in members:
        bucket = by_account[member.account_id]
        if member not in bucket:
            bucket.append(member)
