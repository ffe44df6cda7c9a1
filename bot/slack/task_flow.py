"""Opening and filling the "Log HoK task" modal, shared by every way in.

The trigger lives 3 seconds and works once, so the modal opens from the snapshot alone:
no MSX request comes before views.open. With no snapshot yet (first use) a "loading"
modal opens, the import runs, and the form replaces it (views.update, with the hash of
the view it replaces).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import LoggedTask
from bot.slack.access import Person
from bot.slack.blocks import task_modal as tm
from bot.slack.blocks.ids import decode_value
from bot.slack.blocks.notices import error_blocks
from bot.slack.blocks.task_notices import (
    task_result_blocks,
    task_result_text,
    tasks_summary_blocks,
)
from bot.slack.blocks.text import escape_within
from bot.slack.deps import BotDeps
from bot.slack.refreshing import ProgressMessage
from bot.slack.replies import Reply, error_reply
from bot.slack.user_time import UserClock
from bot.workflows.book import Book
from bot.workflows.lookup import find_account
from bot.workflows.my_tasks import month_start, tasks_since, week_start

log = logging.getLogger(__name__)


class ModalSurface:
    """One open modal, updated in order, each time with the hash the last update returned."""

    def __init__(self, client: AsyncWebClient, view: dict[str, Any]) -> None:
        self._client = client
        self.view_id: str = view["id"]
        self.hash: str | None = view.get("hash")
        self._lock = asyncio.Lock()
        self._final = False

    async def update(self, view: dict[str, Any], *, final: bool = False) -> bool:
        """Replace the view; after a `final` update, progress lines no longer replace it."""
        if final:
            self._final = True
        async with self._lock:
            if self._final and not final:
                return False  # a progress line that lost the race with the form
            try:
                answer = await self._client.views_update(
                    view_id=self.view_id, hash=self.hash, view=view
                )
            except SlackApiError as exc:
                # not_found: the person closed it; hash_conflict: it changed meanwhile.
                log.info("views.update %s: %s", self.view_id, exc.response.get("error"))
                return False
            self.hash = (answer.get("view") or {}).get("hash")
            return True

    async def show(self, reply: Reply) -> None:
        """A ProgressMessage sink: the import's progress (or failure) inside the modal."""
        await self.update(tm.info_modal(reply.text))


class TaskFlow:
    """What every task listener shares: the deps, the Slack client, time zones, the DMs."""

    def __init__(self, deps: BotDeps, client: AsyncWebClient) -> None:
        self.deps = deps
        self.client = client
        self.user_clock = UserClock(client)
        self.notifier = TaskNotifier(client)

    def view(
        self,
        book: Book,
        form: tm.TaskForm,
        *,
        account_query: str | None = None,
        notice: str | None = None,
    ) -> dict[str, Any]:
        """The modal for `form` over this book; `account_query` (typed after `/msx log`)
        pre-selects the one account it names."""
        accounts = book.snapshot.accounts
        if form.account_id is None and account_query:
            match = find_account(accounts, account_query)
            if match.account is not None:
                form = replace(form, account_id=match.account.id)
            elif not notice:
                notice = (
                    f"No single account matches “{escape_within(account_query, 80)}”: "
                    "choose one below."
                )
        if form.account_id is None and len(accounts) == 1:
            form = replace(form, account_id=accounts[0].id)
        if form.account_id is not None and book.snapshot.account(form.account_id) is None:
            notice = notice or "That account is no longer in your snapshot: choose one below."
            form = replace(form, account_id=None, milestone_id=None)
        milestones = book.snapshot.milestones_of(form.account_id) if form.account_id else []
        return tm.task_modal(
            form,
            accounts=accounts,
            milestones=milestones,
            categories=self.deps.tasks.categories(),
            notice=notice,
        )

    async def tasks_reply(self, person: Person) -> Reply:
        """`/msx tasks`: this week's and this month's tasks, from the task log alone."""
        book = await self.deps.cached_book(person)
        if book is None:
            return error_reply("No snapshot yet: run `/msx refresh`, then log with `/msx log`.")
        today = await self.user_clock.today(person.slack_id, self.deps.clock())
        owner = book.snapshot.user.user_id
        store = self.deps.runtime.store
        since = min(week_start(today), month_start(today))
        logged = tasks_since(store, owner, since)
        week = [t for t in logged if t.draft.date >= week_start(today)]
        month = [t for t in logged if t.draft.date >= month_start(today)]
        return Reply(
            text=f"My HoK tasks: {sum(t.hok for t in week)} this week",
            blocks=tasks_summary_blocks(week, month, today),
        )

    async def say(self, trigger_id: str, text: str) -> None:
        """A one-line modal on a trigger, for a way in that cannot open the form."""
        try:
            await self.client.views_open(trigger_id=trigger_id, view=tm.info_modal(text))
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error"))

    def logged(self, value: str) -> LoggedTask | None:
        """The task a "Fix and try again" button names (its value), from the task log."""
        try:
            data = decode_value(value)
            since = dt.date.fromisoformat(str(data.get("date")))
        except ValueError:
            return None
        owner, task_id = data.get("owner"), data.get("task")
        if not isinstance(owner, str) or not isinstance(task_id, str):
            return None
        found = tasks_since(self.deps.runtime.store, owner, since)
        return next((t for t in found if t.task_id == task_id), None)

    async def open(
        self,
        person: Person,
        trigger_id: str,
        form: tm.TaskForm | None = None,
        *,
        account_query: str | None = None,
        notice: str | None = None,
    ) -> bool:
        """Open the modal on `trigger_id`; False when Slack refused (the trigger expired)
        and the person should be told."""
        deps = self.deps
        form = form or tm.TaskForm()
        today, book = await asyncio.gather(
            self.user_clock.today(person.slack_id, deps.clock()), deps.cached_book(person)
        )
        if form.date is None:
            form = replace(form, date=today)
        view = (
            self.view(book, form, account_query=account_query, notice=notice)
            if book is not None
            else tm.loading_modal()
        )
        try:
            opened = await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("views.open failed: %s", error)
            # trigger_exchanged: a redelivery of what already opened the form on this trigger.
            return error == "trigger_exchanged"
        if book is None:
            surface = ModalSurface(self.client, opened["view"])
            message = ProgressMessage(surface.show)
            book = await deps.refresher.refresh(person, message, summary=False)
            if book is not None:  # else the modal already says why
                await surface.update(
                    self.view(book, form, account_query=account_query, notice=notice),
                    final=True,
                )
        return True


class TaskNotifier:
    """DMs about a task: right after submitting, and the outbox's later news."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        # One DM at a time: Slack allows about one message a second in a channel, and the
        # outbox may finish many tasks at once; queued here, each waits its turn (and the
        # client's 429 handler its Retry-After) instead of racing the others into a 429.
        # (The submit listeners and the outbox worker each have one notifier.)
        self._sending = asyncio.Lock()

    async def tell(self, task: LoggedTask, *, from_queue: bool = False) -> None:
        if not task.slack_user_id:
            return  # logged from the terminal: nobody to tell in Slack
        try:
            async with self._sending:
                await self._post(task, from_queue)
        except SlackApiError as exc:
            log.warning("could not DM about task %s: %s", task.task_id, exc.response.get("error"))

    async def _post(self, task: LoggedTask, from_queue: bool) -> None:
        assert task.slack_user_id is not None
        # Posting to a user id lands in the bot's DM with them (chat:write).
        await self._client.chat_postMessage(
            channel=task.slack_user_id,
            text=task_result_text(task, from_queue=from_queue),
            blocks=task_result_blocks(task, from_queue=from_queue),
        )

    async def failed(self, slack_id: str, subject: str) -> None:
        text = "Something went wrong logging your task; the bot's log says what."
        try:
            await self._client.chat_postMessage(
                channel=slack_id,
                text=text,
                blocks=error_blocks(text, f"Task: {subject[:200]}. Try `/msx tasks` to check."),
            )
        except SlackApiError as exc:
            log.warning("could not DM about a failed task: %s", exc.response.get("error"))

    async def from_outbox(self, task: LoggedTask) -> None:
        """The outbox worker's notify callback."""
        await self.tell(task, from_queue=True)


def start_outbox(deps: BotDeps, client: AsyncWebClient) -> asyncio.Task[None]:
    """The outbox worker, for as long as the bot runs; its news goes out as DMs."""
    notifier = TaskNotifier(client)
    # A (re)start is a good moment to try what was queued before, backoff or not.
    deps.outbox.kick()
    return asyncio.create_task(deps.outbox.run(notifier.from_outbox), name="task-outbox")
