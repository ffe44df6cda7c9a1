"""Shared pieces: small block constructors, packing lines into sections, pages and nav."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.slack.blocks.ids import (
    ACTION_PAGE_NEXT,
    ACTION_PAGE_PREV,
    ACTION_REFRESH,
    PageRef,
)
from bot.slack.blocks.text import truncate

MAX_BLOCKS = 50
SECTION_TEXT_MAX = 3000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_URL_MAX = 3000
ACTIONS_MAX = 25


def section(text: str, accessory: ButtonElement | None = None) -> dict:
    # Builders keep texts short; the cut is a last guard so Slack never rejects a message.
    return SectionBlock(
        text=MarkdownTextObject(text=truncate(text, SECTION_TEXT_MAX)), accessory=accessory
    ).to_dict()


def context(text: str) -> dict:
    return ContextBlock(
        elements=[MarkdownTextObject(text=truncate(text, SECTION_TEXT_MAX))]
    ).to_dict()


def header(text: str) -> dict:
    # plain_text: Slack does not parse mentions here, so names need no escaping.
    return HeaderBlock(text=PlainTextObject(text=truncate(text, HEADER_MAX), emoji=True)).to_dict()


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: str | None = None,
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=truncate(text, BUTTON_TEXT_MAX), emoji=True),
        action_id=action_id,
        value=value,
        url=url,
        style=style,
    )


def actions(elements: Sequence[ButtonElement]) -> list[dict]:
    """One or more actions blocks: Slack allows 25 elements in each."""
    return [
        ActionsBlock(elements=list(elements[i : i + ACTIONS_MAX])).to_dict()
        for i in range(0, len(elements), ACTIONS_MAX)
    ]


def clamp_page(page: int, pages: int) -> int:
    # A stale Next button may point past the end after a refresh shrank the list.
    return max(0, min(page, pages - 1))


def nav_blocks(view: str, account: str | None, page: int, pages: int) -> list[dict]:
    """ "Page 2 of 7" plus Previous / Next (when there are pages) and Refresh."""
    blocks: list[dict] = []
    elements: list[ButtonElement] = []
    if pages > 1:
        blocks.append(context(f"Page {page + 1} of {pages}"))
        if page > 0:
            value = PageRef(view=view, account=account, page=page - 1).encode()
            elements.append(button("◀ Previous", ACTION_PAGE_PREV, value=value))
        if page < pages - 1:
            value = PageRef(view=view, account=account, page=page + 1).encode()
            elements.append(button("Next ▶", ACTION_PAGE_NEXT, value=value))
    # Refresh carries the page shown so the listener can re-render the same place.
    value = PageRef(view=view, account=account, page=page).encode()
    elements.append(button("Refresh", ACTION_REFRESH, value=value))
    blocks.extend(actions(elements))
    return blocks


NAV_BLOCKS_MAX = 2  # what nav_blocks adds at most


class SectionPacker:
    """Packs titled groups of lines into section texts, and sections into pages.

    A page holds at most `max_sections` sections and `max_items` lines; a section at
    most `limit` characters. A group split across sections or pages repeats its
    title with "(cont.)", so every page reads on its own.
    """

    def __init__(
        self, *, max_sections: int, max_items: int | None = None, limit: int = SECTION_TEXT_MAX
    ) -> None:
        self.max_sections = max_sections
        self.max_items = max_items
        self.limit = limit
        self.pages: list[list[str]] = []
        self._page: list[str] = []
        self._page_items = 0
        self._cur: list[str] = []
        self._cur_size = 0
        self._cur_has_body = False

    def _flush(self) -> None:
        if self._cur and self._cur_has_body:
            self._page.append("\n".join(self._cur))
        self._cur, self._cur_size, self._cur_has_body = [], 0, False

    def _new_page(self) -> None:
        self._flush()
        self.pages.append(self._page)
        self._page, self._page_items = [], 0

    def _open(self, heading: str) -> None:
        self._flush()
        if len(self._page) >= self.max_sections:
            self._new_page()
        self._cur, self._cur_size = [heading], len(heading)

    def _append(self, line: str) -> None:
        self._cur.append(line)
        self._cur_size += 1 + len(line)
        self._cur_has_body = True

    def group(self, title: str, lines: Sequence[str], empty: str = "none on record") -> None:
        heading, cont = f"*{title}*", f"*{title}* (cont.)"
        self._open(heading)
        if not lines:
            self._append(empty)
            self._flush()
            return
        room = self.limit - len(cont) - 1
        for written, raw in enumerate(lines):
            line = truncate(raw, room)
            if self.max_items is not None and self._page_items >= self.max_items:
                self._new_page()
                self._open(cont if written else heading)
            elif self._cur_size + 1 + len(line) > self.limit:
                self._open(cont)
            self._append(line)
            self._page_items += 1
        self._flush()

    def finish(self) -> list[list[str]]:
        self._flush()
        if self._page or not self.pages:
            self.pages.append(self._page)
        return self.pages
