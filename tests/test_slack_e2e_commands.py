"""Each /msx command end to end: the real Bolt app, the Slack double, the MSX sandbox."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from bot_harness import (
    OWNER,
    buttons,
    everything_sent,
    running_bot,
    texts,
)

from bot.domain import Role, fold
from bot.sandbox.schema import FORMATTED, MILESTONE_STATUS
from bot.slack.blocks.text import escape


async def test_accounts_imports_on_first_use_then_lists_my_accounts(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        reply = await bot.command(OWNER, "accounts")
        shown = texts(reply)
        expected = bot.sandbox.dataset.expected_accounts(bot.sandbox.dataset.me.user_id)
        assert f"My accounts ({len(expected)})" in shown
        for account in expected:
            assert account.tpid and account.tpid in shown
        # Grouped by POD, each heading once per page with its count.
        pods = {a.pod for a in expected if a.pod}
        assert pods
        for pod in pods:
            assert re.search(rf"\*{re.escape(pod)} \(\d+\)\*", shown), pod
        # Territory, my roles, milestone health, the snapshot's age, a Refresh button.
        with_territory = next(a for a in expected if a.territory and a.territory != "Unassigned")
        assert with_territory.territory in shown
        lines = {a.id: _line_of(shown, a.tpid) for a in expected if a.tpid}
        for account in expected:
            line = lines[account.id]
            for role in account.my_roles:
                assert Role(role).label in line, (role, line)
            statuses = Counter(_statuses(bot.sandbox.dataset, account.id))
            at_risk, blocked = statuses["At Risk"], statuses["Blocked"]
            assert (f":warning: {at_risk} at risk" in line) == bool(at_risk), line
            assert (f":no_entry: {blocked} blocked" in line) == bool(blocked), line
            assert ("no milestones" in line) == (not statuses), line
            assert ("on track" in line) == bool(statuses and not (at_risk or blocked)), line
        # The sandbox has accounts of every kind, so each branch above was taken.
        assert any("at risk" in line for line in lines.values())
        assert any("blocked" in line for line in lines.values())
        assert any("no milestones" in line for line in lines.values())
        assert "Snapshot from just now" in shown
        assert "refresh" in buttons(reply)
        assert reply["response_type"] == "ephemeral"
        bot.slack.assert_no_problems()


@pytest.mark.parametrize("text", ["help", "", "   ", "HELP"])
async def test_help_for_help_and_empty_text(tmp_path: Path, text: str) -> None:
    async with running_bot(tmp_path) as bot:
        before = bot.sandbox.stats.requests  # start-up asked MSX who the owner is
        reply = await bot.command(OWNER, text)
        shown = texts(reply)
        for usage in ("/msx accounts", "/msx team", "/msx milestones", "/msx refresh"):
            assert usage in shown
        assert reply["response_type"] == "ephemeral"
        # Help never needs MSX: even with no snapshot yet, it starts no import.
        assert bot.sandbox.stats.requests == before
        assert bot.sandbox.stats.in_flight == 0
        assert "Refreshing" not in shown
        bot.slack.assert_no_problems()


async def test_unknown_subcommand_gets_help_and_did_you_mean(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        typo = texts(await bot.command(OWNER, "acounts"))
        assert "I don't know `acounts`" in typo
        assert "Did you mean `/msx accounts`?" in typo
        assert "/msx milestones" in typo  # the usage follows

        nonsense = texts(await bot.command(OWNER, "xyzzy plugh"))
        assert "I don't know `xyzzy`" in nonsense
        assert "Did you mean" not in nonsense
        assert "/msx accounts" in nonsense
        bot.slack.assert_no_problems()


async def test_team_shows_roles_with_mentions_for_slack_users(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        data = bot.sandbox.dataset
        account_id = data.special["solo_team"]
        # Pick an account whose team has several people, and make two of them Slack users.
        account_id = next(
            a.id for a in data.expected_accounts(data.me.user_id) if len(data.team_of[a.id]) >= 6
        )
        # The first two people shown (by role, then name) with an e-mail: a reply looks up
        # a bounded number of e-mails, in the order it shows people.
        members = sorted(
            data.team_of[account_id], key=lambda m: (list(Role).index(m.role), m.name.casefold())
        )
        on_slack = [m for m in members if m.email and m.user_id != data.me.user_id][:2]
        for i, member in enumerate(on_slack):
            bot.slack.add_user(f"UTEAM{i}", f"member{i}", member.email, real_name=member.name)
        off_slack = next(m for m in members if m not in on_slack and m.user_id != data.me.user_id)
        name = next(a["name"] for a in data.tables["accounts"] if a["accountid"] == account_id)

        reply = await bot.command(OWNER, f"team {name}")
        shown = texts(reply)
        assert f"Team: {name}" in shown
        for i, _member in enumerate(on_slack):
            assert f"<@UTEAM{i}>" in shown
        assert off_slack.name in shown
        for member in on_slack:
            assert member.name not in shown.replace(f"<@{member.user_id}>", "")
        # Role headings: sellers and SEs.
        for heading in ("Growth Sellers", "Acquisition Sellers", "Data SEs", "Infra SEs"):
            assert heading.casefold() in shown.casefold()
        bot.slack.assert_no_problems()


async def test_milestones_show_status_details_and_msx_links(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        data = bot.sandbox.dataset
        mine = data.expected_accounts(data.me.user_id)
        account = next(a for a in mine if 3 <= len(data.milestones_of[a.id]) <= 10)
        rows = [
            r
            for r in data.tables["msp_engagementmilestones"]
            if r["_msp_parentaccount_value"] == account.id
        ]
        reply = await bot.command(OWNER, f"milestones {account.name}")
        shown = texts(reply)
        assert f"Milestones: {account.name}" in shown
        for row in rows:
            assert escape(row["msp_name"]) in shown
            assert row["msp_milestonenumber"] in shown
            assert row[f"_msp_workloadlkid_value@{FORMATTED}"] in shown
            if row["msp_monthlyuse"] is not None:
                assert f"${row['msp_monthlyuse']:,.0f}/mo" in shown
            opportunity = row.get(f"_msp_opportunityid_value@{FORMATTED}")
            if opportunity:
                assert escape(opportunity) in shown
            if row["msp_milestonedate"]:
                assert row["msp_milestonedate"][:10] in shown
            assert MILESTONE_STATUS[row["msp_milestonestatus"]] in shown
        links = [b for b in buttons(reply).values() if b.get("url")]
        assert len(links) == len(rows)
        assert all(b["text"]["text"] == "Open in MSX" for b in links)
        assert all(b["url"].startswith("https://") for b in links)
        # Status markers lead each line.
        assert re.search(r":(red|large_orange|large_green|white)_circle:|:white_check_mark:", shown)
        bot.slack.assert_no_problems()


async def test_ambiguous_query_offers_buttons_and_picking_shows_the_account(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        data = bot.sandbox.dataset
        contosos = [a for a in data.expected_accounts(data.me.user_id) if "contoso" in fold(a.name)]
        assert len(contosos) >= 2
        reply = await bot.command(OWNER, "milestones contoso")
        assert "Several accounts match `contoso`" in texts(reply)
        picks = {k: b for k, b in buttons(reply).items() if k.startswith("pick_account")}
        labels = " ".join(b["text"]["text"] for b in picks.values())
        for account in contosos:
            assert account.name in labels
        chosen = contosos[0]
        action = next(k for k, b in picks.items() if b["text"]["text"].startswith(chosen.name))

        picked = await bot.click(OWNER, action)
        assert f"Milestones: {chosen.name}" in texts(picked)
        # The pick replaced the question: the person sees one message, now the answer.
        message = bot.last_message()
        assert message.edits == 1 and "Milestones:" in texts({"blocks": message.blocks})
        bot.slack.assert_no_problems()


async def test_no_match_suggests_the_closest_names(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        # Close enough to be the one meant: the team is shown.
        shown = texts(await bot.command(OWNER, "team Fabrikm Inx"))
        assert "Team: Fabrikam Inc" in shown
        # Too far to be sure: the closest name comes first among the suggestions.
        shown = texts(await bot.command(OWNER, "team nrthwnd"))
        assert "No account matches `nrthwnd`" in shown
        # Northwind Travel and the two accounts called Northwind Health, nothing else.
        closest = shown.split("Closest: ")[1].split("\n")[0]
        assert sorted(closest.split(", ")) == [
            "*Northwind Health*",
            "*Northwind Health*",
            "*Northwind Travel*",
        ]
        assert "/msx accounts" not in shown
        bot.slack.assert_no_problems()


async def test_a_name_like_none_of_mine_points_to_the_list(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        shown = texts(await bot.command(OWNER, "team qqqqqqqq"))
        assert "No account matches `qqqqqqqq`" in shown
        assert "Closest:" not in shown
        assert "See all of yours with `/msx accounts`." in shown


async def test_refresh_reports_progress_then_what_changed_in_one_message(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        data = bot.sandbox.dataset
        await bot.command(OWNER, "accounts")  # the first import

        # Between refreshes MSX changes: one milestone moves, one account leaves my book,
        # one account joins it.
        mine = data.expected_accounts(data.me.user_id)
        milestones = data.tables["msp_engagementmilestones"]
        moved = next(
            r
            for r in milestones
            if r["_msp_parentaccount_value"] == mine[0].id and r["msp_milestonestatus"] != 861980001
        )
        moved["msp_milestonestatus"] = 861980001
        moved[f"msp_milestonestatus@{FORMATTED}"] = MILESTONE_STATUS[861980001]
        leaving = mine[-1]
        teams = data.tables["msp_accountteams"]
        for row in teams:
            if row["_msp_accountid_value"] == leaving.id and row["_msp_systemuserid_value"] == (
                data.me.user_id
            ):
                row["msp_qualifier2"] = "Modern Work"
        joining_id = next(
            aid for aid, owners in _owners(data).items() if data.me.user_id not in owners
        )
        template = next(
            r
            for r in teams
            if r["_msp_systemuserid_value"] == data.me.user_id
            and r["_msp_accountid_value"] == mine[0].id
            and r["msp_qualifier1"] == "Corporate"
        )
        data.insert(
            "msp_accountteams",
            {
                **template,
                "msp_accountteamid": "00000000-0000-4000-8000-000000000001",
                "_msp_accountid_value": joining_id,
            },
        )
        joining = next(a["name"] for a in data.tables["accounts"] if a["accountid"] == joining_id)

        before = len(bot.slack.responses)
        env = await bot.send(OWNER, "refresh")
        reply = await bot.wait_reply(before)
        shown = texts(reply)
        assert ":white_check_mark: Refreshed" in shown
        assert "New accounts (1)" in shown and escape(joining) in shown
        assert "No longer in your book (1)" in shown and escape(leaving.name) in shown
        assert "Status changes (1)" in shown and escape(moved["msp_name"]) in shown
        # One response URL carried the whole conversation: the first line, progress, the end.
        posts = [body for rid, body in bot.slack.responses[before:]]
        rids = {rid for rid, _ in bot.slack.responses[before:]}
        assert len(rids) == 1 and env.response_url and env.response_url.endswith(rids.pop())
        assert "Refreshing from MSX" in texts(posts[0])
        assert 2 <= len(posts) <= 5
        assert all(p.get("response_type") == "ephemeral" for p in posts)
        bot.slack.assert_no_problems()


def _line_of(shown: str, tpid: str) -> str:
    """The one line of the accounts list that shows this TPID."""
    found = [line for line in shown.splitlines() if f"TPID {tpid} " in line]
    assert len(found) == 1, (tpid, found)
    return found[0]


def _statuses(data, account_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The status labels of an account's milestones, as MSX holds them."""
    return [
        MILESTONE_STATUS[r["msp_milestonestatus"]]
        for r in data.tables["msp_engagementmilestones"]
        if r["_msp_parentaccount_value"] == account_id
    ]


def _owners(data) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    owners: dict[str, set[str]] = {}
    for row in data.tables["msp_accountteams"]:
        owners.setdefault(row["_msp_accountid_value"], set()).add(row["_msp_systemuserid_value"])
    return owners


async def test_markup_in_names_pings_nobody(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        data = bot.sandbox.dataset
        channel_id = data.special["channel"]
        name = next(a["name"] for a in data.tables["accounts"] if a["accountid"] == channel_id)
        assert name == "<!channel> Industries"
        accounts = texts(await bot.command(OWNER, "accounts"))
        assert "&lt;!channel&gt; Industries" in accounts
        await bot.command(OWNER, "team channel industries")
        await bot.command(OWNER, "milestones channel industries")
        await bot.command(OWNER, "team <!channel>")
        await bot.command(OWNER, "milestones <@UOWNER> <!here> <#C1|general>")
        for text in everything_sent(bot.slack):
            assert "<!channel>" not in text and "<!here>" not in text
            assert "<#C1" not in text
        bot.slack.assert_no_problems()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Quotes are not part of the name: both Contosos of that name are offered.
        ('team "Contoso Ltd"', 'Several accounts match `"Contoso Ltd"`: pick one.'),
        ("team 'O'Reilly Media'", "Team: O'Reilly Media"),
        # A backtick would end the code span the query is echoed in.
        ("milestones *bold* _it_ ~st~ `code`", "No account matches `*bold* _it_ ~st~ 'code'`."),
        ("team " + "x" * 5000, "No account matches `xxx"),
        # Control characters are dropped, the words around them kept.
        (
            "milestones " + "Contoso\x00\x07\x1b[31m\x7f Ltd",
            "Several accounts match `Contoso [31m Ltd`",
        ),
        ("accounts\x00\x01", "My accounts ("),
        ("team \u202eevil\u200b", "No account matches `"),
        ("\x00\x00\x00", "`/msx accounts` — your accounts by POD"),
    ],
    ids=["quotes", "apostrophe", "markup", "5000-chars", "control", "control-head", "bidi", "nul"],
)
async def test_odd_input_gets_a_clear_reply(tmp_path: Path, text: str, expected: str) -> None:
    async with running_bot(tmp_path) as bot:
        reply = await bot.command(OWNER, text)
        shown = texts(reply)
        assert expected in shown
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", shown)
        assert "Traceback" not in shown and "Something went wrong" not in shown
        assert reply["response_type"] == "ephemeral"
        bot.slack.assert_no_problems()


async def test_app_home_shows_the_owners_snapshot(tmp_path: Path) -> None:
    from slack_double import payloads

    async with running_bot(tmp_path) as bot:
        await bot.slack.send_event(payloads.app_home_opened(OWNER, "D1"))
        home = await bot.slack.wait_for(lambda: bot.slack.home_views.get(OWNER))
        assert "No snapshot yet" in texts(home)

        await bot.command(OWNER, "accounts")
        await bot.slack.send_event(payloads.app_home_opened(OWNER, "D1"))
        await bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.publish")) == 2)
        shown = texts(bot.slack.home_views[OWNER])
        count = len(bot.sandbox.dataset.accounts_of[bot.sandbox.dataset.me.user_id])
        assert f"Avery Quinn*: {count} accounts" in shown
        assert "/msx accounts" in shown
        bot.slack.assert_no_problems()
