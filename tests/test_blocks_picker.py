"""Picking among several accounts, no match, help, and the short notices."""

from __future__ import annotations

import pytest
from blocks_fixtures import ACCOUNTS, CHANNEL, CONTOSO, TOM, all_text, assert_no_raw_markup

from bot.domain import Account
from bot.slack.blocks import (
    check_message,
    error_blocks,
    help_blocks,
    no_match_blocks,
    pick_account_blocks,
    refusal_blocks,
    working_blocks,
)
from bot.slack.blocks.ids import PICK_ACCOUNT_PATTERN, PickRef


def _buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_picker_offers_a_button_per_candidate() -> None:
    blocks = pick_account_blocks("contoso", list(ACCOUNTS[:3]), "team")
    check_message(blocks)
    assert "Several accounts match `contoso`: pick one." in all_text(blocks)
    found = _buttons(blocks)
    assert [PickRef.decode(b["value"]).account for b in found] == [a.id for a in ACCOUNTS[:3]]
    assert all(PickRef.decode(b["value"]).view == "team" for b in found)
    assert all(PICK_ACCOUNT_PATTERN.match(b["action_id"]) for b in found)
    assert found[1]["text"]["text"] == "<!channel> Industries (1002)"  # plain_text: inert
    assert_no_raw_markup(blocks)


def test_picker_caps_candidates_and_says_how_many_more() -> None:
    many = [Account(id=f"a{i}", name=f"Contoso {i}") for i in range(14)]
    blocks = pick_account_blocks("contoso", many, "milestones")
    check_message(blocks)
    assert len(_buttons(blocks)) == 10
    assert "and 4 more: be more specific." in all_text(blocks)


def test_picker_splits_buttons_across_actions_blocks() -> None:
    many = [Account(id=f"a{i}", name="Contoso " + "x" * 100, tpid=str(i)) for i in range(60)]
    blocks = pick_account_blocks("contoso", many, "team", limit=60)
    check_message(blocks)
    sizes = [len(b["elements"]) for b in blocks if b["type"] == "actions"]
    assert sizes == [25, 25, 10]
    # Long names are cut, the TPID that tells twins apart is kept.
    assert all(len(b["text"]["text"]) <= 75 for b in _buttons(blocks))
    assert _buttons(blocks)[7]["text"]["text"].endswith("(7)")


def test_picker_rejects_a_view_without_an_account() -> None:
    with pytest.raises(ValueError):
        pick_account_blocks("x", [CONTOSO], "accounts")


def test_picker_query_escaped_and_truncated() -> None:
    blocks = pick_account_blocks("<!channel>" + "a" * 5000, [CONTOSO, TOM], "team")
    check_message(blocks)
    assert_no_raw_markup(blocks)
    assert len(all_text(blocks)) < 500


def test_no_match_lists_closest_escaped() -> None:
    blocks = no_match_blocks("xyz", [CONTOSO, CHANNEL, TOM])
    check_message(blocks)
    text = all_text(blocks)
    assert "No account matches `xyz`." in text
    assert "Closest: *Contoso Ltd*, *&lt;!channel&gt; Industries*, *Tom &amp; Jerry's*" in text
    assert_no_raw_markup(blocks)
    assert "`/msx accounts`" in all_text(no_match_blocks("xyz", []))


def test_help_lists_every_command() -> None:
    blocks = help_blocks()
    check_message(blocks)
    text = all_text(blocks)
    for command in ("accounts", "team &lt;account&gt;", "milestones &lt;account&gt;", "refresh"):
        assert f"`/msx {command}`" in text
    assert "`/msx help`" in text
    assert "I don't know" not in text
    assert_no_raw_markup(blocks)


def test_help_for_an_unknown_subcommand_suggests() -> None:
    text = all_text(help_blocks(suggestion="accounts", unknown="acounts"))
    assert "I don't know `acounts`. Did you mean `/msx accounts`?" in text
    assert "Did you mean" not in all_text(help_blocks(unknown="zzz"))
    slashed = all_text(help_blocks(suggestion="/msx team", unknown="taem"))
    assert "Did you mean `/msx team`?" in slashed


def test_help_truncates_and_escapes_long_input() -> None:
    blocks = help_blocks(unknown="<!everyone> " + "x" * 5000, suggestion="<@U1>")
    check_message(blocks)
    assert_no_raw_markup(blocks)
    assert len(blocks[0]["text"]["text"]) < 200


def test_refusal_names_the_owner_and_shows_no_data() -> None:
    text = all_text(refusal_blocks("Dana <Seller>"))
    assert text == "Sorry, this MSX bot is private to *Dana &lt;Seller&gt;*; ask them to add you."
    assert "its owner" in all_text(refusal_blocks(None))


def test_error_keeps_backticks_escapes_markup() -> None:
    blocks = error_blocks("MSX is unreachable: connect to the VPN, then `/msx refresh` <!here>")
    check_message(blocks)
    text = all_text(blocks)
    assert text.startswith(":x: MSX is unreachable")
    assert "`/msx refresh`" in text and "&lt;!here&gt;" in text
    check_message(error_blocks("x" * 10000, hint="y" * 10000))


def test_working() -> None:
    assert "Fetching" in all_text(working_blocks("Fetching & sorting"))
    assert "&amp;" in all_text(working_blocks("Fetching & sorting"))
