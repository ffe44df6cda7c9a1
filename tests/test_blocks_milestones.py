"""`/msx milestones <account>`: markers, order, money, buttons, paging 130+."""

from __future__ import annotations

import datetime as dt
import re

from blocks_fixtures import (
    CHANNEL,
    CONTOSO,
    FRESH,
    MILESTONES,
    NOW,
    S,
    all_text,
    assert_no_raw_markup,
    buttons,
    milestone,
)

from bot.slack.blocks import check_message, milestones_blocks
from bot.slack.blocks.ids import ACTION_PAGE_NEXT, PageRef
from bot.slack.blocks.milestones import money, status_label


def _first_int(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    assert match, (pattern, text)
    return int(match.group(1))


def _milestone_sections(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "accessory" in b]


def test_markers_per_status() -> None:
    assert status_label("Blocked") == ":red_circle: Blocked"
    assert status_label("At Risk") == ":large_orange_circle: At Risk"
    assert status_label("on track") == ":large_green_circle: On Track"
    assert status_label("Completed") == ":white_check_mark: Completed"
    for gone in ("Cancelled", "Lost to Competitor", "Hygiene/Duplicate"):
        assert status_label(gone).startswith(":heavy_minus_sign: ")
    assert status_label(None) == ":grey_question: No status"
    assert status_label("<Paused>") == ":grey_question: &lt;Paused&gt;"


def test_money() -> None:
    assert money(12500) == "$12,500/mo"
    assert money(1234.6) == "$1,235/mo"
    assert money(None) == "—"
    assert money(float("nan")) == "—"
    assert money(-50) == "-$50/mo"


def test_needs_attention_first_then_on_track_then_rest_each_by_date() -> None:
    ms = [
        milestone(1, S.COMPLETED.value, date=dt.date(2026, 1, 1)),
        milestone(2, S.ON_TRACK.value, date=None),
        milestone(3, S.ON_TRACK.value, date=dt.date(2026, 3, 1)),
        milestone(4, S.AT_RISK.value, date=dt.date(2026, 9, 1)),
        milestone(5, None),
        milestone(6, S.BLOCKED.value, date=dt.date(2026, 12, 1)),
        milestone(7, S.AT_RISK.value, date=dt.date(2026, 2, 1)),
    ]
    blocks = milestones_blocks(CONTOSO, ms, FRESH, NOW)
    check_message(blocks)
    order = [_first_int(r"Milestone (\d+)", s) for s in _milestone_sections(blocks)]
    assert order[:5] == [6, 7, 4, 3, 2]
    assert set(order[5:]) == {1, 5}


def test_a_milestone_reads_fully() -> None:
    blocks = milestones_blocks(CONTOSO, list(MILESTONES[:4]), FRESH, NOW)
    (section,) = [s for s in _milestone_sections(blocks) if "Data platform migration" in s]
    assert section.startswith(
        ":large_orange_circle: At Risk · *Data platform migration* (7-100001)"
    )
    assert "Azure SQL · $12,500/mo · Est. 2026-12-15" in section
    assert "Opportunity: Contoso Ltd FY26 Data" in section
    assert "2 at risk" in all_text(blocks) and "1 blocked" in all_text(blocks)


def test_missing_values_say_so() -> None:
    ms = [milestone(1, S.ON_TRACK.value, date=None, monthly_use=None)]
    (section,) = _milestone_sections(milestones_blocks(CONTOSO, ms, FRESH, NOW))
    assert "— · no date" in section


def test_open_in_msx_buttons_unique_and_bad_urls_dropped() -> None:
    ms = [milestone(i, S.ON_TRACK.value) for i in range(5)]
    ms.append(ms[0].model_copy(update={"id": "bad", "url": "javascript:alert(1)"}))
    blocks = milestones_blocks(CONTOSO, ms, FRESH, NOW)
    check_message(blocks)
    links = [b for b in buttons(blocks) if b.get("url")]
    assert len(links) == 5
    assert len({b["action_id"] for b in links}) == 5
    assert all(b["text"]["text"] == "Open in MSX" for b in links)
    assert all(b["action_id"].startswith("open_msx:") for b in links)


def test_escaping() -> None:
    ms = [milestone(1, S.BLOCKED.value, account=CHANNEL, name="<!here> & <@U1> rollout")]
    blocks = milestones_blocks(CHANNEL, ms, FRESH, NOW)
    assert_no_raw_markup(blocks)
    assert "*&lt;!here&gt; &amp; &lt;@U1&gt; rollout*" in all_text(blocks)


def test_135_milestones_paginate_within_limits() -> None:
    statuses = [s.value for s in S] + [None]
    ms = [milestone(i, statuses[i % len(statuses)]) for i in range(135)]
    first = milestones_blocks(CONTOSO, ms, FRESH, NOW)
    pages = _first_int(r"Page 1 of (\d+)", all_text(first))
    seen: list[str] = []
    for page in range(pages):
        blocks = milestones_blocks(CONTOSO, ms, FRESH, NOW, page=page)
        check_message(blocks)
        seen += re.findall(r"\(7-(\d+)\)", all_text(blocks))
        nav = {b["action_id"]: b for b in buttons(blocks)}
        if page < pages - 1:
            ref = PageRef.decode(nav[ACTION_PAGE_NEXT]["value"])
            assert ref == PageRef(view="milestones", account=CONTOSO.id, page=page + 1)
    assert sorted(seen) == sorted(str(100000 + i) for i in range(135))
    # Blocked milestones lead page 1.
    assert _milestone_sections(first)[0].startswith(":red_circle: Blocked")


def test_no_milestones() -> None:
    blocks = milestones_blocks(CONTOSO, [], FRESH, NOW)
    check_message(blocks)
    assert "No milestones on record for *Contoso Ltd*." in all_text(blocks)
