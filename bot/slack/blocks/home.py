"""The App Home tab: a seller's morning dashboard, a pure function of their snapshot.

Freshness and a Refresh button; my book by POD; the milestones that need attention (most
overdue first); this week's HoK tasks; the digest's settings, edited in place. Within
Slack's 100 blocks for a Home tab whatever the size of the book.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    DividerBlock,
    Option,
    PlainTextObject,
    StaticSelectElement,
    TimePickerElement,
)

from bot.domain import DiscoveryPath, Freshness, Milestone, MilestoneStatus, Snapshot
from bot.humanize import age
from bot.slack.blocks._layout import BUTTON_URL_MAX, actions, button, context, header, section
from bot.slack.blocks.ids import ACTION_LOG_TASK, ACTION_OPEN_MSX, ACTION_REFRESH, TaskRef
from bot.slack.blocks.milestones import canonical_status, money, status_label
from bot.slack.blocks.notices import refusal_blocks
from bot.slack.blocks.text import escape_within, freshness_text
from bot.store.digest import DigestSettings
from bot.workflows.my_tasks import TaskTotals

# Action ids of the Home tab's own elements (listeners/home.py).
ACTION_HOME_REFRESH = f"{ACTION_REFRESH}:home"
ACTION_DIGEST_TOGGLE = "home_digest_toggle"
ACTION_DIGEST_TIME = "home_digest_time"
ACTION_DIGEST_DAYS = "home_digest_days"

ATTENTION_MAX = 10
PODS_MAX = 10
ACCOUNTS_PER_POD = 25
NO_POD = "No POD"
DISCOVERY_WORDS = {
    DiscoveryPath.ACCOUNT_TEAMS: "account teams",
    DiscoveryPath.ACCESS_TEAMS: "access teams",
}
DAYS_LABELS = {"weekdays": "Weekdays (Mon–Fri)", "daily": "Every day"}

USAGE = (
    "*`/msx accounts`* my accounts by POD, with TPID, territory and milestone health\n"
    "*`/msx milestones <account>`* an account's milestones, with links into MSX\n"
    "*`/msx log`* log a HoK task · *`/msx digest`* the morning digest"
)


@dataclass(frozen=True)
class HomeData:
    """Everything the Home tab shows besides the snapshot: read by the listener."""

    freshness: Freshness
    today: dt.date  # the person's local day
    week: TaskTotals  # tasks logged this week (Monday on)
    digest: DigestSettings
    timezone: str | None = None


def refusal_view(owner_name: str | None) -> dict[str, Any]:
    """What a stranger sees: the refusal, nothing else."""
    return {"type": "home", "blocks": refusal_blocks(owner_name)}


def home_view(
    snapshot: Snapshot | None, now: dt.datetime, data: HomeData | None = None
) -> dict[str, Any]:
    if snapshot is None:
        blocks = [
            header("MSX Bot"),
            section("No snapshot yet: `/msx accounts` imports your book from MSX."),
            *actions([button("Refresh from MSX", ACTION_HOME_REFRESH, style="primary")]),
            section(USAGE),
        ]
        return {"type": "home", "blocks": blocks}
    freshness = data.freshness if data else Freshness(taken_at=snapshot.taken_at)
    today = data.today if data else now.date()
    blocks = [
        header("MSX Bot"),
        *_freshness_blocks(snapshot, freshness, now),
        DividerBlock().to_dict(),
        *_book_blocks(snapshot),
        DividerBlock().to_dict(),
        *_attention_blocks(snapshot, today),
    ]
    if data is not None:
        blocks += [DividerBlock().to_dict(), *_hok_blocks(data.week)]
        blocks += [DividerBlock().to_dict(), *_digest_blocks(data.digest, data.timezone)]
    blocks += [DividerBlock().to_dict(), section(USAGE)]
    return {"type": "home", "blocks": blocks}


def _freshness_blocks(snapshot: Snapshot, freshness: Freshness, now: dt.datetime) -> list[dict]:
    attention = sum(m.needs_attention for m in snapshot.milestones)
    path = DISCOVERY_WORDS.get(snapshot.discovery, str(snapshot.discovery))
    line = (
        f"*{escape_within(snapshot.user.name, 100)}*: {len(snapshot.accounts)} accounts, "
        f"{attention} milestones at risk or blocked."
    )
    refreshed = (
        f"Last refresh {age(freshness.taken_at, now)} "
        f"({freshness.taken_at.strftime('%Y-%m-%d %H:%M')} UTC), found through {path}."
    )
    if freshness.stale_reason:
        refreshed += "\n" + freshness_text(freshness, now)
    return [
        section(line),
        section(
            refreshed, accessory=button("Refresh from MSX", ACTION_HOME_REFRESH, style="primary")
        ),
    ]


def _book_blocks(snapshot: Snapshot) -> list[dict]:
    by_pod: dict[str, list[str]] = {}
    counts: dict[str, tuple[int, int]] = {}
    milestones_by_account: dict[str, list[Milestone]] = {}
    for m in snapshot.milestones:
        milestones_by_account.setdefault(m.account_id, []).append(m)
    for a in sorted(snapshot.accounts, key=lambda a: a.name.casefold()):
        pod = a.pod or NO_POD
        ms = milestones_by_account.get(a.id, [])
        risk = sum(canonical_status(m.status) == MilestoneStatus.AT_RISK.value for m in ms)
        blocked = sum(canonical_status(m.status) == MilestoneStatus.BLOCKED.value for m in ms)
        r, b = counts.get(pod, (0, 0))
        counts[pod] = (r + risk, b + blocked)
        marks = []
        if blocked:
            marks.append(f"{blocked} blocked")
        if risk:
            marks.append(f"{risk} at risk")
        tpid = f" · TPID {escape_within(a.tpid, 20)}" if a.tpid else ""
        tail = f" · {', '.join(marks)}" if marks else ""
        by_pod.setdefault(pod, []).append(f"• {escape_within(a.name, 80)}{tpid}{tail}")
    pods = sorted(by_pod, key=lambda p: (p == NO_POD, p))
    blocks = [header(f"My book ({len(snapshot.accounts)} accounts)")]
    if not pods:
        return [*blocks, section("No accounts in your book.")]
    for pod in pods[:PODS_MAX]:
        lines = by_pod[pod]
        risk, blocked = counts[pod]
        title = (
            f"*{escape_within(pod, 60)}*: {len(lines)} account{'s' if len(lines) != 1 else ''}"
            f" · {risk} at risk · {blocked} blocked"
        )
        shown = lines[:ACCOUNTS_PER_POD]
        more = len(lines) - len(shown)
        body = "\n".join(shown) + (f"\n…and {more} more: `/msx accounts`" if more else "")
        blocks.append(section(f"{title}\n{body}"))
    if len(pods) > PODS_MAX:
        blocks.append(context(f"…and {len(pods) - PODS_MAX} more PODs: `/msx accounts`"))
    return blocks


def attention_order(milestones: Sequence[Milestone], today: dt.date) -> list[Milestone]:
    """At-risk and blocked milestones, most overdue first (the earliest date), undated last."""
    due = [m for m in milestones if m.needs_attention]
    return sorted(due, key=lambda m: (m.date is None, m.date or dt.date.max, m.name, m.id))


def _attention_blocks(snapshot: Snapshot, today: dt.date) -> list[dict]:
    due = attention_order(snapshot.milestones, today)
    blocks = [header(f"Needs attention ({len(due)})")]
    if not due:
        return [*blocks, section(":white_check_mark: No milestone is at risk or blocked.")]
    names = {a.id: a.name for a in snapshot.accounts}
    for i, m in enumerate(due[:ATTENTION_MAX]):
        account = escape_within(names.get(m.account_id, "Unknown account"), 80)
        when = "no date"
        if m.date is not None:
            late = (today - m.date).days
            when = f"due {m.date.isoformat()}" + (
                f" (*{late} day{'s' if late != 1 else ''} overdue*)" if late > 0 else ""
            )
        workload = escape_within(m.workload, 80) if m.workload else "no workload"
        blocks.append(
            section(
                f"{status_label(m.status)} · *{escape_within(m.name, 150)}*\n"
                f"{account} · {workload} · {money(m.monthly_use)} · {when}"
            )
        )
        elements: list[ButtonElement] = []
        url = m.url.strip()
        if len(url) <= BUTTON_URL_MAX and url.lower().startswith(("https://", "http://")):
            elements.append(button("Open in MSX", f"{ACTION_OPEN_MSX}:home{i}", url=url))
        ref = TaskRef(account=m.account_id, milestone=m.id).encode()
        elements.append(button("Log HoK task", f"{ACTION_LOG_TASK}:home{i}", value=ref))
        blocks += actions(elements)
    if len(due) > ATTENTION_MAX:
        blocks.append(context(f"…and {len(due) - ATTENTION_MAX} more: `/msx milestones <account>`"))
    return blocks


def _hok_blocks(week: TaskTotals) -> list[dict]:
    blocks = [header("My HoK this week")]
    if not week.count:
        return [*blocks, section("No tasks logged through the bot this week: `/msx log`.")]
    hours = f"{week.hok_hours:.1f}".rstrip("0").rstrip(".")
    lines = [f"*{week.hok_count}* HoK task{'s' if week.hok_count != 1 else ''}, {hours} h"]
    if week.count != week.hok_count:
        lines[0] += f" ({week.count} tasks in all)"
    lines += [f"• {escape_within(label, 80)}: {n}" for label, n in week.by_category.items()]
    if week.queued:
        lines.append(f":hourglass: {week.queued} waiting for MSX")
    return [*blocks, section("\n".join(lines))]


def _digest_blocks(settings: DigestSettings, timezone: str | None) -> list[dict]:
    state = "*on*" if settings.enabled else "*off*"
    where = f" ({escape_within(timezone, 60)})" if timezone else ""
    days = DAYS_LABELS[settings.days]
    text = f"Morning digest: {state}, at {settings.at.strftime('%H:%M')}{where}, {days.lower()}."
    options = [Option(value=v, label=label) for v, label in DAYS_LABELS.items()]
    chosen = next(o for o in options if o.value == settings.days)
    controls = ActionsBlock(
        block_id="home_digest",
        elements=[
            ButtonElement(
                text=PlainTextObject(text="Turn off" if settings.enabled else "Turn on"),
                action_id=ACTION_DIGEST_TOGGLE,
                value="off" if settings.enabled else "on",
                style=None if settings.enabled else "primary",
            ),
            TimePickerElement(
                action_id=ACTION_DIGEST_TIME,
                initial_time=settings.at.strftime("%H:%M"),
                placeholder="Time",
            ),
            StaticSelectElement(
                action_id=ACTION_DIGEST_DAYS,
                options=options,
                initial_option=chosen,
                placeholder="Days",
            ),
        ],
    )
    return [header("Morning digest"), section(text), controls.to_dict()]
