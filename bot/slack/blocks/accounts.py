"""`/msx accounts`: my accounts grouped by POD, with milestone health, paginated."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from bot.domain import Account, Freshness, MilestoneStatus, Snapshot, derive_pod, fold
from bot.slack.blocks._layout import (
    MAX_BLOCKS,
    NAV_BLOCKS_MAX,
    SectionPacker,
    clamp_page,
    context,
    header,
    nav_blocks,
    section,
)
from bot.slack.blocks.ids import VIEW_ACCOUNTS
from bot.slack.blocks.text import escape_within, freshness_context

ACCOUNTS_PER_PAGE = 40  # a page a person can scan; 500 accounts make 13 pages
NO_POD = "No POD"
# header, freshness, gaps warning, plus the nav
_FIXED_BLOCKS = 3 + NAV_BLOCKS_MAX


def _health(counts: Counter[str], total: int) -> str:
    blocked = counts[MilestoneStatus.BLOCKED.value]
    at_risk = counts[MilestoneStatus.AT_RISK.value]
    parts = []
    if at_risk:
        parts.append(f":warning: {at_risk} at risk")
    if blocked:
        parts.append(f":no_entry: {blocked} blocked")
    if parts:
        return ", ".join(parts)
    return ":white_check_mark: on track" if total else "no milestones"


def _line(account: Account, counts: Counter[str], total: int) -> str:
    parts = [f"*{escape_within(account.name, 160)}*"]
    if account.tpid:
        parts.append(f"TPID {escape_within(account.tpid, 30)}")
    if account.territory:
        parts.append(escape_within(account.territory, 80))
    if account.my_roles:
        parts.append(", ".join(role.label for role in account.my_roles))
    parts.append(_health(counts, total))
    return "• " + " · ".join(parts)


def _group_key(pod: str | None) -> tuple[bool, str]:
    return (pod is None, fold(pod or ""))


def account_pages(snapshot: Snapshot) -> list[list[str]]:
    """The section texts of every page, in order (exposed for tests and callers)."""
    statuses: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    for milestone in snapshot.milestones:
        statuses.setdefault(milestone.account_id, Counter())[milestone.status or ""] += 1
        totals[milestone.account_id] += 1

    groups: dict[str | None, list[Account]] = {}
    for account in snapshot.accounts:
        # The gateway sets pod; deriving it here too keeps older snapshots grouped.
        pod = account.pod or derive_pod(account.territory)
        groups.setdefault(pod, []).append(account)

    packer = SectionPacker(max_sections=MAX_BLOCKS - _FIXED_BLOCKS, max_items=ACCOUNTS_PER_PAGE)
    for pod in sorted(groups, key=_group_key):
        members = sorted(groups[pod], key=lambda a: (fold(a.name), a.id))
        lines = [_line(a, statuses.get(a.id, Counter()), totals[a.id]) for a in members]
        packer.group(escape_within(pod or NO_POD, 100) + f" ({len(members)})", lines)
    return packer.finish()


def accounts_blocks(
    snapshot: Snapshot, freshness: Freshness, now: dt.datetime, page: int = 0
) -> list[dict]:
    """One page of my accounts; Previous/Next carry `PageRef(view="accounts")`."""
    count = len(snapshot.accounts)
    blocks = [header(f"My accounts ({count})"), freshness_context(freshness, now)]
    if snapshot.gaps:
        more = f" (+{len(snapshot.gaps) - 1} more)" if len(snapshot.gaps) > 1 else ""
        blocks.append(
            context(f":warning: Incomplete: {escape_within(snapshot.gaps[0], 300)}{more}")
        )
    if not count:
        blocks.append(section("No accounts in your snapshot. Try `/msx refresh`."))
        blocks.extend(nav_blocks(VIEW_ACCOUNTS, None, 0, 1))
        return blocks
    pages = account_pages(snapshot)
    page = clamp_page(page, len(pages))
    blocks.extend(section(text) for text in pages[page])
    blocks.extend(nav_blocks(VIEW_ACCOUNTS, None, page, len(pages)))
    return blocks
