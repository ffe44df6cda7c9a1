"""Whole teams from msp_accountteams, which cuts a page at 100 rows and never pages:
teams of every size from 1 to 99, pages that overflow, and one team of over 200 rows."""

from __future__ import annotations

import uuid
from pathlib import Path

from sandbox_book import add_account, add_team_row, gateway_for, members, truth

from bot.domain import Role
from bot.sandbox import SandboxMsx
from bot.store import SnapshotStore
from bot.workflows.refresh import refresh

ROLES = list(Role)


async def test_teams_of_every_size_from_1_to_99_lose_no_member(tmp_path: Path) -> None:
    sb = SandboxMsx(accounts=8)
    ds = sb.dataset
    me = ds.me.user_id
    known = {u.user_id for u in ds.users}
    pool = [u for u in ds.tables["systemusers"] if u["systemuserid"] not in known]
    expected: dict[str, set[tuple[str, Role, str | None]]] = {}
    roles: dict[str, Role] = {}
    for size in range(1, 100):
        account = add_account(sb, f"Size {size:02d} Holdings")
        # My role varies, so that no role's alignments fill a page (that is another test's).
        mine = ROLES[size % len(ROLES)]
        add_team_row(sb, account, me, mine, name=ds.me.name)
        team = {(me, mine, ds.me.email)}
        roles[account] = mine
        for i, user in enumerate(pool[: size - 1]):
            role = ROLES[i % len(ROLES)]
            add_team_row(sb, account, user["systemuserid"], role, name=user["fullname"])
            team.add((user["systemuserid"], role, user["internalemailaddress"]))
        expected[account] = team

    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
    snap = result.snapshot
    for account, team in expected.items():
        assert members(snap, account) == team
        assert snap.account(account) is not None
        assert snap.account(account).my_roles == (roles[account],)  # type: ignore[union-attr]
    for account in ds.accounts_of[me]:
        assert members(snap, account) == truth(sb, account)
    assert snap.gaps == ()
    # Pages overflowed (4,950 members in pages of 100), and were asked again, not dropped.
    assert result.team_requests > sum(len(t) for t in expected.values()) / 100


async def test_a_team_of_several_pages_is_read_whole(tmp_path: Path) -> None:
    # 120 more Data SEs on the biggest team: over 200 rows for one account, read on page
    # after page from the last row each page ended on.
    sb = SandboxMsx()
    ds = sb.dataset
    account = ds.special["big_team"]
    added = {str(uuid.uuid4()) for _ in range(120)}
    for n, person in enumerate(sorted(added)):
        add_team_row(sb, account, person, Role.DATA_SE, name=f"Data SE {n:03d}")
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
    snap = result.snapshot
    assert snap.gaps == ()
    # No MSX user behind the added people, so no e-mail to find for them.
    assert members(snap, account) == truth(sb, account) | {(p, Role.DATA_SE, None) for p in added}
    for each in ds.accounts_of[ds.me.user_id]:
        if each != account:
            assert members(snap, each) == truth(sb, each)
