"""Log a task against a milestone: check it, create it in MSX exactly once, or keep it in
the outbox until MSX can be reached. Shared by the Slack modal and `msx-bot log-task`.

Exactly once: the bot picks the task's id (`activityid`) and stores the row before the
first request. Any later attempt names the same id, so MSX can at most answer "duplicate
key"; an answer lost on the way back is settled by reading `tasks(<id>)`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain import (
    CATEGORY_BY_CODE,
    DEFAULT_HOK_CODES,
    TASK_CATEGORIES,
    HokCategory,
    LoggedTask,
    TaskDraft,
    TaskPriority,
    fold,
    ordered_categories,
)
from bot.msx.client import MsxClient
from bot.msx.errors import AuthProblem, MsxError, MsxProblem, MsxUnreachable, Throttled
from bot.msx.tasks import MsxTasks, task_url
from bot.store.snapshots import SnapshotStore
from bot.store.tables import TaskRow
from bot.store.tasks import (
    CREATED,
    PENDING,
    QUEUED,
    REJECTED,
    TaskStore,
    draft_of,
    logged,
    new_row,
)

log = logging.getLogger(__name__)

QUEUED_NOTE = "queued: it will be created when MSX is reachable"
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
        given = _text(str(raw_category)) if raw_category not in (None, "") else ""
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

    description = fields.get("description") or ""
    description = description.strip() if isinstance(description, str) else ""
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
        log.warning("Could not read the task categories from MSX: %s", exc.user_message)
        return []


# -- what I logged ---------------------------------------------------------------------


def tasks_since(store: SnapshotStore, user_id: str, since: dt.date) -> list[LoggedTask]:
    """The tasks `user_id` (their MSX user id) logged through the bot, dated `since` or
    later, whatever became of them."""
    return [logged(row) for row in TaskStore(store).of_owner(user_id, since)]


@dataclass(frozen=True)
class TaskTotals:
    """Totals over tasks that are in MSX or on their way (rejected ones do not count)."""

    count: int = 0
    hok_count: int = 0
    hok_minutes: int = 0
    queued: int = 0
    by_category: dict[str, int] = field(default_factory=dict)

    @property
    def hok_hours(self) -> float:
        return self.hok_minutes / 60


def totals(tasks: Iterable[LoggedTask]) -> TaskTotals:
    counted = [t for t in tasks if t.state != "rejected"]
    by_category: dict[str, int] = {}
    for t in counted:
        label = t.category_label or str(t.draft.category_code)
        by_category[label] = by_category.get(label, 0) + 1
    hok = [t for t in counted if t.hok]
    return TaskTotals(
        count=len(counted),
        hok_count=len(hok),
        hok_minutes=sum(t.draft.minutes for t in hok),
        queued=sum(t.state == "queued" for t in counted),
        by_category=dict(sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def week_start(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=today.weekday())  # Monday


def month_start(today: dt.date) -> dt.date:
    return today.replace(day=1)


# -- creating --------------------------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    """Waits between outbox attempts: base * 2^(n-1), at most `cap` seconds."""

    base: float = 30.0
    cap: float = 900.0

    def after(self, attempts: int) -> float:
        return min(self.cap, self.base * 2 ** max(attempts - 1, 0))


def _check_ids(draft: TaskDraft, owner_user_id: str) -> None:
    # Before anything is stored: a row MSX could never take would sit in the outbox.
    errors = {}
    if not _GUID.fullmatch(draft.milestone_id):
        errors["milestone"] = f"“{draft.milestone_id}” is not a milestone id."
    if not _GUID.fullmatch(owner_user_id):
        errors["owner"] = f"“{owner_user_id}” is not an MSX user id."
    if errors:
        raise InvalidTask(errors)


@dataclass
class _Phase:
    name: str  # verify | create | complete | done


class TaskLogger:
    """Creates tasks in MSX exactly once, queueing them while MSX cannot be reached.

    `msx` is an MsxClient, an MsxGateway (its client is used) or an MsxTasks.
    """

    def __init__(
        self,
        store: SnapshotStore,
        msx: MsxClient | MsxTasks | Any,
        *,
        hok_codes: Collection[int] = DEFAULT_HOK_CODES,
        now: Clock = _utc_now,
        backoff: Backoff = Backoff(),  # frozen: one shared default is safe
    ) -> None:
        self.store = store
        self.tasks = TaskStore(store)
        self.msx = msx if isinstance(msx, MsxTasks) else MsxTasks(msx)
        self.hok_codes = frozenset(hok_codes)
        self.now = now
        self.backoff = backoff
        self._locks: dict[str, asyncio.Lock] = {}
        # Set when a task is queued: the outbox worker wakes up for it.
        self.queued_event = asyncio.Event()

    def categories(self) -> list[HokCategory]:
        return categories(self.store, self.hok_codes)

    async def submit(
        self,
        key: str,
        draft: TaskDraft,
        *,
        owner_user_id: str,
        slack_user_id: str | None = None,
        milestone_name: str | None = None,
        account_name: str | None = None,
    ) -> LoggedTask:
        """Create `draft` in MSX as `owner_user_id`'s task, once per `key`.

        The same key again (a redelivery, a double click) returns the stored outcome and
        sends nothing. When MSX cannot be reached the task is queued for the outbox.
        """
        _check_ids(draft, owner_user_id)
        async with self.lock(key):
            # A key seen before gets its stored row back: nothing is sent again.
            row = self.tasks.add(self._new_row(key, draft, owner_user_id, slack_user_id,
                                               milestone_name, account_name))  # fmt: skip
            if row.state != PENDING or row.attempts:
                return logged(row)
            row = await self.attempt(row)
        if row.state == QUEUED:
            self.queued_event.set()
        return logged(row)

    def busy(self, key: str) -> bool:
        lock = self._locks.get(key)
        return lock is not None and lock.locked()

    def lock(self, key: str) -> asyncio.Lock:
        """The per-key lock: one attempt at a time for a task."""
        return self._locks.setdefault(key, asyncio.Lock())

    def _new_row(
        self,
        key: str,
        draft: TaskDraft,
        owner_user_id: str,
        slack_user_id: str | None,
        milestone_name: str | None,
        account_name: str | None,
    ) -> TaskRow:
        category = CATEGORY_BY_CODE.get(draft.category_code)
        known = {c.code: c.label for c in self.categories()}
        label = known.get(draft.category_code) or (category.label if category else "")
        if milestone_name is None or account_name is None:
            milestone_name, account_name = self._names(
                owner_user_id, draft, milestone_name, account_name
            )
        return new_row(
            key=key,
            task_id=str(uuid.uuid4()),
            draft=draft,
            owner_user_id=owner_user_id,
            slack_user_id=slack_user_id,
            now=self.now(),
            hok=draft.category_code in self.hok_codes,
            category_label=label,
            milestone_name=milestone_name,
            account_name=account_name,
        )

    def _names(
        self, owner: str, draft: TaskDraft, milestone: str | None, account: str | None
    ) -> tuple[str | None, str | None]:
        snapshot = self.store.load(owner)
        if snapshot is None:
            return milestone, account
        found = next((m for m in snapshot.milestones if m.id == draft.milestone_id), None)
        acct = snapshot.account(draft.account_id)
        return (
            milestone or (found.name if found else None),
            account or (acct.name if acct else None),
        )

    async def attempt(self, row: TaskRow) -> TaskRow:
        """Do what is left of `row` in MSX (verify, create, complete) and store the outcome:
        created, queued (MSX away: try again later) or rejected (MSX said no).

        A lost answer is settled at once by reading the task back, when MSX answers that.
        """
        row.attempts += 1
        at = _Phase("verify" if row.step == "create" and row.maybe_sent else row.step)
        settled = False
        while True:
            phase = at.name
            try:
                await self._advance(row, at)
            except MsxUnreachable as exc:
                phase = at.name
                if phase == "create" and exc.maybe_applied:
                    row.maybe_sent = True  # the answer was lost: ask MSX before sending again
                    if not settled:
                        settled, at.name = True, "verify"
                        continue
                self._queue(row, exc.user_message)
            except (AuthProblem, Throttled) as exc:
                self._queue(
                    row, exc.user_message, exc.retry_after if isinstance(exc, Throttled) else None
                )
            except MsxError as exc:
                phase = at.name
                if phase == "complete" and exc.status < 500 and not settled:
                    # Perhaps completed already (an earlier PATCH whose answer was lost).
                    settled, at.name = True, "verify"
                    continue
                self._failed(row, phase, exc)
            else:
                self._created(row)
            break
        self.tasks.put(row)
        return row

    async def _advance(self, row: TaskRow, at: _Phase) -> None:
        """Take `row` from `at.name` to done; `at.name` says where a failure happened."""
        if at.name == "verify":
            status = await self.msx.read(row.task_id)
            row.maybe_sent = False
            if status is not None:
                row.step = "done" if status.completed or not row.completed else "complete"
            at.name = row.step
        if at.name == "create":
            # A duplicate key means an earlier attempt created it: carry on.
            await self.msx.create(row.task_id, draft_of(row), row.owner_user_id)
            row.step = at.name = "complete" if row.completed else "done"
        if at.name == "complete":
            await self.msx.complete(row.task_id, draft_of(row))
            row.step = at.name = "done"

    def _created(self, row: TaskRow, reason: str | None = None) -> None:
        row.state = CREATED
        row.reason = reason
        row.next_attempt_at = None
        row.url = task_url(self.msx.base_url, row.task_id)
        row.updated_at = self.now()

    def _queue(self, row: TaskRow, reason: str, at_least: float | None = None) -> None:
        row.state = QUEUED
        row.reason = reason
        wait = max(self.backoff.after(row.attempts), at_least or 0.0)
        row.next_attempt_at = self.now() + dt.timedelta(seconds=wait)
        row.updated_at = self.now()

    def _failed(self, row: TaskRow, phase: str, exc: MsxError) -> None:
        reason = exc.message or exc.user_message
        if exc.status >= 500 or exc.status == 429:
            # MSX's trouble, and the client has given up retrying: later, then. A 5xx on
            # a create may still have been applied.
            if phase == "create":
                row.maybe_sent = True
            self._queue(row, exc.user_message)
        elif phase == "complete":
            # The task is in MSX; only closing it failed. Never reject it: a second
            # submission would make a second task.
            self._created(row, f"created, but MSX would not mark it completed: {reason}")
            row.step = "done"
        elif phase == "verify":
            self._queue(row, exc.user_message)  # unknown whether it exists: never guess
        else:
            row.state = REJECTED
            row.reason = reason
            row.next_attempt_at = None
            row.updated_at = self.now()
