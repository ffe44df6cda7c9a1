"""The App Home tab end to end: what the owner sees, what a stranger sees, its Refresh
button, the digest settings edited in place, and republishing after a change."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot_harness import COLLEAGUE, OWNER, STRANGER, Harness, action_ids, buttons, running_bot, texts
from slack_double import payloads
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Snapshot
from bot.slack.blocks import home as hb
from bot.slack.blocks.text import escape
from bot.slack.digest_scheduler import DigestScheduler
from bot.store.digest import DigestStore
from bot.workflows.book import cached_book

BERLIN = ZoneInfo("Europe/Berlin")


def _snapshot(bot: Harness) -> Snapshot:
    book = cached_book(bot.runtime.store)
    assert book is not None
    return book.snapshot


def _publishes(bot: Harness, user: str = OWNER) -> int:
    return sum(c.params.get("user_id") == user for c in bot.slack.calls_to("views.publish"))


async def _open_home(bot: Harness, user: str = OWNER) -> dict[str, Any]:
    before = _publishes(bot, user)
    env = await bot.slack.send_event(payloads.app_home_opened(user, "D1"))
    await bot.slack.wait_ack(env)
    await bot.slack.wait_for(lambda: _publishes(bot, user) > before)
    return bot.slack.home_views[user]


async def _act(bot: Harness, action_id: str, value: Any = None) -> dict[str, Any]:
    """Use an element of the owner's Home tab; the Home tab once republished."""
    before = _publishes(bot)
    view = bot.slack.home_views[OWNER]
    env = await bot.slack.send_block_action(OWNER, action_id, value, view=view["id"])
    await bot.slack.wait_ack(env)
    await bot.slack.wait_for(lambda: _publishes(bot) > before)
    return bot.slack.home_views[OWNER]


async def test_the_owners_home_shows_their_book_and_what_needs_attention(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        home = await _open_home(bot)
        shown = texts(home)
        snap = _snapshot(bot)
        assert len(home["blocks"]) <= 100
        assert "Last refresh" in shown and "found through" in shown
        assert hb.ACTION_HOME_REFRESH in buttons(home)
        # My book: every POD, with its counts of at-risk and blocked milestones.
        for pod in {a.pod for a in snap.accounts if a.pod}:
            accounts = [a for a in snap.accounts if a.pod == pod]
            ids = {a.id for a in accounts}
            risk = sum(m.status == "At Risk" for m in snap.milestones if m.account_id in ids)
            blocked = sum(m.status == "Blocked" for m in snap.milestones if m.account_id in ids)
            n = len(accounts)
            title = (
                f"*{pod}*: {n} account{'s' if n != 1 else ''} · {risk} at risk · {blocked} blocked"
            )
            assert title in shown
        # Needs attention: most overdue first, at most 10, each with its two buttons.
        due = hb.attention_order(snap.milestones, dt.datetime.now(dt.UTC).date())
        assert f"Needs attention ({len(due)})" in shown
        listed = [m for m in due[: hb.ATTENTION_MAX]]
        positions = [shown.index(escape(m.name)) for m in listed]
        assert positions == sorted(positions)
        ids = action_ids(home)
        assert sum(i.startswith("log_task:") for i in ids) == len(listed)
        assert sum(i.startswith("open_msx:") for i in ids) == len(listed)
        if len(due) > hb.ATTENTION_MAX:
            assert f"and {len(due) - hb.ATTENTION_MAX} more" in shown
            assert "/msx milestones" in shown
        assert "My HoK this week" in shown and "No tasks logged" in shown
        assert "Morning digest: *on*, at 08:30" in shown
        bot.slack.assert_no_problems()


async def test_log_hok_task_from_home_opens_the_modal_on_that_milestone(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        home = await _open_home(bot)
        first = next(i for i in action_ids(home) if i.startswith("log_task:"))
        env = await bot.slack.send_block_action(OWNER, first, view=home["id"])
        await bot.slack.wait_ack(env)
        modal = await bot.slack.wait_for(lambda: bot.slack.top_view(OWNER))
        due = hb.attention_order(_snapshot(bot).milestones, dt.date.today())
        await bot.slack.wait_for(lambda: escape(due[0].name) in str(bot.slack.top_view(OWNER)))
        assert modal["type"] == "modal"
        bot.slack.assert_no_problems()


async def test_a_stranger_sees_only_the_refusal(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        home = await _open_home(bot, STRANGER)
        assert [b["type"] for b in home["blocks"]] == ["section"]
        assert "private to *Avery Quinn*" in texts(home)
        assert not action_ids(home)
        bot.slack.assert_no_problems()


async def test_refresh_button_refreshes_then_republishes(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        home = await _open_home(bot)
        assert "No snapshot yet" in texts(home)
        bot.sandbox.stats.reset()
        before = _publishes(bot)
        env = await bot.slack.send_block_action(OWNER, hb.ACTION_HOME_REFRESH, view=home["id"])
        await bot.slack.wait_ack(env)
        # "Refreshing…" first, then the tab with the book MSX just gave.
        await bot.slack.wait_for(lambda: "Needs attention" in texts(bot.slack.home_views[OWNER]))
        assert bot.sandbox.stats.requests > 0
        assert _publishes(bot) >= before + 2
        count = len(bot.sandbox.dataset.accounts_of[bot.sandbox.dataset.me.user_id])
        assert f"My book ({count} accounts)" in texts(bot.slack.home_views[OWNER])
        bot.slack.assert_no_problems()


async def test_refresh_that_fails_says_why_on_the_tab(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        home = await _open_home(bot)
        bot.sandbox.faults.off_vpn = True
        try:
            before = _publishes(bot)
            env = await bot.slack.send_block_action(OWNER, hb.ACTION_HOME_REFRESH, view=home["id"])
            await bot.slack.wait_ack(env)
            await bot.slack.wait_for(lambda: _publishes(bot) >= before + 2)
        finally:
            bot.sandbox.faults.off_vpn = False
        shown = texts(bot.slack.home_views[OWNER])
        assert ":warning:" in shown and "previous snapshot is kept" in shown
        assert "Needs attention" in shown  # the book is still shown
        bot.slack.assert_no_problems()


async def test_digest_settings_saved_in_place_drive_the_schedule(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.slack.users[OWNER].tz = "Europe/Berlin"
        await bot.command(OWNER, "accounts")
        await _open_home(bot)
        home = await _act(bot, hb.ACTION_DIGEST_TIME, "07:15")
        assert "at 07:15" in texts(home)
        home = await _act(bot, hb.ACTION_DIGEST_DAYS, "daily")
        assert "every day" in texts(home)
        store = DigestStore(bot.runtime.store)
        saved = store.settings(OWNER)
        assert (saved.enabled, saved.at, saved.days) == (True, dt.time(7, 15), "daily")
        # `/msx digest` says the same, and the scheduler sends at 07:15 Berlin on a Sunday.
        assert "on, every day at 07:15 (Europe/Berlin)" in texts(await bot.command(OWNER, "digest"))
        now = [dt.datetime(2027, 1, 3, 7, 0, tzinfo=BERLIN)]
        client = AsyncWebClient(token="xoxb-test", base_url=bot.slack.api_url)

        async def no_sleep(_: float) -> None:
            await asyncio.sleep(0)

        scheduler = DigestScheduler(bot.deps, client, clock=lambda: now[0], sleep=no_sleep)
        assert await scheduler.tick() == []
        now[0] = dt.datetime(2027, 1, 3, 7, 15, tzinfo=BERLIN)
        (sent,) = await scheduler.tick()
        assert sent.state == "sent"

        home = await _act(bot, hb.ACTION_DIGEST_TOGGLE, "off")
        assert "Morning digest: *off*" in texts(home)
        assert not store.settings(OWNER).enabled
        now[0] = dt.datetime(2027, 1, 4, 7, 15, tzinfo=BERLIN)
        assert await scheduler.tick() == []  # off: nothing goes out
        home = await _act(bot, hb.ACTION_DIGEST_TOGGLE, "on")
        assert "Morning digest: *on*, at 07:15" in texts(home)
        bot.slack.assert_no_problems()


async def test_home_is_republished_after_a_digest_command(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        await _open_home(bot)
        before = _publishes(bot)
        await bot.command(OWNER, "digest on 06:45")
        await bot.slack.wait_for(lambda: _publishes(bot) > before)
        assert "at 06:45" in texts(bot.slack.home_views[OWNER])
        bot.slack.assert_no_problems()


async def test_a_task_logged_from_home_shows_in_this_weeks_hok(tmp_path: Path) -> None:
    from test_slack_e2e_tasks import form_inputs, opened_view, submit

    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        home = await _open_home(bot)
        first = next(i for i in action_ids(home) if i.startswith("log_task:"))
        opens = len(bot.slack.calls_to("views.open"))
        env = await bot.slack.send_block_action(OWNER, first, view=home["id"])
        await bot.slack.wait_ack(env)
        await opened_view(bot, OWNER, opens)
        modal = await bot.slack.wait_for(
            lambda: (v := bot.slack.top_view(OWNER)) and "Loading" not in str(v) and v
        )
        before = _publishes(bot)
        await submit(bot, modal, **form_inputs(modal))
        await bot.slack.wait_for(lambda: _publishes(bot) > before)
        shown = texts(bot.slack.home_views[OWNER])
        assert "*1* HoK task, 1 h" in shown and "Workshop: 1" in shown
        bot.slack.assert_no_problems()


async def test_home_is_republished_after_msx_refresh(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        home = await _open_home(bot)
        assert "No snapshot yet" in texts(home)
        await bot.command(OWNER, "refresh")
        await bot.slack.wait_for(lambda: "My book" in texts(bot.slack.home_views[OWNER]))
        # A person who never opened the tab gets nothing published.
        await bot.command(COLLEAGUE, "refresh")
        assert _publishes(bot, COLLEAGUE) == 0
        bot.slack.assert_no_problems()
