"""Opening the store's file: privacy, schema versions, migration, and refusing what isn't ours."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain import Account, DiscoveryPath, Identity, Milestone, Snapshot
from bot.store import SCHEMA_VERSION, SnapshotStore, StoreError

T0 = dt.datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)

# Version 0, by hand: the tables before the schema version was stamped, milestones without
# `date`. This is what the migration to version 1 must understand.
V0_DDL = """
CREATE TABLE snapshot (
    user_id VARCHAR NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, email VARCHAR,
    email_key VARCHAR, taken_at DATETIME NOT NULL, discovery VARCHAR NOT NULL,
    gaps VARCHAR NOT NULL);
CREATE INDEX ix_snapshot_email_key ON snapshot (email_key);
CREATE TABLE snapshot_account (
    user_id VARCHAR NOT NULL REFERENCES snapshot (user_id), position INTEGER NOT NULL,
    account_id VARCHAR NOT NULL, name VARCHAR NOT NULL, tpid VARCHAR, territory_id VARCHAR,
    territory VARCHAR, pod VARCHAR, my_roles VARCHAR NOT NULL,
    PRIMARY KEY (user_id, position), UNIQUE (user_id, account_id));
CREATE TABLE snapshot_team_member (
    user_id VARCHAR NOT NULL REFERENCES snapshot (user_id), position INTEGER NOT NULL,
    account_id VARCHAR NOT NULL, member_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
    role VARCHAR NOT NULL, title VARCHAR, email VARCHAR, PRIMARY KEY (user_id, position));
CREATE TABLE snapshot_milestone (
    user_id VARCHAR NOT NULL REFERENCES snapshot (user_id), position INTEGER NOT NULL,
    milestone_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, number VARCHAR,
    name VARCHAR NOT NULL, status VARCHAR, workload VARCHAR, opportunity VARCHAR,
    monthly_use FLOAT, url VARCHAR NOT NULL,
    PRIMARY KEY (user_id, position), UNIQUE (user_id, milestone_id));
CREATE TABLE refresh_failure (
    user_id VARCHAR NOT NULL PRIMARY KEY, at DATETIME NOT NULL, reason VARCHAR NOT NULL);
CREATE TABLE user_state (
    user_id VARCHAR NOT NULL, "key" VARCHAR NOT NULL, value VARCHAR NOT NULL,
    PRIMARY KEY (user_id, "key"));
INSERT INTO snapshot VALUES ('u-ana', 'Ana Núñez', 'Ana@Contoso.com', 'ana@contoso.com',
    '2025-03-01 08:30:15.123456', 'account_teams', '["Team: truncated"]');
INSERT INTO snapshot_account VALUES ('u-ana', 0, 'a1', 'Café AB', '1001', NULL, NULL, NULL,
    '["data_se", "growth_seller"]');
INSERT INTO snapshot_milestone VALUES ('u-ana', 0, 'm1', 'a1', '7-1', 'PoC', 'At Risk', NULL,
    NULL, 12.5, 'https://msx.example/m1');
INSERT INTO user_state VALUES ('u-ana', 'digest.last_sent', '2025-02-28');
"""


def small_snapshot(*, with_date: bool = True) -> Snapshot:
    return Snapshot(
        user=Identity(user_id="u-ana", name="Ana", email="ana@contoso.com"),
        taken_at=T0,
        discovery=DiscoveryPath.ACCOUNT_TEAMS,
        accounts=(Account(id="a1", name="Café AB"),),
        milestones=(
            Milestone(
                id="m1",
                account_id="a1",
                name="PoC",
                date=dt.date(2025, 6, 30) if with_date else None,
                url="https://msx.example/m1",
            ),
        ),
    )


def sql(path: Path, script: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(script)
        conn.commit()
    finally:
        conn.close()


def pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    # A typical umask that would leave new files group- and world-readable.
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("loose_umask")
def test_new_file_and_its_wal_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "msx-bot" / "msx-bot.db"
    with SnapshotStore(path) as store:
        store.save(small_snapshot())
        # While open in WAL mode, the -wal and -shm files exist and hold data too.
        side_files = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
        assert all(f.exists() for f in side_files)
        assert [mode(f) for f in (path, *side_files)] == [0o600, 0o600, 0o600]
    assert mode(path.parent) == 0o700


def test_existing_file_with_loose_permissions_is_made_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    SnapshotStore(path).close()
    path.chmod(0o644)
    SnapshotStore(path).close()
    assert mode(path) == 0o600


def test_new_database_is_stamped_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    SnapshotStore(path).close()
    assert pragma(path, "user_version") == SCHEMA_VERSION == 2
    assert pragma(path, "journal_mode") == "wal"


def test_an_empty_existing_file_becomes_a_database(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    path.touch()
    with SnapshotStore(path) as store:
        store.save(small_snapshot())
        assert store.load("u-ana") == small_snapshot()


def test_version_0_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    sql(path, V0_DDL)
    assert pragma(path, "user_version") == 0

    with SnapshotStore(path) as store:
        old = store.load("u-ana")
        assert old is not None
        assert old.user == Identity(user_id="u-ana", name="Ana Núñez", email="Ana@Contoso.com")
        assert old.taken_at == T0
        assert old.gaps == ("Team: truncated",)
        assert [r.value for r in old.accounts[0].my_roles] == ["data_se", "growth_seller"]
        assert old.milestones[0].monthly_use == 12.5
        assert old.milestones[0].date is None  # the new column, empty for old rows
        assert store.load_by_email("ANA@contoso.com") == old
        assert store.get_state("u-ana", "digest.last_sent") == "2025-02-28"
        store.save(small_snapshot())  # the new column takes dates
        assert store.load("u-ana") == small_snapshot()

    assert pragma(path, "user_version") == SCHEMA_VERSION


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    # Unstamped, but `date` is already there: adding it again fails midway.
    sql(path, V0_DDL)
    sql(path, "ALTER TABLE snapshot_milestone ADD COLUMN date DATE")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="could not be upgraded from schema 0 to 1"):
        SnapshotStore(path)
    assert path.read_bytes() == before


def test_newer_schema_is_refused_without_touching_the_file(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    with SnapshotStore(path) as store:
        store.save(small_snapshot())
    sql(path, "PRAGMA user_version = 3")
    before = path.read_bytes()
    with pytest.raises(StoreError) as refused:
        SnapshotStore(path)
    assert str(refused.value) == (
        f"{path} was written by a newer msx-bot (schema 3; this one knows 2): "
        "upgrade msx-bot, or move the file away to start afresh"
    )
    assert path.read_bytes() == before
    assert pragma(path, "user_version") == 3


@pytest.mark.parametrize(
    "content",
    [b"not a database, just notes\n" * 10, bytes(range(256)) * 16, b"SQLite format 3\x00short"],
    ids=["text", "binary", "truncated-header"],
)
def test_a_file_that_is_not_sqlite_is_refused_unchanged(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "msx-bot.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=r"is not an msx-bot database \(file is not a database\)"):
        SnapshotStore(path)
    assert path.read_bytes() == content


def test_another_programs_sqlite_file_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    sql(path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY); INSERT INTO invoices VALUES (1);")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"not an msx-bot database \(unknown tables: invoices\)"):
        SnapshotStore(path)
    assert path.read_bytes() == before


def test_a_stamped_file_missing_tables_is_refused_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    SnapshotStore(path).close()
    sql(path, "DROP TABLE user_state")
    with pytest.raises(StoreError, match=r"is damaged \(missing tables: user_state\)"):
        SnapshotStore(path)


def test_a_folder_in_place_of_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    path.mkdir()
    with pytest.raises(StoreError, match=str(path)):
        SnapshotStore(path)
