"""Text helpers for mrkdwn: escaping, truncation, ages and the freshness line."""

from __future__ import annotations

import datetime as dt

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject

from bot.domain import Freshness
from bot.humanize import age

ELLIPSIS = "…"


def escape(text: str) -> str:
    """Make text inert in mrkdwn: `<!channel>` or `<@U123>` in a name pings nobody.

    Only the three control characters Slack asks for; anything more would show as
    literal entities (Slack decodes just these three).
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters, marking the cut with an ellipsis."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def escape_within(text: str, limit: int) -> str:
    """Escape, then fit in `limit` characters without cutting an entity in half.

    Truncating after escaping could leave `&am`; truncating before could overflow,
    since `&` grows to five characters. So count escaped lengths per character.
    """
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    budget = limit - len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for ch in text:
        piece = escape(ch)
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + ELLIPSIS if limit > 0 else ""


def code(text: str, limit: int = 80) -> str:
    """User input shown as inline code: escaped, truncated, backticks removed so the span holds."""
    cleaned = " ".join(text.replace("`", "'").split())
    return f"`{escape_within(cleaned, limit)}`" if cleaned else "``"


def freshness_text(freshness: Freshness, now: dt.datetime) -> str:
    line = f"Snapshot from {age(freshness.taken_at, now)}"
    if freshness.stale_reason:
        return f":warning: {line} — not fresh: {escape_within(freshness.stale_reason, 500)}"
    return line


def freshness_context(freshness: Freshness, now: dt.datetime) -> dict:
    """A context line saying how old the data is, and why it is not fresher if a refresh failed."""
    return ContextBlock(
        elements=[MarkdownTextObject(text=freshness_text(freshness, now))]
    ).to_dict()
