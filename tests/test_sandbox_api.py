"""The sandbox through httpx: auth, routing, query options, paging, annotations, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bot.domain import CATEGORY_BY_CODE
from bot.sandbox import Dataset, SandboxMsx, build_dataset
from bot.sandbox.schema import ACCOUNT_TEAM_TEMPLATE, FORMATTED, LOOKUP_LOGICAL

API = "https://msx.test/api/data/v9.2/"
ANNOTATED = {"Prefer": 'odata.include-annotations="*"'}
REGARDING = "regardingobjectid_msp_engagementmilestone"
DS = build_dataset()  # shared read-only; tests that create tasks build their own


@pytest.fixture
def sb() -> SandboxMsx:
    return SandboxMsx(DS)


@pytest.fixture
async def client(sb: SandboxMsx) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=sb.transport(), base_url=API, headers={"Authorization": "Bearer sandbox"}
    ) as c:
        yield c


def error_of(r: httpx.Response) -> tuple[int, str, str]:
    e = r.json()["error"]
    return r.status_code, e["code"], e["message"]


async def get_all(
    client: httpx.AsyncClient, url: str, **kw: Any
) -> tuple[list[dict[str, Any]], int]:
    """Follow nextLink to the end; returns rows and the number of pages."""
    rows: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    params = kw.pop("params", None)
    while next_url:
        r = await client.get(next_url, params=params, **kw)
        assert r.status_code == 200, r.text
        body = r.json()
        rows += body["value"]
        pages += 1
        next_url, params = body.get("@odata.nextLink"), None
    return rows, pages


# ---- auth and routing ----


async def test_whoami_is_the_signed_in_user(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    r = await client.get("WhoAmI")
    assert r.status_code == 200
    assert r.json()["UserId"] == DS.me.user_id
    assert {"BusinessUnitId", "OrganizationId"} <= r.json().keys()
    sb.signed_in_user_id = DS.colleagues[0].user_id
    assert (await client.get("WhoAmI")).json()["UserId"] == DS.colleagues[0].user_id


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic sandbox", "sandbox", "Bearer "])
async def test_missing_or_invalid_token_is_401(sb: SandboxMsx, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth is not None else {}
    async with httpx.AsyncClient(transport=sb.transport(), base_url=API) as c:
        r = await c.get("WhoAmI", headers=headers)
    assert (r.status_code, r.content) == (401, b"")
    assert "Bearer" in r.headers["WWW-Authenticate"]


async def test_token_set_is_configurable(sb: SandboxMsx, client: httpx.AsyncClient) -> None:
    sb.tokens = {"fresh"}
    assert (await client.get("WhoAmI")).status_code == 401
    assert (
        await client.get("WhoAmI", headers={"Authorization": "Bearer fresh"})
    ).status_code == 200


@pytest.mark.parametrize("segment", ["Accounts", "account", "msp_accountteam", "opportunities"])
async def test_unknown_entity_set_is_404(client: httpx.AsyncClient, segment: str) -> None:
    status, _, message = error_of(await client.get(segment))
    assert status == 404
    assert message == f"Resource not found for the segment '{segment}'."


async def test_outside_the_api_root_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("https://msx.test/api/data/v9.1/accounts")).status_code == 404


async def test_single_record_and_missing_record(client: httpx.AsyncClient) -> None:
    r = await client.get(
        f"systemusers({DS.me.user_id})", params={"$select": "fullname,internalemailaddress"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["fullname"] == DS.me.name and body["systemuserid"] == DS.me.user_id
    assert "domainname" not in body and "@odata.etag" in body
    missing = "00000000-0000-0000-0000-000000000001"
    status, code, message = error_of(await client.get(f"accounts({missing})"))
    assert (status, code) == (404, "0x80040217")
    assert message == f"account With Id = {missing} Does Not Exist"
    assert (await client.get("accounts(not-a-guid)")).status_code == 400
    assert (
        await client.get(f"systemusers({DS.me.user_id})", params={"$top": "1"})
    ).status_code == 400


async def test_methods_other_than_get_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.delete(f"accounts({DS.special['solo_team']})")).status_code == 405
    assert (await client.post("accounts", json={"name": "x"})).status_code == 405
    assert (await client.post("WhoAmI")).status_code == 405


# ---- query options ----


async def test_select_limits_fields_and_always_has_key(client: httpx.AsyncClient) -> None:
    r = await client.get("accounts", params={"$select": "name"})
    row = r.json()["value"][0]
    assert set(row) == {"@odata.etag", "name", "accountid"}
    assert r.json()["@odata.context"].endswith("$metadata#accounts(name)")


async def test_select_unknown_property_is_400(client: httpx.AsyncClient) -> None:
    status, code, message = error_of(
        await client.get("accounts", params={"$select": "name,msp_tpid"})
    )
    assert (status, code) == (400, "0x0")  # as Microsoft's troubleshooting page shows it
    assert (
        message
        == "Could not find a property named 'msp_tpid' on type 'Microsoft.Dynamics.CRM.account'."
    )


async def test_filter_errors_over_http(client: httpx.AsyncClient) -> None:
    # The integration guide's own milestone filter quotes the Guid: Dataverse takes it.
    status, _, message = error_of(
        await client.get(
            "msp_engagementmilestones", params={"$filter": "_msp_parentaccount_value eq 'x'"}
        )
    )
    assert status == 400 and "'Edm.Guid' and 'Edm.String'" in message
    status, _, message = error_of(await client.get("accounts", params={"$filter": "nam eq 'x'"}))
    assert status == 400 and "named 'nam'" in message
    status, _, message = error_of(
        await client.get("accounts", params={"$filter": "name eq 'O'Reilly Media'"})
    )
    assert status == 400 and message.startswith("There is an unterminated literal at position")


async def test_skip_is_not_supported(client: httpx.AsyncClient) -> None:
    r = await client.get("msp_accountteams", params={"$top": "100", "$skip": "100"})
    assert error_of(r) == (400, "0x80060888", "Skip Clause is not supported in CRM")


@pytest.mark.parametrize(
    "query",
    [
        "$foo=1",
        "$filter=name eq 'a'&$filter=name eq 'b'",
        "$expand=x",
        "$top=-1",
        "$top=abc",
        "$count=yes",
        "$orderby=name sideways",
    ],
)
async def test_bad_query_options_are_400(client: httpx.AsyncClient, query: str) -> None:
    assert (await client.get(f"accounts?{query}")).status_code == 400


async def test_custom_query_options_are_ignored(client: httpx.AsyncClient) -> None:
    assert (await client.get("accounts", params={"foo": "bar"})).status_code == 200


async def test_orderby_case_insensitive_and_desc(client: httpx.AsyncClient) -> None:
    r = await client.get("accounts", params={"$select": "name", "$orderby": "name"})
    names = [a["name"] for a in r.json()["value"]]
    assert names == sorted(names, key=str.casefold)
    r = await client.get("accounts", params={"$select": "name", "$orderby": "name desc"})
    assert [a["name"] for a in r.json()["value"]] == names[::-1]
    assert (await client.get("accounts", params={"$orderby": "nope"})).status_code == 400


async def test_count(client: httpx.AsyncClient) -> None:
    r = await client.get("accounts", params={"$count": "true", "$top": "2"})
    assert r.json()["@odata.count"] == len(DS.tables["accounts"])
    assert len(r.json()["value"]) == 2


async def test_encoded_literals_round_trip(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    for name in ("Müller & Söhne GmbH", "O'Reilly Media", "<!channel> Industries", "Contoso Ltd."):
        literal = name.replace("'", "''")
        r = await client.get(
            "accounts", params={"$filter": f"name eq '{literal}'", "$select": "name"}
        )
        assert [a["name"] for a in r.json()["value"]] == [name]
    odd = "50% off #1 + more & less"
    r = await client.get("accounts", params={"$filter": f"name eq '{odd}'"})
    assert r.status_code == 200 and r.json()["value"] == []
    assert sb.stats.log[-1] == ("GET", f"/api/data/v9.2/accounts?$filter=name eq '{odd}'")
    # A hand-built URL: %-escapes decoded, a raw '+' is a space (as .NET decodes it).
    r = await client.get("accounts?$filter=name+eq+'Contoso+Ltd'&$select=name")
    assert [a["name"] for a in r.json()["value"]] == ["Contoso Ltd"]
    r = await client.get("accounts?$filter=" + quote("contains(name,'&')", safe=""))
    assert {a["name"] for a in r.json()["value"]} >= {"Müller & Söhne GmbH"}


async def test_in_function_over_http(client: httpx.AsyncClient) -> None:
    ids = DS.accounts_of[DS.me.user_id][:5]
    values = ",".join(f'"{i}"' for i in ids)
    f = f"Microsoft.Dynamics.CRM.In(PropertyName='accountid',PropertyValues=[{values}])"
    r = await client.get("accounts", params={"$filter": f, "$select": "accountid"})
    assert {a["accountid"] for a in r.json()["value"]} == set(ids)


EQUAL_USER_ID = "Microsoft.Dynamics.CRM.EqualUserId"


async def team_ids(client: httpx.AsyncClient, f: str) -> list[str]:
    r = await client.get("msp_accountteams", params={"$filter": f, "$select": "msp_accountteamid"})
    assert r.status_code == 200, r.text
    return [row["msp_accountteamid"] for row in r.json()["value"]]


async def test_equal_user_id_matches_the_signed_in_user(
    client: httpx.AsyncClient, sb: SandboxMsx
) -> None:
    mine = f"{EQUAL_USER_ID}(PropertyName='msp_systemuserid')"
    corporate = "msp_qualifier1 eq 'Corporate'"
    me = DS.me.user_id
    expected = await team_ids(client, f"_msp_systemuserid_value eq {me} and {corporate}")
    assert expected and await team_ids(client, f"{mine} and {corporate}") == expected
    # The unindexed path (not-not) agrees, and it composes with `or` like any boolean.
    assert await team_ids(client, f"not (not ({mine})) and {corporate}") == expected
    account = DS.special["big_team"]
    either = f"_msp_systemuserid_value eq {me} or _msp_accountid_value eq {account}"
    assert await team_ids(client, f"{mine} or _msp_accountid_value eq {account}") == (
        await team_ids(client, either)
    )
    users = (
        await client.get(
            "systemusers", params={"$filter": f"{EQUAL_USER_ID}(PropertyName='systemuserid')"}
        )
    ).json()["value"]
    assert [u["systemuserid"] for u in users] == [me]
    # It follows whoever is signed in.
    sb.signed_in_user_id = DS.colleagues[0].user_id
    theirs = await team_ids(
        client, f"_msp_systemuserid_value eq {DS.colleagues[0].user_id} and {corporate}"
    )
    assert theirs and theirs != expected
    assert await team_ids(client, f"{mine} and {corporate}") == theirs


async def test_equal_user_id_errors_over_http(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    async def error(entity_set: str, f: str) -> tuple[int, str, str]:
        return error_of(await client.get(entity_set, params={"$filter": f}))

    assert await error("msp_accountteams", f"{EQUAL_USER_ID}(PropertyName='ownerid')") == (
        400,
        "0x80041103",
        "'msp_accountteam' entity doesn't contain attribute with Name = 'ownerid'.",
    )
    status, _, message = await error("systemusers", f"{EQUAL_USER_ID}(PropertyName='fullname')")
    assert status == 400 and "'Edm.Guid'" in message and "'fullname'" in message
    status, _, message = await error("systemusers", f"{EQUAL_USER_ID}()")
    assert status == 400 and "PropertyName" in message
    # An MSX without the function refuses it.
    sb.supports_equal_user_id = False
    assert await error("systemusers", f"{EQUAL_USER_ID}(PropertyName='systemuserid')") == (
        400,
        "0x80060888",
        f"The query function '{EQUAL_USER_ID}' is not supported.",
    )


async def test_url_longer_than_32k_is_refused(client: httpx.AsyncClient) -> None:
    ids = " or ".join(f"accountid eq {DS.me.user_id}" for _ in range(800))
    r = await client.get("accounts", params={"$filter": ids})
    assert r.status_code == 414


# ---- paging ----


async def test_milestones_page_by_100_with_nextlink(client: httpx.AsyncClient) -> None:
    big = DS.special["big_milestones"]
    params = {"$filter": f"_msp_parentaccount_value eq {big}", "$select": "msp_name"}
    first = (await client.get("msp_engagementmilestones", params=params)).json()
    assert len(first["value"]) == 100
    assert first["@odata.nextLink"].startswith(API + "msp_engagementmilestones?")
    assert "$skiptoken=" in first["@odata.nextLink"]
    rows, pages = await get_all(client, "msp_engagementmilestones", params=params)
    assert pages == 2
    assert [r["msp_engagementmilestoneid"] for r in rows] == DS.milestones_of[big]


async def test_maxpagesize_is_honoured_and_echoed(client: httpx.AsyncClient) -> None:
    big = DS.special["big_milestones"]
    headers = {"Prefer": 'odata.include-annotations="*", odata.maxpagesize=50'}
    params = {"$filter": f"_msp_parentaccount_value eq {big}", "$orderby": "msp_name"}
    r = await client.get("msp_engagementmilestones", params=params, headers=headers)
    assert len(r.json()["value"]) == 50
    assert "odata.maxpagesize=50" in r.headers["Preference-Applied"]
    rows, pages = await get_all(client, "msp_engagementmilestones", params=params, headers=headers)
    assert pages == 3 and len({r["msp_engagementmilestoneid"] for r in rows}) == len(
        DS.milestones_of[big]
    )
    names = [r["msp_name"] for r in rows]
    assert names == sorted(names, key=str.casefold)
    # Asking for more than MSX's cap still gets 100.
    r = await client.get(
        "msp_engagementmilestones", params=params, headers={"Prefer": "odata.maxpagesize=5000"}
    )
    assert len(r.json()["value"]) == 100


async def test_top_never_pages(client: httpx.AsyncClient) -> None:
    big = DS.special["big_milestones"]
    params = {"$filter": f"_msp_parentaccount_value eq {big}", "$top": "500"}
    body = (await client.get("msp_engagementmilestones", params=params)).json()
    assert len(body["value"]) == 100 and "@odata.nextLink" not in body
    params["$top"] = "7"
    body = (await client.get("msp_engagementmilestones", params=params)).json()
    assert len(body["value"]) == 7 and "@odata.nextLink" not in body


async def test_account_teams_cut_at_100_without_nextlink(client: httpx.AsyncClient) -> None:
    body = (await client.get("msp_accountteams")).json()
    assert len(body["value"]) == 100 and "@odata.nextLink" not in body
    # The guide's batch of accounts overflows silently: 99 + others > 100.
    accounts = [DS.special["big_team"], *DS.accounts_of[DS.me.user_id][5:7]]
    ors = " or ".join(f"_msp_accountid_value eq {a}" for a in accounts)
    f = f"({ors}) and msp_qualifier1 eq 'Corporate' and startswith(msp_qualifier2,'Cloud ')"
    body = (await client.get("msp_accountteams", params={"$filter": f, "$top": "100"})).json()
    assert len(body["value"]) == 100 and "@odata.nextLink" not in body
    assert sum(DS.cloud_team_size[a] for a in accounts) > 100


async def test_guide_team_query_returns_exact_team(client: httpx.AsyncClient) -> None:
    account = DS.accounts_of[DS.me.user_id][6]
    f = (
        f"_msp_accountid_value eq {account} and msp_qualifier1 eq 'Corporate'"
        " and startswith(msp_qualifier2,'Cloud ')"
    )
    select = "msp_fullname,msp_qualifier2,msp_standardtitle,_msp_systemuserid_value"
    body = (await client.get("msp_accountteams", params={"$filter": f, "$select": select})).json()
    assert len(body["value"]) == DS.cloud_team_size[account]
    # The unindexed path (not-not) agrees with the indexed one.
    slow = (
        await client.get(
            "msp_accountteams", params={"$filter": f"not (not ({f}))", "$select": select}
        )
    ).json()
    assert slow["value"] == body["value"]


async def test_indexed_answers_keep_table_order(client: httpx.AsyncClient) -> None:
    accounts = DS.accounts_of[DS.me.user_id][:6]
    pinned = " or ".join(f"_msp_accountid_value eq {a}" for a in reversed(accounts))
    f = f"({pinned}) and msp_qualifier1 eq 'Corporate'"
    for orderby in (None, "_msp_accountid_value", "_msp_accountid_value desc", "msp_fullname"):
        params = {"$filter": f, "$select": "msp_accountteamid,msp_fullname"}
        if orderby:
            params["$orderby"] = orderby
        fast = (await client.get("msp_accountteams", params=params)).json()["value"]
        # The unindexed path (not-not) scans the table in order.
        slow = (
            await client.get("msp_accountteams", params={**params, "$filter": f"not (not ({f}))"})
        ).json()["value"]
        assert len(fast) > 20 and fast == slow, orderby


async def test_tampered_or_reused_skiptoken_is_400(client: httpx.AsyncClient) -> None:
    big = DS.special["big_milestones"]
    first = (
        await client.get(
            "msp_engagementmilestones", params={"$filter": f"_msp_parentaccount_value eq {big}"}
        )
    ).json()
    link: str = first["@odata.nextLink"]
    assert (await client.get(link)).status_code == 200
    tampered = link.replace("100%253A", "50%253A")
    assert tampered != link
    assert (await client.get(tampered)).status_code == 400
    # The same cookie on a different query is refused too.
    other = link.replace("_msp_parentaccount_value+eq+", "_msp_parentaccount_value+ne+")
    assert (await client.get(other)).status_code == 400
    assert (await client.get("accounts?$skiptoken=junk")).status_code == 400


async def test_teammembership_access_team_discovery(client: httpx.AsyncClient) -> None:
    url = f"systemusers({DS.me.user_id})/teammembership_association"
    params = {
        "$select": "_regardingobjectid_value,teamid,name",
        "$filter": f"teamtype eq 1 and _teamtemplateid_value eq {ACCOUNT_TEAM_TEMPLATE}",
    }
    rows, pages = await get_all(
        client, url, params=params, headers={"Prefer": "odata.maxpagesize=10"}
    )
    assert pages == 3
    assert {r["_regardingobjectid_value"] for r in rows} == set(DS.accounts_of[DS.me.user_id])
    everything, _ = await get_all(client, url)
    assert len(everything) > len(rows)  # owner teams and opportunity teams too
    missing = "00000000-0000-0000-0000-000000000002"
    assert (
        await client.get(f"systemusers({missing})/teammembership_association")
    ).status_code == 404
    assert (await client.get(f"accounts({missing})/teammembership_association")).status_code == 404


async def test_outage_mode_hides_own_account_team_rows(
    client: httpx.AsyncClient, sb: SandboxMsx
) -> None:
    f = {"$filter": f"_msp_systemuserid_value eq {DS.me.user_id}"}
    assert (await client.get("msp_accountteams", params=f)).json()["value"]
    sb.empty_account_teams_for(DS.me.user_id)
    assert (await client.get("msp_accountteams", params=f)).json()["value"] == []
    account = DS.special["big_team"]
    rows = (
        await client.get(
            "msp_accountteams", params={"$filter": f"_msp_accountid_value eq {account}"}
        )
    ).json()
    assert rows["value"] and all(
        r["_msp_systemuserid_value"] != DS.me.user_id for r in rows["value"]
    )
    sb.restore_account_teams()
    assert (await client.get("msp_accountteams", params=f)).json()["value"]


# ---- annotations ----


async def test_no_annotations_without_prefer(client: httpx.AsyncClient) -> None:
    body = (await client.get("msp_engagementmilestones", params={"$top": "5"})).json()
    for row in body["value"]:
        assert [k for k in row if "@" in k] == ["@odata.etag"]


async def test_annotations_with_prefer(client: httpx.AsyncClient) -> None:
    params = {
        "$top": "20",
        "$select": "msp_name,msp_milestonestatus,_msp_workloadlkid_value,_msp_opportunityid_value",
    }
    r = await client.get("msp_engagementmilestones", params=params, headers=ANNOTATED)
    assert r.headers["Preference-Applied"] == 'odata.include-annotations="*"'
    for row in r.json()["value"]:
        assert row[f"msp_milestonestatus@{FORMATTED}"]
        assert row[f"_msp_workloadlkid_value@{LOOKUP_LOGICAL}"] == "msp_workload"
        assert row[f"_msp_opportunityid_value@{FORMATTED}"].startswith("FY26 ")
        assert not any(k.startswith("msp_monthlyuse") for k in row)  # not selected
    only_fv = {"Prefer": f'odata.include-annotations="{FORMATTED}"'}
    row = (await client.get("msp_engagementmilestones", params=params, headers=only_fv)).json()[
        "value"
    ][0]
    assert f"_msp_workloadlkid_value@{FORMATTED}" in row
    assert f"_msp_workloadlkid_value@{LOOKUP_LOGICAL}" not in row


async def test_lookup_annotations_on_account_teams(client: httpx.AsyncClient) -> None:
    f = {"$filter": f"_msp_accountid_value eq {DS.special['solo_team']}"}
    rows = (await client.get("msp_accountteams", params=f, headers=ANNOTATED)).json()["value"]
    corporate = [
        r
        for r in rows
        if r["msp_qualifier1"] == "Corporate" and (r["msp_qualifier2"] or "").startswith("Cloud ")
    ]
    assert len(corporate) == 1
    assert corporate[0][f"_msp_accountid_value@{FORMATTED}"] == "O'Reilly Media"
    assert corporate[0][f"_msp_systemuserid_value@{FORMATTED}"] == DS.me.name


# ---- metadata ----


async def test_option_set_metadata(client: httpx.AsyncClient) -> None:
    url = (
        "EntityDefinitions(LogicalName='task')/Attributes(LogicalName='msp_taskcategory')"
        "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet"
    )
    body = (await client.get(url)).json()
    codes = {
        o["Value"]: o["Label"]["UserLocalizedLabel"]["Label"] for o in body["OptionSet"]["Options"]
    }
    assert codes == {c: cat.label for c, cat in CATEGORY_BY_CODE.items()}
    url = url.replace("'task'", "'msp_engagementmilestone'").replace(
        "msp_taskcategory", "msp_milestonestatus"
    )
    labels = [
        o["Label"]["UserLocalizedLabel"]["Label"]
        for o in (await client.get(url)).json()["OptionSet"]["Options"]
    ]
    assert "Lost to Competitor" in labels
    bad = url.replace("msp_milestonestatus", "msp_nope")
    assert (await client.get(bad)).status_code == 404


# ---- creating tasks ----


@pytest.fixture
def fresh() -> SandboxMsx:
    return SandboxMsx(build_dataset(accounts=10))


@pytest.fixture
async def writer(fresh: SandboxMsx) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=fresh.transport(), base_url=API, headers={"Authorization": "Bearer sandbox"}
    ) as c:
        yield c


def task_body(ds: Dataset, **extra: Any) -> dict[str, Any]:
    milestone = ds.milestones_of[ds.special["big_milestones"]][0]
    return {
        "subject": "Architecture review with O'Reilly",
        "msp_taskcategory": 861980004,
        "scheduleddurationminutes": 60,
        "prioritycode": 1,
        f"{REGARDING}@odata.bind": f"/msp_engagementmilestones({milestone})",
        "ownerid@odata.bind": f"/systemusers({ds.me.user_id})",
        **extra,
    }


async def test_create_task_204_with_entity_id(writer: httpx.AsyncClient, fresh: SandboxMsx) -> None:
    ds = fresh.dataset
    r = await writer.post("tasks", json=task_body(ds, description="notes"))
    assert r.status_code == 204 and r.content == b""
    entity_id = r.headers["OData-EntityId"]
    assert entity_id.startswith(API + "tasks(")
    (task,) = fresh.created_tasks
    assert entity_id == f"{API}tasks({task['activityid']})"
    assert task["subject"] == "Architecture review with O'Reilly"
    assert task["_regardingobjectid_value"] == ds.milestones_of[ds.special["big_milestones"]][0]
    assert task["_ownerid_value"] == ds.me.user_id
    assert task["msp_taskcategory"] == 861980004 and task["description"] == "notes"
    listed = (await writer.get("tasks", params={"$select": "subject"})).json()["value"]
    assert [t["activityid"] for t in listed] == [task["activityid"]]


async def test_create_task_return_representation(
    writer: httpx.AsyncClient, fresh: SandboxMsx
) -> None:
    body = task_body(fresh.dataset)
    del body["ownerid@odata.bind"]
    r = await writer.post(
        "tasks",
        json=body,
        headers={"Prefer": 'return=representation,odata.include-annotations="*"'},
    )
    assert r.status_code == 201
    assert r.json()["activityid"] == fresh.created_tasks[0]["activityid"]
    assert r.json()[f"msp_taskcategory@{FORMATTED}"] == "Architecture Design Session"
    assert r.json()["_ownerid_value"] == fresh.signed_in_user_id  # owner defaults to the caller


@pytest.mark.parametrize(
    ("change", "status", "code", "needle"),
    [
        (
            {"subjet": "x"},
            400,
            "0x80060888",
            "Invalid property 'subjet' was found in entity 'Microsoft.Dynamics.CRM.task'.",
        ),
        ({"subject": None}, 400, "0x80044331", "subject"),
        ({"subject": "x" * 201}, 400, "0x80044331", "'200'"),
        ({"description": "d" * 2001}, 400, "0x80044331", "description"),
        ({"msp_taskcategory": 123}, 400, "0x8004431a", "msp_taskcategory"),
        ({"msp_taskcategory": "861980004"}, 400, "0x80060888", "Edm.Int32"),
        ({"prioritycode": 3}, 400, "0x8004431a", "prioritycode"),
        ({"scheduledstart": "tomorrow"}, 400, "0x80060888", "Edm.DateTimeOffset"),
        (
            {"RegardingObjectId_msp_engagementmilestone@odata.bind": "/msp_x(x)"},
            400,
            "0x80060888",
            "undeclared property",
        ),
        (
            {"ownerid@odata.bind": "/systemusers(00000000-0000-0000-0000-000000000009)"},
            404,
            "0x80040217",
            "Does Not Exist",
        ),
        (
            {"ownerid@odata.bind": "/accounts(00000000-0000-0000-0000-000000000009)"},
            400,
            "0x80060888",
            "systemusers",
        ),
        ({"ownerid@odata.bind": "me"}, 400, "0x80060888", "not a valid"),
    ],
)
async def test_create_task_validation(
    writer: httpx.AsyncClient,
    fresh: SandboxMsx,
    change: dict[str, Any],
    status: int,
    code: str,
    needle: str,
) -> None:
    r = await writer.post("tasks", json=task_body(fresh.dataset, **change))
    got_status, got_code, message = error_of(r)
    assert (got_status, got_code) == (status, code)
    assert needle in message
    assert fresh.created_tasks == []


async def test_create_task_needs_json(writer: httpx.AsyncClient, fresh: SandboxMsx) -> None:
    r = await writer.post(
        "tasks", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    r = await writer.post("tasks", content=b"subject=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = await writer.post("tasks", json=["subject"])
    assert r.status_code == 400
    assert fresh.created_tasks == []
