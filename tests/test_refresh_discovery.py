"""Both ways of finding my accounts: my msp_accountteams rows, or account access teams."""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_book import book_accounts, gateway_for, members, truth

from bot.domain import DiscoveryPath
from bot.msx import discovery
from bot.msx.collection import Collection
from bot.sandbox import SandboxMsx
from bot.store import SnapshotStore
from bot.workflows.refresh import refresh


async def test_no_alignment_rows_falls_back_to_access_teams(tmp_path: Path) -> None:
    # The 2026 outage: msp_accountteams answers, but my rows are gone everywhere.
    sb = SandboxMsx()
    me = sb.dataset.me.user_id
    sb.empty_account_teams_for(me)
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
            assert store.load(me) == result.snapshot
    snap = result.snapshot
    assert snap.discovery is DiscoveryPath.ACCESS_TEAMS
    expected = {a.id: a for a in book_accounts(sb.dataset, me)}
    assert {a.id for a in snap.accounts} == set(expected)
    # No access-team account that is not mine (opportunity and milestone teams ignored).
    for a in snap.accounts:
        assert (a.name, a.tpid, a.territory, a.pod) == (
            expected[a.id].name,
            expected[a.id].tpid,
            expected[a.id].territory,
            expected[a.id].pod,
        )
        # My own team rows are gone too: no role can be derived, so none is made up.
        assert a.my_roles == ()
        others = {m for m in truth(sb, a.id) if m[0] != me}
        assert members(snap, a.id) == others
    assert len(snap.milestones) == sum(len(sb.dataset.milestones_of.get(a, [])) for a in expected)


async def test_access_teams_roles_come_from_my_own_team_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the alignment query comes back empty; my rows are still on the account teams.
    sb = SandboxMsx()
    me = sb.dataset.me.user_id

    async def nothing(*args: object) -> Collection[object]:
        return Collection([], False)

    monkeypatch.setattr(discovery, "alignments", nothing)
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
    snap = result.snapshot
    assert snap.discovery is DiscoveryPath.ACCESS_TEAMS
    expected = {a.id: a for a in book_accounts(sb.dataset, me)}
    assert {a.id: a for a in snap.accounts} == expected  # roles included, two where two
    assert any(len(a.my_roles) == 2 for a in snap.accounts)
    for a in snap.accounts:
        assert members(snap, a.id) == truth(sb, a.id)


async def test_account_teams_path_says_so_and_asks_beside_whoami(tmp_path: Path) -> None:
    sb = SandboxMsx()
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
    assert result.snapshot.discovery is DiscoveryPath.ACCOUNT_TEAMS
    assert {a.id for a in result.snapshot.accounts} == set(sb.dataset.accounts_of[my_id(sb)])
    # My alignments name me with EqualUserId, so they need not wait for WhoAmI's answer;
    # the access teams are not asked when the alignments answer.
    paths = sb.stats.paths()
    mine = [p for p in paths if "msp_accountteams" in p and "EqualUserId" in p]
    assert len(mine) == 5  # one a role
    assert not any("teammembership_association" in p for p in paths)


async def test_an_msx_without_equal_user_id_still_finds_my_accounts(tmp_path: Path) -> None:
    sb = SandboxMsx()
    sb.supports_equal_user_id = False  # answers 400, as an MSX without the function would
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
    snap = result.snapshot
    assert snap.discovery is DiscoveryPath.ACCOUNT_TEAMS
    assert {a.id for a in snap.accounts} == set(sb.dataset.accounts_of[my_id(sb)])
    assert not snap.gaps
    for a in snap.accounts:
        assert a.my_roles
        assert members(snap, a.id) == truth(sb, a.id)


def my_id(sb: SandboxMsx) -> str:
    return sb.dataset.me.user_id
