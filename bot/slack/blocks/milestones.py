"""`/msx milestones <account>`: milestones, the ones needing attention first, paginated."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence

from bot.domain import Account, Freshness, Milestone, MilestoneStatus, fold
from bot.slack.blocks._layout import (
    BUTTON_URL_MAX,
    actions,
    button,
    clamp_page,
    context,
    header,
    nav_blocks,
    section,
)
from bot.slack.blocks.ids import ACTION_LOG_TASK, ACTION_OPEN_MSX, VIEW_MILESTONES, TaskRef
from bot.slack.blocks.text import escape_within, freshness_context

# Two blocks per milestone (a section with the MSX button as its accessory, then the
# "Log HoK task" button); 20 a page is 40 blocks, inside 50 with header, summary,
# freshness and nav.
MILESTONES_PER_PAGE = 20

S = MilestoneStatus
STATUS_MARKERS: dict[str, str] = {
    S.BLOCKED.value: ":red_circle:",
    S.AT_RISK.value: ":large_orange_circle:",
    S.ON_TRACK.value: ":large_green_circle:",
    S.COMPLETED.value: ":white_check_mark:",
    S.NOT_STARTED.value: ":white_circle:",
    S.CANCELLED.value: ":heavy_minus_sign:",
    S.LOST_TO_COMPETITOR.value: ":heavy_minus_sign:",
    S.HYGIENE_DUPLICATE.value: ":heavy_minus_sign:",
}
UNKNOWN_MARKER = ":grey_question:"
# Blocked before At Risk: it is the more urgent of the two.
_RANK: dict[str, int] = {S.BLOCKED.value: 0, S.AT_RISK.value: 1, S.ON_TRACK.value: 2}
_OTHER_RANK = 3
# Labels as MSX formats them; matched forgivingly since sources differ in case.
_CANONICAL = {s.value.casefold(): s.value for s in MilestoneStatus}


def canonical_status(status: str | None) -> str | None:
    if status is None:
        return None
    return _CANONICAL.get(status.strip().casefold(), status)


def status_marker(status: str | None) -> str:
    return STATUS_MARKERS.get(canonical_status(status) or "", UNKNOWN_MARKER)


def status_label(status: str | None) -> str:
    """Marker and label, e.g. ":red_circle: Blocked"; escaped, for mrkdwn."""
    label = canonical_status(status)
    text = escape_within(label, 40) if label else "No status"
    return f"{status_marker(status)} {text}"


def money(monthly_use: float | None) -> str:
    if monthly_use is None or not math.isfinite(monthly_use):
        return "—"
    sign = "-" if monthly_use < 0 else ""
    return f"{sign}${abs(monthly_use):,.0f}/mo"


def ordered(milestones: Sequence[Milestone]) -> list[Milestone]:
    """Blocked, At Risk, On Track, then the rest; each by date, undated last."""

    def key(m: Milestone) -> tuple[int, bool, dt.date, str, str]:
        rank = _RANK.get(canonical_status(m.status) or "", _OTHER_RANK)
        return (rank, m.date is None, m.date or dt.date.min, fold(m.name), m.id)

    return sorted(milestones, key=key)


def _safe_url(url: str) -> str | None:
    # Slack rejects the whole message over one bad url; leave that button out instead.
    url = url.strip()
    if len(url) > BUTTON_URL_MAX or not url.lower().startswith(("https://", "http://")):
        return None
    return url


def _milestone_section(milestone: Milestone, index: int) -> dict:
    title = f"*{escape_within(milestone.name, 200)}*"
    if milestone.number:
        title += f" ({escape_within(milestone.number, 40)})"
    date = f"Est. {milestone.date.isoformat()}" if milestone.date else "no date"
    details = [
        escape_within(milestone.workload, 100) if milestone.workload else "no workload",
        money(milestone.monthly_use),
        date,
    ]
    lines = [f"{status_label(milestone.status)} · {title}", " · ".join(details)]
    if milestone.opportunity:
        lines.append(f"Opportunity: {escape_within(milestone.opportunity, 200)}")
    url = _safe_url(milestone.url)
    accessory = (
        button("Open in MSX", f"{ACTION_OPEN_MSX}:{index}", url=url, value=milestone.id[:2000])
        if url
        else None
    )
    return section("\n".join(lines), accessory)


def _log_task_button(milestone: Milestone, index: int) -> list[dict]:
    value = TaskRef(account=milestone.account_id, milestone=milestone.id).encode()
    return actions([button("Log HoK task", f"{ACTION_LOG_TASK}:{index}", value=value)])


def _summary(milestones: Sequence[Milestone]) -> str:
    counts = Counter(canonical_status(m.status) for m in milestones)
    parts = [
        f"{STATUS_MARKERS[s.value]} {counts[s.value]} {s.value.lower()}"
        for s in (S.BLOCKED, S.AT_RISK, S.ON_TRACK)
        if counts[s.value]
    ]
    shown = sum(counts[s.value] for s in (S.BLOCKED, S.AT_RISK, S.ON_TRACK))
    if len(milestones) - shown:
        parts.append(f"{len(milestones) - shown} other")
    return f"{len(milestones)} milestones: " + " · ".join(parts)


def milestones_blocks(
    account: Account,
    milestones: Sequence[Milestone],
    freshness: Freshness,
    now: dt.datetime,
    page: int = 0,
) -> list[dict]:
    """One page of an account's milestones; Previous/Next carry `PageRef(view="milestones")`."""
    blocks = [header(f"Milestones: {account.name}")]
    if not milestones:
        blocks.append(freshness_context(freshness, now))
        blocks.append(section(f"No milestones on record for *{escape_within(account.name, 200)}*."))
        blocks.extend(nav_blocks(VIEW_MILESTONES, account.id, 0, 1))
        return blocks
    items = ordered(milestones)
    pages = max(1, math.ceil(len(items) / MILESTONES_PER_PAGE))
    page = clamp_page(page, pages)
    start = page * MILESTONES_PER_PAGE
    blocks.append(context(_summary(items)))
    blocks.append(freshness_context(freshness, now))
    for i, m in enumerate(items[start : start + MILESTONES_PER_PAGE]):
        blocks.append(_milestone_section(m, start + i))
        blocks.extend(_log_task_button(m, start + i))
    blocks.extend(nav_blocks(VIEW_MILESTONES, account.id, page, pages))
    return blocks
