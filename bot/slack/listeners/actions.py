"""Buttons: pages, picking an account, refresh, and the MSX link (ack only)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.slack import blocks as bk
from bot.slack.deps import BotDeps
from bot.slack.refreshing import ProgressMessage
from bot.slack.replies import error_reply, render_view, sender

log = logging.getLogger(__name__)

STALE_BUTTON = "That button no longer works: run the command again, e.g. `/msx accounts`."


def register(app: AsyncApp, deps: BotDeps) -> None:
    async def show(
        respond: AsyncRespond, context: AsyncBoltContext, view: str, account: str | None, page: int
    ) -> None:
        send = sender(respond)
        book = await deps.cached_book(context["person"])
        if book is None:
            await send(error_reply("No snapshot yet: run `/msx refresh`."))
            return
        await send(await render_view(book, view, account, page, deps.directory, deps.clock()))

    @app.action(bk.PAGE_PATTERN)
    async def page(
        ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        await ack()
        try:
            ref = bk.PageRef.decode(action.get("value", ""))
        except ValueError:
            await sender(respond)(error_reply(STALE_BUTTON))
            return
        await show(respond, context, ref.view, ref.account, ref.page)

    @app.action(bk.PICK_ACCOUNT_PATTERN)
    async def pick(
        ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        await ack()
        try:
            ref = bk.PickRef.decode(action.get("value", ""))
        except ValueError:
            await sender(respond)(error_reply(STALE_BUTTON))
            return
        await show(respond, context, ref.view, ref.account, 0)

    @app.action(bk.ACTION_REFRESH)
    async def refresh(ack: AsyncAck, respond: AsyncRespond, context: AsyncBoltContext) -> None:
        await ack()
        await deps.refresher.refresh(context["person"], ProgressMessage(sender(respond)))

    @app.action(bk.OPEN_MSX_PATTERN)
    async def open_msx(ack: AsyncAck) -> None:
        # The browser opens the link; Slack still wants the click acknowledged.
        await ack()
