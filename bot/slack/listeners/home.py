"""The App Home tab: published on app_home_opened, and again after anything it shows changed
(a refresh, a task logged, a digest setting); its Refresh button and digest controls."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.access import Person
from bot.slack.blocks import home as hb
from bot.slack.blocks._layout import context
from bot.slack.deps import BotDeps
from bot.slack.listeners.digest import change_settings
from bot.slack.refreshing import ProgressMessage
from bot.slack.replies import Reply
from bot.slack.user_time import UserClock
from bot.store.digest import DigestStore
from bot.workflows.book import Book
from bot.workflows.my_tasks import tasks_since, totals, week_start

log = logging.getLogger(__name__)


class HomeTab:
    def __init__(self, deps: BotDeps, client: AsyncWebClient) -> None:
        # Registration touches neither (tests/test_manifest.py builds the app without them).
        self.deps = deps
        self.client = client
        self.clock = UserClock(client)
        # Who has opened the tab since the bot started: only theirs are republished.
        self.opened: set[str] = set()

    @property
    def digest(self) -> DigestStore:
        return DigestStore(self.deps.runtime.store)

    async def view(self, person: Person, notice: str | None = None) -> dict[str, Any]:
        now = self.deps.clock()
        book = await self.deps.cached_book(person)
        data = None
        if book is not None:
            today = await self.clock.today(person.slack_id, now)
            data = await asyncio.to_thread(self._data, person, book, today)
        view = hb.home_view(book.snapshot if book else None, now, data)
        if notice:
            view["blocks"].insert(1, context(notice))
        return view

    def _data(self, person: Person, book: Book, today: dt.date) -> hb.HomeData:
        monday = week_start(today)
        week = tasks_since(self.deps.runtime.store, book.snapshot.user.user_id, monday)
        return hb.HomeData(
            freshness=book.freshness,
            today=today,
            week=totals(week),
            digest=self.digest.settings(person.slack_id),
            timezone=self.digest.timezone(person.slack_id),
        )

    async def publish(self, person: Person, notice: str | None = None) -> None:
        if not self.opened:
            self.deps.on_change.append(self.republish)  # from the first tab opened on
        self.opened.add(person.slack_id)
        view = await self.view(person, notice)
        try:
            await self.client.views_publish(user_id=person.slack_id, view=view)
        except SlackApiError as exc:
            log.warning("views.publish failed: %s", exc.response.get("error"))

    async def republish(self, person: Person) -> None:
        if person.slack_id in self.opened:
            await self.publish(person)

    async def refresh(self, person: Person) -> None:
        """Refresh from MSX; a success republishes (BotDeps.changed), a failure says why."""
        await self.publish(person, ":arrows_counterclockwise: Refreshing from MSX…")
        last: list[Reply] = []

        async def keep(reply: Reply) -> None:
            last.append(reply)

        book = await self.deps.refresher.refresh(person, ProgressMessage(keep), summary=False)
        if book is None:
            await self.publish(person, f":warning: {last[-1].text}" if last else None)


def register(app: AsyncApp, deps: BotDeps, client: AsyncWebClient) -> HomeTab:
    home = HomeTab(deps, client)

    @app.event("app_home_opened")
    async def opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("tab") not in (None, "home"):
            return
        await home.publish(context["person"])

    @app.action(hb.ACTION_HOME_REFRESH)
    async def refresh(ack: AsyncAck, context: AsyncBoltContext) -> None:
        await ack()
        await home.refresh(context["person"])

    async def save(person: Person, **change: Any) -> None:
        store = home.digest
        await asyncio.to_thread(change_settings, store, person.slack_id, deps.clock(), **change)
        await deps.changed(person)

    @app.action(hb.ACTION_DIGEST_TOGGLE)
    async def toggle(ack: AsyncAck, action: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        value = action.get("value")
        if value in ("on", "off"):
            await save(context["person"], enabled=value == "on")

    @app.action(hb.ACTION_DIGEST_TIME)
    async def time(ack: AsyncAck, action: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        try:
            at = dt.time.fromisoformat(action.get("selected_time") or "")
        except ValueError:
            return  # not a time Slack's picker sends: nothing changes
        await save(context["person"], at=at.replace(second=0, microsecond=0))

    @app.action(hb.ACTION_DIGEST_DAYS)
    async def days(ack: AsyncAck, action: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        value = (action.get("selected_option") or {}).get("value")
        if value in hb.DAYS_LABELS:
            await save(context["person"], days=value)

    return home
