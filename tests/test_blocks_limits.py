"""The validator itself: it must catch what Slack would reject."""

from __future__ import annotations

import pytest

from bot.slack.blocks.limits import BlockLimitError, check_message


def _section(text: str, **extra: object) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def _button(action_id: str, text: str = "Go", **extra: object) -> dict:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        **extra,
    }


def _problems(blocks: list[dict]) -> list[str]:
    with pytest.raises(BlockLimitError) as caught:
        check_message(blocks)
    return caught.value.problems


def test_valid_message_passes() -> None:
    check_message([_section("hi"), {"type": "actions", "elements": [_button("a")]}])


@pytest.mark.parametrize(
    ("blocks", "fragment"),
    [
        ([_section("x")] * 51, "51 blocks"),
        ([_section("x" * 3001)], "3001 chars"),
        ([_section("")], "empty text"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "11 fields"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "2001 chars"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "151 chars"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "must be plain_text"),
        (
            [{"type": "actions", "elements": [_button(f"b{i}") for i in range(26)]}],
            "26 actions elements",
        ),
        ([{"type": "actions", "elements": [_button("b", "t" * 76)]}], "76 chars"),
        ([{"type": "actions", "elements": [_button("b", value="v" * 2001)]}], "value longer"),
        ([{"type": "actions", "elements": [_button("b", url="u" * 3001)]}], "url longer"),
        ([{"type": "actions", "elements": [_button("b" * 256)]}], "action_id longer"),
        ([{"type": "actions", "elements": [_button("b"), _button("b")]}], "duplicate action_ids"),
        ([_section("a", block_id="x"), _section("b", block_id="x")], "duplicate block_ids"),
        ([_section("a", accessory=_button("b", "t" * 80))], "80 chars"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "static_select",
                            "action_id": "s",
                            "options": [
                                {"text": {"type": "plain_text", "text": "o"}, "value": str(i)}
                                for i in range(101)
                            ],
                        }
                    ],
                }
            ],
            "more than 100 options",
        ),
    ],
)
def test_violations_are_caught(blocks: list[dict], fragment: str) -> None:
    assert any(fragment in p for p in _problems(blocks)), _problems(blocks)


def test_modal_allows_100() -> None:
    check_message([_section("x")] * 100, surface="modal")
