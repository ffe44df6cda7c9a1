"""The task log and categories in the store file, and the schema 1 -> 2 migration."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.domain import TaskDraft
from bot.store import SCHEMA_VERSION, SnapshotStore, StoreError
from bot.store.tables import TaskRow
from bot.store.tasks import TaskStore, logged, new_row

T0 = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


def draft() -> TaskDraft:
    return TaskDraft(
        account_id="a1",
        milestone_id="m1",
        category_code=861980002,
        subject="Demo",
        minutes=30,
        date=dt.date(2026, 12, 4),
    )


def row(key: str = "k1", task_id: str = "t1") -> TaskRow:
    return new_row(
        key=key,
        task_id=task_id,
        draft=draft(),
        owner_user_id="u-ana",
        slack_user_id="U1",
        now=T0,
        hok=True,
        category_label="Demo",
        milestone_name="PoC",
        account_name="Café AB",
    )


def sql(path: Path, script: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(script)
        conn.commit()
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {r[0] for r in found}
    finally:
        conn.close()


def test_version_1_gains_the_task_tables_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    with SnapshotStore(path) as store:
        store.set_state("u-ana", "digest.last_sent", "2026-12-03")
    # What a version 1 file is: the same, without the task tables.
    sql(path, "DROP TABLE task_log; DROP TABLE task_category; PRAGMA user_version = 1;")
    assert "task_log" not in tables(path)
    with SnapshotStore(path) as store:
        assert store.get_state("u-ana", "digest.last_sent") == "2026-12-03"
        tasks = TaskStore(store)
        tasks.add(row())
        assert tasks.get("k1") is not None
    assert {"task_log", "task_category"} <= tables(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    finally:
        conn.close()


def test_a_version_1_file_with_task_tables_is_not_ours(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    SnapshotStore(path).close()
    sql(path, "PRAGMA user_version = 1;")
    with pytest.raises(StoreError, match="unknown tables: task_category, task_log"):
        SnapshotStore(path)


def test_add_keeps_the_first_row_for_a_key(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "db") as store:
        tasks = TaskStore(store)
        first = tasks.add(row("k1", "t1"))
        second = tasks.add(row("k1", "t2"))
        assert second.task_id == first.task_id == "t1"
        assert [r.key for r in tasks.open_rows()] == ["k1"]
        shown = logged(second)
        assert shown.state == "queued"  # still being sent counts as queued
        assert shown.draft == draft() and shown.created_at == T0
        assert (shown.milestone_name, shown.account_name) == ("PoC", "Café AB")


def test_a_task_id_is_never_used_twice(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "db") as store:
        tasks = TaskStore(store)
        tasks.add(row("k1", "t1"))
        with pytest.raises(StoreError):
            tasks.add(row("k2", "t1"))


def test_categories_replace_the_last_read_and_an_empty_read_keeps_it(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "db") as store:
        tasks = TaskStore(store)
        assert tasks.categories() == []
        tasks.save_categories([(2, "Demo"), (1, "Workshop")], T0)
        tasks.save_categories([(3, "Briefing"), (2, "Demo")], T0)
        assert tasks.categories() == [(2, "Demo"), (3, "Briefing")]
        tasks.save_categories([], T0)
        assert tasks.categories() == [(2, "Demo"), (3, "Briefing")]
