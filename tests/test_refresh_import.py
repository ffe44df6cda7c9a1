"""A refresh against the sandbox brings back exactly the book the sandbox holds."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sandbox_book import Recorder, book_accounts, gateway_for, identity, members, truth

from bot.domain import DiscoveryPath, MilestoneStatus, Role
from bot.sandbox import SandboxMsx
from bot.sandbox.schema import MILESTONE_STATUS
from bot.store import SnapshotStore
from bot.workflows.refresh import RefreshResult, UnknownUser, refresh


@dataclass
class Imported:
    sb: SandboxMsx
    result: RefreshResult
    db: Path


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    """One refresh of the default book (30 accounts), shared by the read-only tests."""
    tmp = tmp_path_factory.mktemp("import")
    sb = SandboxMsx()

    async def go() -> RefreshResult:
        async with gateway_for(sb, tmp) as gateway:
            with SnapshotStore(tmp / "db") as store:
                return await refresh(gateway, store)

    yield Imported(sb, asyncio.run(go()), tmp / "db")


def test_my_accounts_exactly_with_tpid_territory_pod_and_roles(imported: Imported) -> None:
    ds = imported.sb.dataset
    snap = imported.result.snapshot
    assert snap.user == identity(ds.me)
    assert snap.discovery is DiscoveryPath.ACCOUNT_TEAMS
    expected = {a.id: a for a in book_accounts(ds, ds.me.user_id)}
    got = {a.id: a for a in snap.accounts}
    assert got == expected
    assert snap.gaps == ()


def test_accounts_where_i_am_only_modern_work_or_area_are_not_mine(imported: Imported) -> None:
    ids = {a.id for a in imported.result.snapshot.accounts}
    assert ds_not_mine(imported) and not ids & set(ds_not_mine(imported))


def ds_not_mine(imported: Imported) -> list[str]:
    return imported.sb.dataset.not_mine_account_ids


def test_two_roles_on_one_account(imported: Imported) -> None:
    snap = imported.result.snapshot
    doubled = [a for a in snap.accounts if len(a.my_roles) == 2]
    assert doubled, "the sandbox gives me a seller and an SE role on some accounts"
    for a in doubled:
        assert any(r.is_seller for r in a.my_roles) and not all(r.is_seller for r in a.my_roles)
        assert a.my_roles == imported.sb.dataset.roles_of[snap.user.user_id, a.id]


def test_missing_or_malformed_territory_gives_no_pod(imported: Imported) -> None:
    special = imported.sb.dataset.special
    snap = imported.result.snapshot
    none = snap.account(special["no_territory"])
    bad = snap.account(special["bad_territory"])
    assert none is not None and none.territory is None and none.pod is None
    assert bad is not None and bad.territory == "Unassigned" and bad.pod is None
    others = [a for a in snap.accounts if a.id not in (none.id, bad.id)]
    assert all(a.pod and " POD " in a.pod for a in others)


def test_every_team_member_of_every_account(imported: Imported) -> None:
    snap = imported.result.snapshot
    for account in snap.accounts:
        assert members(snap, account.id) == truth(imported.sb, account.id), account.name
    assert len(snap.team) == sum(len(imported.sb.dataset.team_of[a.id]) for a in snap.accounts)


def test_the_biggest_and_the_smallest_team(imported: Imported) -> None:
    special = imported.sb.dataset.special
    snap = imported.result.snapshot
    big, solo = special["big_team"], special["solo_team"]
    assert imported.sb.dataset.cloud_team_size[big] == 99
    assert members(snap, big) == truth(imported.sb, big)
    assert len(snap.team_of(solo)) == 1
    assert snap.team_of(solo)[0].user_id == snap.user.user_id


def test_sellers_are_specialists_only(imported: Imported) -> None:
    sellers = [m for m in imported.result.snapshot.team if m.role.is_seller]
    assert sellers and all("Specialists IC" in (m.title or "") for m in sellers)


def test_all_135_milestones_of_the_big_account_with_labels(imported: Imported) -> None:
    snap = imported.result.snapshot
    account = imported.sb.dataset.special["big_milestones"]
    found = snap.milestones_of(account)
    assert len(found) == 135
    assert {m.id for m in found} == set(imported.sb.dataset.milestones_of[account])
    assert {m.status for m in found} == set(MILESTONE_STATUS.values())
    assert {m.status for m in found} <= {s.value for s in MilestoneStatus}
    assert all(m.url.startswith("https://msx.test/main.aspx?appid=") for m in found)
    assert all(m.id in m.url and "etn=msp_engagementmilestone" in m.url for m in found)
    assert all(m.name and m.number and m.workload and m.opportunity for m in found)
    # More than a page: the nextLink was followed.
    assert any("$skiptoken" in p for p in imported.sb.stats.paths())


def test_every_milestone_of_every_account(imported: Imported) -> None:
    ds = imported.sb.dataset
    snap = imported.result.snapshot
    for account in snap.accounts:
        assert {m.id for m in snap.milestones_of(account.id)} == set(
            ds.milestones_of.get(account.id, [])
        )


def test_the_snapshot_is_saved_and_reads_back_the_same(imported: Imported) -> None:
    with SnapshotStore(imported.db) as store:
        snap = imported.result.snapshot
        assert store.load(snap.user.user_id) == snap
        freshness = store.freshness(snap.user.user_id)
    assert freshness is not None and freshness.stale_reason is None


async def test_progress_reaches_the_end(tmp_path: Path) -> None:
    # An import of its own, not the module's shared one: mutmut credits a shared fixture's
    # calls to the first test that set it up, and would never run this one for them.
    progress = Recorder()
    async with gateway_for(SandboxMsx(), tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store, progress=progress)
    stages = [e.stage for e in progress.events]
    assert list(dict.fromkeys(stages)) == ["Signing in", "Teams and milestones", "Saving"]
    counted = [e for e in progress.events if e.total]
    total = 2 * len(result.snapshot.accounts)  # each account's team, then its milestones
    assert {e.total for e in counted} == {total}
    assert counted[0].done == 0  # the bar starts empty, and only moves forward, to the end
    assert [e.done for e in counted] == sorted(e.done for e in counted)
    assert counted[-1].done == total


def test_a_first_refresh_changes_nothing_tracked(imported: Imported) -> None:
    assert imported.result.previous is None
    assert imported.result.diff.is_empty


async def test_a_colleagues_book_by_email(tmp_path: Path) -> None:
    sb = SandboxMsx()
    colleague = sb.dataset.colleagues[0]
    assert colleague.email
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store, email=colleague.email.upper())
            assert store.load_by_email(colleague.email) == result.snapshot
    snap = result.snapshot
    assert snap.user == identity(colleague)
    assert {a.id: a for a in snap.accounts} == {
        a.id: a for a in book_accounts(sb.dataset, colleague.user_id)
    }
    assert not any("WhoAmI" in p for p in sb.stats.paths())


async def test_an_unknown_email_writes_nothing(tmp_path: Path) -> None:
    sb = SandboxMsx()
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            with pytest.raises(UnknownUser) as caught:
                await refresh(gateway, store, email="nobody@microsoft.com")
            assert store.users() == []
            assert store.load_by_email("nobody@microsoft.com") is None
    assert caught.value.user_message == (
        "No MSX user has the e-mail nobody@microsoft.com: ask the owner to check it."
    )
    assert "nobody@microsoft.com" in str(caught.value)  # what a log or traceback shows


async def no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)  # a turn of the loop: requests overlap, no time passes


async def test_a_200_account_book_whole_within_the_concurrency_bound(tmp_path: Path) -> None:
    sb = SandboxMsx(accounts=200, sleep=no_wait)
    sb.faults.latency = 0.1  # "slept" through no_wait: requests stay in flight a while
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
    ds = sb.dataset
    snap = result.snapshot
    assert {a.id: a for a in snap.accounts} == {a.id: a for a in book_accounts(ds, ds.me.user_id)}
    expected_team = {
        (m.account_id, m.user_id, m.role, m.email) for a in snap.accounts for m in ds.team_of[a.id]
    }
    assert {(m.account_id, m.user_id, m.role, m.email) for m in snap.team} == expected_team
    assert len(snap.milestones) == sum(len(ds.milestones_of.get(a.id, [])) for a in snap.accounts)
    assert snap.gaps == ()
    assert sb.stats.max_in_flight == 16  # used fully, never passed
    # Roles with more than a page of alignments were read on, not cut.
    assert sum(Role.GROWTH_SELLER in a.my_roles for a in snap.accounts) > 0
