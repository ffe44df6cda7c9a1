"""SnapshotStore: round trips, atomic replacement, isolation, failures and freshness."""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.domain import (
    Account,
    DiscoveryPath,
    Freshness,
    Identity,
    Milestone,
    Role,
    Snapshot,
    TeamMember,
)
from bot.store import SnapshotStore, StoreError

T0 = dt.datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)


def rich_snapshot(user_id: str = "u-ana", *, taken_at: dt.datetime = T0, tag: str = "") -> Snapshot:
    user = Identity(user_id=user_id, name=f"Ana Núñez-Øberg{tag}", email="Ana.Nunez@Contoso.com")
    return Snapshot(
        user=user,
        taken_at=taken_at,
        discovery=DiscoveryPath.ACCESS_TEAMS,
        accounts=(
            Account(
                id="a2",
                name=f"Café Nordström AB{tag}",
                tpid="1001",
                territory_id="t1",
                territory="East.SMECC.MAA.0601",
                pod="East POD 06",
                my_roles=(Role.DATA_SE, Role.GROWTH_SELLER),
            ),
            Account(id="a1", name="Müller & Söhne 株式会社"),  # None fields, no roles
        ),
        team=(
            TeamMember(
                account_id="a2",
                user_id="u-bo",
                name="Bo Ek",
                role=Role.GROWTH_SELLER,
                title="Specialist",
                email="bo@contoso.com",
            ),
            TeamMember(account_id="a2", user_id=user_id, name=user.name, role=Role.DATA_SE),
            TeamMember(account_id="a1", user_id="u-bo", name="Bo Ek", role=Role.INFRA_SE),
        ),
        milestones=(
            Milestone(
                id="m9",
                account_id="a2",
                number="7-123",
                name=f"Fabric PoC 🚀{tag}",
                status="At Risk",
                workload="Data: Fabric",
                opportunity="Nordic data estate",
                monthly_use=12345.678901234567,
                date=dt.date(2025, 6, 30),
                url="https://msx.example/m9",
            ),
            Milestone(id="m1", account_id="a1", name="Landing zone", url="https://msx.example/m1"),
        ),
        gaps=("Team of Café Nordström AB: truncated at 5000 rows", "Milestones: 1 page failed"),
    )


def small_snapshot(user_id: str, name: str, *, taken_at: dt.datetime = T0) -> Snapshot:
    return Snapshot(
        user=Identity(user_id=user_id, name=name, email=f"{name.lower()}@contoso.com"),
        taken_at=taken_at,
        discovery=DiscoveryPath.ACCOUNT_TEAMS,
        accounts=(Account(id=f"{user_id}-acc", name=f"{name}'s account"),),
        milestones=(
            Milestone(id=f"{user_id}-m", account_id=f"{user_id}-acc", name="M", url="https://x/m"),
        ),
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SnapshotStore]:
    with SnapshotStore(tmp_path / "msx-bot.db") as s:
        yield s


def test_round_trip_is_exact(store: SnapshotStore) -> None:
    snapshot = rich_snapshot()
    store.save(snapshot)
    loaded = store.load("u-ana")
    assert loaded == snapshot
    assert loaded is not None
    assert loaded.taken_at.tzinfo is not None
    assert [a.id for a in loaded.accounts] == ["a2", "a1"]  # saved order, not id order
    assert loaded.accounts[0].my_roles == (Role.DATA_SE, Role.GROWTH_SELLER)


def test_bare_snapshot_round_trips(store: SnapshotStore) -> None:
    bare = Snapshot(
        user=Identity(user_id="u-cy", name="Cy"),  # no email, lists or gaps
        taken_at=T0,
        discovery=DiscoveryPath.ACCOUNT_TEAMS,
    )
    store.save(bare)
    assert store.load("u-cy") == bare
    assert store.users() == [bare.user]


def test_loaded_objects_have_their_exact_types(store: SnapshotStore) -> None:
    milestone = Milestone(id="m5", account_id="a1", name="Int", monthly_use=5, url="https://x/5")
    snapshot = rich_snapshot().model_copy(
        update={"milestones": (*rich_snapshot().milestones, milestone)}
    )
    store.save(snapshot)
    loaded = store.load("u-ana")
    assert loaded == snapshot
    assert all(type(r) is Role for a in loaded.accounts for r in a.my_roles)
    assert isinstance(loaded.accounts[0].my_roles, tuple)
    assert all(type(m.role) is Role for m in loaded.team)
    assert type(loaded.milestones[-1].monthly_use) is float
    assert type(loaded.milestones[0].date) is dt.date


def test_round_trip_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    with SnapshotStore(path) as first:
        first.save(rich_snapshot())
    with SnapshotStore(path) as again:
        assert again.load("u-ana") == rich_snapshot()


def test_in_memory_store_round_trips() -> None:
    with SnapshotStore.in_memory() as store:
        store.save(rich_snapshot())
        assert store.load("u-ana") == rich_snapshot()
    with SnapshotStore(":memory:") as other:
        assert other.load("u-ana") is None  # each in-memory store is its own database


def test_non_utc_times_come_back_as_the_same_instant_in_utc(store: SnapshotStore) -> None:
    cet = dt.timezone(dt.timedelta(hours=1))
    snapshot = rich_snapshot(taken_at=dt.datetime(2025, 3, 1, 9, 30, tzinfo=cet))
    store.save(snapshot)
    loaded = store.load("u-ana")
    assert loaded is not None
    assert loaded.taken_at == dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC)
    assert loaded.taken_at.utcoffset() == dt.timedelta(0)


def test_naive_times_are_refused_and_nothing_is_written(store: SnapshotStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save(rich_snapshot(taken_at=dt.datetime(2025, 3, 1, 8, 30)))
    assert store.load("u-ana") is None


def test_save_replaces_the_whole_snapshot(store: SnapshotStore) -> None:
    store.save(rich_snapshot())
    newer = small_snapshot("u-ana", "Ana", taken_at=T0 + dt.timedelta(hours=1))
    store.save(newer)
    assert store.load("u-ana") == newer  # no account, member or milestone of the old one left


def _rows_written(store: SnapshotStore) -> list[str]:
    """The tables each INSERT the store sends goes to, as they are sent."""
    written: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO"):
            written.append(statement.split()[2].strip('"'))

    event.listen(store._engine, "before_cursor_execute", seen)
    return written


def test_a_refresh_that_finds_the_same_lists_does_not_write_them_again(
    store: SnapshotStore,
) -> None:
    store.save(rich_snapshot())
    before = store.load("u-ana")
    assert before is not None
    later = T0 + dt.timedelta(days=1)
    same = rich_snapshot(taken_at=later)
    one_changed = same.model_copy(update={"milestones": same.milestones[:1]})
    written = _rows_written(store)
    store.save(one_changed, over=before)
    assert store.load("u-ana") == one_changed
    assert sorted(written) == ["snapshot", "snapshot_milestone"]
    written.clear()
    unchanged = one_changed.model_copy(update={"taken_at": later + dt.timedelta(days=1)})
    store.save(unchanged, over=one_changed)
    assert written == ["snapshot"]
    assert store.load("u-ana") == unchanged


def test_a_stale_previous_snapshot_never_keeps_rows_it_did_not_see(store: SnapshotStore) -> None:
    first = rich_snapshot()
    store.save(first)
    # Another refresh saved in between: what is stored is no longer `first`.
    store.save(small_snapshot("u-ana", "Ana", taken_at=T0 + dt.timedelta(hours=1)))
    again = rich_snapshot(taken_at=T0 + dt.timedelta(hours=2))  # the same lists as `first`
    store.save(again, over=first)
    assert store.load("u-ana") == again


def test_unknown_user_loads_none(store: SnapshotStore) -> None:
    assert store.load("nobody") is None
    assert store.load_by_email("nobody@contoso.com") is None
    assert store.freshness("nobody") is None
    assert store.last_failure("nobody") is None


def test_failed_save_keeps_the_previous_snapshot_whole(store: SnapshotStore) -> None:
    old = rich_snapshot()
    store.save(old)
    store.record_failure("u-ana", "VPN down", T0 + dt.timedelta(minutes=5))
    # Two milestones with one id break a constraint after the old rows are already deleted
    # and the new snapshot, accounts and team are inserted.
    bad = rich_snapshot(tag=" v2")
    bad = bad.model_copy(update={"milestones": (*bad.milestones, bad.milestones[0])})
    with pytest.raises(StoreError, match=r"could not write \(UNIQUE constraint failed"):
        store.save(bad)
    assert store.load("u-ana") == old
    assert store.last_failure("u-ana") == (T0 + dt.timedelta(minutes=5), "VPN down")


def test_a_failed_save_says_nothing_of_the_rows(store: SnapshotStore) -> None:
    bad = rich_snapshot(tag=" secret")
    bad = bad.model_copy(update={"milestones": (*bad.milestones, bad.milestones[0])})
    with pytest.raises(StoreError) as caught:
        store.save(bad)
    chain = "".join(traceback.format_exception(caught.value))
    assert "UNIQUE constraint failed" in chain
    assert "secret" not in chain and "Fabric" not in chain


def test_failure_at_commit_time_keeps_the_previous_snapshot(
    store: SnapshotStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = rich_snapshot()
    store.save(old)

    def fail(_conn: Any) -> None:
        raise RuntimeError("power cut")

    # Every row of the new snapshot has been written; the commit itself fails.
    event.listen(store._engine, "commit", fail)
    with pytest.raises(RuntimeError, match="power cut"):
        store.save(small_snapshot("u-ana", "Ana"))
    event.remove(store._engine, "commit", fail)
    assert store.load("u-ana") == old


def test_reader_during_a_save_sees_the_old_snapshot_entirely(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    old, new = rich_snapshot(), rich_snapshot(taken_at=T0 + dt.timedelta(hours=1), tag=" v2")
    with SnapshotStore(path) as writer, SnapshotStore(path) as reader:
        writer.save(old)
        seen: list[Snapshot | None] = []

        # Runs with the writer's transaction open and all its rows written, before COMMIT.
        def read_now(_conn: Any) -> None:
            seen.append(reader.load("u-ana"))

        event.listen(writer._engine, "commit", read_now)
        writer.save(new)
        event.remove(writer._engine, "commit", read_now)
        assert seen == [old]
        assert reader.load("u-ana") == new


def test_a_save_committed_midway_through_a_load_is_not_mixed_in(tmp_path: Path) -> None:
    path = tmp_path / "msx-bot.db"
    old, new = rich_snapshot(), rich_snapshot(taken_at=T0 + dt.timedelta(hours=1), tag=" v2")
    with SnapshotStore(path) as writer, SnapshotStore(path) as reader:
        writer.save(old)
        statements: list[str] = []

        # After the reader's first SELECT (the snapshot row), the writer commits a new one.
        def save_between(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)
            if sum(s.lstrip().startswith("SELECT") for s in statements) == 1:
                writer.save(new)

        event.listen(reader._engine, "after_cursor_execute", save_between)
        loaded = reader.load("u-ana")
        event.remove(reader._engine, "after_cursor_execute", save_between)
        assert writer.load("u-ana") == new  # the write did land mid-load
        assert loaded == old


def test_users_do_not_touch_each_other(store: SnapshotStore) -> None:
    ana, bo = small_snapshot("u-ana", "Ana"), small_snapshot("u-bo", "Bo")
    store.save(ana)
    store.save(bo)
    store.record_failure("u-bo", "throttled", T0 + dt.timedelta(hours=1))
    store.save(small_snapshot("u-ana", "Ana", taken_at=T0 + dt.timedelta(hours=2)))
    assert store.load("u-bo") == bo
    assert store.last_failure("u-bo") == (T0 + dt.timedelta(hours=1), "throttled")
    assert store.users() == [ana.user, bo.user]


def test_load_by_email_ignores_case(store: SnapshotStore) -> None:
    snapshot = rich_snapshot()
    store.save(snapshot)
    store.save(small_snapshot("u-bo", "Bo"))
    assert store.load_by_email("ana.nunez@contoso.com") == snapshot
    assert store.load_by_email("  ANA.NUNEZ@CONTOSO.COM ") == snapshot
    assert store.load_by_email("ana@contoso.com") is None


def test_users_lists_identities(store: SnapshotStore) -> None:
    assert store.users() == []
    store.save(rich_snapshot())
    assert store.users() == [rich_snapshot().user]


def test_failure_is_recorded_without_touching_the_snapshot(store: SnapshotStore) -> None:
    snapshot = rich_snapshot()
    store.save(snapshot)
    at = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    store.record_failure("u-ana", "MSX is unreachable: connect to the VPN", at)
    assert store.load("u-ana") == snapshot
    assert store.last_failure("u-ana") == (at, "MSX is unreachable: connect to the VPN")
    when, _ = store.last_failure("u-ana") or (None, "")
    assert when is not None and when.tzinfo == dt.UTC


def test_a_later_failure_replaces_an_earlier_one(store: SnapshotStore) -> None:
    store.record_failure("u-ana", "first", T0)
    store.record_failure("u-ana", "second", T0 + dt.timedelta(minutes=1))
    assert store.last_failure("u-ana") == (T0 + dt.timedelta(minutes=1), "second")


def test_failure_before_any_snapshot_is_kept_until_a_save(store: SnapshotStore) -> None:
    store.record_failure("u-ana", "not signed in", T0)
    assert store.last_failure("u-ana") == (T0, "not signed in")
    assert store.freshness("u-ana") is None  # nothing to be fresh or stale
    store.save(rich_snapshot(taken_at=T0 + dt.timedelta(minutes=1)))
    assert store.last_failure("u-ana") is None


def test_freshness_is_stale_only_after_a_later_failure(store: SnapshotStore) -> None:
    store.save(rich_snapshot())
    assert store.freshness("u-ana") == Freshness(taken_at=T0)
    store.record_failure("u-ana", "older than the snapshot", T0 - dt.timedelta(minutes=1))
    assert store.freshness("u-ana") == Freshness(taken_at=T0)
    store.record_failure("u-ana", "VPN down", T0 + dt.timedelta(hours=3))
    assert store.freshness("u-ana") == Freshness(taken_at=T0, stale_reason="VPN down")
    store.save(rich_snapshot(taken_at=T0 + dt.timedelta(hours=4)))
    assert store.freshness("u-ana") == Freshness(taken_at=T0 + dt.timedelta(hours=4))


def test_naive_failure_time_is_refused(store: SnapshotStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.record_failure("u-ana", "x", dt.datetime(2025, 1, 1))


def test_state_is_per_user_and_survives_saves(store: SnapshotStore) -> None:
    assert store.get_state("u-ana", "digest.last_sent") is None
    store.set_state("u-ana", "digest.last_sent", "2025-03-01")
    store.set_state("u-ana", "digest.last_sent", "2025-03-02")
    store.set_state("", "owner", "u-ana")
    store.save(rich_snapshot())
    assert store.get_state("u-ana", "digest.last_sent") == "2025-03-02"
    assert store.get_state("u-bo", "digest.last_sent") is None
    assert store.get_state("", "owner") == "u-ana"
