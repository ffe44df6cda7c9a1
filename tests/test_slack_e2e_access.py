"""Who may use the bot: the owner and MSX_BOT_ALLOWED_USERS, each with their own book."""

from __future__ import annotations

from pathlib import Path

import pytest
from bot_harness import COLLEAGUE, OWNER, STRANGER, Harness, running_bot, texts
from slack_double import payloads

from bot.sandbox import SandboxMsx
from bot.slack.blocks.ids import PickRef
from bot.slack.blocks.text import escape

REFUSAL = "Sorry, this MSX bot is private to *Avery Quinn*; ask them to add you."


def _tpids(bot: Harness, user_id: str) -> set[str]:
    return {a.tpid for a in bot.sandbox.dataset.expected_accounts(user_id) if a.tpid}


async def test_colleague_sees_their_own_book_not_the_owners(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        data = bot.sandbox.dataset
        colleague = data.colleagues[0]
        reply = await bot.command(COLLEAGUE, "accounts")
        shown = texts(reply)
        expected = data.expected_accounts(colleague.user_id)
        assert f"My accounts ({len(expected)})" in shown
        for account in expected:
            assert escape(account.name) in shown
        only_owner = _tpids(bot, data.me.user_id) - _tpids(bot, colleague.user_id)
        assert only_owner and not any(f"TPID {t}" in shown for t in only_owner)

        # The owner's own book is separate, and unchanged by the colleague's import.
        owner_reply = texts(await bot.command(OWNER, "accounts"))
        assert f"My accounts ({len(data.expected_accounts(data.me.user_id))})" in owner_reply
        bot.slack.assert_no_problems()


async def test_allowed_by_email_works_too(tmp_path: Path) -> None:
    data_email = "meilinc@microsoft.com"
    async with running_bot(tmp_path, allowed=(data_email,)) as bot:
        mei = bot.sandbox.dataset.colleagues[1]
        assert mei.email == data_email
        bot.slack.add_user("UMEI", "mei", mei.email.upper(), real_name=mei.name)
        shown = texts(await bot.command("UMEI", "accounts"))
        assert f"My accounts ({len(bot.sandbox.dataset.expected_accounts(mei.user_id))})" in shown
        # The colleague allowed by id in other tests is not allowed here.
        refused = texts(await bot.command(COLLEAGUE, "accounts"))
        assert refused.endswith(REFUSAL)
        bot.slack.assert_no_problems()


async def test_stranger_gets_one_polite_refusal_and_no_data(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")  # there is data to leak
        bot.sandbox.stats.reset()
        for text in ("accounts", "team contoso", "milestones Fabrikam", "refresh", "help", ""):
            before = len(bot.slack.responses)
            reply = await bot.command(STRANGER, text)
            assert REFUSAL in texts(reply)
            assert reply["response_type"] == "ephemeral"
            assert len(bot.slack.responses) == before + 1  # one refusal, nothing else
        assert bot.sandbox.stats.requests == 0  # a stranger never costs an MSX call
        stranger_saw = "\n".join(
            texts({"text": m.text, "blocks": m.blocks}) for m in bot.slack.seen_by(STRANGER)
        )
        for account in bot.sandbox.dataset.expected_accounts(bot.sandbox.dataset.me.user_id):
            assert account.tpid not in stranger_saw
        bot.slack.assert_no_problems()


async def test_stranger_clicking_a_forged_button_gets_the_refusal(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        owners_message = bot.last_message()
        forged = [
            ("page:next", '{"account":null,"page":1,"view":"accounts"}'),
            ("pick_account:0", PickRef(view="team", account=_big_team(bot)).encode()),
            ("refresh", '{"account":null,"page":0,"view":"accounts"}'),
        ]
        for action_id, value in forged:
            before = len(bot.slack.responses)
            env = await bot.slack.send_block_action(STRANGER, action_id, value, channel_id="C1")
            await bot.slack.wait_ack(env)
            reply = await bot.wait_reply(before)
            assert texts(reply).endswith(REFUSAL)
            assert len(bot.slack.responses) == before + 1
        # Even clicking Refresh on the owner's own message (forwarded, say) changes nothing.
        before = len(bot.slack.responses)
        env = await bot.slack.send_block_action(STRANGER, "refresh", message=owners_message)
        await bot.slack.wait_ack(env)
        reply = await bot.wait_reply(before)
        assert texts(reply).endswith(REFUSAL)
        assert owners_message.edits == 0
        assert not any(m for m in bot.slack.seen_by(STRANGER) if "TPID" in (str(m.blocks)))
        bot.slack.assert_no_problems()


def _big_team(bot: Harness) -> str:
    return bot.sandbox.dataset.special["big_team"]


async def test_stranger_opening_app_home_sees_only_the_refusal(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        bot.sandbox.stats.reset()
        env = await bot.slack.send_event(payloads.app_home_opened(STRANGER, "D9"))
        await bot.slack.wait_ack(env)
        home = await bot.slack.wait_for(lambda: bot.slack.home_views.get(STRANGER))
        assert texts(home).strip() == REFUSAL
        assert bot.sandbox.stats.requests == 0
        bot.slack.assert_no_problems()


async def test_unknown_slack_user_without_email_is_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        # Never added to the workspace: the double invents a profile with no e-mail.
        reply = await bot.command("UNOBODY", "accounts")
        assert texts(reply).endswith(REFUSAL)
        bot.slack.assert_no_problems()


async def test_allowed_user_unknown_to_msx_is_told_what_to_do(tmp_path: Path) -> None:
    async with running_bot(tmp_path, allowed=(COLLEAGUE, "UGUEST")) as bot:
        bot.slack.add_user("UGUEST", "guest", "guest@contractor.example", real_name="Guest")
        shown = texts(await bot.command("UGUEST", "accounts"))
        assert "No MSX user has the e-mail guest@contractor.example" in shown
        assert "ask the owner" in shown
        bot.slack.assert_no_problems()


async def test_owner_is_recognised_once_msx_answers_after_a_start_off_vpn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.slack.deps.OWNER_RETRY_S", 0.0)  # no waiting between attempts
    sandbox = SandboxMsx()
    sandbox.faults.off_vpn = True  # the bot starts before the VPN is up: no owner known yet
    async with running_bot(tmp_path, sandbox=sandbox) as bot:
        assert bot.deps.access.owner is None
        bot.sandbox.faults.off_vpn = False
        shown = texts(await bot.command(OWNER, "accounts"))
        assert "My accounts (" in shown
        bot.slack.assert_no_problems()


async def test_owner_known_from_the_snapshot_is_recognised_before_msx_answers(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")  # the snapshot now names the owner
    sandbox = SandboxMsx()
    sandbox.faults.hang = True  # MSX takes every request and never answers
    try:
        async with running_bot(tmp_path, sandbox=sandbox, learn_owner_first=False) as bot:
            assert bot.deps.access.owner is not None  # from the stored snapshot
            shown = texts(await bot.command(OWNER, "accounts"))
            assert f"My accounts ({len(_tpids(bot, sandbox.dataset.me.user_id))})" in shown
            assert sandbox.stats.in_flight >= 1  # MSX is still being asked who is signed in
            bot.slack.assert_no_problems()
    finally:
        sandbox.faults.release()


async def test_owners_first_command_waits_for_a_slow_msx_instead_of_a_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.slack.listeners.gate.OWNER_WAIT_S", 0.05)
    sandbox = SandboxMsx()
    sandbox.faults.hang = True  # start-up: MSX (or the Azure CLI) is slow to answer
    try:
        async with running_bot(tmp_path, sandbox=sandbox, learn_owner_first=False) as bot:
            before = len(bot.slack.responses)
            await bot.send(OWNER, "help")  # acknowledged at once (no problem recorded)
            assert bot.deps.access.owner is None
            assert len(bot.slack.responses) == before  # no refusal while we do not know
            sandbox.faults.release()
            shown = texts(await bot.wait_reply(before))
            assert "/msx accounts" in shown and "private" not in shown
            assert not any("private" in texts(b) for _, b in bot.slack.responses)
            bot.slack.assert_no_problems()
    finally:
        sandbox.faults.release()


async def test_without_msx_or_a_snapshot_the_owner_is_told_why_not_refused(
    tmp_path: Path,
) -> None:
    sandbox = SandboxMsx()
    sandbox.faults.fail_after(0)  # the VPN is down: every request fails to connect
    async with running_bot(tmp_path, sandbox=sandbox) as bot:
        assert bot.deps.access.owner is None
        shown = texts(await bot.command(OWNER, "accounts"))
        assert "I can't tell who owns this bot yet: MSX is unreachable" in shown
        assert "private" not in shown and "/msx refresh" not in shown
        bot.slack.assert_no_problems()
