"""Each /msx command end to end: the real Bolt app, the Slack double, the MSX sandbox."""

from __future__ import annotations

from pathlib import Path

from bot_harness import OWNER, running_bot, texts


async def test_accounts_imports_on_first_use_then_lists_my_accounts(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        reply = await bot.command(OWNER, "accounts")
        shown = texts(reply)
        for account in bot.sandbox.dataset.expected_accounts(bot.sandbox.dataset.me.user_id)[:5]:
            assert account.tpid and account.tpid in shown
        assert reply["response_type"] == "ephemeral"
        bot.slack.assert_no_problems()
