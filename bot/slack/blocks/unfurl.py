"""Unfurl cards for pasted MSX links: a milestone or an account, compact, from the snapshot."""

from __future__ import annotations

from collections import Counter

from bot.domain import Account, Milestone
from bot.slack.blocks._layout import context, section
from bot.slack.blocks.milestones import canonical_status, money, status_label
from bot.slack.blocks.text import escape_within


def milestone_card(milestone: Milestone, account: Account | None) -> dict:
    m = milestone
    name = escape_within(m.name, 150)
    number = f" ({escape_within(m.number, 30)})" if m.number else ""
    details = [
        status_label(m.status),
        escape_within(account.name, 80) if account else "Unknown account",
        escape_within(m.workload, 80) if m.workload else "no workload",
        money(m.monthly_use),
        f"due {m.date.isoformat()}" if m.date else "no date",
    ]
    return {
        "blocks": [
            section(f":dart: *{name}*{number}\n" + " · ".join(details)),
            context("MSX milestone"),
        ]
    }


def account_card(account: Account, milestones: list[Milestone]) -> dict:
    a = account
    counts = Counter(canonical_status(m.status) or "No status" for m in milestones)
    by_status = ", ".join(f"{n} {escape_within(s, 40)}" for s, n in sorted(counts.items()))
    facts = [
        f"TPID {escape_within(a.tpid, 20)}" if a.tpid else "no TPID",
        escape_within(a.pod, 60) if a.pod else "no POD",
        f"{len(milestones)} milestone{'s' if len(milestones) != 1 else ''}"
        + (f": {by_status}" if by_status else ""),
    ]
    return {
        "blocks": [
            section(f":office: *{escape_within(a.name, 150)}*\n" + " · ".join(facts)),
            context("MSX account"),
        ]
    }
