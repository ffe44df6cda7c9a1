"""What a person hears about a task they logged: the DM after submitting (created, queued
or rejected), the outbox's later news, and `/msx tasks`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from bot.domain import LoggedTask
from bot.slack.blocks._layout import actions, button, context, header, section
from bot.slack.blocks.ids import ACTION_OPEN_MSX, ACTION_REOPEN_TASK, encode_value
from bot.slack.blocks.milestones import _safe_url
from bot.slack.blocks.text import escape_within

QUEUED_LINE = "Queued: it will be created when MSX is reachable."
# /msx tasks lists at most this many tasks a period; the totals always count them all.
LIST_MAX = 25


def _minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}".rstrip("0").rstrip(".") + " h"


def _where(task: LoggedTask) -> str:
    milestone = escape_within(task.milestone_name or task.draft.milestone_id, 200)
    account = escape_within(task.account_name or task.draft.account_id, 200)
    return f"Milestone *{milestone}* · {account}"


def _hok_line(task: LoggedTask) -> str:
    label = escape_within(task.category_label or str(task.draft.category_code), 100)
    if task.hok:
        return f":keyboard: Counts as HoK ({label})."
    return f"Does not count as HoK ({label} is not an HoK category)."


def _summary(task: LoggedTask) -> str:
    d = task.draft
    done = " · completed" if d.completed else ""
    return (
        f"*{escape_within(d.subject, 200)}*\n{_where(task)}\n"
        f"{_minutes(d.minutes)} on {d.date.isoformat()} · {d.priority.label} priority{done}"
    )


def reopen_value(task: LoggedTask) -> str:
    """Enough to find the stored draft again: whose task, which one, and its date."""
    return encode_value(
        {"task": task.task_id, "owner": task.owner_user_id, "date": task.draft.date.isoformat()}
    )


def task_result_blocks(task: LoggedTask, *, from_queue: bool = False) -> list[dict]:
    """The DM for a task: created (with Open in MSX), queued, or rejected (with Try again)."""
    if task.state == "created":
        lead = (
            ":white_check_mark: Your queued task is now in MSX."
            if from_queue
            else ":white_check_mark: Logged in MSX."
        )
        blocks = [section(f"{lead}\n{_summary(task)}"), context(_hok_line(task))]
        url = _safe_url(task.url or "")
        if url:
            blocks.extend(actions([button("Open in MSX", f"{ACTION_OPEN_MSX}:task", url=url)]))
        return blocks
    if task.state == "queued":
        return [
            section(f":hourglass_flowing_sand: {QUEUED_LINE}\n{_summary(task)}"),
            context(_hok_line(task)),
        ]
    reason = escape_within(task.reason or "no reason given", 1500)
    lead = "MSX refused your queued task" if from_queue else "MSX refused the task"
    return [
        section(f":x: {lead}: {reason}\n{_summary(task)}"),
        context("Nothing was created. Fix it and try again: the form opens filled in."),
        *actions(
            [
                button(
                    "Fix and try again",
                    f"{ACTION_REOPEN_TASK}:{task.task_id}"[:255],
                    value=reopen_value(task),
                    style="primary",
                )
            ]
        ),
    ]


def task_result_text(task: LoggedTask, *, from_queue: bool = False) -> str:
    """The notification text beside the blocks (escaped: Slack parses it as mrkdwn)."""
    subject = escape_within(task.draft.subject, 150)
    if task.state == "created":
        return f"Logged in MSX: {subject}"
    if task.state == "queued":
        return f"{QUEUED_LINE} {subject}"
    return f"MSX refused the task: {subject}"


# ----- /msx tasks


def _period(title: str, tasks: Sequence[LoggedTask]) -> list[dict]:
    hok = [t for t in tasks if t.hok and t.state != "rejected"]
    others = [t for t in tasks if not t.hok and t.state != "rejected"]
    if not hok:
        extra = f" ({len(others)} other tasks)" if others else ""
        return [section(f"*{title}*: no HoK tasks logged yet{extra}.")]
    minutes = sum(t.draft.minutes for t in hok)
    queued = sum(1 for t in hok if t.state == "queued")
    counts = Counter(t.category_label or str(t.draft.category_code) for t in hok)
    by_category = " · ".join(
        f"{escape_within(label, 60)} {n}"
        for label, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    )
    head = f"*{title}*: {len(hok)} HoK task{'s' if len(hok) != 1 else ''}, {_hours(minutes)}"
    if queued:
        head += f" ({queued} still queued)"
    lines = []
    for t in sorted(hok, key=lambda t: (t.draft.date, t.created_at), reverse=True)[:LIST_MAX]:
        mark = ":hourglass_flowing_sand: " if t.state == "queued" else ""
        lines.append(
            f"• {mark}{t.draft.date.isoformat()} · {escape_within(t.draft.subject, 120)} · "
            f"{_minutes(t.draft.minutes)} · {escape_within(t.category_label, 60)}"
        )
    if len(hok) > LIST_MAX:
        lines.append(f"…and {len(hok) - LIST_MAX} more")
    blocks = [section(head + "\n" + by_category), section("\n".join(lines))]
    if others:
        blocks.append(context(f"Also {len(others)} task(s) in categories that are not HoK."))
    return blocks


def tasks_summary_blocks(
    week: Sequence[LoggedTask], month: Sequence[LoggedTask], today: dt.date
) -> list[dict]:
    """`/msx tasks`: this week's and this month's HoK tasks with hours and categories."""
    monday = today - dt.timedelta(days=today.weekday())
    return [
        header("My HoK tasks"),
        *_period(f"This week (since {monday.isoformat()})", week),
        *_period(f"This month ({today.strftime('%B %Y')})", month),
        context("Logged through this bot. Log another: `/msx log` or a milestone's button."),
    ]
