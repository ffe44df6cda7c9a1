"""The global middleware in front of every entry point: strangers get nothing, and a
redelivered event is not handled twice."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.slack import blocks as bk
from bot.slack.blocks.task_modal import refusal_modal
from bot.slack.deps import BotDeps

log = logging.getLogger(__name__)

SEEN_EVENTS = 1000
# How long an interaction may wait for MSX to say who the owner is (only while unknown);
# well inside Slack's 3 s for the ack that follows.
OWNER_WAIT_S = 1.0


def make_gate(deps: BotDeps) -> Callable[..., Awaitable[BoltResponse | None]]:
    seen: OrderedDict[str, None] = OrderedDict()
    replies: set[asyncio.Future[Any]] = set()

    async def gate(
        body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        event_id = body.get("event_id")
        if event_id:
            # Slack redelivers events it thinks were lost: the first delivery was handled.
            if event_id in seen:
                log.info("ignoring redelivered event %s", event_id)
                return BoltResponse(status=200, body="")
            seen[event_id] = None
            if len(seen) > SEEN_EVENTS:
                seen.popitem(last=False)

        user_id = context.user_id
        if user_id:
            await deps.owner_known(OWNER_WAIT_S)
        person = await deps.access.person(user_id) if user_id else None
        if person is None:
            log.info("refused Slack user %s", user_id)
            kind = body.get("type")
            if kind == "view_submission":
                # A modal has no response_url: the refusal replaces it; nothing is logged.
                view = refusal_modal(deps.access.owner_name)
                return BoltResponse(status=200, body={"response_action": "update", "view": view})
            if kind == "shortcut" and body.get("trigger_id"):
                # A global shortcut has no response_url either: the refusal opens as a modal.
                opening = context.client.views_open(
                    trigger_id=body["trigger_id"], view=refusal_modal(deps.access.owner_name)
                )
                opened = asyncio.ensure_future(opening)
                replies.add(opened)
                opened.add_done_callback(replies.discard)
            elif context.respond is not None and context.response_url:
                # Sent beside the ack (the empty 200 below), so the ack is never held up.
                reply = context.respond(
                    text="This bot is private.",
                    blocks=bk.refusal_blocks(deps.access.owner_name),
                    response_type="ephemeral",
                )
                task = asyncio.ensure_future(reply)
                replies.add(task)
                task.add_done_callback(replies.discard)
            return BoltResponse(status=200, body="")
        context["person"] = person
        await next()
        return None

    return gate
