"""`msx-bot doctor`: one line a check, with a mark and, when it fails, the fix."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.text import Text
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cli.failures import for_terminal
from bot.config import Settings
from bot.msx.auth import AzureCliToken
from bot.msx.errors import MsxProblem
from bot.msx.gateway import MsxGateway
from bot.runtime import SANDBOX_URL, Runtime, sandbox_db
from bot.slack.tokens import Variable, refused
from bot.store import SnapshotStore, StoreError


@dataclass(frozen=True)
class Check:
    ok: bool
    line: str
    fix: str = ""


async def check_azure_cli(settings: Settings) -> Check:
    if settings.msx_access_token is not None:
        return Check(True, "MSX token: MSX_ACCESS_TOKEN is set (the Azure CLI is not used)")
    provider = AzureCliToken(settings.msx_base_url, settings.msx_tenant_id)
    try:
        await provider.token()
    except MsxProblem as exc:
        return Check(False, "Azure CLI: no token for MSX", exc.user_message)
    finally:
        await provider.aclose()
    return Check(True, f"Azure CLI: signed in to tenant {settings.msx_tenant_id}")


async def check_msx(settings: Settings) -> Check:
    gateway = MsxGateway.from_settings(settings)
    try:
        me = await gateway.me()
    except MsxProblem as exc:
        return Check(False, f"MSX: {settings.msx_base_url} did not answer WhoAmI", exc.user_message)
    finally:
        await gateway.aclose()
    return Check(True, f"MSX: reachable; signed in as {me.name} <{me.email or 'no e-mail'}>")


async def check_slack(settings: Settings) -> list[Check]:
    """Both tokens, for real: auth.test with the bot token, apps.connections.open with the
    app-level one (it answers a websocket URL, which is left unused)."""
    bot, app = settings.slack_bot_token, settings.slack_app_token
    if bot is None or app is None:
        missing = " and ".join(
            n for n, v in (("SLACK_BOT_TOKEN", bot), ("SLACK_APP_TOKEN", app)) if v is None
        )
        return [Check(False, f"Slack: {missing} not set", "create the app from manifest/ (README)")]
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=15)
    try:
        auth = await client.auth_test(token=bot.get_secret_value())
    except Exception as exc:
        return [_slack_failure(settings, "auth.test", "SLACK_BOT_TOKEN", exc)]
    try:
        await client.apps_connections_open(app_token=app.get_secret_value())
    except Exception as exc:
        return [_slack_failure(settings, "apps.connections.open", "SLACK_APP_TOKEN", exc)]
    return [
        Check(True, f"Slack: signed in as @{auth.get('user')} in {auth.get('team')}"),
        Check(True, "Slack: SLACK_APP_TOKEN may open Socket Mode connections"),
    ]


def _slack_failure(settings: Settings, method: str, variable: Variable, exc: Exception) -> Check:
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error", "unknown error")
        problem = refused(variable, error)
        fix = problem.user_message if problem else f"Slack answered {error}; try again later"
        return Check(False, f"Slack: {method} failed for {variable} ({error})", fix)
    # Network errors of any kind: say which, never the token.
    return Check(
        False,
        f"Slack: {settings.slack_api_url} unreachable ({type(exc).__name__})",
        "check the network (and HTTPS_PROXY)",
    )


async def check_database(path: Path, source: str) -> Check:
    try:
        store = SnapshotStore(path, source=source)
        try:
            store.set_state("", "doctor", "ok")
        finally:
            store.close()
    except StoreError as exc:
        return Check(False, f"Database: {path} cannot be used", str(exc))
    return Check(True, f"Database: {path} is writable")


async def check_sandbox(settings: Settings, db: Path) -> Check:
    async with Runtime.sandboxed(settings, db=db) as runtime:
        me = await runtime.gateway.me()
    return Check(True, f"MSX: the embedded sandbox answers; signed in as {me.name} <{me.email}>")


def run_doctor(settings: Settings, console: Console, *, sandbox: bool = False) -> int:
    async def all_checks() -> list[Check]:
        if sandbox:
            db = sandbox_db(settings)
            return [
                await check_sandbox(settings, db),
                *await check_slack(settings),
                await check_database(db, SANDBOX_URL),
            ]
        token = await check_azure_cli(settings)
        msx = (
            await check_msx(settings)
            if token.ok
            else Check(False, "MSX: not tried without a token")
        )
        return [
            token,
            msx,
            *await check_slack(settings),
            await check_database(settings.msx_bot_db, settings.msx_base_url),
        ]

    results = asyncio.run(all_checks())
    for r in results:
        mark = Text("✓ ", "green") if r.ok else Text("✗ ", "red")
        soft = not console.is_terminal  # piped: a check a line
        console.print(mark + Text(r.line), soft_wrap=soft)
        if r.fix:
            console.print(Text(f"    → {for_terminal(r.fix)}"), soft_wrap=soft)
    return 0 if all(r.ok for r in results) else 1
