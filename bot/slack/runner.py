"""`msx-bot run`: the bot over Socket Mode until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from pydantic import SecretStr
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.runtime import Runtime
from bot.slack.access import Access
from bot.slack.app import build_app, start_background
from bot.slack.deps import BotDeps
from bot.slack.directory import SlackDirectory
from bot.slack.refreshing import Refresher
from bot.workflows.book import known_owner

log = logging.getLogger(__name__)


class MissingSlackTokens(Exception):
    user_message = "Set SLACK_BOT_TOKEN (xoxb-) and SLACK_APP_TOKEN (xapp-): see README, Slack."


def slack_client(settings: Settings, token: SecretStr) -> AsyncWebClient:
    return AsyncWebClient(
        token=token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def build_deps(runtime: Runtime, client: AsyncWebClient, *, shared_book: bool = False) -> BotDeps:
    access = Access(
        client,
        allowed=runtime.settings.msx_bot_allowed_users,
        owner=known_owner(runtime.store),
        shared_book=shared_book,
    )
    return BotDeps(runtime, access, SlackDirectory(client), Refresher(runtime))


async def serve(settings: Settings, *, sandbox: bool = False) -> None:
    bot_token, app_token = settings.slack_bot_token, settings.slack_app_token
    if bot_token is None or app_token is None:
        raise MissingSlackTokens()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    runtime = (
        Runtime.sandboxed(settings, db=settings.msx_bot_db.with_name("msx-bot-sandbox.db"))
        if sandbox
        else Runtime.open(settings)
    )
    async with runtime:
        client = slack_client(settings, bot_token)
        deps = build_deps(runtime, client, shared_book=sandbox)
        handler = AsyncSocketModeHandler(
            build_app(deps, client),
            app_token.get_secret_value(),
            web_client=slack_client(settings, app_token),
        )
        owner_task = asyncio.create_task(deps.learn_owner())
        await handler.connect_async()
        background = start_background(deps, client)  # the digest scheduler (app.py)
        log.info("connected to Slack in Socket Mode%s", " (MSX sandbox)" if sandbox else "")
        try:
            await stop.wait()
        finally:
            log.info("shutting down")
            owner_task.cancel()
            for task in background:
                task.cancel()
            await handler.close_async()
