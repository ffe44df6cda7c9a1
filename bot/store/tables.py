"""The SQLite tables, keyed by MSX user id. Version 2 of the schema (see schema.py).

Every list of a snapshot keeps a `position` so that it loads back in the order it was saved.
Datetimes go in and come out aware, in UTC: SQLModel's UTCDateTime stores them as UTC.
"""

import datetime as dt

from sqlalchemy import Table, UniqueConstraint
from sqlmodel import Field, SQLModel

_USER_FK = "snapshot.user_id"


class SnapshotRow(SQLModel, table=True):
    __tablename__ = "snapshot"

    user_id: str = Field(primary_key=True)
    name: str
    email: str | None = None
    # The email casefolded, so that a lookup by email ignores case and can use an index.
    email_key: str | None = Field(default=None, index=True)
    taken_at: dt.datetime
    discovery: str
    gaps: str = "[]"  # JSON list of strings


class AccountRow(SQLModel, table=True):
    __tablename__ = "snapshot_account"
    __table_args__ = (UniqueConstraint("user_id", "account_id"),)

    user_id: str = Field(primary_key=True, foreign_key=_USER_FK)
    position: int = Field(primary_key=True)
    account_id: str
    name: str
    tpid: str | None = None
    territory_id: str | None = None
    territory: str | None = None
    pod: str | None = None
    my_roles: str = "[]"  # JSON list of Role values, in order


class TeamMemberRow(SQLModel, table=True):
    __tablename__ = "snapshot_team_member"

    user_id: str = Field(primary_key=True, foreign_key=_USER_FK)
    position: int = Field(primary_key=True)
    account_id: str
    member_id: str
    name: str
    role: str
    title: str | None = None
    email: str | None = None


class MilestoneRow(SQLModel, table=True):
    __tablename__ = "snapshot_milestone"
    __table_args__ = (UniqueConstraint("user_id", "milestone_id"),)

    user_id: str = Field(primary_key=True, foreign_key=_USER_FK)
    position: int = Field(primary_key=True)
    milestone_id: str
    account_id: str
    number: str | None = None
    name: str
    status: str | None = None
    workload: str | None = None
    opportunity: str | None = None
    monthly_use: float | None = None
    date: dt.date | None = None  # added in schema 1
    url: str


class FailureRow(SQLModel, table=True):
    """The last refresh that failed, per user; saving a snapshot deletes it."""

    __tablename__ = "refresh_failure"

    user_id: str = Field(primary_key=True)
    at: dt.datetime
    reason: str


class StateRow(SQLModel, table=True):
    """Small per-user values (digest state and the like); user "" holds process-wide ones."""

    __tablename__ = "user_state"

    user_id: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str


class TaskRow(SQLModel, table=True):
    """A task a person asked the bot to log: the outbox and the record of what became of it.

    Written before the first request to MSX, with the task id the bot chose, so a retry
    after a crash or a lost answer can only ever name the same task. Added in schema 2.
    """

    __tablename__ = "task_log"

    key: str = Field(primary_key=True)  # the front end's idempotency key
    task_id: str = Field(unique=True)
    owner_user_id: str = Field(index=True)
    slack_user_id: str | None = None
    account_id: str
    milestone_id: str
    category_code: int
    subject: str
    minutes: int
    date: dt.date
    priority: int
    description: str = ""
    completed: bool = True
    # pending (being sent now) | queued | created | rejected
    state: str = Field(index=True)
    # create | complete | done: what is left to do in MSX
    step: str = "create"
    # A create may have reached MSX (its answer was lost): ask MSX before sending it again.
    maybe_sent: bool = False
    reason: str | None = None
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    hok: bool
    category_label: str = ""
    milestone_name: str | None = None
    account_name: str | None = None
    url: str | None = None


class TaskCategoryRow(SQLModel, table=True):
    """The task category option set as MSX's metadata last gave it. Added in schema 2."""

    __tablename__ = "task_category"

    code: int = Field(primary_key=True)
    label: str
    read_at: dt.datetime


# Only these tables are the store's: other modules may add their own to SQLModel.metadata.
TABLES: tuple[Table, ...] = tuple(
    SQLModel.metadata.tables[name]
    for name in (
        "snapshot",
        "snapshot_account",
        "snapshot_team_member",
        "snapshot_milestone",
        "refresh_failure",
        "user_state",
        "task_log",
        "task_category",
    )
)
