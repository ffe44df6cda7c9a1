"""Submitting the "Log HoK task" modal: inline errors, or close it and log the task once.

The ack comes first (Slack allows 3 s): with the errors, or bare (the modal closes). Then
TaskLogger.submit, keyed by the view id: a redelivered submission or a double click
carries the same view, so it maps to the same task. The person hears the outcome in a DM.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.slack.blocks import task_modal as tm
from bot.slack.task_flow import TaskFlow
from bot.workflows.task_rules import build_draft, validate

log = logging.getLogger(__name__)

# Submissions this process has taken on (a redelivery or second click is not told twice).
SEEN_SUBMISSIONS = 1000


def submission_key(view: dict[str, Any]) -> str:
    return f"slack-view:{view['id']}"


def fields_of(form: tm.TaskForm) -> dict[str, Any]:
    """The modal's form as the back end's field names."""
    return {
        "account": form.account_id,
        "milestone": form.milestone_id,
        "category": form.category_code,
        "subject": form.subject,
        "minutes": form.minutes,
        "date": form.date,
        "priority": int(form.priority),
        "description": form.description,
        "completed": form.completed,
    }


def register(app: AsyncApp, flow: TaskFlow) -> None:
    seen: OrderedDict[str, None] = OrderedDict()

    @app.view(tm.TASK_MODAL)
    async def submitted(ack: AsyncAck, view: dict[str, Any], context: AsyncBoltContext) -> None:
        person = context["person"]
        book = await flow.deps.cached_book(person)
        if book is None:
            # The form is only shown over a snapshot; it vanished meanwhile (a reset).
            await ack(
                response_action="update",
                view=tm.info_modal("Your snapshot is gone: run `/msx refresh`, then log again."),
            )
            return
        meta = tm.ModalMeta.decode(view.get("private_metadata"))
        form = tm.read_form((view.get("state") or {}).get("values") or {}, meta)
        fields = fields_of(form)
        categories = flow.deps.tasks.categories()
        # Only milestones of this person's snapshot: a forged or stale value gets an error.
        known = {m.id.lower(): m.account_id.lower() for m in book.snapshot.milestones}
        errors = validate(fields, categories, milestone_accounts=known)
        if errors:
            blocks = view.get("blocks") or []
            await ack(response_action="errors", errors=tm.error_blocks_for(errors, form, blocks))
            return
        key = submission_key(view)
        if key in seen or flow.deps.tasks.tasks.get(key) is not None:
            # The same submission again (a redelivery, a second click, or one from before a
            # restart): it is being, or was, logged and the person told.
            await ack()
            return
        seen[key] = None
        if len(seen) > SEEN_SUBMISSIONS:
            seen.popitem(last=False)
        await ack()
        draft = build_draft(fields, categories, milestone_accounts=known)
        try:
            task = await flow.deps.tasks.submit(
                key,
                draft,
                owner_user_id=book.snapshot.user.user_id,
                slack_user_id=person.slack_id,
            )
        except Exception:
            # A bug or the store failing: if the row was stored, the outbox still has it.
            log.exception("logging a task failed")
            seen.pop(key, None)
            await flow.notifier.failed(person.slack_id, draft.subject)
            return
        await flow.notifier.tell(task)
        await flow.deps.changed(person)  # the Home tab's HoK count
        if task.state == "created":
            flow.deps.outbox.kick()  # MSX answers again: what is still queued can go now
