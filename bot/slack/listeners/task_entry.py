"""Ways into the "Log HoK task" modal: the shortcuts, a milestone's button, "Fix and try
again" on a rejected task. (`/msx log` comes through the command listener.)"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError

from bot.slack.blocks.ids import (
    LOG_TASK_PATTERN,
    REOPEN_TASK_PATTERN,
    SHORTCUT_LOG_TASK,
    SHORTCUT_LOG_TASK_FROM_MESSAGE,
    TaskRef,
)
from bot.slack.blocks.task_modal import DESCRIPTION_MAX, SUBJECT_MAX, TaskForm
from bot.slack.blocks.text import escape_within
from bot.slack.task_flow import TaskFlow

log = logging.getLogger(__name__)

# chat.getPermalink runs beside the snapshot read; past this the modal opens without it,
# well inside the trigger's 3 s.
PERMALINK_WAIT_S = 1.0


_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def _plain(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith(("@", "#")):
        return f"{target[0]}{label or target[1:]}"  # <@U123> -> @U123, <#C1|sales> -> #sales
    if target.startswith("!"):
        return f"@{label or target[1:]}"  # <!here> -> @here
    return label or target  # <https://x|Contoso> -> Contoso


def plain_text(mrkdwn: str) -> str:
    """A message's text as a person reads it: links, mentions and entities undone."""
    text = _MARKUP.sub(_plain, mrkdwn or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def form_from_message(text: str, permalink: str | None) -> TaskForm:
    """Subject: the message's first line; description: the message, then its link."""
    text = plain_text(text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    subject = lines[0][:SUBJECT_MAX] if lines else ""
    link = f"\n\nFrom Slack: {permalink}" if permalink else ""
    body = text.strip()[: DESCRIPTION_MAX - len(link)]
    return TaskForm(subject=subject, description=(body + link).strip())


def register(app: AsyncApp, flow: TaskFlow) -> None:
    async def permalink(channel: str | None, ts: str | None) -> str | None:
        if not channel or not ts:
            return None
        try:
            answer = await flow.client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError as exc:
            log.info("chat.getPermalink: %s", exc.response.get("error"))
            return None
        link = answer.get("permalink")
        return link if isinstance(link, str) else None

    @app.shortcut(SHORTCUT_LOG_TASK)
    async def global_shortcut(
        ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        await flow.open(context["person"], shortcut["trigger_id"])

    @app.shortcut(SHORTCUT_LOG_TASK_FROM_MESSAGE)
    async def message_shortcut(
        ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        message = shortcut.get("message") or {}
        channel = (shortcut.get("channel") or {}).get("id")
        try:
            link = await asyncio.wait_for(
                permalink(channel, message.get("ts") or shortcut.get("message_ts")),
                PERMALINK_WAIT_S,
            )
        except TimeoutError:
            link = None
        form = form_from_message(message.get("text") or "", link)
        await flow.open(context["person"], shortcut["trigger_id"], form)

    @app.action(LOG_TASK_PATTERN)
    async def log_task_button(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        try:
            ref = TaskRef.decode(action.get("value", ""))
        except ValueError:
            await flow.say(
                body["trigger_id"], "That button no longer works: run `/msx milestones` again."
            )
            return
        form = TaskForm(account_id=ref.account, milestone_id=ref.milestone)
        await flow.open(context["person"], body["trigger_id"], form)

    @app.action(REOPEN_TASK_PATTERN)
    async def reopen(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        person = context["person"]
        task = flow.logged(action.get("value", ""))
        owner = await flow.deps.cached_book(person)
        mine = task is not None and (
            task.slack_user_id == person.slack_id
            or (owner is not None and owner.snapshot.user.user_id == task.owner_user_id)
        )
        if task is None or not mine:
            await flow.say(
                body["trigger_id"],
                "That task is no longer on record: log it again with `/msx log`.",
            )
            return
        d = task.draft
        form = TaskForm(
            account_id=d.account_id,
            milestone_id=d.milestone_id,
            category_code=d.category_code,
            subject=d.subject,
            minutes=str(d.minutes),
            date=d.date,
            priority=d.priority,
            description=d.description,
            completed=d.completed,
        )
        reason = escape_within(task.reason or "no reason given", 500)
        await flow.open(person, body["trigger_id"], form, notice=f":x: MSX said: {reason}")
