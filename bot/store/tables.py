"""The SQLite tables, keyed by MSX user id. Version 1 of the schema (see schema.py).

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
    )
)
