"""`/msx help`, and the reply to a subcommand the bot does not know."""

from __future__ import annotations

from bot.slack.blocks._layout import context, section
from bot.slack.blocks.text import code, escape_within

USAGE = (
    ("/msx accounts", "your accounts by POD, with milestones at risk"),
    ("/msx team <account>", "who is on an account's team"),
    ("/msx milestones <account>", "an account's milestones, the ones at risk first"),
    ("/msx log [account]", "log an HoK task after a call (a form; also a shortcut)"),
    ("/msx tasks", "the HoK tasks you logged this week and this month"),
    ("/msx refresh", "fetch a fresh snapshot from MSX (needs the VPN)"),
    (
        "/msx digest",
        "your morning DM of milestones at risk: `on [HH:MM] [weekdays|daily]`, `off`, `now`",
    ),
    ("/msx help", "this help"),
)


def help_blocks(suggestion: str | None = None, unknown: str | None = None) -> list[dict]:
    """Usage; when `unknown` is set, say so first, with "Did you mean" for `suggestion`.

    `suggestion` is a subcommand name such as "accounts"; both come from user typing,
    so both are escaped and cut short.
    """
    blocks: list[dict] = []
    if unknown is not None:
        line = f"I don't know {code(unknown, 60)}."
        if suggestion:
            # Accept "accounts" or "/msx accounts" alike.
            command = suggestion.replace("`", "").strip().removeprefix("/msx").strip()
            line += f" Did you mean `/msx {escape_within(command, 40)}`?"
        blocks.append(section(line))
    usage = "\n".join(f"`{escape_within(cmd, 60)}` — {what}" for cmd, what in USAGE)
    blocks.append(section(f"*MSX Bot* answers from a local snapshot of MSX:\n{usage}"))
    blocks.append(context("`&lt;account&gt;` is an account name, part of one, or a TPID."))
    return blocks
