"""The adaptive team fetch loses no member, whatever the team sizes and batch sizes."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from bot.domain import Role, TeamMember
from bot.msx.gateway import TeamPage as Page
from bot.workflows.team_fetch import LANES, fetch_teams

CAP = 100
ROLES = list(Role)


@dataclass
class CappedTeams:
    """Plays msp_accountteams: one page of at most 100 raw rows, ordered by account and row
    id, no nextLink; `after` reads an account on after a row.

    Raw rows include managers and architects that match the server filter but are no
    seller or SE, so they count against the cap and are dropped by the mapping.
    """

    members: dict[str, list[TeamMember]]
    noise: dict[str, int]
    calls: list[tuple[tuple[str, ...], tuple[str, str] | None]] = field(default_factory=list)
    stuck: bool = False  # a server that ignores `after`
    served: int = 0  # raw rows sent, over all pages

    def rows(self, account: str) -> list[tuple[str, TeamMember | None]]:
        people: list[TeamMember | None] = [*self.members[account]]
        people += [None] * self.noise[account]
        return [(f"{account}-r{n:04d}", m) for n, m in enumerate(people)]

    async def team_members(
        self, account_ids: Sequence[str], *, after: tuple[str, str] | None = None
    ) -> Page:
        self.calls.append((tuple(account_ids), after))
        rows: list[tuple[str, str, TeamMember | None]] = []
        for account in sorted(account_ids):
            for row_id, m in self.rows(account):
                if after and account == after[0] and row_id <= after[1] and not self.stuck:
                    continue
                rows.append((account, row_id, m))
        page = rows[:CAP]
        self.served += len(page)
        return Page(
            items=[m for _, _, m in page if m is not None],
            may_be_truncated=len(page) == CAP,
            accounts_in_order=list(dict.fromkeys(a for a, _, _ in page)),
            last_row=(page[-1][0], page[-1][1]) if page else None,
        )


def book(sizes: list[int], noise: int = 0, seed: int = 1) -> CappedTeams:
    rng = random.Random(seed)
    members: dict[str, list[TeamMember]] = {}
    for i, size in enumerate(sizes):
        account = f"acc-{i:04d}"
        members[account] = [
            TeamMember(
                account_id=account, user_id=f"{account}-u{j}", name=f"P{j}", role=ROLES[j % 5]
            )
            for j in range(size)
        ]
    return CappedTeams(members, {a: rng.randint(0, noise) for a in members})


def expected(source: CappedTeams) -> set[TeamMember]:
    return {m for people in source.members.values() for m in people}


@pytest.mark.parametrize("batch_size", [1, 3, 5, 12])
async def test_team_sizes_1_to_99_lose_no_member(batch_size: int) -> None:
    source = book(list(range(1, 100)))
    result = await fetch_teams(source, list(source.members), batch_size=batch_size)
    assert set(result.members) == expected(source)
    assert len(result.members) == len(expected(source))
    assert result.incomplete == []


async def test_overflowing_batches_are_split_and_retried() -> None:
    source = book([40, 40, 40, 95, 2, 2])
    result = await fetch_teams(source, list(source.members), batch_size=3)
    assert set(result.members) == expected(source)
    assert len(source.calls) > 2  # the first batch of 120 rows could not fit one page
    # Accounts whole in a cut page are not asked for again.
    asked = [ids for ids, _ in source.calls]
    assert sum("acc-0000" in ids for ids in asked) == 1


async def test_noise_rows_count_against_the_cap_but_nobody_is_lost() -> None:
    source = book([30, 60, 90, 99, 1, 45, 70], noise=40, seed=3)
    result = await fetch_teams(source, list(source.members), batch_size=3)
    assert set(result.members) == expected(source)


async def test_a_team_of_many_pages_is_read_on_and_no_row_twice() -> None:
    source = book([99, 600, 3], noise=30)
    result = await fetch_teams(source, list(source.members))
    assert set(result.members) == expected(source)
    assert result.incomplete == []
    assert source.served == sum(len(source.rows(a)) for a in source.members)  # none twice


async def test_a_server_that_does_not_move_on_is_reported_not_looped() -> None:
    source = book([600])
    source.stuck = True
    result = await fetch_teams(source, list(source.members))
    assert result.incomplete == ["acc-0000"]
    assert len(source.calls) == 2


async def test_members_come_back_in_the_order_accounts_were_asked() -> None:
    source = book([3, 50, 80, 4])
    ids = list(reversed(list(source.members)))
    result = await fetch_teams(source, ids, batch_size=2)
    order = list(dict.fromkeys(m.account_id for m in result.members))
    assert order == ids


async def test_pages_come_full_and_the_lanes_run_dry_together() -> None:
    # 200 accounts of 1 to 99: every lane tops up from one queue, so every page but a
    # lane's last is full, and no lane is left walking a long list alone at the end.
    source = book([random.Random(7).randint(1, 99) for _ in range(200)])
    by_lane: dict[int, int] = {}
    asked = source.team_members

    async def counted(account_ids: Sequence[str], *, after: tuple[str, str] | None = None) -> Page:
        lane = id(asyncio.current_task())
        by_lane[lane] = by_lane.get(lane, 0) + 1
        await asyncio.sleep(0)  # let the other lanes go, as a network wait would
        return await asyncio.wait_for(asked(account_ids, after=after), 1)

    source.team_members = counted  # type: ignore[method-assign]
    result = await fetch_teams(source, list(source.members))
    assert set(result.members) == expected(source)
    rows = sum(len(people) for people in source.members.values())
    assert result.requests <= math.ceil(rows / CAP) + LANES  # a part-empty last page a lane
    assert len(by_lane) == LANES
    assert max(by_lane.values()) - min(by_lane.values()) <= 2
