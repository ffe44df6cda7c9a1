"""`/msx accounts`: grouping, health, escaping, and paging a big book within limits."""

from __future__ import annotations

import re
from collections import Counter

from blocks_fixtures import (
    FRESH,
    NOW,
    STALE,
    all_text,
    assert_no_raw_markup,
    big_book,
    buttons,
    milestone,
    mrkdwn,
    snapshot,
)

from bot.domain import Account, MilestoneStatus
from bot.slack.blocks import accounts_blocks, check_message
from bot.slack.blocks.ids import ACTION_PAGE_NEXT, ACTION_PAGE_PREV, ACTION_REFRESH, PageRef


def _line_of(blocks: list[dict], name_fragment: str) -> str:
    lines = [ln for text in mrkdwn(blocks) for ln in text.splitlines() if name_fragment in ln]
    assert len(lines) == 1, lines
    return lines[0]


def test_small_book_grouped_by_pod_with_no_pod_last() -> None:
    blocks = accounts_blocks(snapshot(), FRESH, NOW)
    check_message(blocks)
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "My accounts (5)"
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert [s.splitlines()[0] for s in sections] == [
        "*East POD 06 (2)*",
        "*West POD 07 (2)*",
        "*No POD (1)*",
    ]
    assert "Contoso Ltd" in sections[0] and "O'Reilly Media" in sections[2]


def test_each_line_shows_tpid_territory_roles_and_health() -> None:
    blocks = accounts_blocks(snapshot(), FRESH, NOW)
    contoso = _line_of(blocks, "Contoso Ltd")
    assert "*Contoso Ltd*" in contoso
    assert "TPID 1001" in contoso and "East.SMECC.MAA.0601" in contoso
    assert "Growth seller" in contoso
    assert ":warning: 2 at risk" in contoso and ":no_entry: 1 blocked" in contoso
    assert "Data SE, Infra SE" in _line_of(blocks, "Tom &amp; Jerry")
    assert ":white_check_mark: on track" in _line_of(blocks, "Tom &amp; Jerry")
    assert ":white_check_mark: on track" in _line_of(blocks, "Café Nordström")  # completed only
    assert "no milestones" in _line_of(blocks, "O'Reilly")


def test_names_are_escaped() -> None:
    blocks = accounts_blocks(snapshot(), FRESH, NOW)
    assert_no_raw_markup(blocks)
    text = all_text(blocks)
    assert "<!channel>" not in text
    assert "*&lt;!channel&gt; Industries*" in text
    assert "Tom &amp; Jerry's" in text


def test_pod_derived_from_territory_when_missing() -> None:
    account = Account(id="x", name="Fabrikam", territory="East.SMECC.MAA.0601")
    blocks = accounts_blocks(snapshot(accounts=(account,), milestones=()), FRESH, NOW)
    assert "*East POD 06 (1)*" in all_text(blocks)


def test_freshness_and_refresh_button() -> None:
    blocks = accounts_blocks(snapshot(), STALE, NOW)
    assert ":warning: Snapshot from 3 h ago — not fresh: MSX unreachable: VPN?" in all_text(blocks)
    (refresh,) = [b for b in buttons(blocks) if b["action_id"] == ACTION_REFRESH]
    assert PageRef.decode(refresh["value"]) == PageRef(view="accounts", account=None, page=0)
    # One page: no paging buttons, no "Page 1 of 1".
    assert "Page 1 of" not in all_text(blocks)
    assert len(buttons(blocks)) == 1


def test_gaps_warn() -> None:
    blocks = accounts_blocks(snapshot(gaps=("teams of 3 accounts", "x")), FRESH, NOW)
    assert ":warning: Incomplete: teams of 3 accounts (+1 more)" in all_text(blocks)


def test_empty_book_says_what_to_do() -> None:
    blocks = accounts_blocks(snapshot(accounts=(), milestones=()), FRESH, NOW)
    check_message(blocks)
    assert "`/msx refresh`" in all_text(blocks)


def test_500_accounts_every_page_within_limits_every_account_once() -> None:
    book = big_book(500)
    first = accounts_blocks(book, FRESH, NOW)
    match = re.search(r"Page 1 of (\d+)", all_text(first))
    assert match
    pages = int(match.group(1))
    assert pages > 1
    seen: Counter[str] = Counter()
    for page in range(pages):
        blocks = accounts_blocks(book, FRESH, NOW, page=page)
        check_message(blocks)
        assert_no_raw_markup(blocks)
        assert f"Page {page + 1} of {pages}" in all_text(blocks)
        seen.update(re.findall(r"TPID (\d+)", all_text(blocks)))
        nav = {b["action_id"]: b for b in buttons(blocks)}
        assert (ACTION_PAGE_PREV in nav) == (page > 0)
        assert (ACTION_PAGE_NEXT in nav) == (page < pages - 1)
        if page < pages - 1:
            ref = PageRef.decode(nav[ACTION_PAGE_NEXT]["value"])
            assert ref == PageRef(view="accounts", account=None, page=page + 1)
    assert seen == Counter({a.tpid: 1 for a in book.accounts if a.tpid})


def test_page_past_the_end_shows_the_last_page() -> None:
    book = big_book(120)
    last = accounts_blocks(book, FRESH, NOW, page=999)
    assert "Next ▶" not in all_text(last) and "◀ Previous" in all_text(last)


def test_at_risk_count_matches_milestones() -> None:
    account = Account(id="a", name="Northwind", pod="East POD 01")
    statuses = [MilestoneStatus.AT_RISK] * 3 + [MilestoneStatus.BLOCKED] * 2
    statuses += [MilestoneStatus.ON_TRACK]
    ms = tuple(milestone(i, s.value, account=account) for i, s in enumerate(statuses))
    blocks = accounts_blocks(snapshot(accounts=(account,), milestones=ms), FRESH, NOW)
    line = _line_of(blocks, "Northwind")
    assert ":warning: 3 at risk" in line and ":no_entry: 2 blocked" in line
