"""Block Kit builders: pure functions from domain objects to lists of block dicts.

No I/O and no clock (callers pass `now`). Listeners in `bot/slack/` render with
these and match actions with the ids in `bot.slack.blocks.ids`.
"""

from bot.slack.blocks.accounts import accounts_blocks
from bot.slack.blocks.help import help_blocks
from bot.slack.blocks.ids import (
    ACTION_OPEN_MSX,
    ACTION_PAGE,
    ACTION_PAGE_NEXT,
    ACTION_PAGE_PREV,
    ACTION_PICK_ACCOUNT,
    ACTION_REFRESH,
    OPEN_MSX_PATTERN,
    PAGE_PATTERN,
    PICK_ACCOUNT_PATTERN,
    VIEW_ACCOUNTS,
    VIEW_MILESTONES,
    VIEW_TEAM,
    PageRef,
    PickRef,
    decode_value,
    encode_value,
)
from bot.slack.blocks.limits import BlockLimitError, check_message
from bot.slack.blocks.milestones import milestones_blocks
from bot.slack.blocks.notices import error_blocks, refusal_blocks, working_blocks
from bot.slack.blocks.picker import no_match_blocks, pick_account_blocks
from bot.slack.blocks.refresh import refresh_done_blocks, refresh_progress_blocks
from bot.slack.blocks.team import team_blocks
from bot.slack.blocks.text import age, escape, freshness_context, truncate

__all__ = [
    "ACTION_OPEN_MSX",
    "ACTION_PAGE",
    "ACTION_PAGE_NEXT",
    "ACTION_PAGE_PREV",
    "ACTION_PICK_ACCOUNT",
    "ACTION_REFRESH",
    "OPEN_MSX_PATTERN",
    "PAGE_PATTERN",
    "PICK_ACCOUNT_PATTERN",
    "VIEW_ACCOUNTS",
    "VIEW_MILESTONES",
    "VIEW_TEAM",
    "BlockLimitError",
    "PageRef",
    "PickRef",
    "accounts_blocks",
    "age",
    "check_message",
    "decode_value",
    "encode_value",
    "error_blocks",
    "escape",
    "freshness_context",
    "help_blocks",
    "milestones_blocks",
    "no_match_blocks",
    "pick_account_blocks",
    "refresh_done_blocks",
    "refresh_progress_blocks",
    "refusal_blocks",
    "team_blocks",
    "truncate",
    "working_blocks",
]
