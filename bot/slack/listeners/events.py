"""Events: a direct message to the bot (its Messages tab). The Home tab: listeners/home.py."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks as bk
from bot.slack.blocks._layout import section
from bot.slack.deps import BotDeps

DM_INTRO = "I answer slash commands, not messages. Type one here or in any channel:"


def register(app: AsyncApp, deps: BotDeps) -> None:
    @app.event("message")
    async def direct_message(event: dict[str, Any], client: AsyncWebClient) -> None:
        # Only a person's own new message in the bot's DM (manifest: message.im); edits,
        # joins and the bot's own posts come as other subtypes, or with a bot_id.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        await client.chat_postMessage(
            channel=event["channel"],
            text="MSX bot help",
            blocks=[section(DM_INTRO), *bk.help_blocks()],
        )
