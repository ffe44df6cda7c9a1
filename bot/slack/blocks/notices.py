"""Short replies: the refusal for strangers, errors a person can act on, "working on it"."""

from __future__ import annotations

from bot.slack.blocks._layout import context, section
from bot.slack.blocks.text import escape_within


def refusal_blocks(owner_name: str | None) -> list[dict]:
    """A polite no that shows no data; names the owner when known."""
    owner = f"*{escape_within(owner_name, 100)}*" if owner_name else "its owner"
    return [section(f"Sorry, this MSX bot is private to {owner}; ask them to add you.")]


def error_blocks(message: str, hint: str | None = None) -> list[dict]:
    """One line saying what went wrong and what to do, e.g.
    "MSX is unreachable: connect to the VPN, then `/msx refresh`".

    Backticks survive (commands show as code); `<`, `>`, `&` are escaped.
    """
    text = f":x: {escape_within(message, 2800)}"
    blocks = [section(text)]
    if hint:
        blocks.append(context(escape_within(hint, 2800)))
    return blocks


def working_blocks(text: str) -> list[dict]:
    return [context(f":hourglass_flowing_sand: {escape_within(text, 2800)}")]
