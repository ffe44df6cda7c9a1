"""A mistyped account name finds the account when it is the only close one."""

from __future__ import annotations

from pathlib import Path

from bot_harness import OWNER, running_bot, texts

from bot.domain import Account
from bot.sandbox import build_dataset
from bot.workflows.lookup import find_account

BOOK = build_dataset().expected_accounts(build_dataset().me.user_id)


def _named(name: str) -> Account:
    return next(a for a in BOOK if a.name == name)


def test_a_typo_finds_the_only_close_account() -> None:
    assert find_account(BOOK, "northwnd travel").account == _named("Northwind Travel")
    assert find_account(BOOK, "nortwind trvl").account == _named("Northwind Travel")
    assert find_account(BOOK, "litwre importers").account == _named("Litware Importers")
    assert find_account(BOOK, "fabrikm").account == _named("Fabrikam Inc")


def test_a_typo_near_several_names_is_no_guess() -> None:
    # The sandbox has Northwind Travel and two accounts called Northwind Health.
    match = find_account(BOOK, "northwnd")
    assert match.account is None
    assert {a.name for a in match.suggestions} >= {"Northwind Travel", "Northwind Health"}


def test_a_typo_close_to_several_accounts_picks_none_of_them() -> None:
    match = find_account(BOOK, "contsoo")  # three Contosos are equally close
    assert match.account is None
    assert {a.name for a in match.suggestions} >= {"Contoso Ltd", "Contoso Pharma"}


def test_nothing_close_is_still_no_match() -> None:
    match = find_account(BOOK, "zzyzx quartz emporium")
    assert match.account is None and not match.candidates and match.suggestions


async def test_slack_team_with_a_typo_shows_the_team(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        shown = texts(await bot.command(OWNER, "team fabrikm"))
        assert "Team: Fabrikam Inc" in shown
        assert "No account matches" not in shown
        bot.slack.assert_no_problems()
