"""What the morning digest remembers, in the `user_state` table (no schema of its own).

- per Slack user: their digest settings, their time zone as Slack last told us, and one
  sent mark per local day, claimed with an INSERT that fails when the row exists, so
  that of two ticks, restarts or processes on one file exactly one sends that day;
- per book (MSX user id): the milestones at risk at the last digest, with the day the
  bot first saw each at risk, so the next digest can say what changed and for how long.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.store.snapshots import SnapshotStore

SETTINGS_KEY = "digest.settings"
TZ_KEY = "digest.tz"
MEMORY_KEY = "digest.memory"
SENT_PREFIX = "digest.sent."
# Sent marks older than this are dropped; only today's is ever consulted.
KEEP_MARKS_DAYS = 14

Days = Literal["weekdays", "daily"]
M = TypeVar("M", bound=BaseModel)


class DigestSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    enabled: bool = True
    at: dt.time = dt.time(8, 30)
    days: Days = "weekdays"
    # When nothing is at risk: True sends one "all clear" line, False sends nothing.
    all_clear: bool = True
    # When the person last changed these: a time already past that day waits for tomorrow.
    changed_at: dt.datetime | None = None


class SentMark(BaseModel):
    model_config = ConfigDict(frozen=True)

    # "claimed" before the send; then "sent", "quiet" (all clear, nothing sent by choice)
    # or "failed" (Slack refused it: the reason says why).
    state: Literal["claimed", "sent", "quiet", "failed"] = "claimed"
    at: dt.datetime
    late: bool = False
    reason: str | None = None


class SeenMilestone(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: str
    since: dt.date  # the first day the bot saw it at risk or blocked, in a row
    name: str = ""
    number: str | None = None
    account: str = ""


class DigestMemory(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: dt.datetime  # when the digest this remembers was made
    milestones: dict[str, SeenMilestone] = {}


class DigestStore:
    """The digest's state, on a SnapshotStore. Every call is one short transaction."""

    def __init__(self, store: SnapshotStore) -> None:
        self._store = store

    def settings(self, slack_id: str) -> DigestSettings:
        return _load(self._store.get_state(slack_id, SETTINGS_KEY), DigestSettings) or (
            DigestSettings()
        )

    def save_settings(self, slack_id: str, settings: DigestSettings) -> None:
        self._store.set_state(slack_id, SETTINGS_KEY, settings.model_dump_json())

    def timezone(self, slack_id: str) -> str | None:
        return self._store.get_state(slack_id, TZ_KEY)

    def save_timezone(self, slack_id: str, tz: str) -> None:
        if tz != self.timezone(slack_id):
            self._store.set_state(slack_id, TZ_KEY, tz)

    def memory(self, book_user_id: str) -> DigestMemory | None:
        return _load(self._store.get_state(book_user_id, MEMORY_KEY), DigestMemory)

    def save_memory(self, book_user_id: str, memory: DigestMemory) -> None:
        self._store.set_state(book_user_id, MEMORY_KEY, memory.model_dump_json())

    def mark(self, slack_id: str, day: dt.date) -> SentMark | None:
        return _load(self._store.get_state(slack_id, _sent_key(day)), SentMark)

    def claim(self, slack_id: str, day: dt.date, mark: SentMark) -> bool:
        """Take the day's digest for this process: False when someone already has."""
        won = self._store.claim_state(slack_id, _sent_key(day), mark.model_dump_json())
        if won:
            self._prune(slack_id, day)
        return won

    def release(self, slack_id: str, day: dt.date) -> None:
        """Give the day back (nothing was sent): a later claim may take it."""
        self._store.delete_state(slack_id, [_sent_key(day)])

    def update_mark(self, slack_id: str, day: dt.date, mark: SentMark) -> None:
        self._store.set_state(slack_id, _sent_key(day), mark.model_dump_json())

    def _prune(self, slack_id: str, today: dt.date) -> None:
        oldest = _sent_key(today - dt.timedelta(days=KEEP_MARKS_DAYS))
        keys = self._store.state_keys(slack_id, SENT_PREFIX)
        self._store.delete_state(slack_id, [k for k in keys if k < oldest])


def _sent_key(day: dt.date) -> str:
    return f"{SENT_PREFIX}{day.isoformat()}"  # ISO dates sort as strings


def _load(raw: str | None, model: type[M]) -> M | None:
    # A value from an older or broken build reads as absent, never as a crash.
    if raw is None:
        return None
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        return None
