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
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.domain import (
    DEFAULT_HOK_CODES,
    HokCategory,
    LoggedTask,
    TaskDraft,
)
from bot.msx.client import MsxClient
from bot.msx.errors import AuthProblem, MsxError, MsxUnreachable, Throttled
from bot.msx.odata import is_guid
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
from bot.workflows.task_rules import Clock, InvalidTask, _utc_now, categories

log = logging.getLogger(__name__)

QUEUED_NOTE = "queued: it will be created when MSX is reachable"


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
    if not is_guid(draft.milestone_id):
        errors["milestone"] = f"“{draft.milestone_id}” is not a milestone id."
    if not is_guid(owner_user_id):
        errors["owner"] = f"“{owner_user_id}” is not an MSX user id."
    if errors:
        raise InvalidTask(errors)


@dataclass
class _Phase:
    name: str  # verify | create | complete | done


class TaskLogger:
    """Creates tasks in MSX exactly once, queueing them while MSX cannot be reached.

    `msx` is an MsxClient or an MsxGateway (its client is used).
    """

    def __init__(
        self,
        store: SnapshotStore,
        msx: MsxClient | Any,
        *,
        hok_codes: Collection[int] = DEFAULT_HOK_CODES,
        now: Clock = _utc_now,
        backoff: Backoff = Backoff(),  # frozen: one shared default is safe
    ) -> None:
        self.store = store
        self.tasks = TaskStore(store)
        self.msx = MsxTasks(msx)
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
        # Callers build the draft from these categories; a code outside them has no label
        # (lists then show the code).
        known = {c.code: c.label for c in self.categories()}
        label = known.get(draft.category_code, "")
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
        settled: bool = False
        while True:
            try:
                await self._advance(row, at)
            except MsxUnreachable as exc:
                if at.name == "create" and exc.maybe_applied:
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
                if at.name == "complete" and exc.status < 500 and not settled:
                    # Perhaps completed already (an earlier PATCH whose answer was lost).
                    settled, at.name = True, "verify"
                    continue
                self._failed(row, at.name, exc)
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
        wait = self.backoff.after(row.attempts)
        if at_least is not None:  # MSX said how long to wait (Retry-After)
            wait = max(wait, at_least)
        row.next_attempt_at = self.now() + dt.timedelta(seconds=wait)
        row.updated_at = self.now()

    def _failed(self, row: TaskRow, phase: str, exc: MsxError) -> None:
        reason = exc.message or exc.user_message
        if exc.status >= 500:
            # MSX's trouble, and the client has given up retrying: later, then. A 5xx on
            # a create may still have been applied. (A 429 comes as Throttled, not here.)
            if phase == "create":
                row.maybe_sent = True
            self._queue(row, exc.user_message)
        elif phase == "complete":
            # The task is in MSX; only closing it failed. Never reject it: a second
            # submission would make a second task.
            # Its step stays "complete": true, and a created row is never attempted again.
            self._created(row, f"created, but MSX would not mark it completed: {reason}")
        elif phase == "verify":
            self._queue(row, exc.user_message)  # unknown whether it exists: never guess
        else:
            row.state = REJECTED
            row.reason = reason
            row.next_attempt_at = None
            row.updated_at = self.now()
