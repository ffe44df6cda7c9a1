"""`POST tasks`: the body checks Dataverse makes before it creates an activity."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from bot.domain import CATEGORY_BY_CODE
from bot.sandbox.dataset import Dataset, annotate_lookup
from bot.sandbox.schema import (
    CODE_NOT_FOUND,
    CODE_QUERY,
    CODE_VALIDATION,
    ENTITIES,
    FORMATTED,
    ODataError,
    bad_query,
)

Row = dict[str, Any]

TASK = ENTITIES["tasks"]
PLAIN = {
    "subject",
    "description",
    "msp_taskcategory",
    "scheduleddurationminutes",
    "actualdurationminutes",
    "prioritycode",
    "scheduledstart",
    "scheduledend",
}
# bind name -> (entity set it must point at, lookup column it fills, target logical name)
BINDS = {
    "regardingobjectid_msp_engagementmilestone@odata.bind": (
        "msp_engagementmilestones",
        "_regardingobjectid_value",
        "msp_engagementmilestone",
    ),
    "ownerid@odata.bind": ("systemusers", "_ownerid_value", "systemuser"),
}
_BIND_VALUE = re.compile(r"(?:https?://[^/]+/api/data/v9\.2)?/?([A-Za-z_]+)\(([0-9a-fA-F-]{36})\)")
PRIORITY = {0: "Low", 1: "Normal", 2: "High"}


def _invalid(message: str) -> ODataError:
    return ODataError(400, CODE_VALIDATION, f"A validation error occurred. {message}")


def _int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_query(f"Cannot convert the literal '{value}' to the expected type 'Edm.Int32'.")
    return value


def _text(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_query(f"Cannot convert the literal '{value}' to the expected type 'Edm.String'.")
    if len(value) > limit:
        raise _invalid(
            f"The length of the '{name}' attribute of the 'task' entity exceeded the maximum "
            f"allowed length of '{limit}'."
        )
    return value


def _datetime(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise bad_query(
            f"Cannot convert the literal '{value}' to the expected type 'Edm.DateTimeOffset'."
        ) from None
    return str(value)


def build_task(dataset: Dataset, raw: bytes, default_owner: str, new_id: str) -> Row:
    """Validate a create body and return the task record; raises ODataError like Dataverse."""
    try:
        body = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad_query("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise bad_query("The request body must be a JSON object describing the task.")
    for key in body:
        if key.endswith("@odata.bind") and key not in BINDS:
            nav = key.removesuffix("@odata.bind")
            raise bad_query(
                f"An undeclared property '{nav}' which only has property annotations in the "
                "payload but no property value was found in the payload. In OData, only declared "
                "navigation properties and declared named streams can be represented as "
                "properties without values."
            )
        if key not in PLAIN and key not in BINDS:
            raise bad_query(f"Invalid property '{key}' was found in entity '{TASK.type_name}'.")

    subject = _text(body, "subject", 200)
    if not subject or not subject.strip():
        raise _invalid("The 'subject' attribute of the 'task' entity is required.")
    description = _text(body, "description", 2000)
    category = _int(body, "msp_taskcategory")
    if category is not None and category not in CATEGORY_BY_CODE:
        raise _invalid(
            f"The value {category} of 'msp_taskcategory' on record of type 'task' is outside "
            "the valid range."
        )
    priority = _int(body, "prioritycode")
    if priority is not None and priority not in PRIORITY:
        raise _invalid(
            f"The value {priority} of 'prioritycode' on record of type 'task' is outside the "
            "valid range. Accepted Values: 0,1,2"
        )
    durations = {n: _int(body, n) for n in ("scheduleddurationminutes", "actualdurationminutes")}
    for name, minutes in durations.items():
        if minutes is not None and not 0 <= minutes <= 2_147_483_647:
            raise _invalid(f"The value {minutes} of '{name}' is outside the valid range.")

    row: Row = {
        "@odata.etag": 'W/"1"',
        "activityid": new_id,
        "subject": subject,
        "description": description,
        "msp_taskcategory": category,
        "prioritycode": 1 if priority is None else priority,
        **durations,
        "scheduledstart": _datetime(body, "scheduledstart"),
        "scheduledend": _datetime(body, "scheduledend"),
        "statecode": 0,
        "statuscode": 2,
        "createdon": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if category is not None:
        row[f"msp_taskcategory@{FORMATTED}"] = CATEGORY_BY_CODE[category].label
    row[f"prioritycode@{FORMATTED}"] = PRIORITY[row["prioritycode"]]

    targets = {"_regardingobjectid_value": None, "_ownerid_value": default_owner}
    for bind, (set_name, column, logical) in BINDS.items():
        if bind in body:
            targets[column] = _bind_target(dataset, bind, body[bind], set_name, logical)
    regarding = targets["_regardingobjectid_value"]
    milestone = (
        dataset.record("msp_engagementmilestones", "msp_engagementmilestoneid", regarding)
        if regarding
        else None
    )
    annotate_lookup(
        row,
        "_regardingobjectid_value",
        regarding,
        "msp_engagementmilestone",
        milestone["msp_name"] if milestone else "",
    )
    owner_id = targets["_ownerid_value"]
    owner = dataset.record("systemusers", "systemuserid", owner_id) if owner_id else None
    annotate_lookup(
        row, "_ownerid_value", owner_id, "systemuser", owner["fullname"] if owner else ""
    )
    return row


def _bind_target(dataset: Dataset, bind: str, value: Any, set_name: str, logical: str) -> str:
    m = _BIND_VALUE.fullmatch(value) if isinstance(value, str) else None
    if not m:
        raise bad_query(f"The value '{value}' of '{bind}' is not a valid entity reference URI.")
    given_set, record_id = m.group(1), m.group(2).lower()
    if given_set != set_name:
        raise ODataError(
            400,
            CODE_QUERY,
            f"The entity set '{given_set}' cannot be bound by '{bind}': it expects '{set_name}'.",
        )
    key = ENTITIES[set_name].key
    if dataset.record(set_name, key, record_id) is None:
        raise ODataError(404, CODE_NOT_FOUND, f"{logical} With Id = {record_id} Does Not Exist")
    return record_id
