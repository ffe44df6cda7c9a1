"""What every listener needs, built once per bot process."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.msx.errors import MsxProblem
from bot.runtime import Runtime
from bot.slack.access import Access, Person
from bot.slack.directory import SlackDirectory
from bot.slack.refreshing import ProgressMessage, Refresher
from bot.workflows.book import Book, cached_book, identify_owner
from bot.workflows.log_task import TaskLogger
from bot.workflows.outbox import Outbox

log = logging.getLogger(__name__)

OWNER_TIMEOUT_S = 30.0
# While the owner is unknown (the bot started off the VPN, with no snapshot yet), ask MSX
# again at most this often, so nobody is locked out until a restart.
OWNER_RETRY_S = 10.0


@dataclass
class BotDeps:
    runtime: Runtime
    access: Access
    directory: SlackDirectory
    refresher: Refresher
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    # Why MSX could not say who the owner is, the last time it was asked.
    owner_problem: str | None = field(default=None, init=False)
    _owner_task: asyncio.Future[None] | None = field(default=None, init=False, repr=False)
    _owner_asked: float = field(default=float("-inf"), init=False, repr=False)
    # HoK task logging: one logger (exactly once per key) and its outbox per process.
    tasks: TaskLogger = field(init=False, repr=False)
    outbox: Outbox = field(init=False, repr=False)
    # Told when a person's book, tasks or settings changed: the Home tab republishes.
    on_change: list[Callable[[Person], Awaitable[None]]] = field(
        default_factory=list, init=False, repr=False
    )

    def __post_init__(self) -> None:
        settings = self.runtime.settings
        self.tasks = TaskLogger(
            self.runtime.store, self.runtime.gateway, hok_codes=settings.msx_bot_hok_codes
        )
        self.outbox = Outbox(self.tasks)
        self.refresher.on_refreshed = self.changed

    async def changed(self, person: Person) -> None:
        for hook in list(self.on_change):
            try:
                await hook(person)
            except Exception:  # a view that could not be republished loses nothing
                log.exception("could not show a change")

    async def learn_owner(self) -> None:
        """Who owns the bot, from MSX; until it answers, the last snapshot's owner stands."""
        self._owner_asked = time.monotonic()
        try:
            owner = await asyncio.wait_for(
                identify_owner(self.runtime.gateway, self.runtime.store), OWNER_TIMEOUT_S
            )
        except (MsxProblem, TimeoutError) as exc:
            reason = getattr(exc, "user_message", "MSX did not answer in time")
            log.warning("could not ask MSX who the owner is: %s", reason)
            self.owner_problem = reason
            return
        self.owner_problem = None
        self.access.owner = owner
        log.info("owner: %s", owner.name)

    def learn_owner_soon(self) -> asyncio.Future[None]:
        """learn_owner() in the background; owner_known() waits for it."""
        self._owner_task = asyncio.ensure_future(self.learn_owner())
        return self._owner_task

    async def owner_known(self, wait_s: float) -> bool:
        """Whether the owner is known, asking MSX again (waiting at most `wait_s`) when not."""
        if self.access.owner is not None:
            return True
        running = self._owner_task is not None and not self._owner_task.done()
        if not running and time.monotonic() - self._owner_asked >= OWNER_RETRY_S:
            self._owner_task = asyncio.ensure_future(self.learn_owner())
        if self._owner_task is not None and not self._owner_task.done():
            # shield: a slow MSX must not hold the ack up, nor be cancelled by the wait.
            await asyncio.wait([asyncio.shield(self._owner_task)], timeout=wait_s)
        return self.access.owner is not None

    async def cached_book(self, person: Person) -> Book | None:
        # Off the event loop: a large book takes tens of ms to load, and the ack Bolt is
        # about to send must not wait for it.
        return await asyncio.to_thread(cached_book, self.runtime.store, email=person.book_email)

    async def book(self, person: Person, message: ProgressMessage) -> Book | None:
        """The person's book; on first use an import runs first, reporting in `message`."""
        return await self.cached_book(person) or await self.refresher.refresh(
            person, message, summary=False
        )
