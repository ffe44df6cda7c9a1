"""A direct message to the bot (its Messages tab is on in the manifest) gets the help."""

from __future__ import annotations

from pathlib import Path

from bot_harness import OWNER, STRANGER, running_bot, texts
from slack_double import payloads


async def test_a_direct_message_is_answered_with_the_help(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        channel = bot.slack.dm_channel(OWNER)
        env = await bot.slack.send_event(
            payloads.message_im(OWNER, channel, "hi, what can you do?")
        )
        await bot.slack.wait_ack(env)
        message = await bot.slack.wait_for(lambda: bot.slack.messages_in(channel))
        shown = texts({"text": message[-1].text, "blocks": message[-1].blocks})
        assert "slash commands" in shown
        assert "/msx accounts" in shown and "/msx team" in shown
        assert len(bot.slack.messages_in(channel)) == 1  # one answer, not a loop with itself
        bot.slack.assert_no_problems()


async def test_a_strangers_direct_message_gets_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        stranger = bot.slack.dm_channel(STRANGER)
        env = await bot.slack.send_event(payloads.message_im(STRANGER, stranger, "hello"))
        await bot.slack.wait_ack(env)
        # The owner's message after it is answered, so the stranger's was handled first.
        owner = bot.slack.dm_channel(OWNER)
        await bot.slack.send_event(payloads.message_im(OWNER, owner, "help"))
        await bot.slack.wait_for(lambda: bot.slack.messages_in(owner))
        assert not bot.slack.messages_in(stranger)
        bot.slack.assert_no_problems()
