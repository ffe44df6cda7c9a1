"""The Bolt app: one gate in front of every entry point, listeners registered in one place."""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import BotDeps
from bot.slack.digest_scheduler import DigestScheduler
from bot.slack.listeners import (
    actions,
    command,
    events,
    home,
    task_entry,
    task_form,
    task_submit,
    unfurl,
)
from bot.slack.listeners.gate import make_gate
from bot.slack.task_flow import TaskFlow, start_outbox


def build_app(deps: BotDeps, client: AsyncWebClient) -> AsyncApp:
    app = AsyncApp(
        client=client,
        # Socket Mode needs no request signatures; the websocket is authenticated.
        request_verification_enabled=False,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    app.use(make_gate(deps, app.async_dispatch))
    tasks = TaskFlow(deps, client)
    command.register(app, deps, tasks)
    actions.register(app, deps)
    events.register(app, deps)
    home.register(app, deps, client)
    unfurl.register(app, deps)
    task_entry.register(app, tasks)
    task_form.register(app, tasks)
    task_submit.register(app, tasks)
    return app


# --- Background tasks: started by whoever runs the app, once it is connected (runner.serve);
# cancel them on shutdown: the HoK task outbox worker (issue 11), the morning digest (12).
def start_background(deps: BotDeps, client: AsyncWebClient) -> list[asyncio.Task[None]]:
    return [
        start_outbox(deps, client),
        asyncio.create_task(DigestScheduler(deps, client).run(), name="digest-scheduler"),
    ]
