"""`link_shared`: a pasted MSX record link unfurls into a card from the sharer's snapshot.

Only for an allowed sharer (the gate), and only where MSX_BOT_UNFURL allows: everyone in
the conversation sees an unfurl. A link the bot cannot resolve is left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Snapshot
from bot.msx.links import record_link
from bot.slack.blocks.unfurl import account_card, milestone_card
from bot.slack.deps import BotDeps

log = logging.getLogger(__name__)


def allowed_in(setting: str, channel: str) -> bool:
    """Whether MSX_BOT_UNFURL lets the bot unfurl in this conversation (D...: a DM)."""
    return setting == "all" or (setting == "dm-only" and channel.startswith("D"))


def cards(snapshot: Snapshot, urls: list[str], base_url: str) -> dict[str, dict]:
    """url -> card, for the links that name a record of this snapshot."""
    out: dict[str, dict] = {}
    for url in urls:
        link = record_link(url, base_url)
        if link is None:
            continue
        if link.kind == "milestone":
            m = next((m for m in snapshot.milestones if m.id == link.id), None)
            if m is not None:
                out[url] = milestone_card(m, snapshot.account(m.account_id))
        else:
            a = snapshot.account(link.id)
            if a is not None:
                out[url] = account_card(a, snapshot.milestones_of(a.id))
    return out


def register(app: AsyncApp, deps: BotDeps) -> None:
    @app.event("link_shared")
    async def shared(
        event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        settings = deps.runtime.settings
        channel, ts = event.get("channel") or "", event.get("message_ts")
        if not ts or not allowed_in(settings.msx_bot_unfurl, channel):
            return
        urls = [u for link in event.get("links") or [] if isinstance(u := link.get("url"), str)]
        book = await deps.cached_book(context["person"])
        if book is None:
            return
        unfurls = cards(book.snapshot, urls, settings.msx_base_url)
        if not unfurls:
            return  # nothing it knows: no card, and no error card either
        try:
            await client.chat_unfurl(channel=channel, ts=ts, unfurls=unfurls)
        except SlackApiError as exc:
            log.warning("chat.unfurl failed: %s", exc.response.get("error"))
