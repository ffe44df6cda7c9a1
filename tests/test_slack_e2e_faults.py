"""Resilience end to end: MSX hanging, unreachable or failing mid-refresh; Slack redelivering
and reconnecting. Acks are always in time (the double records late ones as problems)."""

from __future__ import annotations

from pathlib import Path

from bot_harness import OWNER, running_bot, texts
from slack_double import payloads

OFF_VPN = (
    "MSX blocked this network address (you seem to be off the VPN): "
    "connect to the VPN, then `/msx refresh`"
)
UNREACHABLE = "MSX is unreachable: connect to the VPN, then `/msx refresh`"


async def test_everything_acks_while_msx_hangs_and_answers_when_it_is_back(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, transport_from_server=True) as bot:
        bot.sandbox.faults.hang = True
        # First use: the import hangs, but the command was acked and says it is working.
        before = len(bot.slack.responses)
        first_use = await bot.send(OWNER, "accounts")
        working = await bot.wait_reply(before, final=False)
        assert "Refreshing from MSX" in texts(working)
        # Meanwhile other commands still answer: help needs no MSX.
        assert "/msx accounts" in texts(await bot.command(OWNER, "help"))
        # A second refresh of the same book does not start another import.
        assert "already running" in texts(await bot.command(OWNER, "refresh"))

        bot.sandbox.faults.release()
        reply = await bot.wait_reply(before, to=first_use)
        expected = bot.sandbox.dataset.expected_accounts(bot.sandbox.dataset.me.user_id)
        assert f"My accounts ({len(expected)})" in texts(reply)

        # With a snapshot, a hanging MSX slows nothing that reads it.
        bot.sandbox.faults.hang = True
        assert f"My accounts ({len(expected)})" in texts(await bot.command(OWNER, "accounts"))
        assert "page:next" not in texts(await bot.command(OWNER, "milestones contoso ltd."))
        before = len(bot.slack.responses)
        env = await bot.slack.send_block_action(OWNER, "refresh", message=bot.last_message())
        await bot.slack.wait_ack(env)
        bot.sandbox.faults.release()
        assert "Refreshed" in texts(await bot.wait_reply(before))
        bot.slack.assert_no_problems()


async def test_off_vpn_refresh_says_so_and_keeps_the_snapshot(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        first = texts(await bot.command(OWNER, "accounts"))
        bot.sandbox.faults.off_vpn = True

        failed = texts(await bot.command(OWNER, "refresh"))
        assert f":x: {OFF_VPN} Your previous snapshot is kept." in failed

        stale = await bot.command(OWNER, "accounts")
        shown = texts(stale)
        assert shown.count("TPID") == first.count("TPID")
        freshness = next(
            b["elements"][0]["text"]
            for b in stale["blocks"]
            if b["type"] == "context" and "Snapshot from" in b["elements"][0]["text"]
        )
        assert freshness == f":warning: Snapshot from just now — not fresh: {OFF_VPN}"

        # Back on the VPN, a refresh clears the warning.
        bot.sandbox.faults.off_vpn = False
        assert "Refreshed" in texts(await bot.command(OWNER, "refresh"))
        assert "not fresh" not in texts(await bot.command(OWNER, "accounts"))
        bot.slack.assert_no_problems()


async def test_msx_dropping_mid_refresh_keeps_the_last_good_snapshot(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        bot.sandbox.faults.fail_after(3)  # the VPN drops a few requests into the refresh
        failed = texts(await bot.command(OWNER, "refresh"))
        assert f":x: {UNREACHABLE} Your previous snapshot is kept." in failed
        assert "Traceback" not in failed

        # Mid-conversation: the team and milestones still answer, marked stale.
        team = texts(await bot.command(OWNER, "team Fabrikam"))
        assert "Team: Fabrikam Inc" in team and "not fresh" in team
        milestones = texts(await bot.command(OWNER, "milestones Fabrikam"))
        assert "Milestones: Fabrikam Inc" in milestones and "not fresh" in milestones
        bot.slack.assert_no_problems()


async def test_first_use_off_vpn_explains_and_stores_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.sandbox.faults.off_vpn = True
        shown = texts(await bot.command(OWNER, "accounts"))
        assert f":x: {OFF_VPN}" in shown
        assert "previous snapshot" not in shown
        assert await bot.deps.cached_book(await _owner(bot)) is None
        bot.slack.assert_no_problems()


async def _owner(bot):  # type: ignore[no-untyped-def]
    person = await bot.deps.access.person(OWNER)
    assert person is not None
    return person


async def test_redelivered_event_is_handled_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        env = await bot.slack.send_event(payloads.app_home_opened(OWNER, "D1"))
        await bot.slack.wait_ack(env)
        await bot.slack.wait_for(lambda: bot.slack.calls_to("views.publish"))
        again = await bot.slack.redeliver(env)
        await bot.slack.wait_ack(again)
        # Another event after it proves the redelivery was processed (and ignored).
        later = await bot.slack.send_event(payloads.app_home_opened(OWNER, "D1"))
        await bot.slack.wait_ack(later)
        await bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.publish")) == 2)
        assert len(bot.slack.calls_to("views.publish")) == 2
        bot.slack.assert_no_problems()


async def test_reconnects_after_slack_asks_and_still_answers(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        assert "/msx accounts" in texts(await bot.command(OWNER, "help"))
        await bot.slack.disconnect("refresh_requested")
        await bot.slack.wait_connected(count=2)
        reply = await bot.command(OWNER, "accounts")
        assert "My accounts" in texts(reply)
        await bot.slack.disconnect("warning", close=True)
        await bot.slack.wait_connected(count=3)
        assert "My accounts" in texts(await bot.command(OWNER, "accounts"))
        bot.slack.assert_no_problems()
