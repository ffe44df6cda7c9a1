"""Action ids and button values: the contract between these builders and the listeners.

Slack wants action_ids unique within a message, so buttons of one kind that appear
more than once get a suffix (`page:prev`, `open_msx:3`). Listeners match the kind
with the `*_PATTERN` regexes and read everything they need from the value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

ACTION_REFRESH = "refresh"
ACTION_PAGE = "page"
ACTION_PAGE_PREV = f"{ACTION_PAGE}:prev"
ACTION_PAGE_NEXT = f"{ACTION_PAGE}:next"
ACTION_PICK_ACCOUNT = "pick_account"
ACTION_OPEN_MSX = "open_msx"
# "Log HoK task" on a milestone row (and wherever a milestone is shown); TaskRef value.
ACTION_LOG_TASK = "log_task"
# "Try again" on a rejected task's DM: reopens the modal filled in from the stored draft.
ACTION_REOPEN_TASK = "reopen_task"

# Shortcut callback ids (manifest/manifest.yaml declares the same).
SHORTCUT_LOG_TASK = "log_hok_task"
SHORTCUT_LOG_TASK_FROM_MESSAGE = "log_hok_task_from_message"


def _kind(base: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(base)}(:.*)?$")


PAGE_PATTERN = _kind(ACTION_PAGE)
PICK_ACCOUNT_PATTERN = _kind(ACTION_PICK_ACCOUNT)
# A url button still sends block_actions; the listener only needs to ack it.
OPEN_MSX_PATTERN = _kind(ACTION_OPEN_MSX)
LOG_TASK_PATTERN = _kind(ACTION_LOG_TASK)
REOPEN_TASK_PATTERN = _kind(ACTION_REOPEN_TASK)

VIEW_ACCOUNTS = "accounts"
VIEW_TEAM = "team"
VIEW_MILESTONES = "milestones"
VIEWS = frozenset({VIEW_ACCOUNTS, VIEW_TEAM, VIEW_MILESTONES})
ACCOUNT_VIEWS = frozenset({VIEW_TEAM, VIEW_MILESTONES})

MAX_VALUE = 2000  # Slack's limit on a button value


def encode_value(data: dict[str, Any]) -> str:
    """Compact JSON for a button value; ValueError if it would not fit Slack's 2000 chars."""
    text = json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if len(text) > MAX_VALUE:
        raise ValueError(f"button value is {len(text)} chars; Slack allows {MAX_VALUE}")
    return text


def decode_value(text: str) -> dict[str, Any]:
    """The dict a button carried; ValueError for anything else (values come back from clients)."""
    if not isinstance(text, str) or len(text) > MAX_VALUE:
        raise ValueError("not a button value")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"not a button value: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("not a button value: expected a JSON object")
    return data


@dataclass(frozen=True)
class PageRef:
    """Which page of which view a Previous/Next (or Refresh) button asks for."""

    view: str
    account: str | None
    page: int

    def encode(self) -> str:
        return encode_value({"view": self.view, "account": self.account, "page": self.page})

    @classmethod
    def decode(cls, text: str) -> PageRef:
        data = decode_value(text)
        view, account, page = data.get("view"), data.get("account"), data.get("page")
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}")
        if account is not None and not isinstance(account, str):
            raise ValueError("account must be a string or null")
        if view in ACCOUNT_VIEWS and not account:
            raise ValueError(f"view {view!r} needs an account")
        # bool is an int in Python; a page of `true` is garbage all the same.
        if not isinstance(page, int) or isinstance(page, bool) or page < 0:
            raise ValueError("page must be a non-negative integer")
        return cls(view=view, account=account, page=page)


@dataclass(frozen=True)
class PickRef:
    """The account a picker button chose, and the view to show for it."""

    view: str
    account: str

    def encode(self) -> str:
        return encode_value({"view": self.view, "account": self.account})

    @classmethod
    def decode(cls, text: str) -> PickRef:
        data = decode_value(text)
        view, account = data.get("view"), data.get("account")
        if view not in ACCOUNT_VIEWS:
            raise ValueError(f"unknown view {view!r}")
        if not isinstance(account, str) or not account:
            raise ValueError("account must be a non-empty string")
        return cls(view=view, account=account)


@dataclass(frozen=True)
class TaskRef:
    """What a "Log HoK task" button pre-selects: an account, and maybe one of its milestones."""

    account: str
    milestone: str | None = None

    def encode(self) -> str:
        return encode_value({"account": self.account, "milestone": self.milestone})

    @classmethod
    def decode(cls, text: str) -> TaskRef:
        data = decode_value(text)
        account, milestone = data.get("account"), data.get("milestone")
        if not isinstance(account, str) or not account:
            raise ValueError("account must be a non-empty string")
        if milestone is not None and (not isinstance(milestone, str) or not milestone):
            raise ValueError("milestone must be a non-empty string or null")
        return cls(account=account, milestone=milestone)
