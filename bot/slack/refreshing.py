"""`/msx refresh` in Slack: one ephemeral message that shows progress and ends with what changed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.msx.errors import MsxProblem
from bot.runtime import Runtime
from bot.slack import blocks as bk
from bot.slack.access import Person
from bot.slack.replies import Reply, Send, error_reply
from bot.workflows.book import Book, known_user, refresh_book
from bot.workflows.refresh import Progress, UnknownUser

log = logging.getLogger(__name__)

# A response_url takes 5 posts: the first line, at most 3 updates, and the result.
RESPONSE_URL_USES = 5
UPDATE_EVERY_S = 1.0


class ProgressMessage:
    """Rations updates of one message so that the final answer always has a post left."""

    def __init__(self, send: Send, uses: int = RESPONSE_URL_USES) -> None:
        self._send = send
        self._left = uses
        self._last = 0.0
        self._pending: asyncio.Task[None] | None = None

    async def start(self, text: str) -> None:
        await self._post(Reply(text=text, blocks=bk.working_blocks(text)))
        self._last = time.monotonic()

    def update(self, event: Progress) -> None:
        # Called synchronously by the workflow: post in the background, never block it.
        busy = self._pending is not None and not self._pending.done()
        if busy or self._left <= 1 or time.monotonic() - self._last < UPDATE_EVERY_S:
            return
        self._last = time.monotonic()
        stage = f"{event.stage} ({event.note})" if event.note else event.stage
        blocks = bk.refresh_progress_blocks(stage, event.done, event.total)
        self._pending = asyncio.ensure_future(self._post(Reply(text="Refreshing…", blocks=blocks)))

    async def finish(self, reply: Reply) -> None:
        if self._pending is not None:
            await asyncio.gather(self._pending, return_exceptions=True)
        await self._post(reply)

    async def _post(self, reply: Reply) -> None:
        if self._left <= 0:
            return
        self._left -= 1
        try:
            await self._send(reply)
        except Exception:  # a lost progress line must not lose the refresh
            log.exception("could not post refresh progress")


class Refresher:
    """At most one refresh per book at a time; each reports in its own message."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._running: set[str] = set()
        # Called with the person after each successful refresh (BotDeps.changed).
        self.on_refreshed: Callable[[Person], Awaitable[None]] | None = None

    def running(self, person: Person) -> bool:
        """Whether this person's book is being refreshed (benchmarks/ack_bench.py waits on it)."""
        return (person.book_email or "") in self._running

    async def refresh(
        self, person: Person, message: ProgressMessage, *, summary: bool = True
    ) -> Book | None:
        """Refresh the person's book; with `summary`, end the message with what changed.

        Without it the caller answers in the message's last post. None when it failed
        (the message then says why).
        """
        key = person.book_email or ""
        if key in self._running:
            await message.finish(
                Reply("Already refreshing", bk.working_blocks("A refresh is already running."))
            )
            return None
        self._running.add(key)
        try:
            await message.start("Refreshing from MSX…")
            try:
                book = await refresh_book(
                    self._runtime.gateway,
                    self._runtime.store,
                    email=person.book_email,
                    progress=message.update,
                )
            except (MsxProblem, UnknownUser) as exc:
                kept = " Your previous snapshot is kept." if self._has_book(person) else ""
                await message.finish(error_reply(exc.user_message + kept))
                return None
            except Exception:
                log.exception("refresh failed")
                await message.finish(
                    error_reply("The refresh failed unexpectedly; see the bot's log.")
                )
                return None
            if summary:
                await message.finish(_done(book))
            if self.on_refreshed is not None:
                await self.on_refreshed(person)
            return book
        finally:
            self._running.discard(key)

    def _has_book(self, person: Person) -> bool:
        return known_user(self._runtime.store, email=person.book_email) is not None


def _done(book: Book) -> Reply:
    result = book.refresh
    assert result is not None
    snap = book.snapshot
    blocks: list[dict[str, Any]] = bk.refresh_done_blocks(result.diff, snap, result.elapsed_s)
    return Reply(text=f"Refreshed: {len(snap.accounts)} accounts", blocks=blocks)
