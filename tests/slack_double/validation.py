"""Block Kit and view validation with Slack's documented limits.

Slack answers a bad payload with one error code (`invalid_blocks`, `invalid_arguments`)
plus `response_metadata.messages`; we produce messages in the same spirit, each naming a
JSON pointer, so a failing test says exactly which block broke which rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}

KNOWN_BLOCKS = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
    }
)
SELECTS = frozenset(
    {
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
    }
)
PICKERS = frozenset({"datepicker", "timepicker", "datetimepicker"})
TEXT_INPUTS = frozenset(
    {
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
        "file_input",
    }
)
# Which element types each container accepts (Slack's block reference, "compatible elements").
ACTIONS_ELEMENTS = (
    SELECTS | PICKERS | {"button", "checkboxes", "overflow", "radio_buttons", "workflow_button"}
)
ACCESSORY_ELEMENTS = ACTIONS_ELEMENTS | {"image"}
INPUT_ELEMENTS = SELECTS | PICKERS | TEXT_INPUTS | {"checkboxes", "radio_buttons"}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")


class _Check:
    """One validation pass over one surface; collects every problem, not just the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.block_ids: set[str] = set()
        self.action_ids: set[str] = set()

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"[ERROR] {message} [json-pointer:{path}]")

    def length(self, value: Any, path: str, limit: int, what: str = "string") -> None:
        if value is not None and not isinstance(value, str):
            self.fail(path, f"must be a {what}")
        elif isinstance(value, str) and len(value) > limit:
            self.fail(path, f"must be at most {limit} characters (got {len(value)})")

    def text(
        self,
        obj: Any,
        path: str,
        *,
        limit: int,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.fail(path, "missing required field")
            return
        if not isinstance(obj, dict):
            self.fail(path, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.fail(f"{path}/type", f"text type must be plain_text or mrkdwn (got {kind!r})")
        elif plain_only and kind != "plain_text":
            self.fail(f"{path}/type", "must be plain_text")
        text = obj.get("text")
        if not isinstance(text, str) or text == "":
            self.fail(f"{path}/text", "must be a non-empty string")
        elif len(text) > limit:
            self.fail(f"{path}/text", f"must be at most {limit} characters (got {len(text)})")
        extra = set(obj) - {"type", "text", "emoji", "verbatim"}
        if extra:
            self.fail(path, f"unknown text object fields {sorted(extra)}")

    def block_id(self, value: Any, path: str) -> None:
        if value is None:
            return
        self.length(value, path, 255)
        if isinstance(value, str):
            if value in self.block_ids:
                self.fail(path, f"duplicate block_id {value!r}")
            self.block_ids.add(value)

    def action_id(self, value: Any, path: str) -> None:
        if value is None:
            return
        self.length(value, path, 255)
        if isinstance(value, str):
            # Slack documents block-level uniqueness; we enforce surface-wide (slack-notes.md)
            # because routing by action_id alone is what the bot does.
            if value in self.action_ids:
                self.fail(path, f"duplicate action_id {value!r}")
            self.action_ids.add(value)

    def items(self, value: Any, path: str, *, lo: int, hi: int, what: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"{what} must be an array")
            return []
        if not lo <= len(value) <= hi:
            self.fail(path, f"{what} must have between {lo} and {hi} items (got {len(value)})")
        return value

    # ----- composition objects

    def option(self, opt: Any, path: str, *, plain_only: bool = True) -> None:
        if not isinstance(opt, dict):
            self.fail(path, "option must be an object")
            return
        self.text(opt.get("text"), f"{path}/text", limit=75, plain_only=plain_only)
        value = opt.get("value")
        if value is None:
            self.fail(f"{path}/value", "missing required field")
        self.length(value, f"{path}/value", 150)
        self.text(opt.get("description"), f"{path}/description", limit=75, required=False)
        self.length(opt.get("url"), f"{path}/url", 3000)

    def options(self, opts: Iterable[Any], path: str, *, plain_only: bool = True) -> None:
        for i, opt in enumerate(opts):
            self.option(opt, f"{path}/{i}", plain_only=plain_only)

    def confirm(self, obj: Any, path: str) -> None:
        if obj is None:
            return
        if not isinstance(obj, dict):
            self.fail(path, "confirm must be an object")
            return
        self.text(obj.get("title"), f"{path}/title", limit=100, plain_only=True)
        self.text(obj.get("text"), f"{path}/text", limit=300)
        self.text(obj.get("confirm"), f"{path}/confirm", limit=30, plain_only=True)
        self.text(obj.get("deny"), f"{path}/deny", limit=30, plain_only=True)

    # ----- elements

    def element(self, el: Any, path: str, allowed: frozenset[str] | set[str]) -> None:
        if not isinstance(el, dict):
            self.fail(path, "element must be an object")
            return
        kind = el.get("type")
        if kind not in allowed:
            self.fail(f"{path}/type", f"element type {kind!r} is not allowed here")
            return
        if kind == "image":
            self._image_source(el, path)
            return
        self.action_id(el.get("action_id"), f"{path}/action_id")
        self.confirm(el.get("confirm"), f"{path}/confirm")
        self.text(
            el.get("placeholder"), f"{path}/placeholder", limit=150, plain_only=True, required=False
        )
        if kind == "button":
            self.text(el.get("text"), f"{path}/text", limit=75, plain_only=True)
            self.length(el.get("value"), f"{path}/value", 2000)
            self.length(el.get("url"), f"{path}/url", 3000)
            if el.get("style") not in (None, "primary", "danger"):
                self.fail(f"{path}/style", "style must be primary or danger")
        elif kind == "workflow_button":
            self.text(el.get("text"), f"{path}/text", limit=75, plain_only=True)
            if not isinstance(el.get("workflow"), dict):
                self.fail(f"{path}/workflow", "missing required field")
        elif kind in ("static_select", "multi_static_select"):
            self._static_select(el, path)
        elif kind in ("external_select", "multi_external_select"):
            mql = el.get("min_query_length")
            if mql is not None and (not isinstance(mql, int) or mql < 0):
                self.fail(f"{path}/min_query_length", "must be a non-negative integer")
            if el.get("initial_option") is not None:
                self.option(el["initial_option"], f"{path}/initial_option")
        elif kind == "overflow":
            opts = self.items(el.get("options"), f"{path}/options", lo=1, hi=5, what="options")
            self.options(opts, f"{path}/options")
        elif kind in ("checkboxes", "radio_buttons"):
            opts = self.items(el.get("options"), f"{path}/options", lo=1, hi=10, what="options")
            self.options(opts, f"{path}/options", plain_only=False)
            # Slack's reference: initial option(s) must exactly match options in `options`.
            initial = (
                el.get("initial_options") if kind == "checkboxes" else el.get("initial_option")
            )
            chosen = initial if isinstance(initial, list) else [initial] if initial else []
            for i, option in enumerate(chosen):
                if option not in opts:
                    self.fail(f"{path}/initial_options/{i}", "must exactly match one of options")
        elif kind == "datepicker":
            date = el.get("initial_date")
            if date is not None and not (isinstance(date, str) and _DATE.match(date)):
                self.fail(f"{path}/initial_date", "must be YYYY-MM-DD")
        elif kind == "timepicker":
            hhmm = el.get("initial_time")
            if hhmm is not None and not (isinstance(hhmm, str) and _TIME.match(hhmm)):
                self.fail(f"{path}/initial_time", "must be HH:mm")
        elif kind == "plain_text_input":
            self._plain_text_input(el, path)
        elif kind == "number_input" and not isinstance(el.get("is_decimal_allowed"), bool):
            self.fail(f"{path}/is_decimal_allowed", "missing required field")

    def _static_select(self, el: dict[str, Any], path: str) -> None:
        has_options = "options" in el
        has_groups = "option_groups" in el
        if has_options == has_groups:
            self.fail(path, "exactly one of options or option_groups is required")
            return
        values: set[Any] = set()
        if has_options:
            opts = self.items(el["options"], f"{path}/options", lo=1, hi=100, what="options")
            self.options(opts, f"{path}/options")
            values = {o.get("value") for o in opts if isinstance(o, dict)}
        else:
            groups = self.items(
                el["option_groups"], f"{path}/option_groups", lo=1, hi=100, what="option_groups"
            )
            for g, group in enumerate(groups):
                gpath = f"{path}/option_groups/{g}"
                if not isinstance(group, dict):
                    self.fail(gpath, "option group must be an object")
                    continue
                self.text(group.get("label"), f"{gpath}/label", limit=75, plain_only=True)
                opts = self.items(
                    group.get("options"), f"{gpath}/options", lo=1, hi=100, what="options"
                )
                self.options(opts, f"{gpath}/options")
                values |= {o.get("value") for o in opts if isinstance(o, dict)}
        initial = el.get("initial_option")
        if initial is not None:
            self.option(initial, f"{path}/initial_option")
            if isinstance(initial, dict) and initial.get("value") not in values:
                self.fail(f"{path}/initial_option", "initial_option must be one of the options")

    def _plain_text_input(self, el: dict[str, Any], path: str) -> None:
        lo, hi = el.get("min_length"), el.get("max_length")
        if lo is not None and (not isinstance(lo, int) or not 0 <= lo <= 3000):
            self.fail(f"{path}/min_length", "must be between 0 and 3000")
        if hi is not None and (not isinstance(hi, int) or not 1 <= hi <= 3000):
            self.fail(f"{path}/max_length", "must be between 1 and 3000")
        if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
            self.fail(f"{path}/min_length", "must not exceed max_length")
        initial = el.get("initial_value")
        if initial is not None:
            self.length(initial, f"{path}/initial_value", hi if isinstance(hi, int) else 3000)

    def _image_source(self, el: dict[str, Any], path: str) -> None:
        if el.get("image_url") is None and el.get("slack_file") is None:
            self.fail(path, "image_url or slack_file is required")
        self.length(el.get("image_url"), f"{path}/image_url", 3000)
        if not isinstance(el.get("alt_text"), str) or not el["alt_text"]:
            self.fail(f"{path}/alt_text", "missing required field")
        self.length(el.get("alt_text"), f"{path}/alt_text", 2000)

    # ----- blocks

    def block(self, block: Any, path: str) -> None:
        if not isinstance(block, dict):
            self.fail(path, "block must be an object")
            return
        kind = block.get("type")
        if kind not in KNOWN_BLOCKS:
            self.fail(f"{path}/type", f"unknown block type {kind!r}")
            return
        self.block_id(block.get("block_id"), f"{path}/block_id")
        if kind == "section":
            if block.get("text") is None and block.get("fields") is None:
                self.fail(path, "section needs text or fields")
            self.text(block.get("text"), f"{path}/text", limit=3000, required=False)
            if block.get("fields") is not None:
                fields = self.items(block["fields"], f"{path}/fields", lo=1, hi=10, what="fields")
                for i, field in enumerate(fields):
                    self.text(field, f"{path}/fields/{i}", limit=2000)
            if block.get("accessory") is not None:
                self.element(block["accessory"], f"{path}/accessory", ACCESSORY_ELEMENTS)
        elif kind == "header":
            self.text(block.get("text"), f"{path}/text", limit=150, plain_only=True)
        elif kind == "actions":
            elements = self.items(
                block.get("elements"), f"{path}/elements", lo=1, hi=25, what="elements"
            )
            for i, el in enumerate(elements):
                self.element(el, f"{path}/elements/{i}", ACTIONS_ELEMENTS)
        elif kind == "context":
            elements = self.items(
                block.get("elements"), f"{path}/elements", lo=1, hi=10, what="elements"
            )
            for i, el in enumerate(elements):
                epath = f"{path}/elements/{i}"
                if isinstance(el, dict) and el.get("type") == "image":
                    self._image_source(el, epath)
                else:
                    self.text(el, epath, limit=3000)
        elif kind == "input":
            self.text(block.get("label"), f"{path}/label", limit=2000, plain_only=True)
            self.text(
                block.get("hint"), f"{path}/hint", limit=2000, plain_only=True, required=False
            )
            if block.get("element") is None:
                self.fail(f"{path}/element", "missing required field")
            else:
                self.element(block["element"], f"{path}/element", INPUT_ELEMENTS)
        elif kind == "image":
            self._image_source(block, path)
            self.text(
                block.get("title"), f"{path}/title", limit=2000, plain_only=True, required=False
            )
        elif kind == "markdown":
            self.length(block.get("text"), f"{path}/text", 12000)
            if not block.get("text"):
                self.fail(f"{path}/text", "missing required field")
        elif kind == "rich_text" and not isinstance(block.get("elements"), list):
            self.fail(f"{path}/elements", "missing required field")

    def blocks(self, blocks: Any, path: str, surface: str) -> None:
        if not isinstance(blocks, list):
            self.fail(path, "blocks must be an array")
            return
        limit = MAX_BLOCKS[surface]
        if len(blocks) > limit:
            self.fail(path, f"no more than {limit} items allowed (got {len(blocks)})")
        for i, block in enumerate(blocks):
            self.block(block, f"{path}/{i}")


def validate_blocks(blocks: Any, surface: str = "message", path: str = "/blocks") -> list[str]:
    """Problems with a list of blocks on a surface ("message", "modal" or "home")."""
    check = _Check()
    check.blocks(blocks, path, surface)
    return check.errors


def validate_view(view: Any, *, expect: str | None = None) -> tuple[str, list[str]] | None:
    """None if the view is acceptable, else (error code, messages).

    Block problems map to `invalid_blocks`; view-level ones (title, submit, metadata,
    type) to `invalid_arguments`, as Slack reports them.
    """
    if not isinstance(view, dict):
        return "invalid_arguments", ["[ERROR] view must be an object [json-pointer:/view]"]
    check = _Check()
    kind = view.get("type")
    if kind not in ("modal", "home") or (expect is not None and kind != expect):
        wanted = expect or "modal or home"
        check.fail("/view/type", f"view type must be {wanted} (got {kind!r})")
        return "invalid_arguments", check.errors
    if kind == "modal":
        check.text(view.get("title"), "/view/title", limit=24, plain_only=True)
        check.text(view.get("submit"), "/view/submit", limit=24, plain_only=True, required=False)
        check.text(view.get("close"), "/view/close", limit=24, plain_only=True, required=False)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            check.fail("/view/submit", "submit is required when the view has input blocks")
    check.length(view.get("private_metadata"), "/view/private_metadata", 3000)
    check.length(view.get("callback_id"), "/view/callback_id", 255)
    check.length(view.get("external_id"), "/view/external_id", 255)
    if check.errors:
        return "invalid_arguments", check.errors
    check.blocks(view.get("blocks"), "/view/blocks", kind)
    if check.errors:
        return "invalid_blocks", check.errors
    return None


def validate_options_response(body: Any) -> list[str]:
    """Problems with an ack to a `block_suggestion` (external_select options load)."""
    check = _Check()
    if not isinstance(body, dict):
        check.fail("/", "options response must be an object")
    elif "options" in body:
        opts = check.items(body["options"], "/options", lo=0, hi=100, what="options")
        check.options(opts, "/options")
    elif "option_groups" in body:
        groups = check.items(
            body["option_groups"], "/option_groups", lo=0, hi=100, what="option_groups"
        )
        for g, group in enumerate(groups):
            if isinstance(group, dict):
                check.text(
                    group.get("label"), f"/option_groups/{g}/label", limit=75, plain_only=True
                )
                opts = check.items(
                    group.get("options"),
                    f"/option_groups/{g}/options",
                    lo=1,
                    hi=100,
                    what="options",
                )
                check.options(opts, f"/option_groups/{g}/options")
    else:
        check.fail("/", "options response needs options or option_groups")
    return check.errors
