"""`/msx team <account>`: roles, mentions, escaping, a big team."""

from __future__ import annotations

from blocks_fixtures import (
    CHANNEL,
    CONTOSO,
    FRESH,
    MENTIONS,
    NOW,
    TEAM,
    all_text,
    assert_no_raw_markup,
    member,
    mrkdwn,
)

from bot.domain import Role
from bot.slack.blocks import check_message, team_blocks


def _sections(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_sections_per_role_in_order_with_empty_ones_said() -> None:
    blocks = team_blocks(CONTOSO, list(TEAM), MENTIONS, FRESH, NOW)
    check_message(blocks)
    assert blocks[0]["text"]["text"] == "Team: Contoso Ltd"
    headings = [s.splitlines()[0] for s in _sections(blocks)]
    assert headings == [
        "*Growth sellers*",
        "*Acquisition sellers*",
        "*Data SEs*",
        "*Infra SEs*",
        "*Apps SEs*",
    ]
    assert _sections(blocks)[1] == "*Acquisition sellers*\nnone on record"
    assert "Snapshot from 5 min ago" in all_text(blocks)
    assert "TPID 1001" in all_text(blocks)


def test_mentions_when_email_maps_names_otherwise() -> None:
    blocks = team_blocks(CONTOSO, list(TEAM), MENTIONS, FRESH, NOW)
    growth, _, data, infra, _ = _sections(blocks)
    # Email case differs from the mentions map; it still maps.
    assert "• <@U0ANA> — _AE_" in growth
    assert "Ana Núñez" not in growth
    assert "• <@U0CHLOE> — _Data SE_" in data
    assert "• Dev Patel" in infra  # email known, but no Slack user for it


def test_names_and_titles_escaped() -> None:
    blocks = team_blocks(CHANNEL, list(TEAM), MENTIONS, FRESH, NOW)
    assert_no_raw_markup(blocks)
    text = "\n".join(mrkdwn(blocks))
    assert "Bob &lt;@U999&gt; Smith — _Account Exec &amp; Lead_" in text
    assert "<@U999>" not in text
    assert blocks[0]["text"]["type"] == "plain_text"  # Slack does not parse mentions there


def test_bad_mention_ids_fall_back_to_names() -> None:
    person = member(9, Role.APPS_SE, "Eve", email="eve@x.example")
    blocks = team_blocks(CONTOSO, [person], {"eve@x.example": "<!channel>"}, FRESH, NOW)
    assert_no_raw_markup(blocks)
    assert "• Eve" in all_text(blocks)


def test_duplicate_assignments_shown_once() -> None:
    people = [TEAM[3], TEAM[3]]
    blocks = team_blocks(CONTOSO, people, {}, FRESH, NOW)
    assert all_text(blocks).count("Dev Patel") == 1


def test_team_of_99_fits_and_shows_everyone() -> None:
    roles = list(Role)
    people = [
        member(
            i, roles[i % 5], f"Person {i:03d} " + "Ø" * 40, title="Cloud Solution Architect " * 3
        )
        for i in range(99)
    ]
    blocks = team_blocks(CONTOSO, people, {}, FRESH, NOW)
    check_message(blocks)
    text = all_text(blocks)
    assert all(text.count(f"Person {i:03d} ") == 1 for i in range(99))


def test_huge_team_paginates() -> None:
    people = [member(i, Role.DATA_SE, f"Person {i:04d} " + "x" * 100) for i in range(2000)]
    first = team_blocks(CONTOSO, people, {}, FRESH, NOW)
    check_message(first)
    assert "Page 1 of" in all_text(first)
    seen = 0
    page = 0
    while True:
        blocks = team_blocks(CONTOSO, people, {}, FRESH, NOW, page=page)
        check_message(blocks)
        seen += all_text(blocks).count("• Person ")
        if "Next ▶" not in all_text(blocks):
            break
        page += 1
    assert seen == 2000
