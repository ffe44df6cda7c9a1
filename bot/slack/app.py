"""The Bolt app: one gate in front of every entry point, listeners registered in one place."""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import BotDeps
from bot.slack.digest_scheduler import DigestScheduler
from bot.slack.listeners import actions, command, events
from bot.slack.listeners.gate import make_gate


def build_app(deps: BotDeps, client: AsyncWebClient) -> AsyncApp:
    app = AsyncApp(
        client=client,
        # Socket Mode needs no request signatures; the websocket is authenticated.
        request_verification_enabled=False,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    app.use(make_gate(deps))
    command.register(app, deps)
    actions.register(app, deps)
    events.register(app, deps)
    return app


# --- Background tasks: started by whoever runs the app, once it is connected (runner.serve);
# cancel them on shutdown. The morning digest (issue 12) is the first.
def start_background(deps: BotDeps, client: AsyncWebClient) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(DigestScheduler(deps, client).run(), name="digest-scheduler")]
