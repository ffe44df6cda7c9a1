"""Text helpers: escaping, truncation, ages, the freshness line."""

from __future__ import annotations

import datetime as dt

from blocks_fixtures import FRESH, NOW, STALE
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Freshness
from bot.slack.blocks.text import age, code, escape, escape_within, freshness_context, truncate


def test_escape_neutralises_mentions_and_keeps_the_rest() -> None:
    assert escape("<!channel> Industries") == "&lt;!channel&gt; Industries"
    assert escape("Tom & Jerry's <@U123>") == "Tom &amp; Jerry's &lt;@U123&gt;"
    assert escape("*bold* _it_ `code` Café") == "*bold* _it_ `code` Café"


@given(st.text())
def test_escaped_text_has_no_control_characters(text: str) -> None:
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    # Every & starts one of the three entities Slack decodes.
    assert escaped.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_escape_within_fits_and_never_splits_an_entity(text: str, limit: int) -> None:
    out = escape_within(text, limit)
    assert len(out) <= limit
    body = out.removesuffix("…")
    assert "<" not in body and ">" not in body
    assert body.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0


def test_truncate_marks_the_cut() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("a" * 20, 10) == "a" * 9 + "…"
    assert len(truncate("x" * 5000, 3000)) == 3000


def test_code_span_survives_backticks_and_long_input() -> None:
    assert code("acounts") == "`acounts`"
    assert code("a`b") == "`a'b`"
    assert len(code("x" * 5000, 80)) <= 82


def test_age_words() -> None:
    assert age(NOW - dt.timedelta(seconds=20), NOW) == "just now"
    assert age(NOW + dt.timedelta(seconds=30), NOW) == "just now"  # clock skew
    assert age(NOW - dt.timedelta(minutes=5), NOW) == "5 min ago"
    assert age(NOW - dt.timedelta(hours=3, minutes=59), NOW) == "3 h ago"
    assert age(NOW - dt.timedelta(days=1, hours=2), NOW) == "1 day ago"
    assert age(NOW - dt.timedelta(days=2), NOW) == "2 days ago"
    # A naive timestamp is read as UTC rather than crashing.
    assert age((NOW - dt.timedelta(minutes=7)).replace(tzinfo=None), NOW) == "7 min ago"


def test_freshness_line_both_ways() -> None:
    fresh = freshness_context(FRESH, NOW)
    assert fresh["type"] == "context"
    assert fresh["elements"][0]["text"] == "Snapshot from 5 min ago"
    stale = freshness_context(STALE, NOW)["elements"][0]["text"]
    assert stale == ":warning: Snapshot from 3 h ago — not fresh: MSX unreachable: VPN?"


def test_freshness_reason_is_escaped() -> None:
    block = freshness_context(Freshness(taken_at=NOW, stale_reason="<!here> down"), NOW)
    assert "&lt;!here&gt;" in block["elements"][0]["text"]
