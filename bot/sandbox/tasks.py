"""Tasks: the body checks Dataverse makes before it creates an activity (`POST tasks`),
the duplicate-key answer to a second create with the same id, and `PATCH tasks(<id>)`
with the task's state/status rules."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any

from bot.sandbox.dataset import Dataset, annotate_lookup
from bot.sandbox.metadata import TASK_CATEGORY
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
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_BIND_VALUE = re.compile(r"(?:https?://[^/]+/api/data/v9\.2)?/?([A-Za-z_]+)\(([0-9a-fA-F-]{36})\)")
PRIORITY = {0: "Low", 1: "Normal", 2: "High"}


def _out_of_range(value: int, name: str, allowed: Iterable[int]) -> ODataError:
    accepted = ",".join(str(v) for v in sorted(allowed))
    return ODataError(
        400,
        CODE_OUT_OF_RANGE,
        f"A validation error occurred. The value {value} of '{name}' on record of type 'task' "
        f"is outside the valid range. Accepted Values: {accepted}",
    )


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


# Task statecode -> the statuscodes it allows (default first): Open 0 (Not Started 2,
# In Progress 3, Waiting on someone else 4, Deferred 7), Completed 1 (5), Canceled 2 (6).
STATUS_OF_STATE: dict[int, tuple[int, ...]] = {0: (2, 3, 4, 7), 1: (5,), 2: (6,)}
STATE_NAME = {0: "Open", 1: "Completed", 2: "Canceled"}
STATUS_LABEL = {
    2: "Not Started",
    3: "In Progress",
    4: "Waiting on someone else",
    7: "Deferred",
    5: "Completed",
    6: "Canceled",
}
STATE_FIELDS = {"statecode", "statuscode", "actualend", "actualstart"}
CODE_DUPLICATE = "0x80040237"
CODE_BAD_STATUS = "0x80048408"  # "State code is invalid or ... status code is invalid"
CODE_OUT_OF_RANGE = "0x8004431a"  # a choice value outside its option set


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad_query("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise bad_query("The request body must be a JSON object describing the task.")
    return body


def _check_names(body: dict[str, Any], allowed: set[str]) -> None:
    for key in body:
        if key.endswith("@odata.bind") and key not in BINDS:
            nav = key.removesuffix("@odata.bind")
            raise bad_query(
                f"An undeclared property '{nav}' which only has property annotations in the "
                "payload but no property value was found in the payload. In OData, only declared "
                "navigation properties and declared named streams can be represented as "
                "properties without values."
            )
        if key not in allowed and key not in BINDS:
            raise bad_query(f"Invalid property '{key}' was found in entity '{TASK.type_name}'.")


def _guid(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not _GUID.fullmatch(value):
        raise bad_query(f"Cannot convert the literal '{value}' to the expected type 'Edm.Guid'.")
    return value.lower()


def _state_pair(body: dict[str, Any], current: tuple[int, int], record_id: str) -> tuple[int, int]:
    """(statecode, statuscode) after a write; a status the state does not allow is a 400."""
    state = _int(body, "statecode")
    status = _int(body, "statuscode")
    if state is not None and state not in STATUS_OF_STATE:
        raise _out_of_range(state, "statecode", STATUS_OF_STATE)
    if state is None:
        state = current[0]
        status = current[1] if status is None else status
    elif status is None:
        status = STATUS_OF_STATE[state][0]  # Dataverse sets the state's default status
    if status not in STATUS_OF_STATE[state]:
        raise ODataError(
            400,
            CODE_BAD_STATUS,
            f"{status} is not a valid status code for state code TaskState.{STATE_NAME[state]} "
            f"on task with Id {record_id}.",
        )
    return state, status


def build_task(dataset: Dataset, raw: bytes, default_owner: str, new_id: str) -> Row:
    """Validate a create body and return the task record; raises ODataError like Dataverse.
    The id is the body's `activityid` when it gives one, else `new_id`."""
    return _new_task(dataset, _body(raw), default_owner, new_id)


def _new_task(dataset: Dataset, body: dict[str, Any], default_owner: str, new_id: str) -> Row:
    _check_names(body, PLAIN | {"activityid", "statecode", "statuscode"})
    record_id = _guid(body, "activityid") or new_id
    subject = _text(body, "subject", 200)
    if not subject or not subject.strip():
        raise _invalid("The 'subject' attribute of the 'task' entity is required.")
    description = _text(body, "description", 2000)
    category = _category(body)
    priority = _priority(body)
    durations = _durations(body)
    # A task is created open: a closed state on create is refused (it is a PATCH after).
    state, status = _state_pair(body, (0, 2), record_id)
    if state != 0:
        raise ODataError(
            400,
            CODE_BAD_STATUS,
            f"{status} is not a valid status code for state code TaskState.Open "
            f"on task with Id {record_id}.",
        )

    row: Row = {
        "@odata.etag": 'W/"1"',
        "activityid": record_id,
        "subject": subject,
        "description": description,
        "msp_taskcategory": category,
        "prioritycode": 1 if priority is None else priority,
        **durations,
        "scheduledstart": _datetime(body, "scheduledstart"),
        "scheduledend": _datetime(body, "scheduledend"),
        "actualend": None,
        "statecode": state,
        "statuscode": status,
        "createdon": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    _annotate(row)

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


def duplicate_key() -> ODataError:
    """Dataverse's answer to a create whose primary key is taken."""
    return ODataError(
        412,
        CODE_DUPLICATE,
        "A record with matching key values already exists.",
    )


def update_task(
    dataset: Dataset,
    record_id: str,
    raw: bytes,
    default_owner: str,
    *,
    must_exist: bool,
) -> tuple[Row, bool]:
    """Apply a PATCH to tasks(<record_id>): (the record, whether it was created).

    PATCH is an upsert: a missing record is created from the body, unless the request
    said `If-Match: *` (then 404). State and status are checked as a pair.
    """
    body = _body(raw)
    record_id = record_id.lower()
    row = dataset.record("tasks", "activityid", record_id)
    if row is None:
        if must_exist:
            raise ODataError(404, CODE_NOT_FOUND, f"task With Id = {record_id} Does Not Exist")
        if "activityid" in body and _guid(body, "activityid") != record_id:
            raise bad_query("The key in the URL does not match the activityid in the body.")
        return _new_task(dataset, {**body, "activityid": record_id}, default_owner, record_id), True
    _check_names(body, (PLAIN - {"activityid"}) | STATE_FIELDS)
    changes: Row = {}
    if "subject" in body:
        subject = _text(body, "subject", 200)
        if not subject or not subject.strip():
            raise _invalid("The 'subject' attribute of the 'task' entity is required.")
        changes["subject"] = subject
    if "description" in body:
        changes["description"] = _text(body, "description", 2000)
    if "msp_taskcategory" in body:
        changes["msp_taskcategory"] = _category(body)
    if "prioritycode" in body:
        changes["prioritycode"] = 1 if (p := _priority(body)) is None else p
    changes |= {k: v for k, v in _durations(body).items() if k in body}
    for name in ("scheduledstart", "scheduledend", "actualend", "actualstart"):
        if name in body:
            changes[name] = _datetime(body, name)
    if "statecode" in body or "statuscode" in body:
        state, status = _state_pair(body, (row["statecode"], row["statuscode"]), record_id)
        changes |= {"statecode": state, "statuscode": status}
        if state == 1 and not changes.get("actualend") and not row.get("actualend"):
            # Completing sets actualend to now unless the request gives it.
            changes["actualend"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for bind, (set_name, column, logical) in BINDS.items():
        if bind in body:
            changes[column] = _bind_target(dataset, bind, body[bind], set_name, logical)
    row.update(changes)
    row["@odata.etag"] = f'W/"{int(row["@odata.etag"][3:-1]) + 1}"'
    _annotate(row)
    return row, False


def _category(body: dict[str, Any]) -> int | None:
    category = _int(body, "msp_taskcategory")
    if category is not None and category not in TASK_CATEGORY:
        raise _out_of_range(category, "msp_taskcategory", TASK_CATEGORY)
    return category


def _priority(body: dict[str, Any]) -> int | None:
    priority = _int(body, "prioritycode")
    if priority is not None and priority not in PRIORITY:
        raise _out_of_range(priority, "prioritycode", PRIORITY)
    return priority


def _durations(body: dict[str, Any]) -> dict[str, int | None]:
    durations = {n: _int(body, n) for n in ("scheduleddurationminutes", "actualdurationminutes")}
    for name, minutes in durations.items():
        if minutes is not None and not 0 <= minutes <= 2_147_483_647:
            raise _invalid(f"The value {minutes} of '{name}' is outside the valid range.")
    return durations


def _annotate(row: Row) -> None:
    category = row.get("msp_taskcategory")
    row.pop(f"msp_taskcategory@{FORMATTED}", None)
    if category is not None:
        row[f"msp_taskcategory@{FORMATTED}"] = TASK_CATEGORY[category]
    row[f"prioritycode@{FORMATTED}"] = PRIORITY[row["prioritycode"]]
    row[f"statecode@{FORMATTED}"] = STATE_NAME[row["statecode"]]
    row[f"statuscode@{FORMATTED}"] = STATUS_LABEL[row["statuscode"]]


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
