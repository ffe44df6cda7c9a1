"""The morning digest DM: what changed first, then the milestones at risk by account.

Each milestone is a section and an actions block (Open in MSX, Log HoK task). When that
would pass Slack's 50 blocks, the most urgent accounts are shown whole and the rest are
summarised in one line that points to `/msx milestones`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.slack.blocks._layout import (
    BUTTON_URL_MAX,
    MAX_BLOCKS,
    actions,
    button,
    context,
    header,
    section,
)
from bot.slack.blocks.ids import ACTION_LOG_TASK, ACTION_OPEN_MSX, encode_value
from bot.slack.blocks.milestones import STATUS_MARKERS, money, status_label
from bot.slack.blocks.text import escape_within, freshness_text, truncate
from bot.workflows.digest import AccountGroup, Digest, DigestChange, DigestItem
from bot.workflows.digest_schedule import DigestSettings

MAX_CHANGE_LINES = 30
CHANGES_TEXT_MAX = 2900  # of a section's 3000, leaving room for "…and N more"
_CHANGE_WORDS = {
    "newly_blocked": (":red_circle:", "Newly blocked"),
    "newly_at_risk": (":large_orange_circle:", "Newly at risk"),
    "recovered": (":white_check_mark:", "Recovered"),
    "closed": (":heavy_minus_sign:", "No longer at risk"),
    "gone": (":heavy_minus_sign:", "No longer in your book"),
}
FOOTER = (
    "`/msx milestones &lt;account&gt;` shows all of an account's milestones · "
    "`/msx digest` says when this comes and changes it"
)


def digest_text(digest: Digest) -> str:
    """The notification line (Slack's fallback text)."""
    if digest.all_clear:
        return "All clear: no milestone at risk or blocked"
    parts = [f"{len(digest.items)} milestones at risk"]
    if digest.blocked:
        parts.append(f"{digest.blocked} blocked")
    if digest.needing_attention:
        parts.append(f"{digest.needing_attention} need attention")
    return ", ".join(parts)


def day_label(day: dt.date) -> str:
    """ "Fri 4 Dec" """
    return f"{day:%a} {day.day} {day:%b}"


def digest_blocks(digest: Digest, now: dt.datetime) -> list[dict]:
    """The whole digest, within 50 blocks."""
    top = [context(_about(digest, now))]
    changes = _changes_block(digest.changes)
    if digest.all_clear:
        line = (
            f":white_check_mark: *All clear*: nothing at risk or blocked on your "
            f"{digest.accounts} account{'s' if digest.accounts != 1 else ''}."
        )
        return [section(line), *([changes] if changes else []), *top]
    blocks = [header(f"Milestones at risk · {day_label(digest.day)}")]
    blocks += top
    blocks.append(section(_summary(digest)))
    if changes:
        blocks.append(changes)
    footer = context(FOOTER)
    room = MAX_BLOCKS - len(blocks) - 1  # the footer
    body, left_out = _fit(digest.groups, room)
    blocks += body
    if left_out:
        blocks.append(section(_overflow(left_out)))
    blocks.append(footer)
    return blocks


def _about(digest: Digest, now: dt.datetime) -> str:
    line = freshness_text(digest.freshness, now)
    if digest.freshness.stale_reason:
        line += " (MSX could not be reached, so this is from the last snapshot)"
    if digest.late:
        line += " · :hourglass: Sent late: the bot was not running or could not send at its time"
    return line


def _summary(digest: Digest) -> str:
    counts = []
    if digest.blocked:
        counts.append(f"{STATUS_MARKERS['Blocked']} *{digest.blocked} blocked*")
    if digest.at_risk:
        counts.append(f"{STATUS_MARKERS['At Risk']} *{digest.at_risk} at risk*")
    n = len(digest.groups)
    line = " · ".join(counts) + f" on {n} account{'s' if n != 1 else ''}"
    if digest.hok_checked:
        k = digest.needing_attention
        if k:
            line += (
                f"\n:eyes: {k} need{'s' if k == 1 else ''} attention: no HoK task logged in 14 days"
            )
        else:
            line += "\nEach has a HoK task logged in the last 14 days."
    return line


def _changes_block(changes: tuple[DigestChange, ...]) -> dict | None:
    if not changes:
        return None
    lines = ["*Since your last digest*"]
    size = len(lines[0])
    for n, c in enumerate(changes):
        line = _change_line(c)
        # Whole lines only, with room left for the "more" line: a cut could split "&amp;".
        if n == MAX_CHANGE_LINES or size + 1 + len(line) > CHANGES_TEXT_MAX:
            lines.append(f"…and {len(changes) - n} more")
            break
        lines.append(line)
        size += 1 + len(line)
    return section("\n".join(lines))


def _change_line(c: DigestChange) -> str:
    marker, word = _CHANGE_WORDS[c.kind]
    line = f"{marker} {word}: {_title(c.name, c.number)}"
    if c.account_name:
        line += f" · {escape_within(c.account_name, 100)}"
    if c.kind in ("recovered", "closed") and c.new_status:
        line += f" (now {escape_within(c.new_status, 40)})"
    elif c.kind == "newly_at_risk" and c.old_status:
        line += f" (was {escape_within(c.old_status, 40)})"
    return line


def _title(name: str, number: str | None) -> str:
    title = f"*{escape_within(name, 150)}*"
    return f"{title} ({escape_within(number, 40)})" if number else title


def _fit(
    groups: tuple[AccountGroup, ...], room: int
) -> tuple[list[dict], list[tuple[AccountGroup, int]]]:
    """Blocks for as many milestones as fit in `room`, and what was left out per account.

    When not all fit, each account shows its most urgent few (the same number for all,
    as many as fit), so one large account does not crowd the others out.
    """

    def size(cap: int) -> int:
        return sum(1 + 2 * min(cap, len(g.items)) for g in groups)

    cap = max((len(g.items) for g in groups), default=0)
    if size(cap) > room:
        room -= 1  # the overflow line
        while cap > 1 and size(cap) > room:
            cap -= 1
    blocks: list[dict] = []
    left_out: list[tuple[AccountGroup, int]] = []
    index = 0
    for group in groups:
        shown = min(cap, len(group.items), max(0, (room - len(blocks) - 1) // 2))
        if shown:
            blocks.append(section(_group_heading(group)))
            for item in group.items[:shown]:
                blocks += _item_blocks(group, item, index)
                index += 1
        if shown < len(group.items):
            left_out.append((group, len(group.items) - shown))
    return blocks, left_out


def _group_heading(group: AccountGroup) -> str:
    parts = []
    if group.blocked:
        parts.append(f"{group.blocked} blocked")
    if len(group.items) - group.blocked:
        parts.append(f"{len(group.items) - group.blocked} at risk")
    return f":office: *{escape_within(group.account_name, 150)}* · " + ", ".join(parts)


def _item_blocks(group: AccountGroup, item: DigestItem, index: int) -> list[dict]:
    m = item.milestone
    first = f"{status_label(item.status)} · {_title(m.name, m.number)}"
    if item.needs_attention:
        first += " · :eyes: *needs attention*"
    details = [
        escape_within(m.workload, 100) if m.workload else "no workload",
        money(m.monthly_use),
        _date(item),
        _at_risk_for(item),
    ]
    blocks = [section(f"{first}\n" + " · ".join(details))]
    elements = []
    url = m.url.strip()
    if len(url) <= BUTTON_URL_MAX and url.lower().startswith(("https://", "http://")):
        elements.append(button("Open in MSX", f"{ACTION_OPEN_MSX}:{index}", url=url, value=m.id))
    task = encode_value({"account": group.account_id, "milestone": m.id})
    elements.append(button("Log HoK task", f"{ACTION_LOG_TASK}:{index}", value=task))
    return blocks + actions(elements)


def _date(item: DigestItem) -> str:
    date = item.milestone.date
    if date is None:
        return "no date"
    if item.overdue_days:
        days = item.overdue_days
        return f"due {date.isoformat()} (*{days} day{'s' if days != 1 else ''} overdue*)"
    return f"due {date.isoformat()}"


def _at_risk_for(item: DigestItem) -> str:
    days = item.days_at_risk
    if days == 0:
        return "first seen at risk today"
    return f"at risk {days} day{'s' if days != 1 else ''} (seen since {day_label(item.since)})"


def _overflow(left_out: list[tuple[AccountGroup, int]]) -> str:
    count = sum(n for _, n in left_out)
    names = ", ".join(f"{escape_within(g.account_name, 60)} ({n})" for g, n in left_out[:20])
    if len(left_out) > 20:
        names += f" and {len(left_out) - 20} more accounts"
    line = (
        f"*…and {count} more milestone{'s' if count != 1 else ''} at risk* "
        f"(a message holds {MAX_BLOCKS} blocks): {names}.\n"
        "See them with `/msx milestones &lt;account&gt;`."
    )
    return truncate(line, 3000)


def settings_text(
    settings: DigestSettings, tz_name: str | None, next_at: dt.datetime | None
) -> str:
    """`/msx digest`: the person's settings and when the next digest comes, in one reply."""
    if not settings.enabled:
        return "*Morning digest*: off. `/msx digest on` turns it back on."
    days = "every day" if settings.days == "daily" else "weekdays"
    where = f" ({escape_within(tz_name, 60)})" if tz_name else " (your Slack time zone)"
    quiet = (
        "an all-clear line"
        if settings.all_clear
        else "nothing (say `/msx digest on all-clear` to get a line)"
    )
    lines = [
        f"*Morning digest*: on, {days} at {settings.at:%H:%M}{where}.",
        f"When nothing is at risk: {quiet}.",
    ]
    if next_at is not None and tz_name:
        local = next_at.astimezone(ZoneInfo(tz_name))
        lines.append(f"Next: {day_label(local.date())} at {local:%H:%M}.")
    return "\n".join(lines)


def settings_blocks(text: str, usage: str | None = None) -> list[dict]:
    return [section(text), *([context(usage)] if usage else [])]
