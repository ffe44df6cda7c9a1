"""`/msx digest ...`: show or change when the morning digest comes, or send it now.

`/msx`'s listener (command.py) hands the subcommand here once it has acked.
"""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.access import Person
from bot.slack.blocks.digest import settings_blocks, settings_text
from bot.slack.commands import DIGEST_USAGE, DigestCommand, parse_digest
from bot.slack.deps import BotDeps
from bot.slack.digest_scheduler import DigestScheduler
from bot.slack.refreshing import ProgressMessage
from bot.slack.replies import Reply, error_reply
from bot.store.digest import Days, DigestSettings, DigestStore
from bot.workflows.digest_schedule import next_moment

log = logging.getLogger(__name__)


async def answer(
    deps: BotDeps, client: AsyncWebClient, person: Person, query: str, message: ProgressMessage
) -> None:
    """Answer `/msx digest <query>` (already acked) in `message`."""
    cmd = parse_digest(query)
    await _answer(cmd, DigestScheduler(deps, client), person, message)
    if cmd.action in ("on", "off"):
        await deps.changed(person)  # the Home tab shows the settings too


def change_settings(
    store: DigestStore,
    slack_id: str,
    now: dt.datetime,
    *,
    enabled: bool | None = None,
    at: dt.time | None = None,
    days: Days | None = None,
    all_clear: bool | None = None,
) -> DigestSettings:
    """Save a change to a person's digest settings (what is None stays); the new settings.

    `/msx digest on|off` and the Home tab's controls both save through here.
    """
    settings = store.settings(slack_id)
    new = settings.model_copy(
        update={
            "enabled": settings.enabled if enabled is None else enabled,
            "at": at or settings.at,
            "days": days or settings.days,
            "all_clear": settings.all_clear if all_clear is None else all_clear,
        }
    )
    if (new.enabled, new.at, new.days) != (settings.enabled, settings.at, settings.days):
        # A new time that has already passed today starts tomorrow.
        new = new.model_copy(update={"changed_at": now})
    store.save_settings(slack_id, new)
    return new


async def _answer(
    cmd: DigestCommand, scheduler: DigestScheduler, person: Person, message: ProgressMessage
) -> None:
    store, sid = scheduler.store, person.slack_id
    if cmd.action == "invalid":
        await message.finish(error_reply(f"{cmd.problem}. {DIGEST_USAGE}"))  # nothing changed
        return
    if cmd.action == "now":
        await message.start("Refreshing from MSX, then sending your digest…")
        outcome = await scheduler.deliver(person, None)
        if outcome.state == "sent":
            await message.finish(Reply("Digest sent", settings_blocks("Sent: see your DM.")))
        else:
            await message.finish(error_reply(outcome.reason or "The digest could not be sent."))
        return
    settings = store.settings(sid)
    now = scheduler.now()
    if cmd.action in ("on", "off"):
        settings = change_settings(
            store,
            sid,
            now,
            enabled=cmd.action == "on",
            at=cmd.at,
            days=cmd.days,
            all_clear=cmd.all_clear,
        )
    tz = await scheduler.timezone(sid)
    next_at = None
    if tz is not None:
        sent = store.mark(sid, now.astimezone(tz).date()) is not None
        next_at = next_moment(settings, tz, now, sent_today=sent)
    text = settings_text(settings, tz.key if tz else None, next_at)
    await message.finish(Reply("Your digest settings", settings_blocks(text, DIGEST_USAGE)))
