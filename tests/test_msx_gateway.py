"""MsxGateway: the requests it makes and what it makes of the answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from msx_fixtures import API, API_PATH, BASE, SECRET, Harness, gid, make_harness, page, query
from pydantic import SecretStr

from bot.config import Settings
from bot.domain import Role
from bot.msx.gateway import MsxGateway
from bot.msx.mapping import FORMATTED, Assignment

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
    assert await gw.users([]) == {}


# -- account discovery -------------------------------------------------------------------


def team_row(account: str, q2: str) -> dict[str, Any]:
    return {"_msp_accountid_value": account, "msp_qualifier2": q2}


SELLER_TITLE = " and contains(msp_standardtitle,'Specialists IC')"


def role_of_filter(flt: str) -> str:
    return flt.split("msp_qualifier2 eq '")[1].split("'")[0]


async def test_my_assignments(h: Harness, gw: MsxGateway) -> None:
    # One query a role, Corporate rows only (an Area row is no alignment of mine); the
    # server filters, so the rows that come back are the role's.
    rows = {
        "Cloud & AI": [team_row(gid(1), "Cloud & AI"), team_row(gid(1), "Cloud & AI")],
        "Cloud & AI Data": [team_row(gid(1), "Cloud & AI Data")],
        "Cloud & AI-Acq": [team_row(gid(2), "Cloud & AI-Acq")],
        "Cloud & AI Apps": [team_row(gid(4), "Cloud & AI Apps")],
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return page(rows.get(role_of_filter(query(request)["$filter"]), []))

    route = h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=answer)
    result = await gw.my_assignments(ME)
    assert set(result.items) == {
        Assignment(gid(1), Role.GROWTH_SELLER),
        Assignment(gid(1), Role.DATA_SE),
        Assignment(gid(2), Role.ACQUISITION_SELLER),
        Assignment(gid(4), Role.APPS_SE),
    }
    assert not result.may_be_truncated
    assert route.call_count == 5
    params = {query(c.request)["$filter"]: query(c.request) for c in route.calls}
    growth = (
        f"_msp_systemuserid_value eq {ME} and msp_qualifier1 eq 'Corporate'"
        " and msp_qualifier2 eq 'Cloud & AI'" + SELLER_TITLE
    )
    assert params[growth] == {
        "$filter": growth,
        "$select": "_msp_accountid_value,msp_qualifier2",
        "$orderby": "_msp_accountid_value",
    }
    data = (
        f"_msp_systemuserid_value eq {ME} and msp_qualifier1 eq 'Corporate'"
        " and msp_qualifier2 eq 'Cloud & AI Data'"
    )
    assert data in params


async def test_my_own_assignments_need_not_wait_for_whoami(h: Harness, gw: MsxGateway) -> None:
    # Without an id, MSX is asked for the signed-in user's rows (EqualUserId), so the
    # query can go out beside WhoAmI instead of after it.
    filters: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        filters.append(query(request)["$filter"])
        return page([team_row(gid(1), role_of_filter(filters[-1]))])

    h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=answer)
    result = await gw.my_assignments()
    assert {a.role for a in result.items} == set(Role)
    assert len(filters) == 5
    mine = "Microsoft.Dynamics.CRM.EqualUserId(PropertyName='_msp_systemuserid_value')"
    assert all(f.startswith(mine + " and ") and ME not in f for f in filters)


async def test_my_assignments_read_on_by_account_when_a_role_fills_a_page(
    h: Harness, gw: MsxGateway
) -> None:
    # 250 growth-seller alignments: msp_accountteams cuts at 100 and gives no nextLink,
    # so the role is read on after the last account seen.
    growth = [team_row(gid(n), "Cloud & AI") for n in range(1000, 1250)]

    def answer(request: httpx.Request) -> httpx.Response:
        flt = query(request)["$filter"]
        if role_of_filter(flt) != "Cloud & AI":
            return page([])
        after = flt.split("_msp_accountid_value gt ")[1] if " gt " in flt else ""
        return page([r for r in growth if r["_msp_accountid_value"] > after][:100])

    route = h.router.get(path=API_PATH + "msp_accountteams").mock(side_effect=answer)
    result = await gw.my_assignments(ME)
    assert {a.account_id for a in result.items} == {gid(n) for n in range(1000, 1250)}
    assert not result.may_be_truncated
    assert route.call_count == 4 + 3  # four other roles, then 100 + 100 + 50


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
    assert await gw.access_team_accounts(ME) == [gid(1), gid(2)]
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
    wanted = [gid(n) for n in range(150)]
    accounts = await gw.accounts(wanted)
    assert [a.id for a in accounts] == wanted
    assert route.call_count == 2
    params = query(route.calls[0].request)
    assert params["$select"] == "accountid,name,msp_mstopparentid,_territoryid_value"
    assert params["$filter"].startswith(f"(accountid eq {gid(0)} or accountid eq {gid(1)} or")
    assert all(a.territory_id is None for a in accounts)


async def test_territories(h: Harness, gw: MsxGateway) -> None:
    route = h.router.get(path=API_PATH + "territories").respond(
        json={"value": [{"territoryid": gid(9), "name": "East.SMECC.MAA.0601"}]}
    )
    (territory,) = await gw.territories([gid(9), gid(9)])
    assert territory.pod == "East POD 06"
    assert query(route.calls.last.request)["$filter"] == f"(territoryid eq {gid(9)})"


# -- team members ------------------------------------------------------------------------


def member(account: str, user: str, q2: str, title: str = "Specialists IC") -> dict[str, Any]:
    return {
        "_msp_accountid_value": account,
        "_msp_systemuserid_value": user,
        "msp_fullname": f"Person {user[-2:]}",
        "msp_qualifier2": q2,
        "msp_standardtitle": title,
    }


async def test_team_members_one_request(h: Harness, gw: MsxGateway) -> None:
    rows = [
        member(gid(1), gid(11), "Cloud & AI", "Digital Solution Area Specialists IC"),
        member(gid(1), gid(11), "Cloud & AI", "Digital Solution Area Specialists IC"),
        member(gid(1), gid(12), "Cloud & AI", "Manager, Digital Solution Area"),
        member(gid(1), gid(13), "Cloud & AI", "Cloud Solution Architect"),
        member(gid(1), gid(14), "Cloud & AI Data", "Solution Engineer"),
        member(gid(2), gid(15), "Cloud & AI-Acq", "Specialists IC"),
        member(gid(2), gid(16), "Cloud & AI Infrastructure", ""),
        member(gid(2), gid(17), "Cloud & AI CSU", "Customer Success Account Mgmt IC"),
    ]
    route = h.router.get(path=API_PATH + "msp_accountteams").respond(json={"value": rows})
    team = await gw.team_members([gid(1), gid(2)])
    assert route.call_count == 1
    assert [(m.user_id, m.role) for m in team] == [
        (gid(11), Role.GROWTH_SELLER),
        (gid(14), Role.DATA_SE),
        (gid(15), Role.ACQUISITION_SELLER),
        (gid(16), Role.INFRA_SE),
    ]
    assert not team.may_be_truncated
    params = query(route.calls.last.request)
    assert params["$filter"] == (
        "Microsoft.Dynamics.CRM.In(PropertyName='_msp_accountid_value',"
        f'PropertyValues=["{gid(1)}","{gid(2)}"])'
        " and msp_qualifier1 eq 'Corporate' and ("
        "(msp_qualifier2 eq 'Cloud & AI'" + SELLER_TITLE + ") or "
        "(msp_qualifier2 eq 'Cloud & AI-Acq'" + SELLER_TITLE + ") or "
        "msp_qualifier2 eq 'Cloud & AI Data' or msp_qualifier2 eq 'Cloud & AI Infrastructure'"
        " or msp_qualifier2 eq 'Cloud & AI Apps')"
    )
    assert params["$select"] == (
        "_msp_accountid_value,msp_fullname,msp_qualifier2,msp_standardtitle,"
        "_msp_systemuserid_value,msp_accountteamid"
    )
    assert params["$orderby"] == "_msp_accountid_value,msp_accountteamid"
    assert team.accounts_in_order == [gid(1), gid(2)]


async def test_team_members_read_an_account_on_after_a_row(h: Harness, gw: MsxGateway) -> None:
    # The account a cut page ended in is read on after that page's last row; the others
    # of the request are asked whole, in the same query.
    rows = [
        {**member(gid(1), gid(100 + n), "Cloud & AI Data"), "msp_accountteamid": gid(500 + n)}
        for n in range(100)
    ]
    route = h.router.get(path=API_PATH + "msp_accountteams").respond(json={"value": rows})
    first = await gw.team_members([gid(1), gid(2)])
    assert first.may_be_truncated and first.last_row == (gid(1), gid(599))
    await gw.team_members([gid(1), gid(2)], after=first.last_row)
    assert query(route.calls.last.request)["$filter"].startswith(
        f"(_msp_accountid_value eq {gid(1)} and msp_accountteamid gt {gid(599)} or "
        "Microsoft.Dynamics.CRM.In(PropertyName='_msp_accountid_value',"
        f"PropertyValues=[\"{gid(2)}\"])) and msp_qualifier1 eq 'Corporate' and "
    )


async def test_team_truncation_judged_on_raw_rows(h: Harness, gw: MsxGateway) -> None:
    # Account 1's rows are all managers (dropped by mapping); account 2 fills the rest.
    rows = [member(gid(1), gid(100 + n), "Cloud & AI", "Manager") for n in range(60)]
    rows += [member(gid(2), gid(300 + n), "Cloud & AI", "Manager") for n in range(39)]
    rows.append(member(gid(2), gid(1), "Cloud & AI Data"))
    h.router.get(path=API_PATH + "msp_accountteams").respond(json={"value": rows})
    team = await gw.team_members([gid(1), gid(2), gid(3)])
    assert len(team) == 1
    assert team.may_be_truncated
    assert team.accounts_in_order == [gid(1), gid(2)]


async def test_team_members_of_no_accounts(h: Harness, gw: MsxGateway) -> None:
    assert (await gw.team_members([])).items == []
    assert h.client.requests_sent == 0


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
        "Microsoft.Dynamics.CRM.In(PropertyName='_msp_parentaccount_value',"
        f'PropertyValues=["{gid(1)}","{gid(2)}"])'
    )
    assert params["$orderby"] == "msp_name"
    assert "msp_milestonedate" in params["$select"].split(",")
    assert str(route.calls[1].request.url) == next_link


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
    request = router.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
