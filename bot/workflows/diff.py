"""What a refresh changed: accounts gained or lost, milestones whose status moved."""

from __future__ import annotations

from bot.domain import Snapshot, SnapshotDiff, StatusChange


def diff_snapshots(old: Snapshot | None, new: Snapshot) -> SnapshotDiff:
    if old is None:
        # A first import changes nothing a person was tracking.
        return SnapshotDiff()
    old_ids = {a.id for a in old.accounts}
    new_ids = {a.id for a in new.accounts}
    before = {m.id: m.status for m in old.milestones}
    return SnapshotDiff(
        accounts_added=tuple(a for a in new.accounts if a.id not in old_ids),
        accounts_removed=tuple(a for a in old.accounts if a.id not in new_ids),
        status_changes=tuple(
            StatusChange(milestone=m, old_status=before[m.id], new_status=m.status)
            for m in new.milestones
            if m.id in before and before[m.id] != m.status
        ),
    )
