"""The sandbox's task rules: a client-chosen id, the duplicate key, PATCH with the task's
state/status pairs, upsert versus If-Match, and reading a task back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.sandbox import SandboxMsx, build_dataset

API = "https://msx.test/api/data/v9.2/"
ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
MUST_EXIST = {"If-Match": "*"}


@pytest.fixture
def sb() -> SandboxMsx:
    return SandboxMsx(build_dataset(accounts=8))


@pytest.fixture
async def c(sb: SandboxMsx) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=sb.transport(), base_url=API, headers={"Authorization": "Bearer sandbox"}
    ) as client:
        yield client


def body(sb: SandboxMsx, **extra: Any) -> dict[str, Any]:
    milestone = sb.dataset.tables["msp_engagementmilestones"][0]["msp_engagementmilestoneid"]
    return {
        "subject": "Design review",
        "msp_taskcategory": 861980004,
        "regardingobjectid_msp_engagementmilestone@odata.bind": (
            f"/msp_engagementmilestones({milestone})"
        ),
        **extra,
    }


def error_of(r: httpx.Response) -> tuple[int, str, str]:
    e = r.json()["error"]
    return r.status_code, e["code"], e["message"]


async def test_the_client_may_choose_the_id(c: httpx.AsyncClient, sb: SandboxMsx) -> None:
    r = await c.post("tasks", json=body(sb, activityid=ID.upper()))
    assert r.status_code == 204
    assert r.headers["OData-EntityId"] == f"{API}tasks({ID})"
    got = (await c.get(f"tasks({ID})", params={"$select": "subject,statecode,statuscode"})).json()
    assert (got["subject"], got["statecode"], got["statuscode"]) == ("Design review", 0, 2)


async def test_an_id_msx_chooses_is_never_one_a_record_has(sb: SandboxMsx) -> None:
    # A second sandbox over the same data starts counting where the first did.
    again = SandboxMsx(sb.dataset)
    ids = []
    for each in (sb, again):
        async with httpx.AsyncClient(
            transport=each.transport(), base_url=API, headers={"Authorization": "Bearer sandbox"}
        ) as client:
            r = await client.post("tasks", json=body(sb))
            assert r.status_code == 204
            ids.append(r.headers["OData-EntityId"])
    assert ids[0] != ids[1]


async def test_a_second_create_with_the_same_id_is_a_duplicate_key(
    c: httpx.AsyncClient, sb: SandboxMsx
) -> None:
    assert (await c.post("tasks", json=body(sb, activityid=ID))).status_code == 204
    r = await c.post("tasks", json=body(sb, activityid=ID, subject="again"))
    assert error_of(r) == (412, "0x80040237", "A record with matching key values already exists.")
    assert [t["subject"] for t in sb.dataset.tables["tasks"]] == ["Design review"]


async def test_an_id_that_is_not_a_guid_is_refused(c: httpx.AsyncClient, sb: SandboxMsx) -> None:
    r = await c.post("tasks", json=body(sb, activityid="task-1"))
    assert error_of(r)[:2] == (400, "0x80060888") and "Edm.Guid" in error_of(r)[2]


async def test_a_task_is_created_open_never_closed(c: httpx.AsyncClient, sb: SandboxMsx) -> None:
    r = await c.post("tasks", json=body(sb, activityid=ID, statecode=1, statuscode=5))
    status, code, message = error_of(r)
    assert (status, code) == (400, "0x80048408")
    assert (
        message
        == f"5 is not a valid status code for state code TaskState.Open on task with Id {ID}."
    )
    assert sb.dataset.tables["tasks"] == []


async def created(c: httpx.AsyncClient, sb: SandboxMsx) -> None:
    assert (await c.post("tasks", json=body(sb, activityid=ID))).status_code == 204


async def state_of(c: httpx.AsyncClient) -> tuple[int, int]:
    got = (await c.get(f"tasks({ID})", params={"$select": "statecode,statuscode"})).json()
    return got["statecode"], got["statuscode"]


async def test_patch_completes_a_task(c: httpx.AsyncClient, sb: SandboxMsx) -> None:
    await created(c, sb)
    end = "2026-03-31T13:30:00Z"
    r = await c.patch(
        f"tasks({ID})",
        json={"statecode": 1, "statuscode": 5, "actualend": end},
        headers=MUST_EXIST,
    )
    assert r.status_code == 204 and r.content == b""
    assert await state_of(c) == (1, 5)
    assert sb.dataset.tables["tasks"][0]["actualend"] == end
    # Completing again is a no-op, not an error.
    again = await c.patch(f"tasks({ID})", json={"statecode": 1, "statuscode": 5})
    assert again.status_code == 204


@pytest.mark.parametrize(
    ("change", "pair"),
    [
        ({"statecode": 1}, (1, 5)),  # the state's default status
        ({"statecode": 0}, (0, 2)),
        ({"statecode": 2}, (2, 6)),
        ({"statecode": 0, "statuscode": 3}, (0, 3)),
        ({"statuscode": 4}, (0, 4)),  # within the current state
        ({"statuscode": 7}, (0, 7)),
    ],
)
async def test_patch_accepts_the_documented_pairs(
    c: httpx.AsyncClient, sb: SandboxMsx, change: dict[str, int], pair: tuple[int, int]
) -> None:
    await created(c, sb)
    assert (await c.patch(f"tasks({ID})", json=change, headers=MUST_EXIST)).status_code == 204
    assert await state_of(c) == pair


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (
            {"statecode": 1, "statuscode": 2},
            "2 is not a valid status code for state code TaskState.Completed",
        ),
        (
            {"statecode": 0, "statuscode": 5},
            "5 is not a valid status code for state code TaskState.Open",
        ),
        ({"statecode": 2, "statuscode": 5}, "TaskState.Canceled"),
        ({"statuscode": 5}, "TaskState.Open"),  # an open task's status, alone
        ({"statuscode": 1}, "1 is not a valid status code"),
    ],
)
async def test_patch_refuses_a_mismatched_pair(
    c: httpx.AsyncClient, sb: SandboxMsx, change: dict[str, int], needle: str
) -> None:
    await created(c, sb)
    r = await c.patch(f"tasks({ID})", json=change, headers=MUST_EXIST)
    assert r.status_code == 400 and needle in error_of(r)[2]
    assert await state_of(c) == (0, 2)


async def test_patch_refuses_an_unknown_state_and_unknown_properties(
    c: httpx.AsyncClient, sb: SandboxMsx
) -> None:
    await created(c, sb)
    r = await c.patch(f"tasks({ID})", json={"statecode": 3}, headers=MUST_EXIST)
    assert error_of(r) == (
        400,
        "0x8004431a",
        "A validation error occurred. The value 3 of 'statecode' on record of type 'task' "
        "is outside the valid range. Accepted Values: 0,1,2",
    )
    r = await c.patch(f"tasks({ID})", json={"StateCode": 1}, headers=MUST_EXIST)
    assert error_of(r)[:2] == (400, "0x80060888") and "Invalid property 'StateCode'" in r.text
    r = await c.patch(f"tasks({ID})", json={"activityid": ID}, headers=MUST_EXIST)
    assert r.status_code == 400
    r = await c.patch(f"tasks({ID})", json={"description": "d" * 2001}, headers=MUST_EXIST)
    assert error_of(r)[:2] == (400, "0x80044331")


async def test_completing_without_actualend_stamps_it(c: httpx.AsyncClient, sb: SandboxMsx) -> None:
    await created(c, sb)
    assert sb.dataset.tables["tasks"][0]["actualend"] is None
    r = await c.patch(f"tasks({ID})", json={"statecode": 1, "statuscode": 5}, headers=MUST_EXIST)
    assert r.status_code == 204
    stamped = sb.dataset.tables["tasks"][0]["actualend"]
    assert stamped is not None and stamped.endswith("Z")


async def test_patch_of_a_missing_task_with_if_match_is_404(c: httpx.AsyncClient) -> None:
    r = await c.patch(f"tasks({ID})", json={"statecode": 1, "statuscode": 5}, headers=MUST_EXIST)
    assert error_of(r) == (404, "0x80040217", f"task With Id = {ID} Does Not Exist")


async def test_patch_without_if_match_is_an_upsert(c: httpx.AsyncClient, sb: SandboxMsx) -> None:
    # A bare state change on a missing task would create one without a subject: refused.
    r = await c.patch(f"tasks({ID})", json={"statecode": 1, "statuscode": 5})
    assert error_of(r)[:2] == (400, "0x80044331")
    r = await c.patch(f"tasks({ID})", json={"subject": "Made by upsert"})
    assert r.status_code == 204
    assert [t["activityid"] for t in sb.dataset.tables["tasks"]] == [ID]


async def test_patch_needs_json(c: httpx.AsyncClient, sb: SandboxMsx) -> None:
    await created(c, sb)
    r = await c.patch(
        f"tasks({ID})", content=b"statecode=1", headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 415


async def test_a_missing_task_reads_as_404(c: httpx.AsyncClient) -> None:
    r = await c.get(f"tasks({ID})")
    assert error_of(r)[:2] == (404, "0x80040217")


async def test_other_entity_sets_refuse_patch(c: httpx.AsyncClient, sb: SandboxMsx) -> None:
    account = sb.dataset.tables["accounts"][0]["accountid"]
    r = await c.patch(f"accounts({account})", json={"name": "x"}, headers=MUST_EXIST)
    assert r.status_code == 405


async def test_the_category_option_set_is_the_sandboxs_own_data(c: httpx.AsyncClient) -> None:
    url = (
        "EntityDefinitions(LogicalName='task')/Attributes(LogicalName='msp_taskcategory')"
        "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet"
    )
    options = (await c.get(url)).json()["OptionSet"]["Options"]
    labels = {o["Value"]: o["Label"]["UserLocalizedLabel"]["Label"] for o in options}
    assert labels[606820007] == "Technical Workshop" and labels[861980014] == "Assessment"
    assert len(labels) == 25
