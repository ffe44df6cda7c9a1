"""Which schema a database file holds, and bringing it to the current one.

The version lives in SQLite's `PRAGMA user_version`, which is written inside the same
transaction as the tables it describes. Version 0 is the layout from before the version
was stamped: the same tables, but milestones had no `date` column. Version 2 adds the
task log (the outbox) and the task categories read from MSX's metadata.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection
from sqlmodel import SQLModel

from bot.store.errors import StoreError
from bot.store.tables import TABLES

SCHEMA_VERSION = 2

_AWAY = "move the file away to start afresh, or set MSX_BOT_DB to another file"

_TASK_TABLES = ("task_log", "task_category")
_CURRENT_TABLES = frozenset(t.name for t in TABLES)
_V1_TABLES = _CURRENT_TABLES - set(_TASK_TABLES)
# The tables each known version has; anything else in the file means it is not ours.
TABLES_AT: dict[int, frozenset[str]] = {0: _V1_TABLES, 1: _V1_TABLES, 2: _CURRENT_TABLES}


def _add_milestone_date(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE snapshot_milestone ADD COLUMN date DATE")


def _add_task_tables(conn: Connection) -> None:
    SQLModel.metadata.create_all(conn, tables=[t for t in TABLES if t.name in _TASK_TABLES])


# MIGRATIONS[n] takes a database from version n to n + 1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    0: _add_milestone_date,
    1: _add_task_tables,
}


@dataclass(frozen=True)
class Found:
    version: int
    tables: frozenset[str]


_Query = Callable[[str], list[tuple[object, ...]]]


def _found(query: _Query) -> Found:
    version = int(str(query("PRAGMA user_version")[0][0]))
    rows = query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return Found(version, frozenset(str(r[0]) for r in rows))


def inspect_file(path: Path) -> Found:
    """Read the version and tables without any chance of writing to the file."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(
            f"{path} cannot be opened ({exc}): check the path and its permissions"
        ) from None
    try:
        return _found(lambda sql: conn.execute(sql).fetchall())
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not an msx-bot database ({exc}): {_AWAY}") from None
    finally:
        conn.close()


def inspect_conn(conn: Connection) -> Found:
    return _found(lambda sql: [tuple(row) for row in conn.exec_driver_sql(sql)])


Action = Literal["create", "current", "migrate"]


def plan(found: Found, where: str) -> Action:
    """What opening this database takes; raises StoreError for a file we must not touch."""
    if found.version > SCHEMA_VERSION:
        raise StoreError(
            f"{where} was written by a newer msx-bot (schema {found.version}; this one knows "
            f"{SCHEMA_VERSION}): upgrade msx-bot, or move the file away to start afresh"
        )
    if found.version == 0 and not found.tables:
        return "create"
    expected = TABLES_AT.get(found.version)
    if expected is None or found.version < 0:
        raise StoreError(f"{where} has an unknown schema version {found.version}: {_AWAY}")
    if unknown := sorted(found.tables - expected):
        raise StoreError(
            f"{where} is not an msx-bot database (unknown tables: {', '.join(unknown)}): {_AWAY}"
        )
    if missing := sorted(expected - found.tables):
        raise StoreError(f"{where} is damaged (missing tables: {', '.join(missing)}): {_AWAY}")
    return "current" if found.version == SCHEMA_VERSION else "migrate"


def bring_up_to_date(conn: Connection, where: str) -> None:
    """Create or migrate inside the caller's write transaction (which rolls back on error)."""
    found = inspect_conn(conn)  # again, under the write lock: another process may have won
    action = plan(found, where)
    if action == "create":
        SQLModel.metadata.create_all(conn, tables=list(TABLES))
    elif action == "migrate":
        for version in range(found.version, SCHEMA_VERSION):
            try:
                MIGRATIONS[version](conn)
            except Exception as exc:
                raise StoreError(
                    f"{where} could not be upgraded from schema {version} to {version + 1} "
                    f"({exc}): {_AWAY}"
                ) from None
    if action != "current":
        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
