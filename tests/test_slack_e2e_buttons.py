"""Buttons end to end: Previous / Next through long lists, Refresh, stale and forged values."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bot_harness import OWNER, Harness, buttons, running_bot, texts

from bot.domain import Account, DiscoveryPath, Identity, Milestone, Role, Snapshot
from bot.slack.blocks.text import escape
from bot.workflows.book import OWNER_KEY


async def page_through(bot: Harness, first: dict) -> list[dict]:
    """Click Next until there is none; every page as the person saw it."""
    pages = [first]
    while "page:next" in buttons(pages[-1]):
        assert len(pages) < 100, "Next never ends"
        pages.append(await bot.click(OWNER, "page:next"))
    return pages


async def test_next_walks_every_milestone_of_the_largest_account_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        data = bot.sandbox.dataset
        account_id = data.special["big_milestones"]
        rows = [
            r
            for r in data.tables["msp_engagementmilestones"]
            if r["_msp_parentaccount_value"] == account_id
        ]
        assert len(rows) == 135
        name = next(a["name"] for a in data.tables["accounts"] if a["accountid"] == account_id)

        first = await bot.command(OWNER, f"milestones {name}")
        shown_before = len(bot.slack.seen_by(OWNER))
        pages = await page_through(bot, first)

        assert len(pages) > 1
        assert f"Page {len(pages)} of {len(pages)}" in texts(pages[-1])
        assert "page:prev" not in buttons(pages[0]) and "page:prev" in buttons(pages[-1])
        seen = [n for page in pages for n in re.findall(r"\((7-\d{9})\)", texts(page))]
        assert sorted(seen) == sorted(r["msp_milestonenumber"] for r in rows)
        assert len(seen) == len(set(seen)) == 135
        # Every page replaced the same message: the person sees one message, not seven.
        assert bot.last_message().edits == len(pages) - 1
        assert len(bot.slack.seen_by(OWNER)) == shown_before

        # Previous goes back one page.
        back = await bot.click(OWNER, "page:prev")
        assert f"Page {len(pages) - 1} of {len(pages)}" in texts(back)
        bot.slack.assert_no_problems()


async def test_next_walks_a_500_account_book_once_each(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        owner = Identity(**vars(bot.sandbox.dataset.me))
        book = synthetic_book(owner, 500)
        bot.runtime.store.save(book)
        bot.runtime.store.set_state("", OWNER_KEY, owner.user_id)
        bot.sandbox.stats.reset()

        first = await bot.command(OWNER, "accounts")
        assert "My accounts (500)" in texts(first)
        pages = await page_through(bot, first)

        seen = [n for page in pages for n in re.findall(r"TPID (T\d{5})", texts(page))]
        assert sorted(seen) == sorted(a.tpid for a in book.accounts if a.tpid)
        assert len(seen) == len(set(seen)) == 500
        # Each page says where it is, and the POD headings carry on across pages.
        for i, page in enumerate(pages):
            assert f"Page {i + 1} of {len(pages)}" in texts(page)
            assert len(page["blocks"]) <= 50
        assert any("(cont.)" in texts(page) for page in pages)
        assert not bot.slack.failed_calls  # the double accepted every page
        assert bot.sandbox.stats.requests == 0  # answered from the snapshot alone
        bot.slack.assert_no_problems()


def synthetic_book(owner: Identity, count: int) -> Snapshot:
    pods = ["West", "East", "Central", "Federal", None]
    accounts = tuple(
        Account(
            id=f"00000000-0000-4000-8000-{i:012d}",
            name=f"Synthetic <&> Account {i:03d}",
            tpid=f"T{i:05d}",
            territory=f"US.Ent.{pods[i % 5] or 'None'}.{i % 17:02d}",
            pod=pods[i % 5],
            my_roles=(Role.GROWTH_SELLER,) if i % 2 else (Role.DATA_SE, Role.INFRA_SE),
        )
        for i in range(count)
    )
    milestones = tuple(
        Milestone(
            id=f"10000000-0000-4000-8000-{i:012d}",
            account_id=accounts[i % count].id,
            name=f"Milestone {i}",
            status=["At Risk", "Blocked", "On Track"][i % 3],
            url=f"https://msx.example/{i}",
        )
        for i in range(300)
    )
    return Snapshot(
        user=owner,
        taken_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3),
        discovery=DiscoveryPath.ACCOUNT_TEAMS,
        accounts=accounts,
        milestones=milestones,
    )


async def test_team_of_the_biggest_account_pages_without_losing_anyone(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        data = bot.sandbox.dataset
        account_id = data.special["big_team"]
        name = next(a["name"] for a in data.tables["accounts"] if a["accountid"] == account_id)
        first = await bot.command(OWNER, f"team {name}")
        pages = await page_through(bot, first)
        shown = "\n".join(texts(p) for p in pages)
        team = data.team_of[account_id]
        for member in team:
            # Only the owner is on Slack: they may be a mention (when their e-mail was among
            # those looked up for the page), everyone else must be there by name.
            owner_mentioned = member.email == data.me.email and f"<@{OWNER}>" in shown
            assert escape(member.name) in shown or owner_mentioned, member
        assert any(m.email == data.me.email for m in team)  # the owner was checked too
        bot.slack.assert_no_problems()


async def test_refresh_button_refreshes_in_place(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        shown_before = len(bot.slack.seen_by(OWNER))
        reply = await bot.click(OWNER, "refresh")
        assert ":white_check_mark: Refreshed" in texts(reply)
        assert "Nothing changed." in texts(reply)
        # The list was replaced by the refresh's progress and result, not added to.
        assert len(bot.slack.seen_by(OWNER)) == shown_before
        assert "Refreshed" in texts({"blocks": bot.last_message().blocks})
        bot.slack.assert_no_problems()


async def test_open_in_msx_is_acknowledged_and_changes_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        data = bot.sandbox.dataset
        name = next(
            a["name"]
            for a in data.tables["accounts"]
            if a["accountid"] == data.special["big_milestones"]
        )
        await bot.command(OWNER, f"milestones {name}")
        message = bot.last_message()
        link = next(k for k in buttons({"blocks": message.blocks}) if k.startswith("open_msx"))
        env = await bot.slack.send_block_action(OWNER, link, message=message)
        await bot.slack.wait_ack(env)
        assert message.edits == 0
        bot.slack.assert_no_problems()


async def test_stale_and_forged_buttons_get_a_clear_answer(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.command(OWNER, "accounts")
        for value in [
            "not json",
            '{"view": "accounts", "page": -1}',
            '{"view": "team", "account": null, "page": 0}',
            '{"view": "nope", "page": 0}',
            "[" * 1500,
        ]:
            reply = await _bare_click(bot, "page:next", value)
            assert "That button no longer works" in texts(reply)
        # A well-formed button for an account that left the book.
        gone = '{"account":"00000000-dead-4000-8000-000000000000","page":0,"view":"milestones"}'
        reply = await _bare_click(bot, "page:next", gone)
        assert "no longer in your snapshot" in texts(reply)
        reply = await _bare_click(bot, "pick_account:0", '{"view": "team"}')
        assert "That button no longer works" in texts(reply)
        # A page past the end (the list shrank since): the last page, not an error.
        reply = await _bare_click(bot, "page:next", '{"account":null,"page":999,"view":"accounts"}')
        assert "My accounts" in texts(reply)
        bot.slack.assert_no_problems()


async def _bare_click(bot: Harness, action_id: str, value: str) -> dict:
    before = len(bot.slack.responses)
    env = await bot.slack.send_block_action(OWNER, action_id, value, channel_id="C1")
    await bot.slack.wait_ack(env)
    return await bot.wait_reply(before)
