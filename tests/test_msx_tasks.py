"""bot/msx/tasks.py on the wire (respx): what each call sends, and how it reads answers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from msx_fixtures import API, API_PATH, BASE, Harness, dataverse_error, gid, make_harness, query

from bot.domain import TaskDraft, TaskPriority
from bot.msx.errors import MsxError, MsxUnreachable
from bot.msx.tasks import (
    MsxTasks,
    category_options,
    scheduled_window,
    task_body,
    task_url,
)

TASK = gid(4242)
ME = gid(999)


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    harness = make_harness()
    yield harness
    await harness.client.aclose()


def draft(**change: object) -> TaskDraft:
    fields: dict[str, object] = {
        "account_id": gid(1),
        "milestone_id": gid(7).upper(),
        "category_code": 861980004,
        "subject": "Architecture review",
        "minutes": 90,
        "date": dt.date(2026, 3, 31),
        "priority": TaskPriority.HIGH,
        "description": "Whiteboarded the landing zone",
    }
    return TaskDraft(**(fields | change))  # type: ignore[arg-type]


def test_the_create_body_is_the_guides_plus_id_duration_and_schedule() -> None:
    assert task_body(TASK, draft(), ME) == {
        "activityid": TASK,
        "subject": "Architecture review",
        "msp_taskcategory": 861980004,
        "actualdurationminutes": 90,
        "scheduleddurationminutes": 90,
        "prioritycode": 2,
        "scheduledstart": "2026-03-31T12:00:00Z",
        "scheduledend": "2026-03-31T13:30:00Z",
        "regardingobjectid_msp_engagementmilestone@odata.bind": (
            f"/msp_engagementmilestones({gid(7)})"
        ),
        "ownerid@odata.bind": f"/systemusers({ME})",
        "description": "Whiteboarded the landing zone",
    }
    plain = task_body(TASK, draft(description="", priority=TaskPriority.LOW), ME)
    assert "description" not in plain and plain["prioritycode"] == 0


def test_the_schedule_keeps_the_date_in_every_zone_from_utc_minus_11_to_plus_11() -> None:
    start, end = scheduled_window(dt.date(2026, 12, 31), 60)
    assert (start, end) == ("2026-12-31T12:00:00Z", "2026-12-31T13:00:00Z")
    moment = dt.datetime.fromisoformat(start)
    for hours in (-11, 11):
        local = moment.astimezone(dt.timezone(dt.timedelta(hours=hours)))
        assert local.date() == dt.date(2026, 12, 31)


async def test_create_posts_the_body_and_reports_a_new_task(h: Harness) -> None:
    route = h.router.post(path=API_PATH + "tasks").respond(
        204, headers={"OData-EntityId": f"{API}tasks({TASK})"}
    )
    assert await MsxTasks(h.client).create(TASK, draft(), ME) is True
    request = route.calls.last.request
    assert json.loads(request.content) == task_body(TASK, draft(), ME)
    assert request.headers["Content-Type"] == "application/json"


async def test_a_duplicate_key_means_it_exists_already(h: Harness) -> None:
    h.router.post(path=API_PATH + "tasks").mock(
        return_value=dataverse_error(
            412, "0x80040237", "A record with matching key values already exists."
        )
    )
    assert await MsxTasks(h.client).create(TASK, draft(), ME) is False


async def test_other_create_errors_are_raised(h: Harness) -> None:
    h.router.post(path=API_PATH + "tasks").mock(
        return_value=dataverse_error(400, "0x80044331", "A validation error occurred.")
    )
    with pytest.raises(MsxError) as caught:
        await MsxTasks(h.client).create(TASK, draft(), ME)
    assert (caught.value.status, caught.value.code) == (400, "0x80044331")


async def test_a_lost_answer_to_a_create_is_maybe_applied_and_not_resent(h: Harness) -> None:
    route = h.router.post(path=API_PATH + "tasks").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(MsxUnreachable) as caught:
        await MsxTasks(h.client).create(TASK, draft(), ME)
    assert caught.value.maybe_applied is True
    assert route.call_count == 1


async def test_complete_patches_state_status_and_the_end_of_the_work(h: Harness) -> None:
    route = h.router.patch(path=API_PATH + f"tasks({TASK})").respond(204)
    await MsxTasks(h.client).complete(TASK.upper(), draft())
    request = route.calls.last.request
    assert request.headers["If-Match"] == "*"  # never an upsert of a missing task
    assert json.loads(request.content) == {
        "statecode": 1,
        "statuscode": 5,
        "actualend": "2026-03-31T13:30:00Z",
    }
    await MsxTasks(h.client).complete(TASK)
    assert json.loads(route.calls.last.request.content) == {"statecode": 1, "statuscode": 5}


async def test_read_tells_missing_open_and_completed_apart(h: Harness) -> None:
    route = h.router.get(path=API_PATH + f"tasks({TASK})")
    route.side_effect = [
        dataverse_error(404, "0x80040217", f"task With Id = {TASK} Does Not Exist"),
        httpx.Response(200, json={"activityid": TASK, "statecode": 0, "statuscode": 2}),
        httpx.Response(200, json={"activityid": TASK, "statecode": 1, "statuscode": 5}),
    ]
    tasks = MsxTasks(h.client)
    assert await tasks.read(TASK) is None
    opened = await tasks.read(TASK)
    assert opened is not None and opened.completed is False
    closed = await tasks.read(TASK)
    assert closed is not None and closed.completed is True
    assert query(route.calls.last.request) == {"$select": "activityid,statecode,statuscode"}


async def test_read_raises_what_is_not_a_404(h: Harness) -> None:
    h.router.get(path=API_PATH + f"tasks({TASK})").mock(
        return_value=dataverse_error(403, "0x80040220", "Principal user is missing prvReadTask")
    )
    with pytest.raises(MsxError):
        await MsxTasks(h.client).read(TASK)


async def test_categories_are_read_from_the_option_set_metadata(h: Harness) -> None:
    path = (
        API_PATH
        + "EntityDefinitions(LogicalName='task')/Attributes(LogicalName='msp_taskcategory')"
        "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
    )

    def label(text: str) -> dict[str, object]:
        return {"UserLocalizedLabel": {"Label": text, "LanguageCode": 1033}}

    route = h.router.get(path=path).respond(
        200,
        json={
            "LogicalName": "msp_taskcategory",
            "OptionSet": {
                "Options": [
                    {"Value": 861980002, "Label": label("Demo")},
                    {"Value": 606820006, "Label": label(" Rapid Prototyping ")},
                ]
            },
        },
    )
    assert await MsxTasks(h.client).categories() == [
        (861980002, "Demo"),
        (606820006, "Rapid Prototyping"),
    ]
    assert query(route.calls.last.request) == {"$select": "LogicalName", "$expand": "OptionSet"}


def test_option_set_parsing_skips_what_it_cannot_read() -> None:
    options = {
        "OptionSet": {
            "Options": [
                "junk",
                {
                    "Value": 1,
                    "Label": {
                        "UserLocalizedLabel": None,
                        "LocalizedLabels": [{"Label": "From the localized list"}],
                    },
                },
                {"Value": "2", "Label": {"UserLocalizedLabel": {"Label": "String value"}}},
                {"Value": True, "Label": {"UserLocalizedLabel": {"Label": "Boolean"}}},
                {"Value": 3, "Label": {"UserLocalizedLabel": {"Label": "  "}}},
                {"Value": 4},
                {
                    "Value": 6,
                    "Label": {
                        "UserLocalizedLabel": {"Label": " "},  # blank: the next label counts
                        "LocalizedLabels": [{"Label": None}, {"Label": "Six"}],
                    },
                },
            ]
        }
    }
    assert category_options(options) == [(1, "From the localized list"), (6, "Six")]
    assert category_options({}) == []
    # Metadata of an unexpected shape reads as no options, never as a crash.
    assert category_options({"OptionSet": ["junk"]}) == []
    global_set = {"Value": 5, "Label": {"UserLocalizedLabel": {"Label": "Global"}}}
    assert category_options({"GlobalOptionSet": {"Options": [global_set]}}) == [(5, "Global")]


def test_task_url_opens_the_task_in_msx() -> None:
    assert task_url(BASE, TASK.upper()) == (
        f"{BASE}/main.aspx?appid=fe0c3504-3700-e911-a849-000d3a10b7cc"
        f"&pagetype=entityrecord&etn=task&id={TASK}"
    )
