"""`/msx digest ...` end to end: the real Bolt app, the Slack double and the sandbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot_harness import OWNER, STRANGER, buttons, running_bot, texts

from bot.slack.blocks import decode_value
from bot.store.digest import DigestSettings, DigestStore


async def test_digest_settings_show_change_and_refuse_bad_input(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.slack.users[OWNER].tz = "Europe/Berlin"
        store = DigestStore(bot.runtime.store)

        shown = texts(await bot.command(OWNER, "digest"))
        assert "on, weekdays at 08:30 (Europe/Berlin)" in shown
        assert "Next:" in shown and "/msx digest on [HH:MM]" in shown

        changed = texts(await bot.command(OWNER, "digest on 7:45 daily quiet"))
        assert "on, every day at 07:45 (Europe/Berlin)" in changed
        assert "When nothing is at risk: nothing" in changed
        saved = store.settings(OWNER)
        assert (saved.at, saved.days, saved.all_clear) == (dt.time(7, 45), "daily", False)

        for bad in ("digest on 25:00", "digest on 8:30 fortnightly", "digest sometimes"):
            refused = texts(await bot.command(OWNER, bad))
            assert "Usage: `/msx digest on [HH:MM]" in refused, bad
        assert store.settings(OWNER) == saved  # nothing changed

        assert "Morning digest*: off" in texts(await bot.command(OWNER, "digest off"))
        assert not store.settings(OWNER).enabled
        back = texts(await bot.command(OWNER, "DIGEST on"))
        assert "every day at 07:45" in back  # the time is kept
        assert store.settings(OWNER).enabled

        # Strangers get nothing, and change nothing.
        await bot.command(STRANGER, "digest off")
        assert store.settings(STRANGER) == DigestSettings()
        bot.slack.assert_no_problems()


async def test_digest_now_sends_the_dm_with_working_buttons(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        reply = texts(await bot.command(OWNER, "digest now"))
        assert "Sent" in reply
        (dm,) = [
            m
            for m in bot.slack.messages_in(bot.slack.dm_channel(OWNER))
            if m.source == "chat.postMessage"
        ]
        message = {"blocks": dm.blocks, "text": dm.text}
        said = texts(message)
        assert "Milestones at risk" in said and "at risk" in dm.text
        found = buttons(message)
        log = [b for b in found.values() if b["action_id"].startswith("log_task:")]
        assert log and all(set(decode_value(b["value"])) == {"account", "milestone"} for b in log)
        snap = bot.runtime.store.load_by_email(bot.sandbox.dataset.me.email)
        assert snap is not None
        ids = {m.id for m in snap.milestones}
        assert {decode_value(b["value"])["milestone"] for b in log} <= ids
        # The Open in MSX button is acked like everywhere else.
        env = await bot.slack.send_block_action(OWNER, "open_msx:0", message=dm)
        await bot.slack.wait_ack(env)
        # A digest sent on request does not use up today's scheduled one.
        today = dt.datetime.now(dt.UTC).date()
        assert DigestStore(bot.runtime.store).mark(OWNER, today) is None
        bot.slack.assert_no_problems()
