"""Reading whole teams from msp_accountteams, whether MSX pages them or cuts them at 100.

The fake below answers the team queries the reader sends (accounts by `In` on the logical
name, a role, `msp_fullname ge`, `$orderby=msp_fullname`) from a list of rows, in row-id
order, never grouped by account; with `next_link` it pages as Dataverse does, without it
it cuts at 100 silently, as the integration guide saw.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from msx_fixtures import API_PATH, Harness, dataverse_error, gid, make_harness, page, query

from bot.domain import Identity, Role
from bot.msx.errors import MsxError
from bot.msx.teams import TeamReader

Q2 = {
    Role.GROWTH_SELLER: "Cloud & AI",
    Role.ACQUISITION_SELLER: "Cloud & AI-Acq",
    Role.DATA_SE: "Cloud & AI Data",
    Role.INFRA_SE: "Cloud & AI Infrastructure",
    Role.APPS_SE: "Cloud & AI Apps",
}


def row(n: int, account: str, role: Role, name: str | None = None) -> dict[str, Any]:
    return {
        "msp_accountteamid": gid(900_000 + n),
        "_msp_accountid_value": account,
        "_msp_systemuserid_value": gid(100_000 + n),
        "msp_fullname": name or f"Person {n:05d}",
        "msp_qualifier2": Q2[role],
        "msp_standardtitle": "Specialists IC",
    }


class FakeTeams:
    def __init__(self, rows: list[dict[str, Any]], *, next_link: bool = False) -> None:
        self.rows = rows
        self.next_link = next_link
        self.filters: list[str] = []
        self.selects: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = query(request)
        if "$skiptoken" in params:
            flt, start = params["$filter"], int(params["$skiptoken"])
        else:
            flt, start = params["$filter"], 0
            self.filters.append(flt)
            self.selects.append(params["$select"])
        assert "_msp_accountid_value" not in flt.split(" and ")[0]  # In() takes logical names
        ids = re.search(r"In\(PropertyName='msp_accountid',PropertyValues=\[(.*?)\]\)", flt)
        assert ids is not None, flt
        accounts = set(re.findall(r'"([0-9a-f-]{36})"', ids.group(1)))
        found = [r for r in self.rows if r["_msp_accountid_value"] in accounts]
        if (role := re.search(r"^.*? and msp_qualifier2 eq '([^']*)'", flt)) and " or " not in flt:
            found = [r for r in found if r["msp_qualifier2"] == role.group(1)]
        if name := re.search(r"msp_fullname ge '((?:[^']|'')*)'", flt):
            found = [r for r in found if r["msp_fullname"] >= name.group(1).replace("''", "'")]
        key = "msp_fullname" if params.get("$orderby") == "msp_fullname" else "msp_accountteamid"
        found.sort(key=lambda r: (r[key], r["msp_accountteamid"]))
        chunk = found[start : start + 100]
        more = self.next_link and len(found) > start + 100
        link = None
        if more:
            link = str(request.url.copy_merge_params({"$skiptoken": str(start + 100)}))
        return page(chunk, link)


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    harness = make_harness()
    yield harness
    await harness.client.aclose()


async def no_emails(ids: list[str]) -> dict[str, Identity]:
    return {}


def serve(h: Harness, fake: FakeTeams) -> None:
    h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=fake)


def book(sizes: list[int]) -> tuple[list[str], list[dict[str, Any]]]:
    """Accounts with teams of these sizes, roles spread evenly, rows interleaved."""
    accounts = [gid(n + 1) for n in range(len(sizes))]
    rows = []
    n = 0
    for account, size in zip(accounts, sizes, strict=True):
        for i in range(size):
            rows.append(row(n, account, list(Role)[i % 5]))
            n += 1
    return accounts, rows


def keys(members: list[Any]) -> set[tuple[str, str, Role]]:
    return {(m.account_id, m.user_id, m.role) for m in members}


def truth(rows: list[dict[str, Any]]) -> set[tuple[str, str, Role]]:
    roles = {q2: role for role, q2 in Q2.items()}
    return {
        (r["_msp_accountid_value"], r["_msp_systemuserid_value"], roles[r["msp_qualifier2"]])
        for r in rows
    }


@pytest.mark.parametrize("next_link", [False, True])
async def test_every_member_of_every_team_either_way(h: Harness, next_link: bool) -> None:
    accounts, rows = book([30, 45, 5, 99, 60, 1, 28, 33, 70, 12, 140, 22])
    fake = FakeTeams(rows, next_link=next_link)
    serve(h, fake)
    teams = await TeamReader(h.client, no_emails).read(accounts)
    assert keys(teams.members) == truth(rows)
    assert teams.incomplete == []


async def test_a_cut_page_is_read_on_by_name(h: Harness) -> None:
    accounts, rows = book([160])
    fake = FakeTeams(rows)
    serve(h, fake)
    teams = await TeamReader(h.client, no_emails).read(accounts)
    assert keys(teams.members) == truth(rows)
    assert len(fake.filters) == 2 and teams.splits == 0
    assert "msp_fullname ge" not in fake.filters[0]
    # Corporate rows only, and just the columns the members are made of.
    assert all(" and msp_qualifier1 eq 'Corporate' and " in f for f in fake.filters)
    assert (
        fake.selects
        == [
            "_msp_accountid_value,msp_fullname,msp_qualifier2,msp_standardtitle,"
            "_msp_systemuserid_value,msp_accountteamid"
        ]
        * 2
    )
    assert "msp_fullname ge 'Person 00099'" in fake.filters[1]


def same_name(accounts: list[str], per_account: int, roles: list[Role]) -> list[dict[str, Any]]:
    return [
        row(n + 1000 * i, account, roles[n % len(roles)], "Sam Lee")
        for i, account in enumerate(accounts)
        for n in range(per_account)
    ]


async def test_where_reading_on_cannot_move_on_accounts_are_split(h: Harness) -> None:
    # Forty accounts of 60 rows (thought to be 45), everyone called the same: no name to
    # read on from, so each ask of several accounts is asked again split.
    accounts = [gid(n) for n in range(1, 41)]
    rows = same_name(accounts, 60, list(Role))
    fake = FakeTeams(rows)
    serve(h, fake)
    teams = await TeamReader(h.client, no_emails, sizes=dict.fromkeys(accounts, 45)).read(accounts)
    assert keys(teams.members) == truth(rows)
    assert teams.splits > 0 and teams.incomplete == []
    assert any(f.count('","') == 0 for f in fake.filters)  # down to one account an ask


async def test_two_accounts_are_split_before_their_roles(h: Harness) -> None:
    # 60 infra SEs each, all called the same: together over a page that cannot be read
    # on; apart, one page each.
    rows = same_name([gid(1), gid(2)], 60, [Role.INFRA_SE])
    fake = FakeTeams(rows)
    serve(h, fake)
    teams = await TeamReader(h.client, no_emails).read([gid(1), gid(2)])
    assert keys(teams.members) == truth(rows) and teams.incomplete == []
    assert teams.splits == 1


async def test_then_one_account_is_asked_a_role_at_a_time(h: Harness) -> None:
    rows = same_name([gid(1)], 150, list(Role))  # 30 a role
    fake = FakeTeams(rows)
    serve(h, fake)
    teams = await TeamReader(h.client, no_emails).read([gid(1)])
    assert keys(teams.members) == truth(rows) and teams.incomplete == []
    by_role = [f for f in fake.filters if "msp_qualifier2 eq" in f and " or " not in f]
    assert len(by_role) == 5
    assert teams.splits == 1  # the benchmark reports it


async def test_one_role_over_a_page_is_read_on_by_name(h: Harness) -> None:
    account = gid(1)
    # 230 data SEs, some sharing a name across the page boundaries.
    rows = [row(n, account, Role.DATA_SE, f"Person {n // 3:04d}") for n in range(230)]
    rows.append(row(999, account, Role.APPS_SE, "O'Brien"))
    fake = FakeTeams(rows)
    serve(h, fake)
    teams = await TeamReader(h.client, no_emails).read([account])
    assert keys(teams.members) == truth(rows)
    assert teams.incomplete == [] and teams.splits == 0
    assert len(fake.filters) == 3


async def test_when_msx_does_not_move_on_the_account_is_a_gap(h: Harness) -> None:
    # 150 people of one role, all called the same: reading on by name cannot move on.
    account = gid(1)
    rows = [row(n, account, Role.INFRA_SE, "Sam Lee") for n in range(150)]
    serve(h, FakeTeams(rows))
    teams = await TeamReader(h.client, no_emails).read([account])
    assert teams.incomplete == [account]
    assert len(teams.members) == 100  # what could be read is kept
    assert teams.splits == 2  # the account, then its one role


async def test_emails_are_looked_up_for_every_member(h: Harness) -> None:
    accounts, rows = book([30, 30, 30, 30])
    serve(h, FakeTeams(rows))
    asked: list[list[str]] = []

    async def users(ids: list[str]) -> dict[str, Identity]:
        asked.append(ids)
        return {i: Identity(user_id=i, name="x", email=f"{i[-5:]}@x.test") for i in ids}

    teams = await TeamReader(h.client, users).read(accounts)
    assert all(m.email == f"{m.user_id[-5:]}@x.test" for m in teams.members)
    assert sorted(i for part in asked for i in part) == sorted({m.user_id for m in teams.members})


async def test_teams_come_by_account_then_role_then_name(h: Harness) -> None:
    accounts = [gid(1), gid(2)]
    rows = [
        row(1, gid(2), Role.APPS_SE, "Zed"),
        row(2, gid(1), Role.DATA_SE, "bea"),
        row(3, gid(1), Role.GROWTH_SELLER, "Yan"),
        row(4, gid(1), Role.DATA_SE, "Abe"),
        # Not one of ours (a seller without the Specialists IC title): skipped, not the end.
        {**row(5, gid(1), Role.GROWTH_SELLER, "Aaron"), "msp_standardtitle": "CSA"},
    ]
    serve(h, FakeTeams(rows))
    teams = await TeamReader(h.client, no_emails).read(accounts)
    assert [m.name for m in teams.members] == ["Yan", "Abe", "bea", "Zed"]


def asked_accounts(flt: str) -> list[str]:
    return re.findall(r'"([0-9a-f-]{36})"', flt.split(" and ")[0])


A, B, C, X, Y = (gid(n) for n in (1, 2, 3, 4, 5))


@pytest.mark.parametrize(
    ("bound", "sizes", "groups"),
    [
        # Even teams: an even share each, every lane at once.
        (3, dict.fromkeys([A, B, C, X, Y, gid(6)], 60), [[A, B], [C, X], [Y, gid(6)]]),
        # B would bring the first ask further from its share (95) than it is: not joined.
        (2, {A: 40, B: 120, C: 20}, [[A], [B, C]]),
        # Exactly as near as without it: joined.
        (2, {A: 45, B: 100, C: 45}, [[A, B], [C]]),
        # X and Y unknown: the average of the sizes known (60), so one page's worth.
        (2, {gid(8): 60, gid(9): 60}, [[X, Y]]),
    ],
)
async def test_accounts_are_shared_out_among_the_lanes_by_expected_rows(
    bound: int, sizes: dict[str, int], groups: list[list[str]]
) -> None:
    h = make_harness(max_concurrency=bound)
    accounts = [a for group in groups for a in group]
    fake = FakeTeams([row(i, a, Role.DATA_SE) for i, a in enumerate(accounts)])
    serve(h, fake)
    teams = await TeamReader(h.client, no_emails, sizes=sizes).read(accounts)
    assert sorted(asked_accounts(f) for f in fake.filters) == sorted(groups)
    assert len(teams.members) == len(accounts)
    await h.client.aclose()


async def test_nobody_is_looked_up_twice(h: Harness) -> None:
    # The same people sit on many teams: each is asked for once.
    rows = [row(1, A, Role.DATA_SE), row(2, B, Role.DATA_SE)]
    rows += [{**row(3, B, Role.APPS_SE), "_msp_systemuserid_value": gid(100_001)}]
    h2 = make_harness(max_concurrency=2)
    serve(h2, FakeTeams(rows))
    asked: list[list[str]] = []

    async def users(ids: list[str]) -> dict[str, Identity]:
        asked.append(ids)
        return {}

    await TeamReader(h2.client, users, sizes={A: 90, B: 90}).read([A, B])
    assert sorted(i for ids in asked for i in ids) == [gid(100_001), gid(100_002)]
    await h2.client.aclose()


async def test_a_failed_read_cancels_the_lookups_and_says_why(h: Harness) -> None:
    # A's team comes in and its people are being looked up when B's query fails: the
    # lookup is cancelled and awaited, and the caller hears of MSX's error.
    looking_up = asyncio.Event()
    cancelled = False

    async def users(ids: list[str]) -> dict[str, Identity]:
        nonlocal cancelled
        looking_up.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled = True
            raise
        return {}

    async def answer(request: httpx.Request) -> httpx.Response:
        if gid(2) in query(request)["$filter"]:
            await looking_up.wait()
            return dataverse_error(400, "0x80040203", "Bad filter")
        return page([row(1, gid(1), Role.DATA_SE)])

    h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=answer)
    reader = TeamReader(h.client, users, sizes={gid(1): 90, gid(2): 90})
    with pytest.raises(MsxError):
        await reader.read([gid(1), gid(2)])
    assert cancelled


async def test_no_accounts_no_requests(h: Harness) -> None:
    teams = await TeamReader(h.client, no_emails).read([])
    assert teams.members == [] and h.client.requests_sent == 0
