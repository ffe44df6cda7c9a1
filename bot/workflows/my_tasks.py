"""What a person logged through the bot: their tasks since a day, and the totals shown by
`/msx tasks`, `msx-bot tasks`, the Home tab and the digest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.domain import LoggedTask
from bot.store.snapshots import SnapshotStore
from bot.store.tasks import TaskStore, logged


def tasks_since(store: SnapshotStore, user_id: str, since: dt.date) -> list[LoggedTask]:
    """The tasks `user_id` (their MSX user id) logged through the bot, dated `since` or
    later, whatever became of them."""
    return [logged(row) for row in TaskStore(store).of_owner(user_id, since)]


@dataclass(frozen=True)
class TaskTotals:
    """Totals over tasks that are in MSX or on their way (rejected ones do not count)."""

    count: int = 0
    hok_count: int = 0
    hok_minutes: int = 0
    queued: int = 0
    by_category: dict[str, int] = field(default_factory=dict)

    @property
    def hok_hours(self) -> float:
        return self.hok_minutes / 60


def totals(tasks: Iterable[LoggedTask]) -> TaskTotals:
    counted = [t for t in tasks if t.state != "rejected"]
    by_category: dict[str, int] = {}
    for t in counted:
        label = t.category_label or str(t.draft.category_code)
        by_category[label] = by_category.get(label, 0) + 1
    hok = [t for t in counted if t.hok]
    return TaskTotals(
        count=len(counted),
        hok_count=len(hok),
        hok_minutes=sum(t.draft.minutes for t in hok),
        queued=sum(t.state == "queued" for t in counted),
        by_category=dict(sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def week_start(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=today.weekday())  # Monday


def month_start(today: dt.date) -> dt.date:
    return today.replace(day=1)
