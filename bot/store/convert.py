"""Domain Snapshot <-> table rows. Pure functions; no database here."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Label, Table
from sqlmodel import SQLModel

from bot.domain import (
    Account,
    DiscoveryPath,
    Identity,
    Milestone,
    Snapshot,
    TeamMember,
)
from bot.store.tables import AccountRow, MilestoneRow, SnapshotRow, TeamMemberRow


def utc(value: dt.datetime) -> dt.datetime:
    """The same instant in UTC. A naive time is refused: its zone would be a guess.

    (SQLModel's datetime columns store UTC and hand back aware UTC datetimes; checking
    here too fails a save before its transaction starts, with a plain message.)
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the store keeps timezone-aware datetimes only")
    return value.astimezone(dt.UTC)


def email_key(email: str | None) -> str | None:
    return email.strip().casefold() if email else None


@dataclass(frozen=True)
class Rows:
    """A table's rows to insert: tuples, in the order of `columns`."""

    table: Table
    columns: tuple[str, ...]
    values: list[tuple[Any, ...]]


_ACCOUNT_COLUMNS = (
    "user_id", "position", "account_id", "name", "tpid", "territory_id", "territory", "pod",
    "my_roles",
)  # fmt: skip
_TEAM_COLUMNS = (
    "user_id", "position", "account_id", "member_id", "name", "role", "title", "email",
)  # fmt: skip
_MILESTONE_COLUMNS = (
    "user_id", "position", "milestone_id", "account_id", "number", "name", "status",
    "workload", "opportunity", "monthly_use", "date", "url",
)  # fmt: skip


def to_rows(snapshot: Snapshot) -> list[Rows]:
    """Each table with the plain rows to insert, the snapshot row first (the others'
    foreign keys point at it). Tuples, inserted in one executemany a table: a 200-account
    book has thousands of rows, and ORM objects (or even dicts) cost more than SQLite."""
    uid = snapshot.user.user_id
    meta = {
        "user_id": uid,
        "name": snapshot.user.name,
        "email": snapshot.user.email,
        "email_key": email_key(snapshot.user.email),
        "taken_at": utc(snapshot.taken_at),
        "discovery": snapshot.discovery.value,
        "gaps": json.dumps(list(snapshot.gaps), ensure_ascii=False),
    }
    accounts = [
        (
            uid,
            i,
            a.id,
            a.name,
            a.tpid,
            a.territory_id,
            a.territory,
            a.pod,
            json.dumps([r.value for r in a.my_roles]),
        )
        for i, a in enumerate(snapshot.accounts)
    ]
    team = [
        # A StrEnum goes to SQLite as its value, without the cost of `.value`.
        (uid, i, m.account_id, m.user_id, m.name, m.role, m.title, m.email)
        for i, m in enumerate(snapshot.team)
    ]
    milestones = [
        (
            uid,
            i,
            m.id,
            m.account_id,
            m.number,
            m.name,
            m.status,
            m.workload,
            m.opportunity,
            m.monthly_use,
            m.date,
            m.url,
        )
        for i, m in enumerate(snapshot.milestones)
    ]
    return [
        Rows(table_of(SnapshotRow), tuple(meta), [tuple(meta.values())]),
        Rows(table_of(AccountRow), _ACCOUNT_COLUMNS, accounts),
        Rows(table_of(TeamMemberRow), _TEAM_COLUMNS, team),
        Rows(table_of(MilestoneRow), _MILESTONE_COLUMNS, milestones),
    ]


def table_of(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


def identity_of(row: SnapshotRow) -> Identity:
    return Identity(user_id=row.user_id, name=row.name, email=row.email)


# Column -> domain field, where the names differ. user_id and position are the store's own.
_FIELD_OF: dict[str, dict[str, str]] = {
    "snapshot_account": {"account_id": "id"},
    "snapshot_team_member": {"member_id": "user_id"},
    "snapshot_milestone": {"milestone_id": "id"},
}


def loaded_columns(table: Table) -> list[Label[Any]]:
    """The columns to select for a list's domain objects, labelled with their field names."""
    renamed = _FIELD_OF[table.name]
    return [
        column.label(renamed.get(column.name, column.name))
        for column in table.columns
        if column.name not in ("user_id", "position")
    ]


Fields = list[dict[str, Any]]


def from_rows(meta: SnapshotRow, accounts: Fields, team: Fields, milestones: Fields) -> Snapshot:
    """The snapshot from its row and its lists' rows, as `loaded_columns` selects them."""
    for account in accounts:
        account["my_roles"] = json.loads(account["my_roles"])
    return Snapshot(
        user=identity_of(meta),
        taken_at=meta.taken_at,
        discovery=DiscoveryPath(meta.discovery),
        accounts=_validated(Account, accounts),
        team=_validated(TeamMember, team),
        milestones=_validated(Milestone, milestones),
        gaps=tuple(json.loads(meta.gaps)),
    )


_Model = TypeVar("_Model", bound=BaseModel)


def _validated(model: type[_Model], rows: Fields) -> tuple[_Model, ...]:
    # ~4 µs an object; also refuses a row whose columns no longer match the model.
    return tuple(model.model_validate(row) for row in rows)
