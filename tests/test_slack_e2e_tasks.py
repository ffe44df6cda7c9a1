"""Logging an HoK task end to end: the real Bolt app, the Slack double, the MSX sandbox.

Every way in (`/msx log`, a milestone's button, the global and the message shortcut,
"Fix and try again"), inline errors, the >100 milestones search, a redelivered and a
double-clicked submission, MSX away at submit time and back, a 400 from MSX.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bot_harness import COLLEAGUE, OWNER, STRANGER, Harness, buttons, running_bot, texts
from slack_double import Envelope, Message, payloads

from bot.sandbox import SandboxMsx
from bot.slack.blocks import task_modal as tm
from bot.slack.blocks.ids import SHORTCUT_LOG_TASK, SHORTCUT_LOG_TASK_FROM_MESSAGE
from bot.slack.blocks.text import escape

WORKSHOP = 861980001  # HoK
INTERNAL = 861980012  # not HoK


# ----- helpers


@pytest.fixture(scope="module")
def imported_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The owner's snapshot, imported once: most tests start from a copy of it."""
    folder = tmp_path_factory.mktemp("book")

    async def first_use() -> None:
        async with running_bot(folder) as bot:
            await snapshot(bot)

    asyncio.run(first_use())
    return folder


@pytest.fixture
def booked(tmp_path: Path, imported_book: Path) -> Path:
    """A folder whose bot.db already holds the owner's snapshot (as after a first import)."""
    for file in imported_book.glob("bot.db*"):
        shutil.copy(file, tmp_path / file.name)
    return tmp_path


def input_block(view: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    return next(
        (
            b
            for b in view["blocks"]
            if b["type"] == "input" and b["block_id"].partition(":")[0] == prefix
        ),
        None,
    )


def element(view: dict[str, Any], prefix: str) -> dict[str, Any]:
    block = input_block(view, prefix)
    assert block is not None, f"no {prefix} input in {[b.get('block_id') for b in view['blocks']]}"
    return block["element"]


def option_values(view: dict[str, Any], prefix: str) -> list[str]:
    return [o["value"] for o in element(view, prefix).get("options", [])]


def initial(view: dict[str, Any], prefix: str) -> Any:
    el = element(view, prefix)
    option = el.get("initial_option")
    if option is not None:
        return option["value"]
    return el.get("initial_value", el.get("initial_date"))


def tasks_in_msx(bot: Harness) -> list[dict[str, Any]]:
    return list(bot.sandbox.dataset.tables["tasks"])


def dms(bot: Harness, user: str = OWNER) -> list[Message]:
    return bot.slack.messages_in(bot.slack.dm_channel(user))


async def wait_dms(bot: Harness, count: int, user: str = OWNER) -> list[Message]:
    return await bot.slack.wait_for(lambda: len(dms(bot, user)) >= count and dms(bot, user))


async def opened_view(bot: Harness, user: str, opens_before: int) -> dict[str, Any]:
    """The modal the bot opened for `user` after `opens_before` views.open calls."""

    def done() -> dict[str, Any] | None:
        calls = bot.slack.calls_to("views.open")[opens_before:]
        if not any(c.ok for c in calls):
            return None
        return bot.slack.top_view(user)

    return await bot.slack.wait_for(done)


async def open_with_command(bot: Harness, text: str = "", user: str = OWNER) -> dict[str, Any]:
    before = len(bot.slack.calls_to("views.open"))
    await bot.send(user, f"log {text}".strip())
    return await opened_view(bot, user, before)


async def snapshot(bot: Harness, user: str = OWNER) -> None:
    await bot.command(user, "accounts")  # the first import


def account_with_milestones(bot: Harness, low: int = 2, high: int = 30) -> tuple[str, str]:
    data = bot.sandbox.dataset
    account = next(
        a
        for a in data.expected_accounts(data.me.user_id)
        if low <= len(data.milestones_of[a.id]) <= high
    )
    return account.id, account.name


async def submit(bot: Harness, view: dict[str, Any], user: str = OWNER, **inputs: Any) -> Envelope:
    env = await bot.slack.send_view_submission(user, view, inputs=inputs)
    await bot.slack.wait_ack(env)
    return env


def form_inputs(view: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A filled-in form: the first milestone offered, Workshop, a subject."""
    values: dict[str, Any] = {
        tm.ACTION_MILESTONE: option_values(view, tm.BLOCK_MILESTONE)[0],
        tm.action_of(tm.BLOCK_CATEGORY): str(WORKSHOP),
        tm.action_of(tm.BLOCK_SUBJECT): "Architecture workshop with the data team",
    }
    values.update(extra)
    return values


# ----- the way in through /msx log, and the whole happy path


async def test_msx_log_opens_from_the_snapshot_and_logs_a_completed_hok_task(
    booked: Path,
) -> None:
    async with running_bot(booked) as bot:
        account_id, name = account_with_milestones(bot)
        bot.sandbox.stats.reset()

        view = await open_with_command(bot, name)
        assert bot.sandbox.stats.requests == 0  # no MSX request before views.open

        assert initial(view, tm.BLOCK_ACCOUNT) == account_id
        milestones = bot.sandbox.dataset.milestones_of[account_id]
        assert sorted(option_values(view, tm.BLOCK_MILESTONE)) == sorted(milestones)
        labels = [o["text"]["text"] for o in element(view, tm.BLOCK_CATEGORY)["options"]]
        hok = [label.endswith("(HoK)") for label in labels]
        assert hok[0] and "Workshop (HoK)" in labels
        assert hok == sorted(hok, reverse=True)  # every HoK category before the others
        assert initial(view, tm.BLOCK_MINUTES) == "60"
        assert initial(view, tm.BLOCK_PRIORITY) == "1"  # Normal
        today = dt.datetime.now(ZoneInfo("America/Los_Angeles")).date()  # the double's tz
        assert initial(view, tm.BLOCK_DATE) == today.isoformat()
        assert element(view, tm.BLOCK_COMPLETED)["initial_options"]  # checked

        milestone = option_values(view, tm.BLOCK_MILESTONE)[0]
        env = await submit(bot, view, **form_inputs(view))
        assert bot.slack.acks[env.envelope_id].payload in (None, {})  # closes the modal
        assert bot.slack.top_view(OWNER) is None

        (dm,) = await wait_dms(bot, 1)
        shown = texts({"text": dm.text, "blocks": dm.blocks})
        assert "Logged in MSX" in shown and "Counts as HoK (Workshop)" in shown
        assert "Architecture workshop with the data team" in shown and escape(name) in shown
        (task,) = tasks_in_msx(bot)
        assert task["subject"] == "Architecture workshop with the data team"
        assert task["msp_taskcategory"] == WORKSHOP
        assert task["_regardingobjectid_value"] == milestone
        assert task["_ownerid_value"] == bot.sandbox.dataset.me.user_id
        assert (task["statecode"], task["statuscode"]) == (1, 5)  # completed
        link = next(b for k, b in buttons({"blocks": dm.blocks}).items() if k.startswith("open"))
        assert task["activityid"] in link["url"]
        bot.slack.assert_no_problems()


async def test_first_use_opens_a_loading_modal_and_fills_it_after_the_import(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        view = await open_with_command(bot)
        # What views.open showed (the form may have replaced it by now): "loading", no form.
        (opened,) = [c for c in bot.slack.calls_to("views.open") if c.ok]
        loading = opened.params["view"]
        loading = json.loads(loading) if isinstance(loading, str) else loading
        assert input_block(loading, tm.BLOCK_ACCOUNT) is None
        assert "Fetching your accounts" in texts({"blocks": loading["blocks"]})

        def filled() -> dict[str, Any] | None:
            top = bot.slack.top_view(OWNER)
            return top if top and input_block(top, tm.BLOCK_ACCOUNT) else None

        form = await bot.slack.wait_for(filled, timeout=10)
        assert form["id"] == view["id"]
        expected = bot.sandbox.dataset.expected_accounts(bot.sandbox.dataset.me.user_id)
        assert len(option_values(form, tm.BLOCK_ACCOUNT)) == len(expected)
        updates = bot.slack.calls_to("views.update")
        assert updates and all(c.ok and c.params.get("hash") for c in updates)
        bot.slack.assert_no_problems()


# ----- the other ways in


async def test_a_milestone_rows_button_preselects_its_account_and_milestone(
    booked: Path,
) -> None:
    async with running_bot(booked) as bot:
        account_id, name = account_with_milestones(bot)
        reply = await bot.command(OWNER, f"milestones {name}")
        log_buttons = [k for k in buttons(reply) if k.startswith("log_task:")]
        assert len(log_buttons) == len(bot.sandbox.dataset.milestones_of[account_id])

        before = len(bot.slack.calls_to("views.open"))
        env = await bot.slack.send_block_action(OWNER, "log_task:1", message=bot.last_message())
        await bot.slack.wait_ack(env)
        view = await opened_view(bot, OWNER, before)
        assert initial(view, tm.BLOCK_ACCOUNT) == account_id
        chosen = initial(view, tm.BLOCK_MILESTONE)
        assert chosen in bot.sandbox.dataset.milestones_of[account_id]

        await submit(bot, view, **form_inputs(view, **{tm.ACTION_MILESTONE: chosen}))
        await wait_dms(bot, 1)
        (task,) = tasks_in_msx(bot)
        assert task["_regardingobjectid_value"] == chosen
        bot.slack.assert_no_problems()


async def test_the_global_shortcut_opens_the_form(booked: Path) -> None:
    async with running_bot(booked) as bot:
        before = len(bot.slack.calls_to("views.open"))
        env = await bot.slack.send_global_shortcut(OWNER, SHORTCUT_LOG_TASK)
        await bot.slack.wait_ack(env)
        view = await opened_view(bot, OWNER, before)
        assert view["callback_id"] == tm.TASK_MODAL
        assert input_block(view, tm.BLOCK_SUBJECT) is not None
        assert "initial_option" not in element(view, tm.BLOCK_ACCOUNT)  # several to pick from

        # `/msx log <account>` naming nothing: the form still opens, and says so.
        view = await open_with_command(bot, "qqqq zzzz")
        assert "No single account matches “qqqq zzzz”" in texts({"blocks": view["blocks"]})
        assert "initial_option" not in element(view, tm.BLOCK_ACCOUNT)
        bot.slack.assert_no_problems()


async def test_the_message_shortcut_fills_subject_and_description_with_a_link_back(
    booked: Path,
) -> None:
    async with running_bot(booked) as bot:
        text = "Design review with Contoso's data team\nWe sketched the lakehouse and next steps."
        message = bot.slack.post_as_user(COLLEAGUE, "C7", text)
        before = len(bot.slack.calls_to("views.open"))
        env = await bot.slack.send_message_shortcut(OWNER, SHORTCUT_LOG_TASK_FROM_MESSAGE, message)
        await bot.slack.wait_ack(env)
        view = await opened_view(bot, OWNER, before)

        assert initial(view, tm.BLOCK_SUBJECT) == "Design review with Contoso's data team"
        description = initial(view, tm.BLOCK_DESCRIPTION)
        (permalink,) = [c.response["permalink"] for c in bot.slack.calls_to("chat.getPermalink")]
        assert description.startswith(text) and description.endswith(permalink)
        assert message.ts.replace(".", "") in permalink
        bot.slack.assert_no_problems()


# ----- inside the form


async def test_choosing_another_account_refills_the_milestones_and_keeps_the_rest(
    booked: Path,
) -> None:
    async with running_bot(booked) as bot:
        first_id, first_name = account_with_milestones(bot)
        data = bot.sandbox.dataset
        other = next(
            a.id
            for a in data.expected_accounts(data.me.user_id)
            if a.id != first_id and 1 <= len(data.milestones_of[a.id]) <= 100
        )
        view = await open_with_command(bot, first_name)
        subject = tm.action_of(tm.BLOCK_SUBJECT)
        env = await bot.slack.send_block_action(
            OWNER,
            tm.ACTION_ACCOUNT,
            other,
            view=view,
            inputs={subject: "Typed before switching", tm.ACTION_MILESTONE: None},
        )
        await bot.slack.wait_ack(env)

        def updated() -> dict[str, Any] | None:
            top = bot.slack.top_view(OWNER)
            return top if top and top["hash"] != view["hash"] else None

        new = await bot.slack.wait_for(updated)
        assert sorted(option_values(new, tm.BLOCK_MILESTONE)) == sorted(data.milestones_of[other])
        assert initial(new, tm.BLOCK_MILESTONE) is None
        assert initial(new, tm.BLOCK_SUBJECT) == "Typed before switching"
        (update,) = bot.slack.calls_to("views.update")
        assert update.params["hash"] == view["hash"]
        bot.slack.assert_no_problems()


async def test_wrong_input_gets_inline_errors_and_creates_nothing(booked: Path) -> None:
    async with running_bot(booked) as bot:
        _, name = account_with_milestones(bot)
        view = await open_with_command(bot, name)
        subject, minutes = tm.action_of(tm.BLOCK_SUBJECT), tm.action_of(tm.BLOCK_MINUTES)
        # 150 emoji are 300 characters to MSX (UTF-16); 0 minutes is no duration.
        env = await submit(bot, view, **form_inputs(view, **{subject: "🙂" * 150, minutes: "0"}))
        ack = bot.slack.acks[env.envelope_id].payload
        assert ack is not None and ack["response_action"] == "errors"
        assert set(ack["errors"]) == {tm.BLOCK_SUBJECT, tm.BLOCK_MINUTES}
        assert "200" in ack["errors"][tm.BLOCK_SUBJECT]
        assert "1440" in ack["errors"][tm.BLOCK_MINUTES]
        assert bot.slack.top_view(OWNER) is not None  # still open, to fix
        assert tasks_in_msx(bot) == [] and dms(bot) == []

        await submit(bot, view, **form_inputs(view, **{minutes: "45"}))
        await wait_dms(bot, 1)
        (task,) = tasks_in_msx(bot)
        assert task["actualdurationminutes"] == 45
        bot.slack.assert_no_problems()


async def test_more_than_100_milestones_are_searched_and_one_is_logged(booked: Path) -> None:
    async with running_bot(booked) as bot:
        data = bot.sandbox.dataset
        account_id = data.special["big_milestones"]
        rows = [
            r
            for r in data.tables["msp_engagementmilestones"]
            if r["_msp_parentaccount_value"] == account_id
        ]
        assert len(rows) == 135
        name = next(a["name"] for a in data.tables["accounts"] if a["accountid"] == account_id)
        view = await open_with_command(bot, name)
        assert element(view, tm.BLOCK_MILESTONE)["type"] == "external_select"

        async def search(query: str) -> list[dict[str, Any]]:
            env = await bot.slack.send_block_suggestion(
                OWNER, tm.ACTION_MILESTONE, query, view=view
            )
            ack = await bot.slack.wait_ack(env)
            assert ack.payload is not None
            return list(ack.payload["options"])

        everything = await search("")
        assert len(everything) == 100  # the most a select can hold
        wanted = rows[117]
        (found,) = await search(wanted["msp_milestonenumber"])
        assert found["value"] == wanted["msp_engagementmilestoneid"]
        assert wanted["msp_name"][:20] in found["text"]["text"]

        inputs = {
            tm.ACTION_MILESTONE: found,
            tm.action_of(tm.BLOCK_CATEGORY): str(WORKSHOP),
            tm.action_of(tm.BLOCK_SUBJECT): "Capacity planning session",
        }
        await submit(bot, view, **inputs)
        await wait_dms(bot, 1)
        (task,) = tasks_in_msx(bot)
        assert task["_regardingobjectid_value"] == wanted["msp_engagementmilestoneid"]
        bot.slack.assert_no_problems()


# ----- exactly once


async def test_a_redelivered_and_a_double_clicked_submission_make_one_task(
    booked: Path,
) -> None:
    async with running_bot(booked) as bot:
        _, name = account_with_milestones(bot)
        view = await open_with_command(bot, name)
        first = await bot.slack.send_view_submission(OWNER, view, inputs=form_inputs(view))
        # A second click sends the same view again; Slack redelivers an unacked one.
        again = await bot.slack.send_envelope(
            "interactive", first.payload, accepts_response_payload=True
        )
        retry = await bot.slack.redeliver(first)
        for env in (first, again, retry):
            await bot.slack.wait_ack(env)
        await wait_dms(bot, 1)
        await bot.command(OWNER, "help")  # let anything still running finish first
        assert len(tasks_in_msx(bot)) == 1
        assert len(dms(bot)) == 1
        bot.slack.assert_no_problems()


async def test_msx_away_at_submit_queues_the_task_and_the_outbox_creates_it_once(
    booked: Path,
) -> None:
    async with running_bot(booked) as bot:
        _, name = account_with_milestones(bot)
        view = await open_with_command(bot, name)
        bot.sandbox.faults.off_vpn = True
        await submit(bot, view, **form_inputs(view))
        (queued,) = await wait_dms(bot, 1)
        assert "Queued: it will be created when MSX is reachable." in texts(
            {"text": queued.text, "blocks": queued.blocks}
        )
        assert tasks_in_msx(bot) == []

        # Back on the VPN: the next task logged goes straight in, and tells the worker to
        # send the queued one now rather than after its backoff.
        bot.sandbox.faults.off_vpn = False
        view = await open_with_command(bot, name)
        subject = tm.action_of(tm.BLOCK_SUBJECT)
        await submit(bot, view, **form_inputs(view, **{subject: "Second task"}))
        later = (await wait_dms(bot, 3))[1:]
        shown = [texts({"blocks": m.blocks}) for m in later]
        assert any("Your queued task is now in MSX" in t for t in shown)
        assert any("Logged in MSX." in t and "Second task" in t for t in shown)
        assert len(tasks_in_msx(bot)) == 2

        bot.deps.outbox.kick()  # another pass, every task due: nothing is sent twice
        assert await bot.deps.outbox.drain_once() == []
        assert len(tasks_in_msx(bot)) == 2 and len(dms(bot)) == 3
        assert bot.deps.outbox.pending() == []
        bot.slack.assert_no_problems()


async def test_a_400_from_msx_says_why_and_reopens_the_form_filled_in(booked: Path) -> None:
    async with running_bot(booked) as bot:
        account_id, name = account_with_milestones(bot)
        view = await open_with_command(bot, name)
        inputs = form_inputs(view)
        bot.sandbox.faults.fail_entity(
            "tasks", 1, status=400, code="0x80040203", message="Owner is disabled in MSX."
        )
        await submit(bot, view, **inputs)
        (refused,) = await wait_dms(bot, 1)
        assert "MSX refused the task: Owner is disabled in MSX." in texts(
            {"blocks": refused.blocks}
        )
        assert tasks_in_msx(bot) == []

        (again,) = [k for k in buttons({"blocks": refused.blocks}) if k.startswith("reopen_task")]
        before = len(bot.slack.calls_to("views.open"))
        env = await bot.slack.send_block_action(OWNER, again, message=refused)
        await bot.slack.wait_ack(env)
        reopened = await opened_view(bot, OWNER, before)
        assert initial(reopened, tm.BLOCK_ACCOUNT) == account_id
        assert initial(reopened, tm.BLOCK_MILESTONE) == inputs[tm.ACTION_MILESTONE]
        assert initial(reopened, tm.BLOCK_CATEGORY) == str(WORKSHOP)
        assert initial(reopened, tm.BLOCK_SUBJECT) == inputs[tm.action_of(tm.BLOCK_SUBJECT)]
        assert "Owner is disabled in MSX." in texts({"blocks": reopened["blocks"]})

        await submit(bot, reopened)  # as filled in
        await wait_dms(bot, 2)
        (task,) = tasks_in_msx(bot)
        assert task["subject"] == inputs[tm.action_of(tm.BLOCK_SUBJECT)]
        bot.slack.assert_no_problems()


# ----- who may, and what I logged


async def test_strangers_get_the_refusal_and_nothing_is_logged(booked: Path) -> None:
    async with running_bot(booked) as bot:
        before = len(bot.slack.calls_to("views.open"))
        env = await bot.slack.send_global_shortcut(STRANGER, SHORTCUT_LOG_TASK)
        await bot.slack.wait_ack(env)
        refusal = await opened_view(bot, STRANGER, before)
        assert "private" in texts({"blocks": refusal["blocks"]})
        assert input_block(refusal, tm.BLOCK_SUBJECT) is None

        message = bot.slack.post_as_user(OWNER, "C7", "Workshop notes")
        env = await bot.slack.send_message_shortcut(
            STRANGER, SHORTCUT_LOG_TASK_FROM_MESSAGE, message
        )
        await bot.slack.wait_ack(env)
        refused = await bot.slack.wait_for(lambda: bot.slack.seen_by(STRANGER, "C7")[1:])
        assert "private" in texts({"blocks": refused[-1].blocks})

        # A colleague whose access ends while the form is open logs nothing either.
        await snapshot(bot, COLLEAGUE)
        view = await open_with_command(bot, user=COLLEAGUE)
        bot.deps.access._allowed_ids.discard(COLLEAGUE)
        account = option_values(view, tm.BLOCK_ACCOUNT)[0]
        env = await bot.slack.send_view_submission(
            COLLEAGUE,
            view,
            inputs={
                tm.ACTION_ACCOUNT: account,
                tm.action_of(tm.BLOCK_CATEGORY): str(WORKSHOP),
                tm.action_of(tm.BLOCK_SUBJECT): "Should not be logged",
            },
        )
        ack = await bot.slack.wait_ack(env)
        assert ack.payload is not None and ack.payload["response_action"] == "update"
        assert "private" in texts({"blocks": ack.payload["view"]["blocks"]})
        assert tasks_in_msx(bot) == []
        bot.slack.assert_no_problems()


async def test_msx_tasks_totals_this_week_and_month(booked: Path) -> None:
    async with running_bot(booked) as bot:
        _, name = account_with_milestones(bot)
        subject, minutes = tm.action_of(tm.BLOCK_SUBJECT), tm.action_of(tm.BLOCK_MINUTES)
        category = tm.action_of(tm.BLOCK_CATEGORY)
        completed = tm.action_of(tm.BLOCK_COMPLETED)
        for n, (code, mins) in enumerate([(WORKSHOP, "90"), (WORKSHOP, "30"), (INTERNAL, "60")]):
            view = await open_with_command(bot, name)
            extra = {subject: f"Task {n}", minutes: mins, category: str(code)}
            if n == 2:
                extra[completed] = []  # unticked: the task stays open in MSX
            await submit(bot, view, **form_inputs(view, **extra))
            await wait_dms(bot, n + 1)
        states = [(t["subject"], t["statecode"]) for t in tasks_in_msx(bot)]
        assert states == [("Task 0", 1), ("Task 1", 1), ("Task 2", 0)]

        reply = await bot.command(OWNER, "tasks")
        shown = texts(reply)
        assert "My HoK tasks" in shown
        assert shown.count("2 HoK tasks, 2 h") == 2  # this week and this month
        assert "Workshop 2" in shown
        assert "Task 0" in shown and "Task 1" in shown and "Task 2" not in shown
        assert "Also 1 task(s) in categories that are not HoK." in shown
        bot.slack.assert_no_problems()


async def test_a_task_queued_before_a_restart_is_created_after_it(booked: Path) -> None:
    sandbox = SandboxMsx()
    async with running_bot(booked, sandbox=sandbox) as bot:
        _, name = account_with_milestones(bot)
        view = await open_with_command(bot, name)
        sandbox.faults.off_vpn = True
        await submit(bot, view, **form_inputs(view))
        await wait_dms(bot, 1)
    assert tasks_in_msx(bot) == []

    sandbox.faults.off_vpn = False  # back on the VPN, the bot starts again
    async with running_bot(booked, sandbox=sandbox) as again:
        (created,) = await wait_dms(again, 1)
        assert "Your queued task is now in MSX" in texts({"blocks": created.blocks})
        assert len(tasks_in_msx(again)) == 1
        again.slack.assert_no_problems()


async def test_an_allowed_colleague_logs_as_themself(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await snapshot(bot, COLLEAGUE)
        view = await open_with_command(bot, user=COLLEAGUE)
        data = bot.sandbox.dataset
        colleague = data.colleagues[0]
        account = next(
            a for a in data.accounts_of[colleague.user_id] if 1 <= len(data.milestones_of[a]) <= 100
        )
        env = await bot.slack.send_block_action(COLLEAGUE, tm.ACTION_ACCOUNT, account, view=view)
        await bot.slack.wait_ack(env)
        view = await bot.slack.wait_for(
            lambda: (
                (top := bot.slack.top_view(COLLEAGUE))
                and input_block(top, tm.BLOCK_MILESTONE)
                and top
            )
        )
        await submit(bot, view, COLLEAGUE, **form_inputs(view))
        await wait_dms(bot, 1, COLLEAGUE)
        (task,) = tasks_in_msx(bot)
        assert task["_ownerid_value"] == colleague.user_id != data.me.user_id
        assert dms(bot, OWNER) == []
        bot.slack.assert_no_problems()


async def test_first_use_off_the_vpn_says_so_in_the_form(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.sandbox.faults.off_vpn = True
        view = await open_with_command(bot)

        def failed() -> dict[str, Any] | None:
            top = bot.slack.top_view(OWNER)
            return top if top and "VPN" in texts({"blocks": top["blocks"]}) else None

        shown = await bot.slack.wait_for(failed, timeout=10)
        assert shown["id"] == view["id"] and input_block(shown, tm.BLOCK_SUBJECT) is None
        assert tasks_in_msx(bot) == []
        bot.slack.assert_no_problems()


async def test_forged_or_stale_buttons_get_a_clear_answer_and_no_form(booked: Path) -> None:
    async with running_bot(booked) as bot:
        forged_reopen = '{"task": "nope", "owner": "someone-else", "date": "2026-01-01"}'
        for action_id, value, says in [
            ("log_task:3", "not json", "no longer works"),
            ("log_task:3", '{"milestone": "m"}', "no longer works"),
            ("reopen_task:x", forged_reopen, "no longer on record"),
        ]:
            before = len(bot.slack.calls_to("views.open"))
            env = await bot.slack.send_block_action(OWNER, action_id, value)
            await bot.slack.wait_ack(env)
            view = await opened_view(bot, OWNER, before)
            assert says in texts({"blocks": view["blocks"]})
            assert input_block(view, tm.BLOCK_SUBJECT) is None
        bot.slack.assert_no_problems()


async def test_msx_log_redelivered_opens_one_form_and_an_expired_trigger_says_so(
    booked: Path,
) -> None:
    async with running_bot(booked) as bot:
        before = len(bot.slack.responses)
        env = await bot.send(OWNER, "log")
        await opened_view(bot, OWNER, 0)
        again = await bot.slack.redeliver(env)
        await bot.slack.wait_ack(again)
        opens = await bot.slack.wait_for(
            lambda: len(bot.slack.calls_to("views.open")) == 2 and bot.slack.calls_to("views.open")
        )
        assert [c.error for c in opens] == [None, "trigger_exchanged"]
        await bot.command(OWNER, "help")
        assert not any("did not open" in texts(body) for _, body in bot.slack.responses[before:])

        # Slack took too long to hand the command over: the trigger died on the way.
        trigger = bot.slack.new_trigger(OWNER)
        bot.slack.clock.advance(3.5)
        payload = payloads.slash_command(
            user=bot.slack.users[OWNER],
            command="/msx",
            text="log",
            channel_id="C1",
            channel_name="general",
            response_url=bot.slack.new_response_url(bot.slack.base_url, OWNER, "C1"),
            trigger_id=trigger,
        )
        before = len(bot.slack.responses)
        late = await bot.slack.send_envelope(
            "slash_commands", payload, accepts_response_payload=True
        )
        await bot.slack.wait_ack(late)
        reply = await bot.wait_reply(before, to=late)
        assert "The form did not open: try `/msx log` again." in texts(reply)
        assert bot.slack.calls_to("views.open")[-1].error == "expired_trigger_id"
        bot.slack.assert_no_problems()


async def test_a_queued_task_msx_then_refuses_is_reported_with_the_fix_button(
    booked: Path,
) -> None:
    async with running_bot(booked) as bot:
        _, name = account_with_milestones(bot)
        view = await open_with_command(bot, name)
        bot.sandbox.faults.off_vpn = True
        await submit(bot, view, **form_inputs(view))
        await wait_dms(bot, 1)

        bot.sandbox.faults.off_vpn = False
        bot.sandbox.faults.fail_entity(
            "tasks", 1, status=400, code="0x80040203", message="The milestone is closed."
        )
        bot.deps.outbox.kick()
        refused = (await wait_dms(bot, 2))[1]
        shown = texts({"blocks": refused.blocks})
        assert "MSX refused your queued task: The milestone is closed." in shown
        assert any(k.startswith("reopen_task") for k in buttons({"blocks": refused.blocks}))
        assert tasks_in_msx(bot) == [] and bot.deps.outbox.pending() == []
        bot.slack.assert_no_problems()


async def test_a_refresh_that_reaches_msx_sends_the_queued_tasks(booked: Path) -> None:
    async with running_bot(booked) as bot:
        _, name = account_with_milestones(bot)
        view = await open_with_command(bot, name)
        bot.sandbox.faults.off_vpn = True
        await submit(bot, view, **form_inputs(view))
        await wait_dms(bot, 1)
        assert "VPN" in texts(await bot.command(OWNER, "refresh"))  # still away
        assert tasks_in_msx(bot) == []

        bot.sandbox.faults.off_vpn = False
        assert "Refreshed" in texts(await bot.command(OWNER, "refresh"))
        created = (await wait_dms(bot, 2))[1]
        assert "Your queued task is now in MSX" in texts({"blocks": created.blocks})
        assert len(tasks_in_msx(bot)) == 1
        bot.slack.assert_no_problems()


async def test_a_submission_redelivered_after_a_restart_is_not_logged_or_told_again(
    booked: Path,
) -> None:
    sandbox = SandboxMsx()
    async with running_bot(booked, sandbox=sandbox) as bot:
        _, name = account_with_milestones(bot)
        view = await open_with_command(bot, name)
        first = await bot.slack.send_view_submission(OWNER, view, inputs=form_inputs(view))
        await wait_dms(bot, 1)
    async with running_bot(booked, sandbox=sandbox) as again:
        retry = await again.slack.send_envelope(
            "interactive", first.payload, accepts_response_payload=True, retry_attempt=1
        )
        await again.slack.wait_ack(retry)
        # A new task after it: its DM comes once anything the retry set off has finished
        # (that takes a store read; the new one a round trip to MSX).
        view = await open_with_command(again, name)
        subject = tm.action_of(tm.BLOCK_SUBJECT)
        await submit(again, view, **form_inputs(view, **{subject: "After the restart"}))
        (only,) = await wait_dms(again, 1)
        assert "After the restart" in texts({"blocks": only.blocks})
        assert len(tasks_in_msx(again)) == 2
        again.slack.assert_no_problems()
