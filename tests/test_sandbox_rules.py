"""The Dataverse rules the sandbox plays, each with the exact status and body a client
sees (docs/msx-conformance.md lists them with their sources), and its two switches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import httpx
import pytest

from bot.sandbox import SandboxMsx, build_dataset
from bot.sandbox.odata_ast import guid_order

API = "https://msx.test/api/data/v9.2/"
DS = build_dataset()
ME = DS.me.user_id
IN = "Microsoft.Dynamics.CRM.In"
NOT_IN = "Microsoft.Dynamics.CRM.NotIn"
EQUAL_USER_ID = "Microsoft.Dynamics.CRM.EqualUserId"
CLOUD_TEAM = (
    "msp_qualifier1 eq 'Corporate' and ("
    + " or ".join(
        f"msp_qualifier2 eq '{q}'"
        for q in (
            "Cloud & AI",
            "Cloud & AI-Acq",
            "Cloud & AI Data",
            "Cloud & AI Infrastructure",
            "Cloud & AI Apps",
        )
    )
    + ")"
)


def client_for(sb: SandboxMsx) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=sb.transport(), base_url=API, headers={"Authorization": "Bearer sandbox"}
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(SandboxMsx(DS)) as c:
        yield c


async def rows(client: httpx.AsyncClient, entity_set: str, **params: str) -> list[dict[str, Any]]:
    r = await client.get(entity_set, params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["value"])


async def error(client: httpx.AsyncClient, entity_set: str, **params: str) -> tuple[int, Any]:
    r = await client.get(entity_set, params=params)
    return r.status_code, r.json()


def no_attribute(entity: str, name: str) -> dict[str, Any]:
    return {
        "error": {
            "code": "0x80041103",
            "message": f"'{entity}' entity doesn't contain attribute with Name = '{name}'.",
        }
    }


# ---- query functions take logical names ----


async def test_in_takes_the_lookups_logical_name(client: httpx.AsyncClient) -> None:
    account = DS.special["solo_team"]
    by_in = await rows(
        client,
        "msp_accountteams",
        **{"$filter": f"{IN}(PropertyName='msp_accountid',PropertyValues=[\"{account}\"])"},
    )
    by_eq = await rows(
        client, "msp_accountteams", **{"$filter": f"_msp_accountid_value eq {account}"}
    )
    assert by_in == by_eq and len(by_in) > 1
    assert {r["_msp_accountid_value"] for r in by_in} == {account}


@pytest.mark.parametrize(
    ("entity_set", "entity", "prop"),
    [
        ("msp_accountteams", "msp_accountteam", "_msp_accountid_value"),
        ("msp_engagementmilestones", "msp_engagementmilestone", "_msp_parentaccount_value"),
        ("accounts", "account", "_territoryid_value"),
    ],
)
async def test_in_refuses_the_odata_value_property(
    client: httpx.AsyncClient, entity_set: str, entity: str, prop: str
) -> None:
    f = f"{IN}(PropertyName='{prop}',PropertyValues=[\"{ME}\"])"
    assert await error(client, entity_set, **{"$filter": f}) == (400, no_attribute(entity, prop))


async def test_in_values_single_or_double_quoted_and_not_in(client: httpx.AsyncClient) -> None:
    mine = DS.accounts_of[ME][:3]
    double = ",".join(f'"{a}"' for a in mine)
    single = ",".join(f"'{a}'" for a in mine)
    select = {"$select": "accountid"}
    a = await rows(
        client,
        "accounts",
        **{"$filter": f"{IN}(PropertyName='accountid',PropertyValues=[{double}])"},
        **select,
    )
    b = await rows(
        client,
        "accounts",
        **{"$filter": f"{IN}(PropertyName='accountid',PropertyValues=[{single}])"},
        **select,
    )
    assert {r["accountid"] for r in a} == {r["accountid"] for r in b} == set(mine)
    rest = await rows(
        client,
        "accounts",
        **{"$filter": f"{NOT_IN}(PropertyName='accountid',PropertyValues=[{single}])"},
        **select,
        **{"$top": "5000"},
    )
    assert {r["accountid"] for r in rest} == {r["accountid"] for r in DS.tables["accounts"]} - set(
        mine
    )


async def test_equal_user_id_takes_logical_names(client: httpx.AsyncClient) -> None:
    mine = await rows(
        client,
        "msp_accountteams",
        **{"$filter": f"{EQUAL_USER_ID}(PropertyName='msp_systemuserid')"},
    )
    assert mine == await rows(
        client, "msp_accountteams", **{"$filter": f"_msp_systemuserid_value eq {ME}"}
    )
    me = await rows(
        client, "systemusers", **{"$filter": f"{EQUAL_USER_ID}(PropertyName='systemuserid')"}
    )
    assert [u["systemuserid"] for u in me] == [ME]
    f = f"{EQUAL_USER_ID}(PropertyName='_msp_systemuserid_value')"
    assert await error(client, "msp_accountteams", **{"$filter": f}) == (
        400,
        no_attribute("msp_accountteam", "_msp_systemuserid_value"),
    )


# ---- plain comparisons ----


async def test_plain_comparisons_take_the_value_property_quoted_or_not(
    client: httpx.AsyncClient,
) -> None:
    big = DS.special["big_milestones"]
    unquoted = await rows(
        client, "msp_engagementmilestones", **{"$filter": f"_msp_parentaccount_value eq {big}"}
    )
    # The integration guide's own milestone query quotes the GUID.
    quoted = await rows(
        client, "msp_engagementmilestones", **{"$filter": f"_msp_parentaccount_value eq '{big}'"}
    )
    assert quoted == unquoted and len(unquoted) == 100
    status, body = await error(client, "accounts", **{"$filter": "msp_accountid eq 'x'"})
    assert (status, body["error"]["code"]) == (400, "0x0")
    assert body["error"]["message"] == (
        "Could not find a property named 'msp_accountid' on type 'Microsoft.Dynamics.CRM.account'."
    )


# ---- ordering ----


def name_of(account_id: str) -> str:
    account = DS.record("accounts", "accountid", account_id)
    assert account is not None
    return str(account["name"])


async def test_orderby_a_lookup_sorts_by_the_related_name_then_the_row_id(
    client: httpx.AsyncClient,
) -> None:
    twins = [DS.special["same_name"], DS.special["same_name_twin"]]
    assert name_of(twins[0]) == name_of(twins[1])
    ids = [*twins, DS.special["solo_team"]]
    values = ",".join(f'"{a}"' for a in ids)
    got = await rows(
        client,
        "msp_accountteams",
        **{
            "$filter": f"{IN}(PropertyName='msp_accountid',PropertyValues=[{values}])",
            "$orderby": "_msp_accountid_value",
            "$select": "_msp_accountid_value",
        },
    )
    # Written out independently of the sandbox's sort: by account name, then row id.
    expected = sorted(
        (r for r in DS.tables["msp_accountteams"] if r["_msp_accountid_value"] in ids),
        key=lambda r: (
            name_of(r["_msp_accountid_value"]).casefold(),
            guid_order(r["msp_accountteamid"]),
        ),
    )[:100]
    assert [r["msp_accountteamid"] for r in got] == [r["msp_accountteamid"] for r in expected]
    # The two accounts of one name interleave: not grouped by GUID.
    in_twins = [r["_msp_accountid_value"] for r in got if r["_msp_accountid_value"] in twins]
    changes = sum(1 for a, b in pairwise(in_twins) if a != b)
    assert changes > 1


async def test_orderby_a_choice_sorts_by_its_value_and_ties_by_id(
    client: httpx.AsyncClient,
) -> None:
    big = DS.special["big_milestones"]
    got = await rows(
        client,
        "msp_engagementmilestones",
        **{
            "$filter": f"_msp_parentaccount_value eq {big}",
            "$orderby": "msp_milestonestatus desc",
            "$select": "msp_milestonestatus",
        },
    )
    keys = [(-r["msp_milestonestatus"], guid_order(r["msp_engagementmilestoneid"])) for r in got]
    assert keys == sorted(keys) and len(set(k[0] for k in keys)) > 3


async def test_every_sort_ends_with_the_primary_key(client: httpx.AsyncClient) -> None:
    got = await rows(
        client,
        "msp_accountteams",
        **{
            "$filter": f"_msp_systemuserid_value eq {ME}",
            "$orderby": "msp_qualifier1",
            "$select": "msp_qualifier1",
        },
    )
    keys = [(r["msp_qualifier1"].casefold(), guid_order(r["msp_accountteamid"])) for r in got]
    assert keys == sorted(keys) and len(set(k[0] for k in keys)) < len(keys)


# ---- switch: gt/lt on a GUID ----


RANGE = f"msp_accountteamid gt {ME}"


async def test_guid_ranges_refused_by_default() -> None:
    async with client_for(SandboxMsx(DS)) as c:
        assert await error(c, "msp_accountteams", **{"$filter": RANGE}) == (
            400,
            {
                "error": {
                    "code": "0x80060888",
                    "message": "The operator 'gt' is not supported for operands of type "
                    f"'Edm.Guid' in '{RANGE}'.",
                }
            },
        )
        for op in ("ge", "lt", "le"):
            status, _ = await error(c, "accounts", **{"$filter": f"accountid {op} {ME}"})
            assert status == 400
        # eq and ne on a GUID are documented and always answered.
        assert await rows(c, "accounts", **{"$filter": f"accountid ne {ME}", "$top": "1"})


async def test_guid_ranges_answered_when_switched_on() -> None:
    async with client_for(SandboxMsx(DS, guid_ranges=True)) as c:
        got = await rows(
            c, "msp_accountteams", **{"$filter": RANGE, "$select": "msp_accountteamid"}
        )
    assert got and all(guid_order(r["msp_accountteamid"]) > guid_order(ME) for r in got)


# ---- switch: msp_accountteams and nextLink ----


async def cloud_team(c: httpx.AsyncClient, account: str) -> tuple[list[Any], int, bool]:
    """All pages of an account's Cloud & AI rows: the rows, the pages, whether a page was
    full without a nextLink."""
    params: dict[str, str] | None = {
        "$filter": f"_msp_accountid_value eq {account} and {CLOUD_TEAM}"
    }
    url = "msp_accountteams"
    out: list[Any] = []
    pages, silent_cut = 0, False
    while url:
        r = await c.get(url, params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["value"]
        pages += 1
        url, params = body.get("@odata.nextLink"), None
        silent_cut = silent_cut or (url is None and len(body["value"]) == 100)
    return out, pages, silent_cut


async def test_account_teams_cut_silently_by_default() -> None:
    huge = DS.special["huge_team"]
    assert len(DS.team_of[huge]) > 100
    async with client_for(SandboxMsx(DS)) as c:
        got, pages, silent_cut = await cloud_team(c, huge)
    assert (len(got), pages, silent_cut) == (100, 1, True)


async def test_account_teams_page_with_next_link_when_switched_on() -> None:
    huge = DS.special["huge_team"]
    async with client_for(SandboxMsx(DS, team_next_link=True)) as c:
        got, pages, silent_cut = await cloud_team(c, huge)
        first = await c.get(
            "msp_accountteams", params={"$filter": f"_msp_accountid_value eq {huge}"}
        )
        topped = await c.get(
            "msp_accountteams",
            params={"$filter": f"_msp_accountid_value eq {huge}", "$top": "150"},
        )
    assert pages == 2 and not silent_cut
    assert len(got) == DS.cloud_team_size[huge] > 100
    assert len({r["msp_accountteamid"] for r in got}) == len(got)
    link = first.json()["@odata.nextLink"]
    assert link.startswith(API + "msp_accountteams?") and "$skiptoken=" in link
    # $top still means one page and no nextLink.
    assert len(topped.json()["value"]) == 100 and "@odata.nextLink" not in topped.json()


async def test_a_served_sandbox_pages_teams_from_its_own_url() -> None:
    server = await SandboxMsx(DS, team_next_link=True).serve()
    try:
        async with httpx.AsyncClient(
            base_url=server.api_url, headers={"Authorization": "Bearer sandbox"}
        ) as c:
            first = await c.get(
                "msp_accountteams",
                params={"$filter": f"_msp_accountid_value eq {DS.special['huge_team']}"},
            )
            link = first.json()["@odata.nextLink"]
            second = await c.get(link)
    finally:
        await server.close()
    assert link.startswith(server.api_url + "msp_accountteams?")
    assert second.status_code == 200 and second.json()["value"]


# ---- errors ----


async def test_401_is_a_challenge_without_a_body() -> None:
    async with httpx.AsyncClient(transport=SandboxMsx(DS).transport(), base_url=API) as c:
        r = await c.get("WhoAmI", headers={"Authorization": "Bearer expired"})
    assert (r.status_code, r.content) == (401, b"")
    assert r.headers["WWW-Authenticate"].startswith(
        'Bearer authorization_uri="https://login.microsoftonline.com/'
    )


async def test_an_edited_paging_cookie_is_refused(client: httpx.AsyncClient) -> None:
    big = DS.special["big_milestones"]
    first = await client.get(
        "msp_engagementmilestones", params={"$filter": f"_msp_parentaccount_value eq {big}"}
    )
    link = first.json()["@odata.nextLink"]
    edited = link.replace("100%253A", "50%253A")
    assert edited != link
    r = await client.get(edited)
    assert (r.status_code, r.json()) == (
        400,
        {"error": {"code": "0x8004112a", "message": "Invalid page number in paging cookie."}},
    )


async def test_skip_is_refused_as_crm_refuses_it(client: httpx.AsyncClient) -> None:
    assert await error(client, "msp_accountteams", **{"$skip": "100"}) == (
        400,
        {"error": {"code": "0x80060888", "message": "Skip Clause is not supported in CRM"}},
    )


async def test_unknown_entity_set_names_are_case_sensitive(client: httpx.AsyncClient) -> None:
    assert await error(client, "Accounts") == (
        404,
        {
            "error": {
                "code": "0x8006088a",
                "message": "Resource not found for the segment 'Accounts'.",
            }
        },
    )
