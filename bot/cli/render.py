"""Terminal renderings of a book: rich tables for people, JSON documents for scripts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.domain import Account, Freshness, Milestone, Role, Snapshot, TeamMember
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
        line.append(f" — not fresh: {freshness.stale_reason}", style="yellow")
    return line


def accounts_table(snapshot: Snapshot) -> Table:
    attention = _attention_counts(snapshot)
    table = Table(title=f"My accounts ({len(snapshot.accounts)})", title_justify="left")
    for column in ("Account", "TPID", "Territory", "POD", "My roles", "Needs attention"):
        table.add_column(column, overflow="fold")
    for a in sorted(snapshot.accounts, key=lambda a: (a.pod or "~", a.name.casefold())):
        at_risk, blocked = attention.get(a.id, (0, 0))
        health = Text()
        if blocked:
            health.append(f"{blocked} blocked ", style="bold red")
        if at_risk:
            health.append(f"{at_risk} at risk", style="bold yellow")
        table.add_row(
            a.name,
            a.tpid or "—",
            a.territory or "—",
            a.pod or "—",
            ", ".join(r.label for r in a.my_roles) or "—",
            health if health else Text("on track", style="green"),
        )
    return table


def team_table(account: Account, members: Sequence[TeamMember]) -> Table:
    table = Table(title=f"Team of {account.name}", title_justify="left")
    for column in ("Role", "Name", "Title", "E-mail"):
        table.add_column(column, overflow="fold")
    order = list(Role)
    for m in sorted(members, key=lambda m: (order.index(m.role), m.name.casefold())):
        table.add_row(m.role.label, m.name, m.title or "", m.email or "")
    if not members:
        table.add_row("—", "No sellers or SEs on record", "", "")
    return table


def milestones_table(account: Account, milestones: Sequence[Milestone]) -> Table:
    table = Table(title=f"Milestones of {account.name} ({len(milestones)})", title_justify="left")
    for column in ("Status", "Number", "Milestone", "Workload", "Monthly use", "Date"):
        table.add_column(column, overflow="fold")
    for m in milestones:
        table.add_row(
            Text(m.status or "?", style=STATUS_STYLE.get(m.status or "", "dim")),
            m.number or "",
            m.name,
            m.workload or "",
            f"${m.monthly_use:,.0f}" if m.monthly_use is not None else "—",
            m.date.isoformat() if m.date else "—",
        )
    return table


def print_match_problem(console: Console, match: AccountMatch) -> None:
    if match.candidates:
        console.print(f"[yellow]Several accounts match[/] {match.query!r}: be more specific.")
        for a in match.candidates[:10]:
            console.print(f"  • {a.name}  (TPID {a.tpid or '—'})", markup=False)
    else:
        console.print(f"[red]No account matches[/] {match.query!r}.")
        if match.suggestions:
            names = ", ".join(a.name for a in match.suggestions)
            console.print(f"Closest: {names}", markup=False)


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
    return {"taken_at": freshness.taken_at.isoformat(), "stale_reason": freshness.stale_reason}


def _attention_counts(snapshot: Snapshot) -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    for m in snapshot.milestones:
        at_risk, blocked = counts.get(m.account_id, (0, 0))
        counts[m.account_id] = (
            at_risk + (m.status == "At Risk"),
            blocked + (m.status == "Blocked"),
        )
    return counts
