"""The outbox worker: sends the tasks that could not be created at submit time, with
backoff, and tells the person when one is created (or finally rejected).

The outbox is the task log itself (bot/store/tasks.py), so it survives restarts. A row
left "pending" by a process that stopped mid-request is settled like a lost answer: MSX
is asked whether it has the task before the create is sent again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.domain import LoggedTask
from bot.store.tables import TaskRow
from bot.store.tasks import CREATED, PENDING, QUEUED, REJECTED, logged
from bot.workflows.log_task import TaskLogger

log = logging.getLogger(__name__)

Notify = Callable[[LoggedTask], Awaitable[Any]]


class Outbox:
    """Retries queued tasks. `sleep` is injectable: tests travel in time, never wait.

    `poll` caps how long the worker sleeps; `stale_after` is how old a "pending" row must
    be before it counts as abandoned (another process may be sending it right now).
    """

    def __init__(
        self,
        logger: TaskLogger,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        poll: float = 300.0,
        stale_after: float = 120.0,
    ) -> None:
        self.logger = logger
        self._sleep = sleep
        self.poll = poll
        self.stale_after = dt.timedelta(seconds=stale_after)
        self._all_due: bool = False
        self._wake = asyncio.Event()

    def kick(self) -> None:
        """MSX looks reachable again (say, a refresh just worked): try every queued task now."""
        self._all_due = True
        self._wake.set()

    def _due_at(self, row: TaskRow) -> dt.datetime:
        if row.state == PENDING:
            return row.updated_at + self.stale_after
        return row.next_attempt_at or row.updated_at

    def pending(self) -> list[LoggedTask]:
        """Every task still to be created, oldest first."""
        return [logged(row) for row in self.logger.tasks.open_rows()]

    async def drain_once(self, notify: Notify | None = None) -> list[LoggedTask]:
        """One pass: attempt every queued task that is due. Returns the tasks this pass
        finished (created or rejected), after awaiting `notify` for each."""
        all_due, self._all_due = self._all_due, False
        now = self.logger.now()
        finished: list[LoggedTask] = []
        for row in self.logger.tasks.open_rows():
            due = self._due_at(row) <= now or (all_due and row.state == QUEUED)
            if not due or self.logger.busy(row.key):
                continue
            done = await self._send(row.key)
            if done is None:
                continue
            finished.append(done)
            if notify is not None:
                try:
                    await notify(done)
                except Exception:  # a failed DM must not stop the worker
                    # pragma: no mutate start
                    log.exception("Could not tell the person about task %s", done.task_id)
                    # pragma: no mutate end
        return finished

    async def _send(self, key: str) -> LoggedTask | None:
        async with self.logger.lock(key):
            row = self.logger.tasks.get(key)  # again, under the lock: it may be done
            if row is None or row.state not in (PENDING, QUEUED):
                return None
            if row.state == PENDING:
                row.maybe_sent = True  # abandoned mid-request: the create may have landed
            row = await self.logger.attempt(row)
        return logged(row) if row.state in (CREATED, REJECTED) else None

    def next_wait(self) -> float:
        """Seconds until the next task is due (at most `poll`)."""
        rows = self.logger.tasks.open_rows()
        if not rows:
            return self.poll
        soonest = min(self._due_at(r) for r in rows)
        wait = (soonest - self.logger.now()).total_seconds()
        return min(max(wait, 0.0), self.poll)

    async def run(self, notify: Notify) -> None:
        """Until cancelled: drain, then sleep until the next task is due or one is queued."""
        while True:
            # Cleared before the pass: a task queued during it still wakes the nap.
            self.logger.queued_event.clear()
            self._wake.clear()
            try:
                await self.drain_once(notify)
                wait = self.next_wait()
            except Exception:  # the store or a bug: keep the worker alive, try later
                log.exception("Outbox pass failed")  # pragma: no mutate
                wait = self.poll
            await self._nap(wait)

    async def _nap(self, seconds: float) -> None:
        waits = [
            asyncio.ensure_future(self._sleep(seconds)),
            asyncio.ensure_future(self.logger.queued_event.wait()),
            asyncio.ensure_future(self._wake.wait()),
        ]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
