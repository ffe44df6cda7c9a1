"""Terminal renderings of a book: rich tables for people, JSON documents for scripts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from bot.cli.failures import for_terminal
from bot.domain import (
    Account,
    Freshness,
    Milestone,
    MilestoneStatus,
    Role,
    Snapshot,
    TeamMember,
)
from bot.humanize import age
from bot.workflows.lookup import AccountMatch

STATUS_STYLE = {
    "Blocked": "bold red",
    "At Risk": "bold yellow",
    "On Track": "green",
    "Completed": "dim green",
}


def freshness_line(freshness: Freshness, now: dt.datetime) -> Text:
    line = Text(f"Snapshot from {age(freshness.taken_at, now)}", style="dim")
    if freshness.stale_reason:
        line.append(f" — not fresh: {for_terminal(freshness.stale_reason)}", style="yellow")
    return line


# Below this width a table drops its least useful column (territory, title).
WIDE = 120


def _table(title: str) -> Table:
    # A light frame: at 80 columns every character is needed for the data.
    return Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False
    )


def _more(table: Table, shown: int, total: int, hint: str) -> None:
    if total > shown:
        table.caption = f"{shown} of {total}; {hint}"
        table.caption_justify = "left"


def accounts_table(
    snapshot: Snapshot, *, wide: bool = True, limit: int | None = None, hint: str = ""
) -> Table:
    """My accounts by POD; with `limit`, only the first ones, those needing attention first."""
    attention = _attention_counts(snapshot)
    table = _table(f"My accounts ({len(snapshot.accounts)})")
    table.add_column("Account", ratio=3)
    table.add_column("TPID", no_wrap=True)
    if wide:
        table.add_column("Territory", overflow="fold")
    table.add_column("POD", no_wrap=True)
    table.add_column("My roles", ratio=2)
    table.add_column("Needs attention", ratio=2)
    rows = sorted(snapshot.accounts, key=lambda a: (a.pod or "~", a.name.casefold()))
    if limit is not None:
        rows = sorted(rows, key=lambda a: tuple(-n for n in attention.get(a.id, (0, 0))[::-1]))
        rows = rows[:limit]
    for a in rows:
        at_risk, blocked = attention.get(a.id, (0, 0))
        health = Text()
        if blocked:
            health.append(f"{blocked} blocked", style="bold red")
        if at_risk:
            health.append(", " if blocked else "")
            health.append(f"{at_risk} at risk", style="bold yellow")
        table.add_row(
            a.name,
            a.tpid or "—",
            *([a.territory or "—"] if wide else []),
            a.pod or "—",
            ", ".join(r.label for r in a.my_roles) or "—",
            health if health else Text("on track", style="green"),
        )
    _more(table, len(rows), len(snapshot.accounts), hint)
    return table


def team_table(
    account: Account,
    members: Sequence[TeamMember],
    *,
    wide: bool = True,
    limit: int | None = None,
    hint: str = "",
) -> Table:
    table = _table(f"Team of {account.name} ({len(members)})")
    table.add_column("Role", no_wrap=True)
    table.add_column("Name", ratio=1)
    if wide:
        table.add_column("Title", ratio=1)
    table.add_column("E-mail", no_wrap=True, overflow="ellipsis")
    order = list(Role)
    rows = sorted(members, key=lambda m: (order.index(m.role), m.name.casefold()))[:limit]
    for m in rows:
        table.add_row(m.role.label, m.name, *([m.title or ""] if wide else []), m.email or "")
    if not members:
        table.add_row("—", "No sellers or SEs on record", *([""] if wide else []), "")
    _more(table, len(rows), len(members), hint)
    return table


def milestones_table(
    account: Account,
    milestones: Sequence[Milestone],
    *,
    wide: bool = True,
    limit: int | None = None,
    hint: str = "",
) -> Table:
    """Milestones in the order given; the number and workload under each name."""
    table = _table(f"Milestones of {account.name} ({len(milestones)})")
    table.add_column("Status", no_wrap=True)
    table.add_column("Milestone", ratio=1)
    table.add_column("Monthly use", no_wrap=True, justify="right")
    table.add_column("Date", no_wrap=True)
    rows = list(milestones)[:limit]
    for m in rows:
        name = Text(m.name)
        detail = " · ".join(x for x in (m.number, m.workload) if x)
        if detail:
            name.append(f"\n{detail}", style="dim")
        table.add_row(
            Text(m.status or "?", style=STATUS_STYLE.get(m.status or "", "dim")),
            name,
            f"${m.monthly_use:,.0f}" if m.monthly_use is not None else "—",
            m.date.isoformat() if m.date else "—",
        )
    _more(table, len(rows), len(milestones), hint)
    return table


def ambiguous_line(match: AccountMatch) -> str:
    return f"Several accounts match {match.query!r}: name one, or give its TPID"


def no_match_line(match: AccountMatch) -> str:
    line = f"No account matches {match.query!r}"
    if match.suggestions:
        line += "; closest: " + ", ".join(a.name for a in match.suggestions)
    return line + " (`msx-bot accounts` lists them all)"


def candidate_lines(match: AccountMatch, limit: int = 10) -> list[str]:
    lines = [f"• {a.name}  (TPID {a.tpid or '—'})" for a in match.candidates[:limit]]
    if len(match.candidates) > limit:
        lines.append(f"… and {len(match.candidates) - limit} more")
    return lines


def by_attention(milestones: Sequence[Milestone]) -> list[Milestone]:
    """Blocked, at risk, on track, then the rest; each by date, undated last (as in Slack)."""

    def key(m: Milestone) -> tuple[int, bool, dt.date, str]:
        rank = _RANK.get((m.status or "").strip().casefold(), len(_RANK))
        return (rank, m.date is None, m.date or dt.date.min, m.name.casefold())

    return sorted(milestones, key=key)


_RANK = {
    MilestoneStatus.BLOCKED.value.casefold(): 0,
    MilestoneStatus.AT_RISK.value.casefold(): 1,
    MilestoneStatus.ON_TRACK.value.casefold(): 2,
}


def account_json(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "tpid": a.tpid,
        "territory": a.territory,
        "pod": a.pod,
        "my_roles": [r.value for r in a.my_roles],
    }


def member_json(m: TeamMember) -> dict[str, Any]:
    return {"name": m.name, "role": m.role.value, "title": m.title, "email": m.email}


def milestone_json(m: Milestone) -> dict[str, Any]:
    return {
        "id": m.id,
        "number": m.number,
        "name": m.name,
        "status": m.status,
        "workload": m.workload,
        "opportunity": m.opportunity,
        "monthly_use": m.monthly_use,
        "date": m.date.isoformat() if m.date else None,
        "url": m.url,
    }


def freshness_json(freshness: Freshness) -> dict[str, Any]:
    stale = for_terminal(freshness.stale_reason) if freshness.stale_reason else None
    return {"taken_at": freshness.taken_at.isoformat(), "stale_reason": stale}


def _attention_counts(snapshot: Snapshot) -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    for m in snapshot.milestones:
        at_risk, blocked = counts.get(m.account_id, (0, 0))
        counts[m.account_id] = (
            at_risk + (m.status == "At Risk"),
            blocked + (m.status == "Blocked"),
        )
    return counts
