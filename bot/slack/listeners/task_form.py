"""Inside the open modal: picking an account refills the milestones (views.update), and
the searchable selects (more than 100 accounts or milestones) ask for their options."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.slack.blocks import task_modal as tm
from bot.slack.task_flow import ModalSurface, TaskFlow

log = logging.getLogger(__name__)


def register(app: AsyncApp, flow: TaskFlow) -> None:
    @app.action(tm.ACTION_ACCOUNT)
    async def account_chosen(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        view = body.get("view") or {}
        if view.get("callback_id") != tm.TASK_MODAL:
            return
        book = await flow.deps.cached_book(context["person"])
        if book is None:
            return
        meta = tm.ModalMeta.decode(view.get("private_metadata"))
        # What is entered so far, with the newly chosen account (and no milestone yet:
        # the milestone input of another account has another block id).
        form = tm.read_form((view.get("state") or {}).get("values") or {}, meta)
        if form.date is None:
            today = await flow.user_clock.today(context["user_id"], flow.deps.clock())
            form = replace(form, date=today)
        # The hash: if the view changed since this action was sent, Slack refuses the
        # update rather than overwrite a newer state.
        await ModalSurface(flow.client, view).update(flow.view(book, form))

    @app.options(tm.ACTION_MILESTONE)
    async def milestone_options(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        meta = tm.ModalMeta.decode((body.get("view") or {}).get("private_metadata"))
        book = await flow.deps.cached_book(context["person"])
        if book is None or meta.account_id is None:
            await ack(options=[])
            return
        milestones = book.snapshot.milestones_of(meta.account_id)
        await ack(options=tm.milestone_options(milestones, body.get("value") or ""))

    @app.options(tm.ACTION_ACCOUNT)
    async def account_options(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        book = await flow.deps.cached_book(context["person"])
        accounts = book.snapshot.accounts if book is not None else ()
        await ack(options=tm.account_options(accounts, body.get("value") or ""))
