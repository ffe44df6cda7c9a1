"""`/msx digest ...` parsing: every odd input, without Slack."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.slack.commands import DigestCommand, parse, parse_digest


def test_digest_is_a_subcommand_and_typos_are_suggested() -> None:
    assert parse("digest on 7:15").name == "digest"
    assert parse("digest on 7:15").query == "on 7:15"
    assert parse("digset").suggestion == "digest"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", DigestCommand("show")),
        ("show", DigestCommand("show")),
        ("off", DigestCommand("off")),
        ("NOW", DigestCommand("now")),
        ("on", DigestCommand("on")),
        ("on 7:05", DigestCommand("on", at=dt.time(7, 5))),
        ("on daily 23:59", DigestCommand("on", at=dt.time(23, 59), days="daily")),
        ("on weekdays quiet", DigestCommand("on", days="weekdays", all_clear=False)),
        ("on 00:00 all-clear", DigestCommand("on", at=dt.time(0, 0), all_clear=True)),
    ],
)
def test_good_input(text: str, expected: DigestCommand) -> None:
    assert parse_digest(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "on 24:00",
        "on 8:60",
        "on 8.30",
        "on 8:30 9:30",
        "on daily weekdays",
        "on 8:30am",
        "off now",
        "now please",
        "sometimes",
        "on <!channel>",
    ],
)
def test_bad_input_is_invalid_with_a_reason(text: str) -> None:
    cmd = parse_digest(text)
    assert cmd.action == "invalid" and cmd.problem
    assert "<" not in cmd.problem  # what the person typed is not echoed as markup
