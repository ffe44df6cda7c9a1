"""SnapshotStore: each user's latest Snapshot in SQLite, replaced whole or not at all."""

from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, delete, func
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, SQLModel, col, select

from bot.domain import Freshness, Identity, Snapshot
from bot.store import schema
from bot.store.convert import (
    Rows,
    email_key,
    from_rows,
    identity_of,
    loaded_columns,
    table_of,
    to_rows,
    utc,
)
from bot.store.engine import make_engine, reading, use_wal, writing, writing_conn
from bot.store.errors import StoreError
from bot.store.tables import (
    AccountRow,
    FailureRow,
    MilestoneRow,
    SnapshotRow,
    StateRow,
    TeamMemberRow,
)

_PRIVATE = 0o600  # the file holds a person's book of business
SOURCE_KEY = "msx_base_url"  # user "": the MSX every snapshot in this store came from


class SnapshotStore:
    """Per-user snapshots, refresh failures and small state, in one SQLite file.

    Calls are short and synchronous; one store may be shared by threads and coroutines.
    """

    def __init__(self, path: Path | str | None, *, source: str | None = None) -> None:
        """Open (creating if missing) the database at `path`; None means in memory.

        `source` is the MSX (its base URL) the snapshots come from: a store remembers it,
        and refuses to open for another, so a sandbox's book never lands among real ones.

        Raises StoreError, leaving the file as it was, when the path cannot hold a database,
        the file is not an msx-bot database, was written by a newer msx-bot, or holds
        snapshots from another MSX.
        """
        self.path = None if path is None or str(path) == ":memory:" else Path(path)
        where = str(self.path) if self.path else ":memory:"
        if self.path is not None:
            _create_private(self.path)
            schema.plan(schema.inspect_file(self.path), where)  # refuse before touching it
        # SQLAlchemy sets its ORM mappers up on first use (~0.1 s): here, not in the middle
        # of the first refresh.
        configure_mappers()
        self._engine = make_engine(self.path)
        try:
            with writing_conn(self._engine) as conn:
                schema.bring_up_to_date(conn, where)
            if self.path is not None:
                os.chmod(self.path, _PRIVATE)
                use_wal(self._engine)
            if source is not None:
                self._claim(source, where)
        except SQLAlchemyError as exc:
            self._engine.dispose()
            reason = getattr(exc, "orig", None) or exc
            raise StoreError(f"{where} cannot be opened ({reason})") from None
        except BaseException:
            self._engine.dispose()
            raise

    def _claim(self, source: str, where: str) -> None:
        """Remember which MSX this store's snapshots come from; refuse another one's."""
        stored = self.get_state("", SOURCE_KEY)
        if stored == source:
            return
        if stored is not None and self.users():
            raise StoreError(
                f"{where} holds snapshots from {stored}, not from {source}: "
                "set MSX_BOT_DB to another file for this MSX"
            )
        self.set_state("", SOURCE_KEY, source)

    @classmethod
    def in_memory(cls) -> SnapshotStore:
        return cls(None)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> SnapshotStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # Snapshots

    def save(self, snapshot: Snapshot, *, over: Snapshot | None = None) -> None:
        """Replace the user's snapshot in one transaction, and forget their last failure.

        `over` is the snapshot this one replaces, as read before the refresh: while it is
        still the stored one, the lists equal to its own are left as they are instead of
        written again (a daily refresh mostly finds the same teams and milestones).
        """
        uid = snapshot.user.user_id
        # Before the transaction: a bad value fails here, harmlessly.
        meta, *lists = to_rows(snapshot)
        with writing(self._engine) as session:
            conn = session.connection()
            kept = _unchanged_lists(conn, snapshot, over)
            failures = table_of(FailureRow)
            conn.execute(delete(failures).where(failures.c.user_id == uid))
            for part in lists:
                if part.table.name not in kept:
                    conn.execute(delete(part.table).where(part.table.c.user_id == uid))
            _insert_many(conn, meta, upsert=True)  # first: the lists' foreign keys need it
            for part in lists:
                if part.table.name not in kept and part.values:
                    _insert_many(conn, part)

    def load(self, user_id: str) -> Snapshot | None:
        with reading(self._engine) as session:
            meta = session.get(SnapshotRow, user_id)
            return _load_rest(session, meta) if meta else None

    def team_sizes(self, user_id: str) -> dict[str, int]:
        """How many team members each account had in the user's snapshot: the next
        refresh asks for teams in batches that fit a page."""
        members = table_of(TeamMemberRow)
        query = (
            select(members.c.account_id, func.count())
            .where(members.c.user_id == user_id)
            .group_by(members.c.account_id)
        )
        with reading(self._engine) as session:
            return {str(account): int(n) for account, n in session.execute(query)}

    def load_by_email(self, email: str) -> Snapshot | None:
        """The snapshot whose user has this email, in any case (the newest, if several)."""
        query = (
            select(SnapshotRow)
            .where(col(SnapshotRow.email_key) == email_key(email))
            .order_by(col(SnapshotRow.taken_at).desc())
            .limit(1)
        )
        with reading(self._engine) as session:
            meta = session.exec(query).first()
            return _load_rest(session, meta) if meta else None

    def users(self) -> list[Identity]:
        """Everyone with a snapshot, by user id."""
        with reading(self._engine) as session:
            rows = session.exec(select(SnapshotRow).order_by(col(SnapshotRow.user_id)))
            return [identity_of(r) for r in rows]

    # Failures and freshness

    def record_failure(self, user_id: str, reason: str, at: dt.datetime) -> None:
        """Note why a refresh failed; the snapshot itself is left as it was."""
        row = FailureRow(user_id=user_id, at=utc(at), reason=reason)
        with writing(self._engine) as session:
            session.merge(row)

    def last_failure(self, user_id: str) -> tuple[dt.datetime, str] | None:
        with reading(self._engine) as session:
            row = session.get(FailureRow, user_id)
            return (row.at, row.reason) if row else None

    def freshness(self, user_id: str) -> Freshness | None:
        """When the snapshot was taken, and why it is stale if a refresh failed since."""
        with reading(self._engine) as session:
            meta = session.get(SnapshotRow, user_id)
            if meta is None:
                return None
            failure = session.get(FailureRow, user_id)
            stale = failure.reason if failure and failure.at > meta.taken_at else None
            return Freshness(taken_at=meta.taken_at, stale_reason=stale)

    # Small state

    def get_state(self, user_id: str, key: str) -> str | None:
        with reading(self._engine) as session:
            row = session.get(StateRow, (user_id, key))
            return row.value if row else None

    def set_state(self, user_id: str, key: str, value: str) -> None:
        with writing(self._engine) as session:
            session.merge(StateRow(user_id=user_id, key=key, value=value))

    def claim_state(self, user_id: str, key: str, value: str) -> bool:
        """Set `key` only if it has no value yet: True when this call set it.

        One INSERT in a write transaction: of two processes on one file, exactly one wins.
        """
        sql = "INSERT INTO user_state (user_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
        with writing(self._engine) as session:
            result = session.connection().exec_driver_sql(sql, (user_id, key, value))
            return bool(result.rowcount == 1)

    def state_keys(self, user_id: str, prefix: str) -> list[str]:
        """The user's keys that start with `prefix`, in order."""
        query = (
            select(StateRow.key)
            .where(
                col(StateRow.user_id) == user_id,
                col(StateRow.key).startswith(prefix, autoescape=True),
            )
            .order_by(col(StateRow.key))
        )
        with reading(self._engine) as session:
            return list(session.exec(query))

    def delete_state(self, user_id: str, keys: list[str]) -> None:
        if not keys:
            return
        table = table_of(StateRow)
        with writing(self._engine) as session:
            session.connection().execute(
                delete(table).where(table.c.user_id == user_id, table.c.key.in_(keys))
            )


_DIALECT = sqlite.dialect()  # pysqlite, as the engine's


class _Insert(NamedTuple):
    sql: str  # the columns, "?" parameters
    processors: list[tuple[int, Any]]  # (index, conversion) where a column's type has one


@functools.cache
def _insert(table: Table, columns: tuple[str, ...], upsert: bool) -> _Insert:
    quote = _DIALECT.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
    if upsert:  # the row is updated in place: rows whose foreign keys point at it stay
        key = ", ".join(quote(c.name) for c in table.primary_key)
        update = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns)
        sql += f" ON CONFLICT ({key}) DO UPDATE SET {update}"
    processors = [
        (i, process)
        for i, name in enumerate(columns)
        if (process := table.c[name].type.dialect_impl(_DIALECT).bind_processor(_DIALECT))
    ]
    return _Insert(sql, processors)


def _insert_many(conn: Connection, rows: Rows, *, upsert: bool = False) -> None:
    """Rows straight to the driver's executemany: SQLAlchemy's own spends microseconds a
    row in Python. Values still go through the columns' types (UTC datetimes, dates)."""
    sql, processors = _insert(rows.table, rows.columns, upsert)
    values = rows.values
    if processors:
        values = [_processed(row, processors) for row in values]
    conn.exec_driver_sql(sql, values)


def _unchanged_lists(conn: Connection, snapshot: Snapshot, over: Snapshot | None) -> set[str]:
    """The list tables whose stored rows already are this snapshot's: none, unless `over`
    is still what is stored (its time is the stored one) and the list equals its own."""
    if over is None or over.user.user_id != snapshot.user.user_id:
        return set()
    meta = table_of(SnapshotRow)
    stored = conn.execute(select(meta.c.taken_at).where(meta.c.user_id == over.user.user_id))
    if stored.scalar() != over.taken_at:
        return set()
    pairs = (
        (AccountRow, over.accounts, snapshot.accounts),
        (TeamMemberRow, over.team, snapshot.team),
        (MilestoneRow, over.milestones, snapshot.milestones),
    )
    return {table_of(model).name for model, old, new in pairs if old == new}


def _processed(row: tuple[Any, ...], processors: list[tuple[int, Any]]) -> tuple[Any, ...]:
    out = list(row)
    for i, process in processors:
        out[i] = process(out[i])
    return tuple(out)


def _load_rest(session: Session, meta: SnapshotRow) -> Snapshot:
    conn = session.connection()

    def fields(model: type[SQLModel]) -> list[dict[str, Any]]:
        # Plain rows, not ORM objects: thousands of those cost far more than the query.
        table = table_of(model)
        query = (
            select(*loaded_columns(table))
            .where(table.c.user_id == meta.user_id)
            .order_by(table.c.position)
        )
        result = conn.execute(query)
        keys = tuple(result.keys())
        return [dict(zip(keys, row, strict=True)) for row in result.all()]

    return from_rows(meta, fields(AccountRow), fields(TeamMemberRow), fields(MilestoneRow))


def _create_private(path: Path) -> None:
    """Create the folder and an empty owner-only file, so no data is ever written world-readable.

    SQLite gives its -wal and -shm files the database file's permissions.
    """
    if path.is_dir():
        raise StoreError(
            f"{path} is a folder: set MSX_BOT_DB to a file, e.g. {path / 'msx-bot.db'}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE)
    except FileExistsError:
        if path.parent.is_dir():
            return  # the file is there already: schema.plan() decides whether it is ours
        raise StoreError(
            f"{path} cannot be created ({path.parent} is not a folder): "
            "set MSX_BOT_DB to a file in a folder you can write to"
        ) from None
    except OSError as exc:
        raise StoreError(
            f"{path} cannot be created ({exc.strerror}): "
            "set MSX_BOT_DB to a file in a folder you can write to"
        ) from None
    os.close(fd)
