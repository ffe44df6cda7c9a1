"""The App Home tab: what the bot is, how to use it, and the state of my snapshot."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_sdk.models.blocks import ContextBlock, DividerBlock, HeaderBlock, SectionBlock

from bot.domain import Snapshot
from bot.slack.blocks.text import age, escape

USAGE = (
    "*`/msx accounts`* my accounts by POD, with TPID, territory and milestone health\n"
    "*`/msx team <account>`* the sellers and SEs on an account\n"
    "*`/msx milestones <account>`* an account's milestones, with links into MSX\n"
    "*`/msx refresh`* import again from MSX and see what changed"
)


def home_view(snapshot: Snapshot | None, now: dt.datetime) -> dict[str, Any]:
    if snapshot is None:
        state = "No snapshot yet: `/msx accounts` imports your book from MSX."
    else:
        attention = sum(m.needs_attention for m in snapshot.milestones)
        state = (
            f"*{escape(snapshot.user.name)}*: {len(snapshot.accounts)} accounts, "
            f"{attention} milestones at risk or blocked. "
            f"Snapshot from {age(snapshot.taken_at, now)}."
        )
    blocks = [
        HeaderBlock(text="MSX Bot"),
        SectionBlock(text=state),
        DividerBlock(),
        SectionBlock(text=USAGE),
        ContextBlock(elements=[{"type": "mrkdwn", "text": "Replies are visible to you only."}]),
    ]
    return {"type": "home", "blocks": [b.to_dict() for b in blocks]}
