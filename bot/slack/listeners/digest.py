"""`/msx digest ...`: show or change when the morning digest comes, or send it now.

`/msx`'s listener (command.py) hands the subcommand here once it has acked.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.access import Person
from bot.slack.blocks.digest import settings_blocks, settings_text
from bot.slack.commands import DIGEST_USAGE, DigestCommand, parse_digest
from bot.slack.deps import BotDeps
from bot.slack.digest_scheduler import DigestScheduler
from bot.slack.refreshing import ProgressMessage
from bot.slack.replies import Reply, error_reply
from bot.workflows.digest_schedule import next_moment

log = logging.getLogger(__name__)


async def answer(
    deps: BotDeps, client: AsyncWebClient, person: Person, query: str, message: ProgressMessage
) -> None:
    """Answer `/msx digest <query>` (already acked) in `message`."""
    cmd = parse_digest(query)
    await _answer(cmd, DigestScheduler(deps, client), person, message)


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
        new = settings.model_copy(
            update={
                "enabled": cmd.action == "on",
                "at": cmd.at or settings.at,
                "days": cmd.days or settings.days,
                "all_clear": settings.all_clear if cmd.all_clear is None else cmd.all_clear,
            }
        )
        when = (new.enabled, new.at, new.days)
        if when != (settings.enabled, settings.at, settings.days):
            # A new time that has already passed today starts tomorrow.
            new = new.model_copy(update={"changed_at": now})
        store.save_settings(sid, new)
        settings = new
    tz = await scheduler.timezone(sid)
    next_at = None
    if tz is not None:
        sent = store.mark(sid, now.astimezone(tz).date()) is not None
        next_at = next_moment(settings, tz, now, sent_today=sent)
    text = settings_text(settings, tz.key if tz else None, next_at)
    await message.finish(Reply("Your digest settings", settings_blocks(text, DIGEST_USAGE)))
