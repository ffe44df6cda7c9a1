"""What every listener needs, built once per bot process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.runtime import Runtime
from bot.slack.access import Access, Person
from bot.slack.directory import SlackDirectory
from bot.slack.refreshing import ProgressMessage, Refresher, Send
from bot.workflows.book import Book, cached_book


@dataclass
class BotDeps:
    runtime: Runtime
    access: Access
    directory: SlackDirectory
    refresher: Refresher
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def cached_book(self, person: Person) -> Book | None:
        return cached_book(self.runtime.store, email=person.book_email)

    async def book(self, person: Person, message: ProgressMessage) -> Book | None:
        """The person's book; on first use an import runs first, reporting in `message`."""
        return self.cached_book(person) or await self.refresher.refresh(
            person, message, summary=False
        )


__all__ = ["BotDeps", "Send"]
