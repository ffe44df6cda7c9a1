"""Whole teams from msp_accountteams, which cuts a page at 100 rows and never pages:
teams of every size from 1 to 99, pages that overflow, and a role that alone passes 100."""

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
    for size in range(1, 100):
        account = add_account(sb, f"Size {size:02d} Holdings")
        add_team_row(sb, account, me, Role.GROWTH_SELLER, name=ds.me.name)
        team = {(me, Role.GROWTH_SELLER, ds.me.email)}
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
        assert snap.account(account).my_roles == (Role.GROWTH_SELLER,)  # type: ignore[union-attr]
    for account in ds.accounts_of[me]:
        assert members(snap, account) == truth(sb, account)
    assert snap.gaps == ()
    # Pages overflowed (4,950 members in pages of 100), and were asked again, not dropped.
    assert result.team_requests > sum(len(t) for t in expected.values()) / 100


async def test_a_role_that_alone_passes_a_page_is_reported_as_a_gap(tmp_path: Path) -> None:
    sb = SandboxMsx()
    ds = sb.dataset
    account = ds.special["big_team"]
    for n in range(120):
        add_team_row(sb, account, str(uuid.uuid4()), Role.DATA_SE, name=f"Data SE {n:03d}")
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
            saved = store.load(ds.me.user_id)
    snap = result.snapshot
    name = next(a.name for a in snap.accounts if a.id == account)
    assert snap.gaps == (f"The team of {name} may be incomplete (Data SEs)",)
    assert saved is not None and saved.gaps == snap.gaps  # the snapshot keeps it
    # Everything else of that team is whole; of the Data SEs, a full page arrived.
    got = members(snap, account)
    assert {m for m in truth(sb, account) if m[1] is not Role.DATA_SE} <= got
    assert sum(1 for m in got if m[1] is Role.DATA_SE) >= 100
    for other in ds.accounts_of[ds.me.user_id]:
        if other != account:
            assert members(snap, other) == truth(sb, other)
