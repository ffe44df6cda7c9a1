"""Tasks in MSX: create one under an id the bot chose, complete it, read it back, and the
task category option set from MSX's metadata. MSX's task field names live here.

Creating is safe to repeat: the body carries the `activityid`, so a second create of the
same task can only fail as a duplicate key (0x80040237), never make a second task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain import TaskDraft
from bot.msx.client import MsxClient
from bot.msx.errors import MsxError
from bot.msx.mapping import MSX_APP_ID
from bot.msx.odata import guid

# Dataverse's "Cannot insert duplicate key" / "A record with matching key values already
# exists." (answered 412): the id is taken, so the task already exists.
DUPLICATE_KEY = "0x80040237"
NOT_FOUND = 404

# Task statecode / statuscode: Open 0 (Not Started 2, ...), Completed 1 with 5.
STATE_OPEN = 0
STATE_COMPLETED = 1
STATUS_COMPLETED = 5

CATEGORY_METADATA = (
    "EntityDefinitions(LogicalName='task')/Attributes(LogicalName='msp_taskcategory')"
    "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
)
# The hour a task is scheduled at on its date: noon UTC is the same calendar day from
# UTC-11 to UTC+11, so MSX shows the date the person chose wherever they are.
_SCHEDULED_HOUR = 12


class _HasClient(Protocol):
    @property
    def client(self) -> MsxClient: ...


@dataclass(frozen=True)
class TaskStatus:
    """What MSX holds for a task: that it exists, and whether it is completed."""

    task_id: str
    completed: bool


def scheduled_window(date: dt.date, minutes: int) -> tuple[str, str]:
    """`scheduledstart` and `scheduledend` for work of `minutes` on `date`."""
    start = dt.datetime.combine(date, dt.time(_SCHEDULED_HOUR))  # UTC: _iso writes the "Z"
    end = start + dt.timedelta(minutes=minutes)
    return _iso(start), _iso(end)


def task_body(task_id: str, draft: TaskDraft, owner_id: str) -> dict[str, Any]:
    """The create body of the integration guide, plus the id, the duration Dataverse
    documents (`actualdurationminutes`) and the schedule from the date."""
    start, end = scheduled_window(draft.date, draft.minutes)
    body: dict[str, Any] = {
        "activityid": guid(task_id),
        "subject": draft.subject,
        "msp_taskcategory": draft.category_code,
        "actualdurationminutes": draft.minutes,
        # The guide sends it and reports that MSX takes it; the docs call it read-only.
        "scheduleddurationminutes": draft.minutes,
        "prioritycode": int(draft.priority),
        "scheduledstart": start,
        "scheduledend": end,
        # Navigation property names in binds are case-sensitive.
        "regardingobjectid_msp_engagementmilestone@odata.bind": (
            f"/msp_engagementmilestones({guid(draft.milestone_id)})"
        ),
        "ownerid@odata.bind": f"/systemusers({guid(owner_id)})",
    }
    if draft.description:
        body["description"] = draft.description
    return body


def complete_body(draft: TaskDraft | None = None) -> dict[str, Any]:
    """Completed, and when the work was done: without `actualend` Dataverse stamps the
    moment of the PATCH, crediting the work to the wrong day or month."""
    body: dict[str, Any] = {"statecode": STATE_COMPLETED, "statuscode": STATUS_COMPLETED}
    if draft is not None:
        body["actualend"] = scheduled_window(draft.date, draft.minutes)[1]
    return body


def task_url(base_url: str, task_id: str) -> str:
    """Opens the task in MSX (the guide's record URL, for the task entity). `base_url` as
    MsxClient keeps it: no trailing slash."""
    return (
        f"{base_url}/main.aspx?appid={MSX_APP_ID}&pagetype=entityrecord&etn=task&id={guid(task_id)}"
    )


def is_duplicate(exc: MsxError) -> bool:
    return exc.code.lower() == DUPLICATE_KEY


def category_options(metadata: dict[str, Any]) -> list[tuple[int, str]]:
    """(code, label) pairs from a PicklistAttributeMetadata answer with its OptionSet
    expanded; options without a value or a label are skipped."""
    option_set = metadata.get("OptionSet") or metadata.get("GlobalOptionSet") or {}
    options = option_set.get("Options") if isinstance(option_set, dict) else None
    found: list[tuple[int, str]] = []
    for option in options if isinstance(options, list) else []:
        if not isinstance(option, dict):
            continue
        value = option.get("Value")
        label = _label(option.get("Label"))
        if isinstance(value, int) and not isinstance(value, bool) and label:
            found.append((value, label))
    return found


class MsxTasks:
    """Task reads and writes over one MsxClient (or a gateway, whose client is used)."""

    def __init__(self, client: MsxClient | _HasClient) -> None:
        self.client: MsxClient = client if isinstance(client, MsxClient) else client.client

    @property
    def base_url(self) -> str:
        return self.client.base_url

    async def create(self, task_id: str, draft: TaskDraft, owner_id: str) -> bool:
        """POST the task under `task_id`. True: created now; False: it already existed
        (a duplicate key, i.e. an earlier attempt got through). Other failures raise."""
        try:
            await self.client.post("tasks", task_body(task_id, draft, owner_id))
        except MsxError as exc:
            if is_duplicate(exc):
                return False
            raise
        return True

    async def complete(self, task_id: str, draft: TaskDraft | None = None) -> None:
        """Mark the task completed, at the end of the draft's work (it must exist: no
        upsert)."""
        await self.client.patch(f"tasks({guid(task_id)})", complete_body(draft))

    async def read(self, task_id: str) -> TaskStatus | None:
        """The task as MSX has it, or None when MSX has no task with this id."""
        try:
            row = await self.client.get_json(
                f"tasks({guid(task_id)})", {"$select": "activityid,statecode,statuscode"}
            )
        except MsxError as exc:
            if exc.status == NOT_FOUND:
                return None
            raise
        return TaskStatus(guid(task_id), row.get("statecode") == STATE_COMPLETED)

    async def categories(self) -> list[tuple[int, str]]:
        """The msp_taskcategory option set, as (code, label), from MSX's metadata."""
        data = await self.client.get_json(
            CATEGORY_METADATA, {"$select": "LogicalName", "$expand": "OptionSet"}
        )
        return category_options(data)


def _label(label: object) -> str | None:
    # {"UserLocalizedLabel": {"Label": ...}, "LocalizedLabels": [{"Label": ...}, ...]}
    if not isinstance(label, dict):
        return None
    candidates = [label.get("UserLocalizedLabel"), *(label.get("LocalizedLabels") or [])]
    for candidate in candidates:
        if isinstance(candidate, dict):
            text = candidate.get("Label")
            if isinstance(text, str) and text.strip():
                return text.strip()
    return None


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
