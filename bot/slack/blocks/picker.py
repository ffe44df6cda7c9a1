"""When a name matches several accounts, or none: let the person pick, or suggest."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Account
from bot.slack.blocks._layout import BUTTON_TEXT_MAX, actions, button, context, section
from bot.slack.blocks.ids import ACCOUNT_VIEWS, ACTION_PICK_ACCOUNT, PickRef
from bot.slack.blocks.text import code, escape_within, truncate

MAX_CANDIDATES = 10  # more buttons than this is a list to read, not a choice
MAX_SUGGESTIONS = 5


def _button_text(account: Account) -> str:
    # Two accounts may share a name; the TPID tells them apart.
    suffix = f" ({account.tpid})" if account.tpid else ""
    suffix = truncate(suffix, 25)
    return truncate(account.name, BUTTON_TEXT_MAX - len(suffix)) + suffix


def pick_account_blocks(
    query: str, candidates: Sequence[Account], view: str, limit: int = MAX_CANDIDATES
) -> list[dict]:
    """A button per candidate (at most `limit`); each carries `PickRef(view, account id)`."""
    if view not in ACCOUNT_VIEWS:
        raise ValueError(f"cannot pick an account for view {view!r}")
    limit = max(1, min(limit, 100))  # 100 = four actions blocks, well inside 50 blocks
    shown = list(candidates[:limit])
    blocks = [section(f"Several accounts match {code(query)}: pick one.")]
    buttons = [
        button(
            _button_text(account),
            f"{ACTION_PICK_ACCOUNT}:{i}",
            value=PickRef(view=view, account=account.id).encode(),
        )
        for i, account in enumerate(shown)
    ]
    blocks.extend(actions(buttons))
    if len(candidates) > limit:
        blocks.append(context(f"and {len(candidates) - limit} more: be more specific."))
    return blocks


def no_match_blocks(query: str, suggestions: Sequence[Account]) -> list[dict]:
    """ "No account matches `xyz`." with the closest names, escaped."""
    blocks = [section(f"No account matches {code(query)}.")]
    if suggestions:
        names = ", ".join(f"*{escape_within(a.name, 100)}*" for a in suggestions[:MAX_SUGGESTIONS])
        blocks.append(context(f"Closest: {names}"))
    else:
        blocks.append(context("See all of yours with `/msx accounts`."))
    return blocks
