"""Pasted MSX links unfurl into a card from the sharer's snapshot, where MSX_BOT_UNFURL allows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bot_harness import COLLEAGUE, OWNER, STRANGER, Harness, running_bot, texts
from pydantic import ValidationError

from bot.config import Settings
from bot.domain import Snapshot
from bot.slack.blocks.text import escape
from bot.workflows.book import cached_book

DM = "D0OWNER1"
CHANNEL = "C0SALES1"


def account_url(base_url: str, account_id: str) -> str:
    """An account's link as MSX shows it in the address bar."""
    return f"{base_url}/main.aspx?pagetype=entityrecord&etn=account&id={account_id}"


def _snapshot(bot: Harness) -> Snapshot:
    book = cached_book(bot.runtime.store)
    assert book is not None
    return book.snapshot


def _settings(bot: Harness, unfurl: str) -> None:
    bot.runtime.settings = bot.runtime.settings.model_copy(update={"msx_bot_unfurl": unfurl})


async def _share(
    bot: Harness, user: str, channel: str, urls: list[str], *, probe: str | None = None
) -> dict[str, Any]:
    """Post `urls`; the unfurls the bot made for that message (maybe none).

    Expecting none, `probe` (a link the owner's DM does unfurl) is shared next: once its
    card is there, the bot has handled the first. Without a probe (MSX_BOT_UNFURL=off) the
    listener returns before its first await, so it is done by the ack.
    """
    env = await bot.slack.share_links(user, channel, urls)
    await bot.slack.wait_ack(env)
    key = list(bot.slack.shared_links)[-1]
    if probe is not None:
        probe_env = await bot.slack.share_links(OWNER, DM, [probe])
        await bot.slack.wait_ack(probe_env)
        probe_key = list(bot.slack.shared_links)[-1]
        await bot.slack.wait_for(lambda: probe_key in bot.slack.unfurls)
    return bot.slack.unfurls.get(key, {})


async def _unfurled(bot: Harness, user: str, channel: str, urls: list[str]) -> dict[str, Any]:
    env = await bot.slack.share_links(user, channel, urls)
    await bot.slack.wait_ack(env)
    key = list(bot.slack.shared_links)[-1]
    return await bot.slack.wait_for(lambda: bot.slack.unfurls.get(key))


def _text(card: dict[str, Any]) -> str:
    return texts({"blocks": card["blocks"]})


async def test_a_milestone_link_unfurls_in_a_dm(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        snap = _snapshot(bot)
        m = next(m for m in snap.milestones if m.workload and m.date)
        account = snap.account(m.account_id)
        assert account is not None
        card = _text((await _unfurled(bot, OWNER, DM, [m.url]))[m.url])
        for part in (escape(m.name), escape(account.name), escape(m.workload or "")):
            assert part in card
        assert m.date is not None and m.date.isoformat() in card
        assert "/mo" in card and (m.status or "No status") in card
        bot.slack.assert_no_problems()


async def test_an_account_link_unfurls_with_its_milestone_counts(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        snap = _snapshot(bot)
        account = max(snap.accounts, key=lambda a: len(snap.milestones_of(a.id)))
        url = account_url(bot.runtime.settings.msx_base_url, account.id.upper())
        card = _text((await _unfurled(bot, OWNER, DM, [url]))[url])
        assert escape(account.name) in card
        assert f"TPID {account.tpid}" in card
        assert account.pod and account.pod in card
        assert f"{len(snap.milestones_of(account.id))} milestones" in card
        bot.slack.assert_no_problems()


async def test_unknown_and_foreign_links_are_left_alone(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        base = bot.runtime.settings.msx_base_url
        known = _snapshot(bot).milestones[0].url
        unknown = account_url(base, "00000000-0000-0000-0000-000000000001")
        other = "https://example.com/main.aspx?etn=account&id=00000000-0000-0000-0000-000000000002"
        assert await _share(bot, OWNER, DM, [unknown, other], probe=known) == {}
        assert len(bot.slack.calls_to("chat.unfurl")) == 1  # the probe's: no error card
        # Beside a known one, only the known one unfurls.
        assert set(await _unfurled(bot, OWNER, DM, [unknown, known])) == {known}
        bot.slack.assert_no_problems()


async def test_dm_only_is_the_default_and_channels_get_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        assert bot.runtime.settings.msx_bot_unfurl == "dm-only"
        await bot.command(OWNER, "accounts")
        url = _snapshot(bot).milestones[0].url
        assert await _share(bot, OWNER, CHANNEL, [url], probe=url) == {}
        bot.slack.assert_no_problems()


async def test_all_unfurls_in_channels_too(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        _settings(bot, "all")
        await bot.command(OWNER, "accounts")
        url = _snapshot(bot).milestones[0].url
        assert url in await _unfurled(bot, OWNER, CHANNEL, [url])
        bot.slack.assert_no_problems()


async def test_off_unfurls_nowhere(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        _settings(bot, "off")
        await bot.command(OWNER, "accounts")
        url = _snapshot(bot).milestones[0].url
        assert await _share(bot, OWNER, DM, [url]) == {}
        assert await _share(bot, OWNER, CHANNEL, [url]) == {}
        await bot.command(OWNER, "help")  # a later request is answered: the bot is not stuck
        assert not bot.slack.calls_to("chat.unfurl")
        bot.slack.assert_no_problems()


async def test_a_strangers_link_is_not_unfurled(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        _settings(bot, "all")
        await bot.command(OWNER, "accounts")
        url = _snapshot(bot).milestones[0].url
        bot.sandbox.stats.reset()
        assert await _share(bot, STRANGER, CHANNEL, [url], probe=url) == {}
        assert len(bot.slack.calls_to("chat.unfurl")) == 1  # the owner's probe only
        assert bot.sandbox.stats.requests == 0
        bot.slack.assert_no_problems()


async def test_a_colleague_unfurls_from_their_own_book(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        _settings(bot, "all")
        await bot.command(OWNER, "accounts")
        await bot.command(COLLEAGUE, "accounts")
        data = bot.sandbox.dataset
        mine = set(data.accounts_of[data.me.user_id]) - set(
            data.accounts_of[data.colleagues[0].user_id]
        )
        only_owner = next(a for a in _snapshot(bot).accounts if a.id in mine)
        url = account_url(bot.runtime.settings.msx_base_url, only_owner.id)
        assert await _share(bot, COLLEAGUE, CHANNEL, [url], probe=url) == {}
        assert url in await _unfurled(bot, OWNER, CHANNEL, [url])
        bot.slack.assert_no_problems()


def test_msx_bot_unfurl_reads_its_three_words_and_refuses_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for word, expected in (("off", "off"), (" ALL ", "all"), ("dm-only", "dm-only")):
        monkeypatch.setenv("MSX_BOT_UNFURL", word)
        assert Settings(_env_file=None).msx_bot_unfurl == expected  # type: ignore[call-arg]
    monkeypatch.setenv("MSX_BOT_UNFURL", "")
    assert Settings(_env_file=None).msx_bot_unfurl == "dm-only"  # type: ignore[call-arg]
    monkeypatch.setenv("MSX_BOT_UNFURL", "channels")
    with pytest.raises(ValidationError, match="msx_bot_unfurl"):
        Settings(_env_file=None)  # type: ignore[call-arg]


async def test_the_double_refuses_unfurls_slack_would_refuse(tmp_path: Path) -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    async with running_bot(tmp_path) as bot:
        _settings(bot, "off")
        env = await bot.slack.share_links(OWNER, DM, ["https://msx.sandbox.test/main.aspx?x=1"])
        await bot.slack.wait_ack(env)
        _, ts = list(bot.slack.shared_links)[-1]
        client = AsyncWebClient(token="xoxb-test", base_url=bot.slack.api_url)
        card = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}]}
        refusals = [
            (
                {"channel": DM, "ts": ts, "unfurls": {"https://elsewhere.test/": card}},
                "cannot_unfurl_message",
            ),
            (
                {
                    "channel": DM,
                    "ts": "1.000001",
                    "unfurls": {"https://msx.sandbox.test/main.aspx?x=1": card},
                },
                "cannot_unfurl_message",
            ),
            (
                {
                    "channel": DM,
                    "ts": ts,
                    "unfurls": {
                        "https://msx.sandbox.test/main.aspx?x=1": {"blocks": [{"type": "nope"}]}
                    },
                },
                "invalid_blocks",
            ),
            (
                {"channel": DM, "unfurls": {"https://msx.sandbox.test/main.aspx?x=1": card}},
                "invalid_arguments",
            ),
        ]
        for kwargs, error in refusals:
            with pytest.raises(SlackApiError) as refused:
                await client.chat_unfurl(**kwargs)
            assert refused.value.response["error"] == error
        await client.chat_unfurl(
            channel=DM, ts=ts, unfurls={"https://msx.sandbox.test/main.aspx?x=1": card}
        )
        assert bot.slack.unfurls[(DM, ts)]
