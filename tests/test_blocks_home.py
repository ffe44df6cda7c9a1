"""The Home tab builder: pure, within Slack's limits for any book."""

from __future__ import annotations

import datetime as dt
from typing import Any

from blocks_fixtures import FRESH, NOW, STALE, big_book, milestone, snapshot
from slack_double.validation import validate_view

from bot.domain import MilestoneStatus
from bot.slack.blocks import home as hb
from bot.store.digest import DigestSettings
from bot.workflows.my_tasks import TaskTotals

S = MilestoneStatus
TODAY = NOW.date()


def _data(**kw: Any) -> hb.HomeData:
    base: dict[str, Any] = {
        "freshness": FRESH,
        "today": TODAY,
        "week": TaskTotals(),
        "digest": DigestSettings(),
        "timezone": "Europe/Berlin",
    }
    base.update(kw)
    return hb.HomeData(**base)


def _texts(view: dict[str, Any]) -> str:
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    out.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(view["blocks"])
    return "\n".join(out)


def _valid(view: dict[str, Any]) -> None:
    problem = validate_view(view, expect="home")
    assert problem is None, problem


def test_a_big_book_fits_in_100_blocks_and_lists_ten_then_says_how_many_more() -> None:
    book = big_book(500)
    view = hb.home_view(book, NOW, _data())
    _valid(view)
    assert len(view["blocks"]) <= 100
    shown = _texts(view)
    at_risk = sum(m.needs_attention for m in book.milestones)
    assert f"Needs attention ({at_risk})" in shown
    assert f"…and {at_risk - 10} more: `/msx milestones <account>`" in shown
    ids = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert sum(i.startswith("log_task:") for i in ids) == 10
    assert len(ids) == len(set(ids))  # unique within the surface


def test_needs_attention_is_most_overdue_first_with_its_buttons() -> None:
    late = milestone(1, S.AT_RISK.value, name="Late one", date=TODAY - dt.timedelta(days=30))
    later = milestone(2, S.BLOCKED.value, name="Later one", date=TODAY - dt.timedelta(days=3))
    undated = milestone(3, S.AT_RISK.value, name="Undated one", date=None)
    soon = milestone(4, S.BLOCKED.value, name="Soon one", date=TODAY + dt.timedelta(days=9))
    fine = milestone(5, S.ON_TRACK.value, name="Fine one")
    view = hb.home_view(snapshot(milestones=(undated, soon, fine, later, late)), NOW, _data())
    _valid(view)
    shown = _texts(view)
    order = [shown.index(n) for n in ("Late one", "Later one", "Soon one", "Undated one")]
    assert order == sorted(order)
    assert "Fine one" not in shown
    assert "*30 days overdue*" in shown and "*3 days overdue*" in shown
    values = [
        e.get("value")
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("log_task:")
    ]
    assert values[0] == hb.TaskRef(account=late.account_id, milestone=late.id).encode()


def test_my_book_counts_at_risk_and_blocked_per_pod() -> None:
    view = hb.home_view(snapshot(), NOW, _data())
    shown = _texts(view)
    # blocks_fixtures: Contoso has 2 at risk and 1 blocked; Channel 1 blocked.
    assert "1 blocked, 2 at risk" in shown
    assert "My book (5 accounts)" in shown


def test_freshness_names_the_discovery_path_and_a_failed_refresh() -> None:
    shown = _texts(hb.home_view(snapshot(), NOW, _data(freshness=STALE)))
    assert "found through account teams" in shown
    assert "MSX unreachable: VPN?" in shown


def test_hok_week_and_digest_settings() -> None:
    week = TaskTotals(
        count=3, hok_count=2, hok_minutes=150, by_category={"Workshop": 2, "RFP/RFI": 1}
    )
    off = DigestSettings(enabled=False, at=dt.time(7, 5), days="daily")
    view = hb.home_view(snapshot(), NOW, _data(week=week, digest=off))
    _valid(view)
    shown = _texts(view)
    assert "*2* HoK tasks, 2.5 h (3 tasks in all)" in shown
    assert "Workshop: 2" in shown and "RFP/RFI: 1" in shown
    assert "Morning digest: *off*, at 07:05 (Europe/Berlin), every day." in shown
    controls = next(b for b in view["blocks"] if b.get("block_id") == "home_digest")
    toggle, picker, days = controls["elements"]
    assert (toggle["text"]["text"], toggle["value"]) == ("Turn on", "on")
    assert picker["initial_time"] == "07:05"
    assert days["initial_option"]["value"] == "daily"


def test_no_snapshot_and_the_strangers_view() -> None:
    empty = hb.home_view(None, NOW)
    _valid(empty)
    assert "No snapshot yet" in _texts(empty)
    refusal = hb.refusal_view("Dana Seller")
    _valid(refusal)
    assert (
        _texts(refusal) == "Sorry, this MSX bot is private to *Dana Seller*; ask them to add you."
    )
