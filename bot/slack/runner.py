"""`msx-bot run`: the bot over Socket Mode until Ctrl-C or SIGTERM.

slack_sdk's Socket Mode client retries everything forever (a refused token too), so we
stay in charge of it through its public seams: the first connection is ours (a refused
token ends `run` with one line, a network failure is retried with backoff), and a retry
handler on our Web API clients notices a refusal on any later call (the client asking
for a new websocket URL when it reconnects, say). Signals cancel the one task that runs
the bot, whatever it is waiting for.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from pydantic import SecretStr
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.runtime import Runtime, sandbox_db
from bot.slack.access import Access
from bot.slack.app import build_app, start_background
from bot.slack.deps import BotDeps
from bot.slack.directory import SlackDirectory
from bot.slack.refreshing import Refresher
from bot.slack.tokens import SlackTokenRefused, Variable, refused
from bot.workflows.book import known_owner

log = logging.getLogger(__name__)
T = TypeVar("T")

# Waits between attempts to reach Slack at start-up: 1, 2, 4 ... then every 60 s.
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0
WEB_TIMEOUT_S = 30
BOLT_LOGGER = "bot.slack.bolt"  # the logger bot.slack.app gives Bolt


class _TokenFromEnvironmentNote(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins: it does,
    and is the same token, so a person need not read that at every start."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_QUIET_BOLT = _TokenFromEnvironmentNote()


class MissingSlackTokens(Exception):
    user_message = "Set SLACK_BOT_TOKEN (xoxb-) and SLACK_APP_TOKEN (xapp-): see README, Slack."


class RefusalWatch(AsyncRetryHandler):
    """Retries nothing; tells `on_refused` when Slack refuses this client's token for good."""

    def __init__(self, variable: Variable, on_refused: Callable[[SlackTokenRefused], None]) -> None:
        super().__init__(max_retry_count=1 << 30)  # asked on every attempt
        self.variable = variable
        self.on_refused = on_refused

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        body = response.body if response is not None else None
        if isinstance(body, dict) and not body.get("ok", True):
            problem = refused(self.variable, body.get("error"))
            if problem is not None:
                self.on_refused(problem)
        return False


def slack_client(
    settings: Settings,
    token: SecretStr,
    *,
    watch: RefusalWatch | None = None,
) -> AsyncWebClient:
    return AsyncWebClient(
        token=token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=WEB_TIMEOUT_S,
        retry_handlers=[
            *([watch] if watch else []),
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
    """Run the bot until SIGINT / SIGTERM (returns) or a refused token (raises)."""
    if settings.slack_bot_token is None or settings.slack_app_token is None:
        raise MissingSlackTokens()
    loop = asyncio.get_running_loop()
    work = asyncio.ensure_future(_serve(settings, sandbox=sandbox, keep=asyncio.current_task()))
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, work.cancel)
    try:
        await work
    except asyncio.CancelledError:
        if not work.cancelled():
            raise
        log.info("stopped")
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def _serve(settings: Settings, *, sandbox: bool, keep: asyncio.Task[Any] | None) -> None:
    assert settings.slack_bot_token is not None and settings.slack_app_token is not None
    app_token = settings.slack_app_token.get_secret_value()
    refusal: asyncio.Future[SlackTokenRefused] = asyncio.get_running_loop().create_future()

    def on_refused(problem: SlackTokenRefused) -> None:
        if not refusal.done():
            refusal.set_result(problem)

    bot_client = slack_client(
        settings, settings.slack_bot_token, watch=RefusalWatch("SLACK_BOT_TOKEN", on_refused)
    )
    app_client = slack_client(
        settings, settings.slack_app_token, watch=RefusalWatch("SLACK_APP_TOKEN", on_refused)
    )
    runtime = (
        Runtime.sandboxed(settings, db=sandbox_db(settings)) if sandbox else Runtime.open(settings)
    )
    logging.getLogger(BOLT_LOGGER).addFilter(_QUIET_BOLT)
    async with runtime:
        deps = build_deps(runtime, bot_client, shared_book=sandbox)
        # In the background: the first commands need not wait for MSX (see the gate).
        owner_task = deps.learn_owner_soon()
        handler = AsyncSocketModeHandler(
            build_app(deps, bot_client),
            app_token,
            web_client=app_client,
            logger=logging.getLogger("bot.slack.socket"),
        )
        background: list[asyncio.Task[None]] = []
        try:
            auth = await _patiently("Slack", lambda: _call("SLACK_BOT_TOKEN", bot_client.auth_test))
            url = await _patiently(
                "Slack Socket Mode",
                lambda: _call(
                    "SLACK_APP_TOKEN",
                    lambda: app_client.apps_connections_open(app_token=app_token),
                ),
            )
            # The client connects to the URL we were given rather than asking for one itself.
            handler.client.wss_uri = url["url"]
            await handler.connect_async()
            background += start_background(deps, bot_client)  # background tasks (app.py)
            log.info(
                "connected to Slack as @%s in %s over Socket Mode%s; Ctrl-C stops",
                auth.get("user"),
                auth.get("team"),
                " (MSX sandbox)" if sandbox else "",
            )
            raise await refusal
        finally:
            log.info("shutting down")
            owner_task.cancel()
            for task in background:
                task.cancel()
            await handler.close_async()
            await _cancel_the_rest(keep)  # listeners, refreshes: before MSX and the store close


async def _cancel_the_rest(keep: asyncio.Task[Any] | None) -> None:
    """Cancel every other task (Bolt runs each listener in its own) and let them finish."""
    others = asyncio.all_tasks() - {asyncio.current_task(), keep}
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


async def _call(variable: Variable, method: Callable[[], Awaitable[Any]]) -> Any:
    """One Web API call; a refused token becomes SlackTokenRefused, naming `variable`."""
    try:
        return await method()
    except SlackApiError as exc:
        problem = refused(variable, exc.response.get("error"))
        if problem is not None:
            raise problem from None
        raise


async def _patiently(what: str, attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt` until it works: each failure one log line, then a longer wait (to a cap).
    A refused token is not a failure that waiting mends: it goes straight up."""
    wait = BACKOFF_FIRST_S
    while True:
        try:
            return await attempt()
        except SlackTokenRefused:
            raise
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:  # all pass
            reason = (exc.response.get("error") if isinstance(exc, SlackApiError) else None) or (
                " ".join(f"{type(exc).__name__}: {exc}".split()).rstrip(":")
            )
            log.warning("%s is unreachable (%s); trying again in %.0f s", what, reason, wait)
        await asyncio.sleep(wait)
        wait = min(wait * 2, BACKOFF_MAX_S)
