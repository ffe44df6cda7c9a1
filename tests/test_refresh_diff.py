"""What a second refresh tells: milestones whose status moved, accounts gained or lost;
and the book answered from the snapshot without asking MSX."""

from __future__ import annotations

from pathlib import Path

from sandbox_book import Recorder, add_team_row, gateway_for

from bot.domain import Role
from bot.sandbox import SandboxMsx
from bot.sandbox.schema import FORMATTED
from bot.store import SnapshotStore
from bot.workflows.book import my_book, refresh_book


async def test_status_change_and_lost_and_gained_accounts(tmp_path: Path) -> None:
    sb = SandboxMsx()
    ds = sb.dataset
    me = ds.me.user_id
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            first = await refresh_book(gateway, store)
            assert first.refresh is not None and first.refresh.diff.is_empty

            # In MSX meanwhile: a milestone goes at risk, I leave one account, join another.
            milestone = next(
                m
                for m in ds.tables["msp_engagementmilestones"]
                if m["msp_milestonestatus@" + FORMATTED] == "On Track"
                and m["_msp_parentaccount_value"] in ds.accounts_of[me]
            )
            milestone["msp_milestonestatus"] = 861980001
            milestone["msp_milestonestatus@" + FORMATTED] = "At Risk"
            left = ds.special["solo_team"]
            for row in ds.tables["msp_accountteams"]:
                if row["_msp_accountid_value"] == left and row["_msp_systemuserid_value"] == me:
                    row["msp_qualifier2"] = "Modern Work"
            joined = ds.not_mine_account_ids[0]
            add_team_row(sb, joined, me, Role.APPS_SE, name=ds.me.name)

            second = await refresh_book(gateway, store)
    assert second.refresh is not None
    diff = second.refresh.diff
    assert [(c.milestone.id, c.old_status, c.new_status) for c in diff.status_changes] == [
        (milestone["msp_engagementmilestoneid"], "On Track", "At Risk")
    ]
    assert [a.id for a in diff.accounts_removed] == [left]
    assert [(a.id, a.my_roles) for a in diff.accounts_added] == [(joined, (Role.APPS_SE,))]
    assert second.refresh.previous == first.snapshot
    assert second.snapshot.account(left) is None


async def test_the_book_comes_from_the_snapshot_after_the_first_use(tmp_path: Path) -> None:
    sb = SandboxMsx()
    first_progress, again_progress = Recorder(), Recorder()
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            # No snapshot yet: it refreshes, and the CLI's progress bar sees it.
            first = await my_book(gateway, store, progress=first_progress)
            asked = sb.stats.requests
            assert first.refresh is not None and asked > 0
            sb.faults.off_vpn = True  # MSX away: the book still answers, instantly
            again = await my_book(gateway, store, progress=again_progress)
    assert sb.stats.requests == asked
    assert [e.stage for e in first_progress.events][-1] == "Saving"
    assert again_progress.events == []
    assert again.refresh is None
    assert again.snapshot == first.snapshot
    assert again.freshness.taken_at == first.snapshot.taken_at
    assert again.freshness.stale_reason is None
