"""A refresh when MSX misbehaves: it recovers what can be recovered, and otherwise leaves
the previous snapshot as it was and says why."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from msx_fixtures import FakeSleep
from sandbox_book import Recorder, add_team_row, book_accounts, gateway_for

from bot.domain import Role, Snapshot
from bot.msx.collection import Collection
from bot.msx.errors import MsxUnreachable, OffVpn, Throttled
from bot.msx.gateway import MsxGateway
from bot.sandbox import SandboxMsx
from bot.store import SnapshotStore
from bot.workflows.book import cached_book, known_owner, known_user, refresh_book
from bot.workflows.refresh import Progress, refresh


async def first_snapshot(sb: SandboxMsx, tmp_path: Path) -> Snapshot:
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            return (await refresh_book(gateway, store)).snapshot


async def test_vpn_drops_mid_refresh(tmp_path: Path) -> None:
    sb = SandboxMsx()
    before = await first_snapshot(sb, tmp_path)
    sb.faults.fail_after(8)  # WhoAmI, discovery, a few teams... then nothing answers
    sleep = FakeSleep()
    async with gateway_for(sb, tmp_path, sleep=sleep) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            with pytest.raises(MsxUnreachable) as caught:
                await refresh_book(gateway, store)
            assert store.load(before.user.user_id) == before
            book = cached_book(store)
    assert type(caught.value) is MsxUnreachable  # not the off-VPN refusal: nothing answered
    assert caught.value.user_message == (
        "MSX is unreachable: connect to the VPN, then `/msx refresh`"
    )
    assert book is not None and book.snapshot == before
    assert book.freshness.taken_at == before.taken_at
    assert book.freshness.stale_reason == caught.value.user_message
    assert sleep.waits  # it retried before giving up


async def test_off_vpn_before_anything_answers(tmp_path: Path) -> None:
    sb = SandboxMsx()
    before = await first_snapshot(sb, tmp_path)
    sb.faults.off_vpn = True
    sb.stats.reset()
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            with pytest.raises(OffVpn) as caught:
                await refresh_book(gateway, store)
            book = cached_book(store)
    assert caught.value.user_message == (
        "MSX blocked this network address (you seem to be off the VPN): "
        "connect to the VPN, then `/msx refresh`"
    )
    # Nothing was tried past the first requests (who am I, my alignments).
    assert sb.stats.paths() and all("EqualUserId" in p for p in sb.stats.paths())
    # Who I am was never answered, yet the failure is recorded against the known owner.
    assert book is not None and book.snapshot == before
    assert book.freshness.stale_reason == caught.value.user_message


async def test_throttling_is_waited_out_and_the_wait_reported(tmp_path: Path) -> None:
    sb = SandboxMsx()
    sb.faults.throttle(3, retry_after=20)
    sleep = FakeSleep()
    progress = Recorder()
    async with gateway_for(sb, tmp_path, sleep=sleep) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store, progress=progress)
    assert sleep.waits.count(20.0) == 3  # Retry-After honoured, no real time spent
    assert progress.notes.count("MSX is throttling us; retrying in 20 s") == 3
    ds = sb.dataset
    assert {a.id for a in result.snapshot.accounts} == set(ds.accounts_of[ds.me.user_id])
    assert result.snapshot.gaps == ()


async def test_a_wait_mid_import_keeps_the_progress_bars_place(tmp_path: Path) -> None:
    sb = SandboxMsx()
    events: list[Progress] = []

    def progress(event: Progress) -> None:
        if event.done and not any(e.done for e in events):
            sb.faults.throttle(1, retry_after=20)  # the next request, mid-stage
        events.append(event)

    async with gateway_for(sb, tmp_path, sleep=FakeSleep()) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            await refresh(gateway, store, progress=progress)
    (i,) = [n for n, e in enumerate(events) if e.note]
    before, wait = events[i - 1], events[i]
    assert wait.note == "MSX is throttling us; retrying in 20 s"
    assert (wait.stage, wait.done, wait.total) == (before.stage, before.done, before.total)
    assert wait.total is not None


async def test_throttled_past_the_budget_fails_and_keeps_the_snapshot(tmp_path: Path) -> None:
    sb = SandboxMsx()
    before = await first_snapshot(sb, tmp_path)
    sb.faults.throttle(10, retry_after=100)
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            with pytest.raises(Throttled) as caught:
                await refresh_book(gateway, store)
            assert store.load(before.user.user_id) == before
            freshness = store.freshness(before.user.user_id)
    assert freshness is not None and freshness.stale_reason == caught.value.user_message


async def test_server_errors_are_retried(tmp_path: Path) -> None:
    sb = SandboxMsx()
    sb.faults.drop(1, kind="reset")  # then two 503s: three failures, the fourth try answers
    sb.faults.server_error(2)
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
    ds = sb.dataset
    assert {a.id: a for a in result.snapshot.accounts} == {
        a.id: a for a in book_accounts(ds, ds.me.user_id)
    }
    assert len(result.snapshot.team) == sum(
        len(ds.team_of[a]) for a in ds.accounts_of[ds.me.user_id]
    )


class RotatingTokens:
    """The Azure CLI's cache: "sandbox" for a while, then a new token (a refresh) for good."""

    def __init__(self, switch_after: int) -> None:
        self.calls = 0
        self.switch_after = switch_after

    async def token(self, *, force_refresh: bool = False) -> str:
        self.calls += 1
        return "sandbox" if self.calls <= self.switch_after else "sandbox-2"


async def test_401_on_the_first_request_after_a_token_change_is_recovered(
    tmp_path: Path,
) -> None:
    sb = SandboxMsx(tokens=("sandbox", "sandbox-2"))
    sb.faults.reject_first_after_token_change()
    tokens = RotatingTokens(switch_after=1)  # WhoAmI with the old token, the rest new
    async with gateway_for(sb, tmp_path, token_provider=tokens) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
    ds = sb.dataset
    assert {a.id for a in result.snapshot.accounts} == set(ds.accounts_of[ds.me.user_id])
    assert result.snapshot.gaps == ()


async def test_an_interrupted_refresh_keeps_the_snapshot_and_says_so(tmp_path: Path) -> None:
    sb = SandboxMsx()
    before = await first_snapshot(sb, tmp_path)
    sb.faults.hang = True
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            task = asyncio.ensure_future(refresh_book(gateway, store))
            while sb.stats.in_flight == 0:
                await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            sb.faults.release()
            assert store.load(before.user.user_id) == before
            freshness = store.freshness(before.user.user_id)
    assert freshness is not None
    assert freshness.stale_reason == "Refresh interrupted before it finished"


async def test_an_unexpected_error_keeps_the_snapshot_and_names_the_error(
    tmp_path: Path,
) -> None:
    sb = SandboxMsx()
    before = await first_snapshot(sb, tmp_path)

    def broken_progress(event: Progress) -> None:
        if event.stage == "Saving":
            raise RuntimeError("the progress message could not be updated")

    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            with pytest.raises(RuntimeError):  # the caller sees the error itself
                await refresh_book(gateway, store, progress=broken_progress)
            book = cached_book(store)
    assert book is not None and book.snapshot == before
    assert book.freshness.stale_reason == "Refresh failed: RuntimeError"


async def test_what_msx_may_have_held_back_is_named_in_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = SandboxMsx()
    ds = sb.dataset
    me = ds.me
    # An alignment to an account I cannot read (no row comes back for it).
    unreadable = str(uuid.uuid4())
    add_team_row(sb, unreadable, me.user_id, Role.DATA_SE, name=me.name)
    # 150 Infra SEs of one name on a team: reading on by name cannot get past them.
    crowded = ds.accounts_of[me.user_id][0]
    for account in (crowded, unreadable):
        for _ in range(150):
            add_team_row(sb, account, str(uuid.uuid4()), Role.INFRA_SE, name="Sam Lee")
    # And a milestone list that came back as a full page without a nextLink.
    read_milestones = MsxGateway.milestones

    async def cut_milestones(self: MsxGateway, *args: Any, **kwargs: Any) -> Collection[Any]:
        found = await read_milestones(self, *args, **kwargs)
        return Collection(found.items, True)

    monkeypatch.setattr(MsxGateway, "milestones", cut_milestones)
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
    assert result.team_splits > 0  # the crowded teams were asked again, split by role
    name = next(a.name for a in result.snapshot.accounts if a.id == crowded)
    gaps = result.snapshot.gaps
    # An account without a name is named by its id.
    assert sorted(gaps[:2]) == sorted(
        (f"The team of {name} may be incomplete", f"The team of {unreadable} may be incomplete")
    )
    assert gaps[2:] == (
        "Some milestones may be missing: MSX cut a list of them short",
        "1 account(s) could not be read (no access?)",
    )


async def test_a_colleagues_refresh_is_their_own_and_so_is_its_failure(tmp_path: Path) -> None:
    sb = SandboxMsx()
    colleague = sb.dataset.colleagues[0]
    assert colleague.email
    owner = await first_snapshot(sb, tmp_path)
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            theirs = await refresh_book(gateway, store, email=colleague.email)
            assert theirs.snapshot.user.user_id == colleague.user_id
            # Whose snapshots the store holds, found by e-mail as typed in Slack.
            assert known_user(store, email=f" {colleague.email.upper()} ") == theirs.snapshot.user
            assert known_user(store, email="nobody@microsoft.com") is None
            assert known_owner(store) == owner.user
            sb.faults.off_vpn = True  # MSX cannot say whose book: the one asked for is
            with pytest.raises(OffVpn) as caught:
                await refresh_book(gateway, store, email=colleague.email)
            mine = cached_book(store)
            their_book = cached_book(store, email=colleague.email)
    assert mine is not None and mine.snapshot == owner  # still the owner's book
    assert mine.freshness.stale_reason is None
    assert their_book is not None and their_book.snapshot == theirs.snapshot
    assert their_book.freshness.stale_reason == caught.value.user_message
