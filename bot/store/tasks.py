"""The task log (which is also the outbox) and the task categories, in the store's file.

A row is written before the first request to MSX and updated after each attempt; the row
is the truth about a task the bot was asked to log, across restarts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select

from bot.domain import LoggedTask, TaskDraft, TaskPriority
from bot.store.convert import utc
from bot.store.engine import reading, writing
from bot.store.snapshots import SnapshotStore
from bot.store.tables import TaskCategoryRow, TaskRow

PENDING = "pending"  # being sent right now (or was, when the process stopped)
QUEUED = "queued"
CREATED = "created"
REJECTED = "rejected"
OPEN_STATES = (PENDING, QUEUED)


class TaskStore:
    """Task rows and categories in a SnapshotStore's database."""

    def __init__(self, store: SnapshotStore) -> None:
        # One file, one engine: the snapshot store owns it and closes it.
        self._engine = store._engine

    # -- task rows ---------------------------------------------------------------------

    def add(self, row: TaskRow) -> TaskRow:
        """Insert `row` unless its key is taken; returns the stored row either way."""
        with writing(self._engine) as session:
            existing = session.get(TaskRow, row.key)
            if existing is not None:
                session.expunge(existing)
                return existing
            session.add(row)
            session.flush()
            session.expunge(row)
            return row

    def get(self, key: str) -> TaskRow | None:
        with reading(self._engine) as session:
            row = session.get(TaskRow, key)
            if row is not None:
                session.expunge(row)
            return row

    def put(self, row: TaskRow) -> None:
        """Store what an attempt changed."""
        with writing(self._engine) as session:
            session.merge(row)

    def open_rows(self) -> list[TaskRow]:
        """Every row still to be sent, oldest first."""
        with reading(self._engine) as session:
            rows = session.exec(
                select(TaskRow)
                .where(col(TaskRow.state).in_(OPEN_STATES))
                .order_by(col(TaskRow.created_at), col(TaskRow.key))
            ).all()
            for row in rows:
                session.expunge(row)
            return list(rows)

    def of_owner(self, owner_user_id: str, since: dt.date) -> list[TaskRow]:
        """One person's tasks dated `since` or later, by date then as logged."""
        with reading(self._engine) as session:
            rows = session.exec(
                select(TaskRow)
                .where(TaskRow.owner_user_id == owner_user_id, col(TaskRow.date) >= since)
                .order_by(col(TaskRow.date), col(TaskRow.created_at))
            ).all()
            for row in rows:
                session.expunge(row)
            return list(rows)

    # -- categories --------------------------------------------------------------------

    def save_categories(self, options: Iterable[tuple[int, str]], at: dt.datetime) -> None:
        """Replace the stored option set (an empty one is not saved: keep what we had)."""
        rows = [
            TaskCategoryRow(code=code, label=label, read_at=utc(at))
            for code, label in dict(options).items()
        ]
        if not rows:
            return
        with writing(self._engine) as session:
            session.execute(delete(TaskCategoryRow))
            session.add_all(rows)

    def categories(self) -> list[tuple[int, str]]:
        with reading(self._engine) as session:
            rows = session.exec(select(TaskCategoryRow).order_by(col(TaskCategoryRow.code)))
            return [(r.code, r.label) for r in rows]


def new_row(
    *,
    key: str,
    task_id: str,
    draft: TaskDraft,
    owner_user_id: str,
    slack_user_id: str | None,
    now: dt.datetime,
    hok: bool,
    category_label: str,
    milestone_name: str | None,
    account_name: str | None,
) -> TaskRow:
    return TaskRow(
        key=key,
        task_id=task_id,
        owner_user_id=owner_user_id,
        slack_user_id=slack_user_id,
        account_id=draft.account_id,
        milestone_id=draft.milestone_id,
        category_code=draft.category_code,
        subject=draft.subject,
        minutes=draft.minutes,
        date=draft.date,
        priority=int(draft.priority),
        description=draft.description,
        completed=draft.completed,
        state=PENDING,
        step="create",
        created_at=utc(now),
        updated_at=utc(now),
        hok=hok,
        category_label=category_label,
        milestone_name=milestone_name,
        account_name=account_name,
    )


def draft_of(row: TaskRow) -> TaskDraft:
    return TaskDraft(
        account_id=row.account_id,
        milestone_id=row.milestone_id,
        category_code=row.category_code,
        subject=row.subject,
        minutes=row.minutes,
        date=row.date,
        priority=TaskPriority(row.priority),
        description=row.description,
        completed=row.completed,
    )


def logged(row: TaskRow) -> LoggedTask:
    """The row as a front end shows it: a row still being sent counts as queued."""
    state: Any = QUEUED if row.state == PENDING else row.state
    return LoggedTask(
        task_id=row.task_id,
        draft=draft_of(row),
        owner_user_id=row.owner_user_id,
        slack_user_id=row.slack_user_id,
        state=state,
        reason=row.reason,
        created_at=row.created_at,
        url=row.url,
        hok=row.hok,
        category_label=row.category_label,
        milestone_name=row.milestone_name,
        account_name=row.account_name,
    )
