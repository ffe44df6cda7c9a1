"""MsxGateway: the requests it makes and what it makes of the answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from msx_fixtures import (
    API,
    API_PATH,
    BASE,
    SECRET,
    Harness,
    dataverse_error,
    gid,
    make_harness,
    page,
    query,
)
from pydantic import SecretStr

from bot.config import Settings
from bot.domain import DiscoveryPath, Role
from bot.msx.client import MAX_GET_URL, MsxEvent
from bot.msx.discovery import access_team_accounts
from bot.msx.gateway import MsxGateway
from bot.msx.mapping import FORMATTED

ME = gid(999)
TEMPLATE = "3fcc1cfc-3e43-e311-9405-00155db3ba1e"


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    harness = make_harness()
    yield harness
    await harness.client.aclose()


@pytest.fixture
def gw(h: Harness) -> MsxGateway:
    return h.gateway()


def ids_in(flt: str) -> list[str]:
    return [part.split(" eq ")[1].rstrip(")") for part in flt.split(" or ")]


# -- users -------------------------------------------------------------------------------


async def test_whoami(h: Harness, gw: MsxGateway) -> None:
    h.router.get(path=API_PATH + "WhoAmI").respond(json={"UserId": ME.upper()})
    assert await gw.whoami() == ME


async def test_user(h: Harness, gw: MsxGateway) -> None:
    route = h.router.get(path=f"{API_PATH}systemusers({ME})").respond(
        json={"systemuserid": ME, "fullname": "Ana Silva", "internalemailaddress": "ana@x.test"}
    )
    me = await gw.user(ME)
    assert (me.user_id, me.name, me.email) == (ME, "Ana Silva", "ana@x.test")
    assert (
        query(route.calls.last.request)["$select"] == "systemuserid,fullname,internalemailaddress"
    )


def throttled_then(wait: int, answer: httpx.Response) -> list[httpx.Response]:
    return [httpx.Response(429, headers={"Retry-After": str(wait)}), answer]


async def test_a_listening_gateway_tells_of_waits_in_who_i_am(h: Harness) -> None:
    # A refresh shows the person waiting why: every request of theirs reports its waits.
    heard: list[MsxEvent] = []
    gw = h.gateway().listening(heard.append)
    h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=throttled_then(2, httpx.Response(200, json={"UserId": ME}))
    )
    h.router.get(path=f"{API_PATH}systemusers({ME})").mock(
        side_effect=throttled_then(3, httpx.Response(200, json={"systemuserid": ME}))
    )
    assert (await gw.user(await gw.whoami())).user_id == ME
    assert [e.wait_seconds for e in heard] == [2.0, 3.0]


async def test_a_listening_gateway_tells_of_waits_in_finding_accounts(h: Harness) -> None:
    heard: list[MsxEvent] = []
    gw = h.gateway().listening(heard.append)
    h.router.get(path=API_PATH + "msp_accountteams").mock(
        side_effect=[*throttled_then(2, page([])), *[page([])] * 4]
    )
    h.router.get(path=f"{API_PATH}systemusers({ME})/teammembership_association").mock(
        side_effect=throttled_then(3, page([{"_regardingobjectid_value": gid(1)}]))
    )
    found = await gw.accounts_of(ME)
    assert found.roles == {gid(1): ()}
    assert sorted(e.wait_seconds for e in heard) == [2.0, 3.0]


async def test_user_by_email_quotes_the_address(h: Harness, gw: MsxGateway) -> None:
    route = h.router.get(path=API_PATH + "systemusers").mock(
        side_effect=[
            page([{"systemuserid": ME, "fullname": "Pat O'Neil", "internalemailaddress": "x"}]),
            page([]),
        ]
    )
    found = await gw.user_by_email("pat.o'neil@x.test")
    assert found is not None and found.user_id == ME
    flt = query(route.calls[0].request)["$filter"]
    assert flt == "internalemailaddress eq 'pat.o''neil@x.test'"
    assert query(route.calls[0].request)["$select"] == "systemuserid,fullname,internalemailaddress"
    assert await gw.user_by_email("nobody@x.test") is None


async def test_users_chunked_one_page_each(h: Harness, gw: MsxGateway) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        ids = ids_in(query(request)["$filter"])
        return page([{"systemuserid": i, "fullname": f"U {i[-3:]}"} for i in ids])

    route = h.router.get(path=API_PATH + "systemusers").mock(side_effect=answer)
    wanted = [gid(n) for n in range(250)]
    people = await gw.users(wanted)
    assert set(people) == set(wanted)
    sizes = [len(ids_in(query(c.request)["$filter"])) for c in route.calls]
    assert sorted(sizes) == [50, 100, 100]
    assert all(query(c.request)["$filter"].startswith("(systemuserid eq ") for c in route.calls)
    assert await gw.users([]) == {}


# -- account discovery -------------------------------------------------------------------


def team_row(account: str, q2: str, title: str = "Specialists IC") -> dict[str, Any]:
    return {"_msp_accountid_value": account, "msp_qualifier2": q2, "msp_standardtitle": title}


def role_of_filter(flt: str) -> str:
    assert "contains(" not in flt.split(" and msp_qualifier2")[0]
    return flt.split("msp_qualifier2 eq '")[1].split("'")[0]


def alignment_filter(person: str, q2: str) -> str:
    # No `contains` on the title here (no account filter before it): checked on our side.
    return f"{person} and msp_qualifier1 eq 'Corporate' and msp_qualifier2 eq '{q2}'"


async def test_a_colleagues_accounts_one_query_a_role(h: Harness, gw: MsxGateway) -> None:
    # Corporate rows only; the server filters, so the rows that come back are the role's.
    rows = {
        "Cloud & AI": [
            team_row(gid(1), "Cloud & AI"),
            team_row(gid(1), "Cloud & AI"),
            team_row(gid(9), "Cloud & AI", "Cloud Solution Architect"),  # not a seller
        ],
        "Cloud & AI Data": [team_row(gid(1), "Cloud & AI Data")],
        "Cloud & AI-Acq": [team_row(gid(2), "Cloud & AI-Acq")],
        "Cloud & AI Apps": [team_row(gid(4), "Cloud & AI Apps")],
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return page(rows.get(role_of_filter(query(request)["$filter"]), []))

    route = h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=answer)
    access = h.router.get(path=f"{API_PATH}systemusers({ME})/teammembership_association")
    access.respond(json={"value": [{"_regardingobjectid_value": gid(8)}]})
    found = await gw.accounts_of(ME)
    assert found.roles == {
        gid(1): (Role.GROWTH_SELLER, Role.DATA_SE),
        gid(2): (Role.ACQUISITION_SELLER,),
        gid(4): (Role.APPS_SE,),
    }
    assert found.path is DiscoveryPath.ACCOUNT_TEAMS and found.complete
    assert route.call_count == 5
    params = {query(c.request)["$filter"]: query(c.request) for c in route.calls}
    growth = alignment_filter(f"_msp_systemuserid_value eq {ME}", "Cloud & AI")
    assert params[growth] == {
        "$filter": growth,
        "$select": "_msp_accountid_value,msp_qualifier2,msp_standardtitle,msp_accountteamid",
        "$orderby": "msp_accountteamid",
    }
    assert alignment_filter(f"_msp_systemuserid_value eq {ME}", "Cloud & AI Data") in params


def me_row() -> httpx.Response:
    return page([{"systemuserid": ME, "fullname": "Ana Silva", "internalemailaddress": "a@x"}])


async def test_my_accounts_asked_beside_who_i_am(h: Harness, gw: MsxGateway) -> None:
    # EqualUserId on the logical name: my alignments need not wait for my id.
    filters: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        filters.append(query(request)["$filter"])
        return page([team_row(gid(1), role_of_filter(filters[-1]))])

    users = h.router.get(path=API_PATH + "systemusers").mock(return_value=me_row())
    h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=answer)
    h.router.get(path=f"{API_PATH}systemusers({ME})/teammembership_association").respond(
        json={"value": []}
    )
    me, found = await gw.me_and_my_accounts()
    assert me.user_id == ME and found.roles == {gid(1): tuple(Role)}
    assert query(users.calls[0].request) == {
        "$select": "systemuserid,fullname,internalemailaddress",
        "$filter": "Microsoft.Dynamics.CRM.EqualUserId(PropertyName='systemuserid')",
    }
    mine = "Microsoft.Dynamics.CRM.EqualUserId(PropertyName='msp_systemuserid')"
    assert len(filters) == 5
    assert all(f.startswith(mine + " and ") and ME not in f for f in filters)


async def test_where_msx_refuses_equal_user_id_it_asks_by_id(h: Harness, gw: MsxGateway) -> None:
    refused = dataverse_error(400, "0x80060888", "EqualUserId is not supported")

    def alignments(request: httpx.Request) -> httpx.Response:
        flt = query(request)["$filter"]
        return refused if "EqualUserId" in flt else page([team_row(gid(3), role_of_filter(flt))])

    def users(request: httpx.Request) -> httpx.Response:
        return refused if "EqualUserId" in query(request).get("$filter", "") else me_row()

    h.router.get(path=API_PATH + "systemusers").mock(side_effect=users)
    h.router.get(path=API_PATH + "WhoAmI").respond(json={"UserId": ME})
    h.router.get(path=f"{API_PATH}systemusers({ME})").respond(
        json={"systemuserid": ME, "fullname": "Ana Silva"}
    )
    h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=alignments)
    h.router.get(path=f"{API_PATH}systemusers({ME})/teammembership_association").respond(
        json={"value": []}
    )
    me, found = await gw.me_and_my_accounts()
    assert me.name == "Ana Silva"
    assert found.roles == {gid(3): tuple(Role)}


async def test_where_equal_user_id_finds_no_row_it_asks_who_am_i(
    h: Harness, gw: MsxGateway
) -> None:
    h.router.get(path=API_PATH + "systemusers").respond(json={"value": []})
    h.router.get(path=API_PATH + "WhoAmI").respond(json={"UserId": ME})
    h.router.get(path=f"{API_PATH}systemusers({ME})").respond(
        json={"systemuserid": ME, "fullname": "Ana Silva"}
    )
    me = await gw.me()
    assert (me.user_id, me.name) == (ME, "Ana Silva")


async def test_a_listening_gateway_tells_of_waits_in_my_accounts(h: Harness) -> None:
    heard: list[MsxEvent] = []
    gw = h.gateway().listening(heard.append)
    h.router.get(path=API_PATH + "systemusers").mock(return_value=me_row())
    h.router.get(path=API_PATH + "msp_accountteams").mock(
        side_effect=[*throttled_then(2, page([])), *[page([])] * 4]
    )
    h.router.get(path=f"{API_PATH}systemusers({ME})/teammembership_association").respond(
        json={"value": []}
    )
    await gw.me_and_my_accounts()
    assert [e.wait_seconds for e in heard] == [2.0]


def growth_alignments(n: int) -> list[dict[str, Any]]:
    return [
        {**team_row(gid(n), "Cloud & AI"), "msp_accountteamid": gid(5000 + n)}
        for n in range(1000, 1000 + n)
    ]


async def test_a_role_that_fills_a_page_is_read_on_by_row_id(h: Harness, gw: MsxGateway) -> None:
    # 250 growth-seller alignments, cut at 100 with no nextLink: read on after the last
    # row id, where MSX allows `gt` on a GUID.
    growth = growth_alignments(250)
    afters: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        flt = query(request)["$filter"]
        if role_of_filter(flt) != "Cloud & AI":
            return page([])
        after = flt.split("msp_accountteamid gt ")[1] if " gt " in flt else ""
        afters.append(after)
        return page([r for r in growth if r["msp_accountteamid"] > after][:100])

    route = h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=answer)
    found = await gw.accounts_of(ME)
    assert set(found.roles) == {gid(n) for n in range(1000, 1250)} and found.complete
    assert route.call_count == 4 + 3  # four other roles, then 100 + 100 + 50
    # Each read goes on after the last row of the page before, asking no row twice.
    assert afters == ["", gid(6099), gid(6199)]


async def test_where_msx_ignores_gt_on_a_guid_a_role_stops_cut(h: Harness, gw: MsxGateway) -> None:
    # The same first page again and again: stop at once (not read forever), and say cut.
    growth = growth_alignments(150)

    def answer(request: httpx.Request) -> httpx.Response:
        return page(
            growth[:100] if role_of_filter(query(request)["$filter"]) == "Cloud & AI" else []
        )

    route = h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=answer)
    h.router.get(path=f"{API_PATH}systemusers({ME})/teammembership_association").respond(
        json={"value": []}
    )
    found = await gw.accounts_of(ME)
    assert set(found.roles) == {gid(n) for n in range(1000, 1100)} and not found.complete
    assert route.call_count == 4 + 2


def cut_alignments_without_gt(h: Harness, access_team_accounts: range) -> None:
    """150 growth-seller alignments cut at 100, `gt` on a GUID refused, and these
    accounts on my access teams."""
    growth = growth_alignments(150)

    def answer(request: httpx.Request) -> httpx.Response:
        flt = query(request)["$filter"]
        if " gt " in flt:
            return dataverse_error(400, "0x80060888", "gt is not supported for Edm.Guid")
        return page(growth[:100] if role_of_filter(flt) == "Cloud & AI" else [])

    h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=answer)
    teams = [{"_regardingobjectid_value": gid(n)} for n in access_team_accounts]
    h.router.get(path=f"{API_PATH}systemusers({ME})/teammembership_association").respond(
        json={"value": teams}
    )


async def test_where_gt_on_a_guid_is_refused_access_teams_fill_in(
    h: Harness, gw: MsxGateway
) -> None:
    cut_alignments_without_gt(h, range(1000, 1150))
    found = await gw.accounts_of(ME)
    assert set(found.roles) == {gid(n) for n in range(1000, 1150)} and found.complete
    # Those the alignments gave keep their role; the others' roles come from their teams.
    assert found.roles[gid(1000)] == (Role.GROWTH_SELLER,) and found.roles[gid(1149)] == ()


async def test_cut_alignments_the_access_teams_hold_exactly_are_whole(
    h: Harness, gw: MsxGateway
) -> None:
    cut_alignments_without_gt(h, range(1000, 1100))  # the very accounts the alignments gave
    found = await gw.accounts_of(ME)
    assert set(found.roles) == {gid(n) for n in range(1000, 1100)} and found.complete


async def test_cut_alignments_the_access_teams_do_not_cover_are_a_gap(
    h: Harness, gw: MsxGateway
) -> None:
    cut_alignments_without_gt(h, range(1050, 1150))  # lacks some the alignments gave
    found = await gw.accounts_of(ME)
    assert set(found.roles) == {gid(n) for n in range(1000, 1150)}
    assert not found.complete


async def test_no_alignments_means_access_teams(h: Harness, gw: MsxGateway) -> None:
    h.router.get(path=API_PATH + "msp_accountteams").respond(json={"value": []})
    h.router.get(path=f"{API_PATH}systemusers({ME})/teammembership_association").respond(
        json={"value": [{"_regardingobjectid_value": gid(1)}]}
    )
    found = await gw.accounts_of(ME)
    assert found.roles == {gid(1): ()} and found.path is DiscoveryPath.ACCESS_TEAMS


async def test_access_teams_that_may_be_cut_leave_the_book_incomplete(
    h: Harness, gw: MsxGateway
) -> None:
    # A nextLink that leads back to itself: what MSX gave is kept, but it may not be all.
    path = f"{API_PATH}systemusers({ME})/teammembership_association"
    h.router.get(path=path).respond(
        json=page([{"_regardingobjectid_value": gid(1)}], f"{BASE}{path}?$skiptoken=1").json()
    )
    h.router.get(path=API_PATH + "msp_accountteams").respond(json={"value": []})
    found = await gw.accounts_of(ME)
    assert found.roles == {gid(1): ()} and not found.complete


async def test_access_team_accounts(h: Harness, gw: MsxGateway) -> None:
    path = f"{API_PATH}systemusers({ME})/teammembership_association"
    next_link = f"{BASE}{path}?$skiptoken=%3Ccookie%20page=%222%22%20/%3E"
    route = h.router.get(path=path).mock(
        side_effect=[
            page(
                [
                    {"_regardingobjectid_value": gid(1), "teamid": gid(71), "name": "x"},
                    {"_regardingobjectid_value": None, "name": f"{gid(2)}+{TEMPLATE}"},
                ],
                next_link,
            ),
            page([{"_regardingobjectid_value": gid(1)}, {"name": "unrelated"}]),
        ]
    )
    found = await access_team_accounts(h.client, ME)
    assert found.items == [gid(1), gid(2)] and not found.may_be_truncated
    params = query(route.calls[0].request)
    assert params == {
        "$select": "_regardingobjectid_value,teamid,name",
        "$filter": f"teamtype eq 1 and _teamtemplateid_value eq {TEMPLATE}",
    }
    assert str(route.calls[1].request.url) == next_link


async def test_accounts_chunked_by_page(h: Harness, gw: MsxGateway) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        ids = ids_in(query(request)["$filter"])
        return page(
            [{"accountid": i, "name": f"A{i[-3:]}", "_territoryid_value": None} for i in ids]
        )

    route = h.router.get(path=API_PATH + "accounts").mock(side_effect=answer)
    h.router.get(path=API_PATH + "territories").respond(json={"value": []})
    wanted = [gid(n) for n in range(150)]
    accounts = await gw.accounts(wanted)
    assert [a.id for a in accounts] == wanted
    assert route.call_count == 2
    params = query(route.calls[0].request)
    assert params["$select"] == "accountid,name,msp_mstopparentid,_territoryid_value"
    assert params["$filter"].startswith(f"(accountid eq {gid(0)} or accountid eq {gid(1)} or")
    assert all(a.territory_id is None for a in accounts)


async def test_accounts_come_with_their_territory_and_pod(h: Harness, gw: MsxGateway) -> None:
    rows = [
        {"accountid": gid(1), "name": "Contoso", "_territoryid_value": gid(9)},
        {"accountid": gid(2), "name": "Fabrikam", "_territoryid_value": None},
    ]
    h.router.get(path=API_PATH + "accounts").respond(json={"value": rows})
    territories = h.router.get(path=API_PATH + "territories").respond(
        json={"value": [{"territoryid": gid(9), "name": "East.SMECC.MAA.0601"}]}
    )
    contoso, fabrikam = await gw.accounts([gid(1), gid(2)])
    assert (contoso.territory, contoso.pod) == ("East.SMECC.MAA.0601", "East POD 06")
    assert (fabrikam.territory, fabrikam.pod) == (None, None)
    assert query(territories.calls.last.request)["$filter"] == f"(territoryid eq {gid(9)})"


async def test_territories(h: Harness, gw: MsxGateway) -> None:
    route = h.router.get(path=API_PATH + "territories").respond(
        json={"value": [{"territoryid": gid(9), "name": "East.SMECC.MAA.0601"}]}
    )
    (territory,) = await gw.territories([gid(9), gid(9)])
    assert territory.pod == "East POD 06"
    assert query(route.calls.last.request)["$filter"] == f"(territoryid eq {gid(9)})"


# -- milestones --------------------------------------------------------------------------


def milestone_row(n: int, account: str, status: str = "On Track") -> dict[str, Any]:
    return {
        "msp_engagementmilestoneid": gid(n),
        "msp_name": f"Milestone {n:03d}",
        "msp_milestonestatus": 861980000,
        "msp_milestonestatus" + FORMATTED: status,
        "_msp_parentaccount_value": account,
        "msp_monthlyuse": None,
        "msp_milestonedate": "2026-05-01T00:00:00Z",
    }


async def test_milestones_follow_next_link(h: Harness, gw: MsxGateway) -> None:
    next_link = API + "msp_engagementmilestones?$skiptoken=%3Ccookie%20pagenumber=%222%22/%3E"
    first = [milestone_row(n, gid(1)) for n in range(100)]
    route = h.router.get(path=API_PATH + "msp_engagementmilestones").mock(
        side_effect=[page(first, next_link), page([milestone_row(100, gid(2), "At Risk")])]
    )
    milestones = (await gw.milestones([gid(1), gid(2)])).items
    assert len(milestones) == 101
    assert milestones[-1].status == "At Risk" and milestones[-1].needs_attention
    assert milestones[0].date is not None and milestones[0].monthly_use is None
    params = query(route.calls[0].request)
    assert params["$filter"] == (
        "Microsoft.Dynamics.CRM.In(PropertyName='msp_parentaccount',"
        f'PropertyValues=["{gid(1)}","{gid(2)}"])'
    )
    assert params["$orderby"] == "msp_name"
    assert "msp_milestonedate" in params["$select"].split(",")
    assert str(route.calls[1].request.url) == next_link


def milestone_accounts(request: httpx.Request) -> list[str]:
    return re.findall(r'"([0-9a-f-]{36})"', query(request)["$filter"])


async def test_milestones_of_many_accounts_are_asked_side_by_side(
    h: Harness, gw: MsxGateway
) -> None:
    # At least 8 accounts a query, and no more than 16 queries, each account asked once.
    def answer(request: httpx.Request) -> httpx.Response:
        return page([milestone_row(int(a[-6:]), a) for a in milestone_accounts(request)])

    route = h.router.get(path=API_PATH + "msp_engagementmilestones").mock(side_effect=answer)
    for n, sizes in [(20, [8, 8, 4]), (300, [19] * 15 + [15])]:
        before = route.call_count
        wanted = [gid(i) for i in range(1, n + 1)]
        found = await gw.milestones(wanted)
        asked = [milestone_accounts(c.request) for c in route.calls[before:]]
        assert sorted(map(len, asked)) == sorted(sizes)
        assert sorted(a for part in asked for a in part) == wanted
        assert {m.account_id for m in found.items} == set(wanted)


async def test_milestones_that_may_be_cut_say_so(h: Harness, gw: MsxGateway) -> None:
    # A nextLink back to itself: what MSX gave is kept, but it may not be all.
    loop = f"{API}msp_engagementmilestones?$skiptoken=1"
    h.router.get(path=API_PATH + "msp_engagementmilestones").respond(
        json=page([milestone_row(1, gid(1))], loop).json()
    )
    found = await gw.milestones([gid(1)])
    assert len(found.items) == 1 and found.may_be_truncated


async def test_many_ids_never_make_a_url_msx_refuses(h: Harness) -> None:
    # Pages of 1000 people would make a 60,000-character URL: split under the limit.
    big = make_harness(page_size=1000)
    route = big.router.get(path=API_PATH + "systemusers").mock(
        side_effect=lambda request: page(
            [{"systemuserid": i} for i in ids_in(query(request)["$filter"])]
        )
    )
    wanted = [gid(n) for n in range(1000)]
    assert set(await big.gateway().users(wanted)) == set(wanted)
    assert route.call_count > 1
    assert all(len(str(c.request.url)) <= MAX_GET_URL for c in route.calls)
    await big.client.aclose()


async def test_milestones_of_a_huge_book_never_make_a_url_msx_refuses(
    h: Harness, gw: MsxGateway
) -> None:
    # 13,000 accounts in 16 queries would be 813 a query, over the URL limit: split.
    route = h.router.get(path=API_PATH + "msp_engagementmilestones").respond(json={"value": []})
    wanted = [gid(n) for n in range(13_000)]
    await gw.milestones(wanted)
    assert all(len(str(c.request.url)) <= MAX_GET_URL for c in route.calls)
    assert sorted(a for c in route.calls for a in milestone_accounts(c.request)) == wanted


async def test_a_full_page_of_milestones_without_next_link_is_all(
    h: Harness, gw: MsxGateway
) -> None:
    # The milestones page with nextLinks: a page of 100 without one is the last.
    rows = [milestone_row(n, gid(1)) for n in range(100)]
    h.router.get(path=API_PATH + "msp_engagementmilestones").respond(json={"value": rows})
    found = await gw.milestones([gid(1)])
    assert len(found.items) == 100 and not found.may_be_truncated


async def test_teams_are_asked_in_batches_by_the_sizes_last_seen(
    h: Harness, gw: MsxGateway
) -> None:
    # Three accounts thought to have 22 people each go in one request; known to have 90
    # each, one request each (a page holds 100). on_done hears of every account read.
    h.router.get(path=API_PATH + "msp_accountteams").respond(json={"value": []})
    h.router.get(path=API_PATH + "systemusers").respond(json={"value": []})
    accounts = [gid(1), gid(2), gid(3)]
    for sizes, requests in [(None, 1), (dict.fromkeys(accounts, 90), 3)]:
        done: list[int] = []
        teams = await gw.teams(accounts, sizes=sizes, on_done=done.append)
        assert teams.requests == requests and sum(done) == 3


async def test_a_listening_gateway_tells_of_waits_in_teams_and_milestones(
    h: Harness,
) -> None:
    heard: list[MsxEvent] = []
    gw = h.gateway().listening(heard.append)
    h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=throttled_then(2, page([])))
    h.router.get(path=API_PATH + "msp_engagementmilestones").mock(
        side_effect=throttled_then(3, page([]))
    )
    await gw.teams([gid(1)])
    await gw.milestones([gid(1)])
    assert [e.wait_seconds for e in heard] == [2.0, 3.0]


# -- tasks -------------------------------------------------------------------------------


# -- construction ------------------------------------------------------------------------


async def test_from_settings_with_static_token() -> None:
    import respx

    router = respx.MockRouter(assert_all_called=False)
    router.get(path=API_PATH + "WhoAmI").respond(json={"UserId": ME})
    settings = Settings(msx_base_url=BASE + "/", msx_access_token=SecretStr(SECRET))
    async with MsxGateway.from_settings(
        settings, transport=httpx.MockTransport(router.async_handler), max_concurrency=4
    ) as gateway:
        assert await gateway.whoami() == ME
        assert gateway.base_url == BASE
        assert gateway.client.bound == 4  # the client options reach the client
    request = router.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
