"""The morning digest's content: pure, from a Snapshot and what the last digest remembered.

At risk means At Risk or Blocked, read from the status label as MSX formats it. What
changed is measured against the last digest sent (its memory), and a milestone's days at
risk count from the first digest that saw it so, as far as the bot has seen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from bot.domain import Freshness, Identity, Milestone, MilestoneStatus, Snapshot, fold
from bot.store.digest import DigestMemory, SeenMilestone
from bot.store.snapshots import SnapshotStore
from bot.workflows.my_tasks import tasks_since

S = MilestoneStatus
# A milestone at risk with no HoK task logged by this bot in this long needs attention.
HOK_WINDOW = dt.timedelta(days=14)
_CANONICAL = {s.value.casefold(): s.value for s in MilestoneStatus}
AT_RISK = frozenset({S.AT_RISK.value, S.BLOCKED.value})
RECOVERED = frozenset({S.ON_TRACK.value, S.COMPLETED.value})

# (MSX user id of the book, first day) -> ids of the milestones with a HoK task logged by
# this bot dated that day or later. The HoK back end's tasks_since answers it (hok_lookup).
HokLookup = Callable[[str, dt.date], set[str]]

ChangeKind = Literal["newly_blocked", "newly_at_risk", "recovered", "closed", "gone"]


def hok_lookup(store: SnapshotStore) -> HokLookup:
    """The milestones with an HoK task logged through the bot since a day (not refused by
    MSX), for "needs attention"."""
    return lambda user_id, since: {
        t.draft.milestone_id
        for t in tasks_since(store, user_id, since)
        if t.hok and t.state != "rejected"
    }


def status_of(milestone: Milestone) -> str | None:
    """The status label, matched forgivingly: sources differ in case and spacing."""
    if milestone.status is None:
        return None
    return _CANONICAL.get(milestone.status.strip().casefold(), milestone.status.strip())


@dataclass(frozen=True)
class DigestItem:
    milestone: Milestone
    status: str  # At Risk or Blocked
    since: dt.date  # first seen at risk by the bot
    days_at_risk: int
    overdue_days: int | None  # days past the milestone date, when it is past
    needs_attention: bool  # at risk with no HoK task logged by this bot in 14 days


@dataclass(frozen=True)
class AccountGroup:
    account_id: str
    account_name: str
    items: tuple[DigestItem, ...]

    @property
    def blocked(self) -> int:
        return sum(i.status == S.BLOCKED.value for i in self.items)


@dataclass(frozen=True)
class DigestChange:
    kind: ChangeKind
    milestone_id: str
    name: str
    number: str | None
    account_name: str
    old_status: str | None
    new_status: str | None


@dataclass(frozen=True)
class Digest:
    user: Identity
    day: dt.date  # the person's local day
    made_at: dt.datetime
    freshness: Freshness
    groups: tuple[AccountGroup, ...]
    changes: tuple[DigestChange, ...]
    accounts: int  # in the book
    first: bool  # no digest before this one: nothing to compare with
    hok_checked: bool  # whether "needs attention" could be told
    late: bool = False

    @property
    def items(self) -> list[DigestItem]:
        return [i for g in self.groups for i in g.items]

    @property
    def all_clear(self) -> bool:
        return not self.groups

    @property
    def blocked(self) -> int:
        return sum(g.blocked for g in self.groups)

    @property
    def at_risk(self) -> int:
        return len(self.items) - self.blocked

    @property
    def needing_attention(self) -> int:
        return sum(i.needs_attention for i in self.items)


def build_digest(
    snapshot: Snapshot,
    freshness: Freshness,
    memory: DigestMemory | None,
    *,
    today: dt.date,
    now: dt.datetime,
    hok_milestones: set[str] | None,
    late: bool = False,
) -> Digest:
    """The digest of `snapshot` on the person's day `today`.

    `hok_milestones`: milestones with a HoK task logged by this bot in the last 14 days
    (None when the bot has no record to ask: nothing is flagged then).
    """
    seen = memory.milestones if memory else {}
    names = {a.id: a.name for a in snapshot.accounts}
    by_account: dict[str, list[DigestItem]] = {}
    for m in snapshot.milestones:
        status = status_of(m)
        if status not in AT_RISK:
            continue
        before = seen.get(m.id)
        since = min(before.since, today) if before else today
        overdue = (today - m.date).days if m.date and m.date < today else None
        item = DigestItem(
            milestone=m,
            status=status,
            since=since,
            days_at_risk=(today - since).days,
            overdue_days=overdue,
            needs_attention=hok_milestones is not None and m.id not in hok_milestones,
        )
        by_account.setdefault(m.account_id, []).append(item)
    groups = [
        AccountGroup(aid, names.get(aid, "Unknown account"), tuple(_urgent_first(items)))
        for aid, items in by_account.items()
    ]
    # The account with the most blocked, then the most needing attention, first.
    groups.sort(key=_group_order)
    return Digest(
        user=snapshot.user,
        day=today,
        made_at=now,
        freshness=freshness,
        groups=tuple(groups),
        changes=tuple(_changes(snapshot, seen, names)) if memory else (),
        accounts=len(snapshot.accounts),
        first=memory is None,
        hok_checked=hok_milestones is not None,
        late=late,
    )


def remember(digest: Digest) -> DigestMemory:
    """What the next digest compares with: the milestones at risk now, and since when."""
    return DigestMemory(
        at=digest.made_at,
        milestones={
            i.milestone.id: SeenMilestone(
                status=i.status,
                since=i.since,
                name=i.milestone.name,
                number=i.milestone.number,
                account=g.account_name,
            )
            for g in digest.groups
            for i in g.items
        },
    )


def hok_since(today: dt.date) -> dt.date:
    """The first day a HoK task still counts on (14 days back from the person's today)."""
    return today - HOK_WINDOW


def _group_order(g: AccountGroup) -> tuple[int, int, int, str, str]:
    attention = sum(i.needs_attention for i in g.items)
    return (-g.blocked, -attention, -len(g.items), fold(g.account_name), g.account_id)


def _urgent_first(items: Iterable[DigestItem]) -> list[DigestItem]:
    def key(i: DigestItem) -> tuple[bool, bool, bool, dt.date, str, str]:
        m = i.milestone
        return (
            i.status != S.BLOCKED.value,
            not i.needs_attention,
            m.date is None,
            m.date or dt.date.max,
            fold(m.name),
            m.id,
        )

    return sorted(items, key=key)


_ORDER: dict[ChangeKind, int] = {
    "newly_blocked": 0,
    "newly_at_risk": 1,
    "recovered": 2,
    "closed": 3,
    "gone": 4,
}


def _changes(
    snapshot: Snapshot, seen: dict[str, SeenMilestone], names: dict[str, str]
) -> list[DigestChange]:
    out: list[DigestChange] = []
    current = {m.id: m for m in snapshot.milestones}
    for m in snapshot.milestones:
        status = status_of(m)
        before = seen.get(m.id)
        old = before.status if before else None
        kind: ChangeKind | None = None
        if status == S.BLOCKED.value and old != S.BLOCKED.value:
            kind = "newly_blocked"
        elif status == S.AT_RISK.value and old != S.AT_RISK.value:
            kind = "newly_at_risk"  # new, or unblocked but still at risk
        elif before is not None and status not in AT_RISK:
            kind = "recovered" if status in RECOVERED else "closed"
        if kind is not None:
            account = names.get(m.account_id, before.account if before else "")
            out.append(DigestChange(kind, m.id, m.name, m.number, account, old, status))
    for mid, before in seen.items():
        if mid not in current:  # no longer in the book (or the milestone was deleted)
            out.append(
                DigestChange(
                    "gone", mid, before.name, before.number, before.account, before.status, None
                )
            )
    out.sort(key=lambda c: (_ORDER[c.kind], fold(c.account_name), fold(c.name), c.milestone_id))
    return out
