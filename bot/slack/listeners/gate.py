"""The global middleware in front of every entry point: strangers get nothing, the owner is
never refused, and a redelivered event is not handled twice."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack import blocks as bk
from bot.slack.blocks.home import refusal_view
from bot.slack.blocks.task_modal import refusal_modal
from bot.slack.deps import BotDeps

log = logging.getLogger(__name__)

SEEN_EVENTS = 1000
# How long an interaction may wait for MSX to say who the owner is (only while unknown);
# well inside Slack's 3 s for the ack that follows.
OWNER_WAIT_S = 1.0
# After the ack, how long a deferred request waits for that answer before saying why not.
OWNER_SETTLE_S = 30.0
# Set on a request dispatched again once the owner is known: it is not deferred twice,
# nor taken for a redelivery.
REPLAYED = "msx_bot_replayed"

Dispatch = Callable[[AsyncBoltRequest], Awaitable[BoltResponse]]


def owner_unknown_text(problem: str | None) -> str:
    # "MSX is unreachable: connect to the VPN[, then `/msx refresh`]": a refresh is not
    # what this person needs; the bot's machine reaching MSX is.
    why = re.sub(r",? then `/msx refresh`$", "", problem or "MSX has not answered yet")
    return (
        f"I can't tell who owns this bot yet: {why}. No snapshot names the owner; "
        "try again once the bot's machine reaches MSX."
    )


def _opened_home_tab(body: dict[str, Any]) -> bool:
    event = body.get("event") or {}
    return event.get("type") == "app_home_opened" and event.get("tab") in (None, "home")


def make_gate(
    deps: BotDeps, dispatch: Dispatch | None = None
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """The gate; `dispatch` (the app's) lets a request wait for the owner after its ack."""
    seen: OrderedDict[str, None] = OrderedDict()
    background: set[asyncio.Future[Any]] = set()

    def in_background(work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        background.add(task)
        task.add_done_callback(background.discard)

    async def answer_later(req: AsyncBoltRequest) -> None:
        assert dispatch is not None
        await deps.owner_known(OWNER_SETTLE_S)
        again = AsyncBoltRequest(
            body=req.body, headers=req.headers, context={REPLAYED: True}, mode="socket_mode"
        )
        try:
            await dispatch(again)
        except Exception:
            log.exception("a request that waited for the owner failed")

    async def gate(
        req: AsyncBoltRequest,
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        replayed = bool(context.get(REPLAYED))
        event_id = body.get("event_id")
        if event_id and not replayed:
            # Slack redelivers events it thinks were lost: the first delivery was handled.
            if event_id in seen:
                log.info("ignoring redelivered event %s", event_id)
                return BoltResponse(status=200, body="")
            seen[event_id] = None
            if len(seen) > SEEN_EVENTS:
                seen.popitem(last=False)

        user_id = context.user_id
        person = await deps.access.person(user_id) if user_id else None
        if person is None and user_id and deps.access.owner is None and not replayed:
            # They may be the owner: nobody is refused until MSX has said who that is.
            if await deps.owner_known(OWNER_WAIT_S):
                person = await deps.access.person(user_id)
            elif dispatch is not None:
                log.info("%s waits for MSX to say who the owner is", user_id)
                in_background(answer_later(req))
                return BoltResponse(status=200, body="")  # the ack, at once
        if person is None:
            log.info("refused Slack user %s", user_id)
            owner = deps.access.owner
            kind = body.get("type")
            if kind == "view_submission":
                # A modal has no response_url: the refusal replaces it; nothing is logged.
                view = refusal_modal(deps.access.owner_name)
                return BoltResponse(status=200, body={"response_action": "update", "view": view})
            if kind == "shortcut" and body.get("trigger_id"):
                # A global shortcut has no response_url either: the refusal opens as a modal.
                in_background(
                    context.client.views_open(
                        trigger_id=body["trigger_id"], view=refusal_modal(deps.access.owner_name)
                    )
                )
            elif _opened_home_tab(body) and user_id:
                # The Home tab has no response_url: the refusal is all it shows.
                view = refusal_view(deps.access.owner_name)
                in_background(context.client.views_publish(user_id=user_id, view=view))
            elif context.respond is not None and context.response_url:
                text = "This bot is private." if owner else owner_unknown_text(deps.owner_problem)
                blocks = bk.refusal_blocks(owner.name) if owner else bk.error_blocks(text)
                # Sent beside the ack (the empty 200 below), so the ack is never held up.
                in_background(context.respond(text=text, blocks=blocks, response_type="ephemeral"))
            return BoltResponse(status=200, body="")
        context["person"] = person
        await next()
        return None

    return gate
