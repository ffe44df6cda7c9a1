"""`/msx`: parse, ack, answer from the snapshot (importing first on first use)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks as bk
from bot.slack.commands import parse
from bot.slack.deps import BotDeps
from bot.slack.listeners import digest
from bot.slack.refreshing import ProgressMessage
from bot.slack.replies import Reply, error_reply, render_query, render_view, sender
from bot.slack.task_flow import TaskFlow

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: BotDeps, flow: TaskFlow) -> None:
    @app.command("/msx")
    async def msx(
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        person = context["person"]
        cmd = parse(command.get("text"))
        message = ProgressMessage(sender(respond))
        try:
            if cmd.name == "help":
                await message.finish(Reply("MSX bot help", bk.help_blocks()))
            elif cmd.name == "unknown":
                blocks = bk.help_blocks(suggestion=cmd.suggestion, unknown=cmd.typed)
                await message.finish(Reply("Unknown command", blocks))
            elif cmd.name == "log":
                # The form opens on the command's trigger; a first use imports inside it.
                if not await flow.open(person, command["trigger_id"], account_query=cmd.query):
                    await message.finish(
                        error_reply("The form did not open: try `/msx log` again.")
                    )
            elif cmd.name == "tasks":
                await message.finish(await flow.tasks_reply(person))
            elif cmd.name == "refresh":
                if await deps.refresher.refresh(person, message):
                    deps.outbox.kick()  # MSX answers again: queued tasks can go now
            elif cmd.name == "digest":  # issue 12
                await digest.answer(deps, client, person, cmd.query, message)
            else:
                book = await deps.book(person, message)
                if book is None:
                    return  # the message already says why
                now = deps.clock()
                if cmd.name == "accounts":
                    reply = await render_view(book, bk.VIEW_ACCOUNTS, None, 0, deps.directory, now)
                else:
                    reply = await render_query(book, cmd.name, cmd.query, deps.directory, now)
                await message.finish(reply)
        except Exception:
            log.exception("/msx %s failed", cmd.name)
            await message.finish(error_reply("Something went wrong; the bot's log says what."))
