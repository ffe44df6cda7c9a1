"""One SQLAlchemy engine per store, with SQLite transactions that mean what they say.

Python's sqlite3 driver (before 3.12's `autocommit`) does not BEGIN before a SELECT, so a
load made of several SELECTs could straddle another writer's commit and mix two snapshots.
We switch its transaction handling off and emit BEGIN ourselves: every session is one
SQLite transaction. Writers use BEGIN IMMEDIATE, taking the write lock up front rather
than failing to upgrade a read lock halfway through.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlmodel import Session

from bot.store.errors import StoreError

_WRITE = "msx_bot_write"


def make_engine(path: Path | None) -> Engine:
    """An engine on `path`, or on a private in-memory database when `path` is None."""
    if path is None:
        # One shared connection, or each checkout would see its own empty database.
        engine = create_engine(
            "sqlite://",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            hide_parameters=True,
        )
    else:
        engine = create_engine(
            URL.create("sqlite", database=str(path)),
            connect_args={"check_same_thread": False},
            # Row contents never reach logs or exception messages.
            hide_parameters=True,
        )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see _on_begin
    dbapi_connection.execute("PRAGMA foreign_keys = ON")
    (mode,) = dbapi_connection.execute("PRAGMA journal_mode").fetchone()
    if mode == "wal":
        _sync_normal(dbapi_connection)


def _sync_normal(dbapi_connection: sqlite3.Connection) -> None:
    # In WAL mode a commit then skips its fsync: a power cut may lose the last refresh
    # (the next one brings it back), never corrupt the file. A refresh saves ~5 ms.
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")


def _on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def use_wal(engine: Engine) -> None:
    """Readers then see the last commit while a writer works, instead of waiting for it."""
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA journal_mode = WAL")  # type: ignore[union-attr]
        _sync_normal(raw.driver_connection)  # type: ignore[arg-type]
    finally:
        raw.close()


@contextmanager
def writing_conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """One read transaction: every query inside sees the same commit."""
    with _as_store_error("read"), Session(engine) as session:
        session.connection()  # BEGIN now, before the first SELECT
        yield session


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """One write transaction, committed on success and rolled back on any exception."""
    with _as_store_error("write"), Session(engine) as session, session.begin():
        session.connection(execution_options={_WRITE: True})
        yield session


@contextmanager
def _as_store_error(doing: str) -> Iterator[None]:
    # Callers get one exception type to explain; parameters are hidden, so the chained
    # SQLAlchemy error carries no row contents into a traceback.
    try:
        yield
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        raise StoreError(f"the snapshot store could not {doing} ({reason})") from exc
