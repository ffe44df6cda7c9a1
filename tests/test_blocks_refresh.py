"""Refresh progress and the summary of what changed."""

from __future__ import annotations

from blocks_fixtures import (
    CAFE,
    CHANNEL,
    CONTOSO,
    S,
    all_text,
    assert_no_raw_markup,
    milestone,
    snapshot,
)

from bot.domain import Account, SnapshotDiff, StatusChange
from bot.slack.blocks import check_message, refresh_done_blocks, refresh_progress_blocks
from bot.slack.blocks.refresh import progress_bar


def test_progress_bar() -> None:
    assert progress_bar(0, 40) == "▱" * 10
    assert progress_bar(12, 40) == "▰" * 3 + "▱" * 7
    assert progress_bar(40, 40) == "▰" * 10
    assert progress_bar(99, 40) == "▰" * 10
    assert progress_bar(-3, 40) == "▱" * 10


def test_progress_blocks() -> None:
    text = all_text(refresh_progress_blocks("teams", 12, 40))
    assert "Refreshing… teams 12/40" in text and "▰▰▰▱▱▱▱▱▱▱" in text
    assert "Refreshing… accounts (7 so far)" in all_text(
        refresh_progress_blocks("accounts", 7, None)
    )
    check_message(refresh_progress_blocks("<x>" * 1000, 1, 2))


def test_nothing_changed() -> None:
    blocks = refresh_done_blocks(SnapshotDiff(), snapshot(), 3.21)
    check_message(blocks)
    text = all_text(blocks)
    assert "Refreshed in 3.2 s: 5 accounts, 7 milestones." in text
    assert "Nothing changed." in text


def test_changes_listed_escaped_needs_attention_first() -> None:
    diff = SnapshotDiff(
        accounts_added=(CHANNEL,),
        accounts_removed=(CAFE,),
        status_changes=(
            StatusChange(
                milestone=milestone(9, S.COMPLETED.value, name="Zeta"),
                old_status=S.ON_TRACK.value,
                new_status=S.COMPLETED.value,
            ),
            StatusChange(
                milestone=milestone(1, S.AT_RISK.value, name="Data platform migration"),
                old_status=S.ON_TRACK.value,
                new_status=S.AT_RISK.value,
            ),
        ),
    )
    blocks = refresh_done_blocks(diff, snapshot(), 10)
    check_message(blocks)
    assert_no_raw_markup(blocks)
    text = all_text(blocks)
    assert "Nothing changed" not in text
    assert "*New accounts (1):* *&lt;!channel&gt; Industries*" in text
    assert "*No longer in your book (1):* *Café Nordström AB*" in text
    migration = (
        "• *Data platform migration* (Contoso Ltd): On Track → :large_orange_circle: At Risk"
    )
    assert migration in text
    assert text.index("Data platform migration") < text.index("Zeta")


def test_long_lists_capped_with_and_more() -> None:
    added = tuple(Account(id=f"n{i}", name=f"New {i} " + "&" * 100) for i in range(57))
    changes = tuple(
        StatusChange(
            milestone=milestone(i, S.BLOCKED.value, name="M" * 300),
            old_status=None,
            new_status=S.BLOCKED.value,
        )
        for i in range(300)
    )
    diff = SnapshotDiff(accounts_added=added, status_changes=changes)
    blocks = refresh_done_blocks(diff, snapshot(accounts=(CONTOSO,)), 1)
    check_message(blocks)
    text = all_text(blocks)
    assert " more" in text
    assert "and 37 more" in text  # 57 added, 20 listed
    assert "no status → :red_circle: Blocked" in text


def test_gaps_warn() -> None:
    gaps = tuple(f"team of account {i}" for i in range(8))
    blocks = refresh_done_blocks(SnapshotDiff(), snapshot(gaps=gaps), 1)
    check_message(blocks)
    assert ":warning: Not fetched whole: team of account 0;" in all_text(blocks)
    assert "(and 3 more)" in all_text(blocks)
    explicit = refresh_done_blocks(SnapshotDiff(), snapshot(gaps=gaps), 1, gaps=())
    assert "Not fetched whole" not in all_text(explicit)
