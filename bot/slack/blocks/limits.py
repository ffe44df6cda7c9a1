"""Check a message against Slack's Block Kit limits (reference/slack-notes.md).

Slack rejects a whole message over one oversize field, so the tests run every
builder's output through `check_message`; a listener may too, in debug.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
SECTION_TEXT = 3000
FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
BUTTON_URL = 3000
ID_LENGTH = 255
OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150

_SELECTS = {
    "static_select",
    "multi_static_select",
    "overflow",
    "radio_buttons",
    "checkboxes",
}


class BlockLimitError(ValueError):
    """The message breaks one or more limits; `.problems` lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _text_problems(where: str, obj: Any, limit: int, kind: str | None = None) -> Iterator[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        yield f"{where}: not a text object"
        return
    if kind and obj["type"] != kind:
        yield f"{where}: must be {kind}"
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        yield f"{where}: empty text"
    elif len(text) > limit:
        yield f"{where}: text is {len(text)} chars (max {limit})"


def _element_problems(where: str, el: Any, action_ids: list[str]) -> Iterator[str]:
    if not isinstance(el, dict):
        yield f"{where}: not an element"
        return
    if "action_id" in el:
        action_ids.append(el["action_id"])
        if len(el["action_id"]) > ID_LENGTH:
            yield f"{where}: action_id longer than {ID_LENGTH}"
    kind = el.get("type")
    if kind == "button":
        yield from _text_problems(f"{where}.text", el.get("text"), BUTTON_TEXT, "plain_text")
        if len(el.get("value") or "") > BUTTON_VALUE:
            yield f"{where}: value longer than {BUTTON_VALUE}"
        if len(el.get("url") or "") > BUTTON_URL:
            yield f"{where}: url longer than {BUTTON_URL}"
    elif kind in _SELECTS or (kind or "").endswith("select"):
        options = el.get("options") or []
        groups = el.get("option_groups") or []
        if len(options) > OPTIONS or len(groups) > OPTIONS:
            yield f"{where}: more than {OPTIONS} options"
        for group in groups:
            options = [*options, *(group.get("options") or [])]
        for j, option in enumerate(options):
            yield from _text_problems(f"{where}.options[{j}]", option.get("text"), OPTION_TEXT)
            if len(option.get("value") or "") > OPTION_VALUE:
                yield f"{where}.options[{j}]: value longer than {OPTION_VALUE}"


def iter_problems(blocks: Iterable[Any], surface: str = "message") -> Iterator[str]:
    blocks = list(blocks)
    if len(blocks) > MAX_BLOCKS[surface]:
        yield f"{len(blocks)} blocks (max {MAX_BLOCKS[surface]} in a {surface})"
    block_ids: list[str] = []
    action_ids: list[str] = []
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(block, dict) or "type" not in block:
            yield f"{where}: not a block"
            continue
        if "block_id" in block:
            block_ids.append(block["block_id"])
            if len(block["block_id"]) > ID_LENGTH:
                yield f"{where}: block_id longer than {ID_LENGTH}"
        kind = block["type"]
        if kind == "section":
            if "text" not in block and "fields" not in block:
                yield f"{where}: section needs text or fields"
            if "text" in block:
                yield from _text_problems(f"{where}.text", block["text"], SECTION_TEXT)
            fields = block.get("fields") or []
            if len(fields) > FIELDS:
                yield f"{where}: {len(fields)} fields (max {FIELDS})"
            for j, field in enumerate(fields):
                yield from _text_problems(f"{where}.fields[{j}]", field, FIELD_TEXT)
            if "accessory" in block:
                yield from _element_problems(f"{where}.accessory", block["accessory"], action_ids)
        elif kind == "header":
            yield from _text_problems(f"{where}.text", block.get("text"), HEADER_TEXT, "plain_text")
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements or len(elements) > CONTEXT_ELEMENTS:
                yield f"{where}: {len(elements)} context elements (1 to {CONTEXT_ELEMENTS})"
            for j, el in enumerate(elements):
                if el.get("type") in ("plain_text", "mrkdwn"):
                    yield from _text_problems(f"{where}.elements[{j}]", el, SECTION_TEXT)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > ACTIONS_ELEMENTS:
                yield f"{where}: {len(elements)} actions elements (1 to {ACTIONS_ELEMENTS})"
            for j, el in enumerate(elements):
                yield from _element_problems(f"{where}.elements[{j}]", el, action_ids)
    for name, ids in (("block_id", block_ids), ("action_id", action_ids)):
        dupes = sorted({x for x in ids if ids.count(x) > 1})
        if dupes:
            yield f"duplicate {name}s: {', '.join(dupes)}"


def check_message(blocks: Iterable[Any], surface: str = "message") -> None:
    """Raise BlockLimitError listing every limit the blocks break; return None if none."""
    problems = list(iter_problems(blocks, surface))
    if problems:
        raise BlockLimitError(problems)
