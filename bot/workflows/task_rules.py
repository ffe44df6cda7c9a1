"""The rules of a task a person logs: which fields it needs and what they may hold (one
message a field, for the form and the terminal alike), and the task categories to offer,
HoK ones first (MSX's option set as the last refresh read it, else the guide's table)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from bot.domain import (
    DEFAULT_HOK_CODES,
    TASK_CATEGORIES,
    HokCategory,
    TaskDraft,
    TaskPriority,
    fold,
    ordered_categories,
)
from bot.msx.errors import MsxProblem
from bot.msx.tasks import MsxTasks
from bot.store.snapshots import SnapshotStore
from bot.store.tasks import TaskStore

log = logging.getLogger(__name__)

FIELDS: tuple[str, ...] = (
    "account",
    "milestone",
    "category",
    "subject",
    "minutes",
    "date",
    "priority",
    "description",
)
MAX_SUBJECT = 200
MAX_DESCRIPTION = 2000
MIN_MINUTES, MAX_MINUTES = 1, 1440
_PRIORITY_NAMES = {p.name.lower(): p for p in TaskPriority}
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class InvalidTask(ValueError):
    """A draft with wrong fields; `errors` is keyed by field name, as `validate` gives."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        self.user_message = " ".join(errors.values())
        super().__init__(self.user_message)


# -- checking a draft ------------------------------------------------------------------


def dataverse_length(text: str) -> int:
    """Length as MSX counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def find_category(value: object, categories: Iterable[HokCategory]) -> HokCategory | None:
    """A category by code (int or digits) or by name: the exact label (any case, accents
    ignored), else the one label that starts with it."""
    cats = list(categories)
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        code = int(value)
        return next((c for c in cats if c.code == code), None)
    if not isinstance(value, str) or not value.strip():
        return None
    wanted = fold(value)
    exact = [c for c in cats if fold(c.label) == wanted]
    if exact:
        return exact[0]
    starts = [c for c in cats if fold(c.label).startswith(wanted)]
    return starts[0] if len(starts) == 1 else None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _minutes(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _priority(value: object) -> TaskPriority | None:
    if value is None or value == "":
        return TaskPriority.NORMAL
    if isinstance(value, TaskPriority):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return TaskPriority(value) if value in TaskPriority._value2member_map_ else None
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return _priority(int(text))
        return _PRIORITY_NAMES.get(text)
    return None


def _parse(
    fields: Mapping[str, Any],
    categories: Iterable[HokCategory],
    milestone_accounts: Mapping[str, str] | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    account = _text(fields.get("account"))
    if not account:
        errors["account"] = "Choose an account."
    values["account_id"] = account.lower()

    milestone = _text(fields.get("milestone"))
    if not milestone:
        errors["milestone"] = "Choose a milestone."
    elif not _GUID.fullmatch(milestone):
        errors["milestone"] = f"“{milestone}” is not a milestone id."
    elif milestone_accounts is not None:
        owner = milestone_accounts.get(milestone.lower())
        if owner is None:
            errors["milestone"] = "That milestone is not in your snapshot: run a refresh."
        elif account and owner != account.lower():
            errors["milestone"] = "That milestone belongs to another account."
    values["milestone_id"] = milestone.lower()

    raw_category = fields.get("category")
    category = find_category(raw_category, categories)
    if category is None:
        given = _text(str(raw_category)) if raw_category is not None else ""
        errors["category"] = (
            f"“{given}” is not an MSX task category." if given else "Choose a category."
        )
    else:
        values["category_code"] = category.code

    subject = _text(fields.get("subject"))
    if not subject:
        errors["subject"] = "Enter a subject."
    elif (n := dataverse_length(subject)) > MAX_SUBJECT:
        errors["subject"] = f"The subject is {n} characters long; MSX takes up to {MAX_SUBJECT}."
    values["subject"] = subject

    minutes = _minutes(fields.get("minutes"))
    if minutes is None or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        errors["minutes"] = f"Enter the duration in whole minutes, {MIN_MINUTES} to {MAX_MINUTES}."
    values["minutes"] = minutes

    date = _date(fields.get("date"))
    if date is None:
        errors["date"] = "Enter the date as YYYY-MM-DD."
    values["date"] = date

    priority = _priority(fields.get("priority"))
    if priority is None:
        errors["priority"] = "The priority is Low, Normal or High."
    values["priority"] = priority

    description = _text(fields.get("description"))
    if (n := dataverse_length(description)) > MAX_DESCRIPTION:
        errors["description"] = (
            f"The description is {n} characters long; MSX takes up to {MAX_DESCRIPTION}."
        )
    values["description"] = description
    values["completed"] = bool(fields.get("completed", True))
    return values, errors


def validate(
    fields: Mapping[str, Any],
    categories: Iterable[HokCategory],
    *,
    milestone_accounts: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """One line a wrong field, keyed by the field names of FIELDS; empty when all is well.

    `fields` holds what a person entered ("minutes" may be "90" or 90, "date" a date or
    "2026-12-04", "category" a code or a name, "priority" low/normal/high or 0-2).
    `milestone_accounts` (milestone id -> account id), when given, also checks that the
    milestone is known and belongs to the account. Pure.
    """
    return _parse(fields, categories, milestone_accounts)[1]


def build_draft(
    fields: Mapping[str, Any],
    categories: Iterable[HokCategory],
    *,
    milestone_accounts: Mapping[str, str] | None = None,
) -> TaskDraft:
    """The TaskDraft of valid fields; raises InvalidTask with `validate`'s errors."""
    values, errors = _parse(fields, categories, milestone_accounts)
    if errors:
        raise InvalidTask(errors)
    return TaskDraft(**values)


# -- categories ------------------------------------------------------------------------


def categories(
    store: SnapshotStore, hok_codes: Collection[int] = DEFAULT_HOK_CODES
) -> list[HokCategory]:
    """The task categories to choose from, HoK ones first: MSX's option set as the last
    refresh read it, else the integration guide's table."""
    stored = TaskStore(store).categories()
    labels = stored or [(c.code, c.label) for c in TASK_CATEGORIES]
    return ordered_categories(labels, hok_codes)


async def refresh_task_categories(
    gateway_or_client: Any, store: SnapshotStore, *, now: Clock = _utc_now
) -> list[tuple[int, str]]:
    """Read msp_taskcategory's option set from MSX's metadata into the store. A failure
    keeps what was stored (or the fallback table) and is only logged: it must not fail a
    refresh. Returns the options read ([] when none)."""
    options = await read_task_categories(gateway_or_client)
    if options:
        TaskStore(store).save_categories(options, now())
    return options


async def read_task_categories(gateway_or_client: Any) -> list[tuple[int, str]]:
    """msp_taskcategory's option set as MSX has it; [] (only logged) when MSX refuses."""
    try:
        return await MsxTasks(gateway_or_client).categories()
    except MsxProblem as exc:
        # pragma: no mutate start
        log.warning("Could not read the task categories from MSX: %s", exc.user_message)
        # pragma: no mutate end
        return []
