"""The digest's memory in SQLite: settings, one claim a day across restarts and processes."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path
from typing import Any

from bot.store import SnapshotStore
from bot.store.digest import DigestMemory, DigestSettings, DigestStore, SeenMilestone, SentMark

DAY = dt.date(2026, 5, 4)
AT = dt.datetime(2026, 5, 4, 15, 30, tzinfo=dt.UTC)


def test_settings_default_on_and_round_trip(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "bot.db") as store:
        digests = DigestStore(store)
        assert digests.settings("U1") == DigestSettings()
        mine = DigestSettings(at=dt.time(7, 45), days="daily", all_clear=False, changed_at=AT)
        digests.save_settings("U1", mine)
        assert digests.settings("U2") == DigestSettings()  # per person
    with SnapshotStore(tmp_path / "bot.db") as store:  # a restart
        assert DigestStore(store).settings("U1") == mine


def test_a_broken_value_reads_as_absent_not_a_crash(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "bot.db") as store:
        store.set_state("U1", "digest.settings", "{not json")
        store.set_state("u-me", "digest.memory", '{"at": "yesterday"}')
        digests = DigestStore(store)
        assert digests.settings("U1") == DigestSettings()
        assert digests.memory("u-me") is None


def test_one_claim_a_day_survives_a_restart(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "bot.db") as store:
        digests = DigestStore(store)
        assert digests.claim("U1", DAY, SentMark(at=AT))
        assert not digests.claim("U1", DAY, SentMark(at=AT))
        assert digests.claim("U2", DAY, SentMark(at=AT))  # someone else's day
        assert digests.claim("U1", DAY + dt.timedelta(days=1), SentMark(at=AT))
        digests.update_mark("U1", DAY, SentMark(state="sent", at=AT, late=True))
    with SnapshotStore(tmp_path / "bot.db") as store:
        digests = DigestStore(store)
        assert not digests.claim("U1", DAY, SentMark(at=AT))
        mark = digests.mark("U1", DAY)
        assert mark is not None and mark.state == "sent" and mark.late


def test_old_marks_are_pruned_but_recent_ones_kept(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "bot.db") as store:
        digests = DigestStore(store)
        for back in range(30, -1, -1):
            assert digests.claim("U1", DAY - dt.timedelta(days=back), SentMark(at=AT))
        keys = store.state_keys("U1", "digest.sent.")
        assert len(keys) == 15 and keys[-1] == "digest.sent.2026-05-04"
        # A pruned day still cannot be sent again by the schedule (only today is ever due).
        assert not digests.claim("U1", DAY - dt.timedelta(days=3), SentMark(at=AT))


def test_memory_round_trip(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "bot.db") as store:
        memory = DigestMemory(
            at=AT, milestones={"m1": SeenMilestone(status="Blocked", since=DAY, name="M")}
        )
        DigestStore(store).save_memory("u-me", memory)
        assert DigestStore(store).memory("u-me") == memory


def _race(db: str, go: Any, results: Any, slot: int) -> None:
    """One process: open the file, wait for the start, try to claim 40 people's day."""
    with SnapshotStore(db) as store:
        digests = DigestStore(store)
        go.wait()
        won = [digests.claim(f"U{n}", DAY, SentMark(at=AT)) for n in range(40)]
    results[slot] = "".join("1" if w else "0" for w in won)


def test_two_processes_on_one_file_claim_each_day_once(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    SnapshotStore(db).close()  # created once, as the first bot would
    # fork: the children start with everything imported, in milliseconds.
    ctx = multiprocessing.get_context("fork")
    go = ctx.Event()
    with ctx.Manager() as manager:
        results = manager.dict()
        racers = [ctx.Process(target=_race, args=(str(db), go, results, i)) for i in range(2)]
        for racer in racers:
            racer.start()
        go.set()
        for racer in racers:
            racer.join(timeout=60)
            assert racer.exitcode == 0
        first, second = results[0], results[1]
    assert len(first) == len(second) == 40
    # Every person's day was won by exactly one of the two.
    assert all(a != b for a, b in zip(first, second, strict=True))
