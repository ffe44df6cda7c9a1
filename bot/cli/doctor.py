"""`msx-bot doctor`: one line a check, with a mark and, when it fails, the fix."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.console import Console
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.msx.auth import AzureCliToken
from bot.msx.errors import MsxProblem
from bot.msx.gateway import MsxGateway
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
        me = await gateway.user(await gateway.whoami())
    except MsxProblem as exc:
        return Check(False, f"MSX: {settings.msx_base_url} did not answer WhoAmI", exc.user_message)
    finally:
        await gateway.aclose()
    return Check(True, f"MSX: reachable; signed in as {me.name} <{me.email or 'no e-mail'}>")


async def check_slack(settings: Settings) -> Check:
    bot, app = settings.slack_bot_token, settings.slack_app_token
    if bot is None or app is None:
        missing = " and ".join(
            n for n, v in (("SLACK_BOT_TOKEN", bot), ("SLACK_APP_TOKEN", app)) if v is None
        )
        return Check(False, f"Slack: {missing} not set", "create the app from manifest/ (README)")
    if not app.get_secret_value().startswith("xapp-"):
        return Check(False, "Slack: SLACK_APP_TOKEN is no app-level token", "use the xapp- token")
    client = AsyncWebClient(token=bot.get_secret_value(), base_url=settings.slack_api_url)
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        return Check(False, f"Slack: auth.test failed ({error})", "check SLACK_BOT_TOKEN")
    except Exception as exc:  # network errors of any kind: say which, never the token
        return Check(False, f"Slack: unreachable ({type(exc).__name__})", "check the network")
    return Check(True, f"Slack: signed in as @{auth.get('user')} in {auth.get('team')}")


async def check_database(settings: Settings) -> Check:
    try:
        store = SnapshotStore(settings.msx_bot_db)
        try:
            store.set_state("", "doctor", "ok")
        finally:
            store.close()
    except (StoreError, OSError) as exc:
        return Check(False, f"Database: {settings.msx_bot_db} is not writable", str(exc))
    return Check(True, f"Database: {settings.msx_bot_db} is writable")


def run_doctor(settings: Settings, console: Console) -> int:
    async def all_checks() -> list[Check]:
        token = await check_azure_cli(settings)
        msx = (
            await check_msx(settings)
            if token.ok
            else Check(False, "MSX: not tried without a token")
        )
        return [token, msx, await check_slack(settings), await check_database(settings)]

    results = asyncio.run(all_checks())
    for r in results:
        mark = "[green]✓[/]" if r.ok else "[red]✗[/]"
        console.print(f"{mark} {r.line}" + (f"\n    → {r.fix}" if r.fix else ""), highlight=False)
    return 0 if all(r.ok for r in results) else 1
