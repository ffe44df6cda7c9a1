"""`msx-bot digest [--json] [--send]`: the morning digest in the terminal, or sent now as a DM.

Printing it is a preview: it reads the snapshot (importing on first use) and what the
last digest remembered, and changes nothing. `--send` does what the morning does: refresh,
DM the owner through Slack, and remember what it said for the next one.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from bot.cli import JsonOpt, _book, _emit, _run, app, console, friendly, render
from bot.runtime import Runtime
from bot.store.digest import DigestStore
from bot.workflows.book import Book, known_owner
from bot.workflows.digest import Digest, DigestItem, build_digest, hok_lookup, hok_since

SendOpt = Annotated[
    bool, typer.Option("--send", help="Send it now through Slack, as a DM to the owner.")
]
CHANGE_WORDS = {
    "newly_blocked": "newly blocked",
    "newly_at_risk": "newly at risk",
    "recovered": "recovered",
    "closed": "no longer at risk",
    "gone": "no longer in the book",
}


class NoSlackUser(Exception):
    def __init__(self, email: str | None) -> None:
        who = f"the owner ({email})" if email else "the owner (unknown: run `msx-bot refresh`)"
        self.user_message = f"No Slack user found for {who}: is the bot in that workspace?"


class NotSent(Exception):
    def __init__(self, reason: str) -> None:
        self.user_message = reason


@app.command()
@friendly
def digest(as_json: JsonOpt = False, send: SendOpt = False) -> None:
    """My milestones at risk, as the morning digest has them (--send: DM it through Slack)."""
    if send:
        _run(_send)
        console.print("[green]✓[/] Digest sent: see your DM from the bot in Slack.")
        return
    made = _run(lambda rt: _preview(rt, quiet=as_json))
    if as_json:
        _emit(digest_json(made))
    else:
        print_digest(console, made, _now())


async def _preview(runtime: Runtime, *, quiet: bool) -> Digest:
    book = await _book(runtime, quiet=quiet)
    return preview(book, DigestStore(runtime.store), runtime, _now())


def preview(book: Book, digests: DigestStore, runtime: Runtime, now: dt.datetime) -> Digest:
    """The digest this book would get now, on this machine's local day."""
    hok = hok_lookup(runtime.store)
    uid = book.snapshot.user.user_id
    today = now.astimezone().date()
    return build_digest(
        book.snapshot,
        book.freshness,
        digests.memory(uid),
        today=today,
        now=now,
        hok_milestones=hok(uid, hok_since(today)),
    )


async def _send(runtime: Runtime) -> None:
    # Slack only here: printing the digest needs no token.
    from bot.slack.digest_scheduler import DigestScheduler
    from bot.slack.runner import MissingSlackTokens, build_deps, slack_client

    token = runtime.settings.slack_bot_token
    if token is None:
        raise MissingSlackTokens()
    client = slack_client(runtime.settings, token)
    deps = build_deps(runtime, client)
    owner = deps.access.owner or known_owner(runtime.store)
    if owner is None:
        await deps.learn_owner()
        owner = deps.access.owner
    email = owner.email if owner else None
    found = await deps.directory.mentions([email])
    slack_id = found.get(email.casefold()) if email else None
    person = await deps.access.person(slack_id) if slack_id else None
    if person is None:
        raise NoSlackUser(email)
    outcome = await DigestScheduler(deps, client).deliver(person, None)
    if outcome.state != "sent":
        raise NotSent(outcome.reason or "The digest could not be sent.")


def digest_json(d: Digest) -> dict[str, Any]:
    return {
        "snapshot": render.freshness_json(d.freshness),
        "user": d.user.name,
        "day": d.day.isoformat(),
        "all_clear": d.all_clear,
        "first": d.first,
        "counts": {
            "blocked": d.blocked,
            "at_risk": d.at_risk,
            "needs_attention": d.needing_attention if d.hok_checked else None,
        },
        "changes": [
            {
                "kind": c.kind,
                "milestone": c.name,
                "number": c.number,
                "account": c.account_name,
                "from": c.old_status,
                "to": c.new_status,
            }
            for c in d.changes
        ],
        "accounts": [
            {
                "account": {"id": g.account_id, "name": g.account_name},
                "milestones": [
                    {
                        **render.milestone_json(i.milestone),
                        "status": i.status,
                        "overdue_days": i.overdue_days,
                        "at_risk_since": i.since.isoformat(),
                        "days_at_risk": i.days_at_risk,
                        "needs_attention": i.needs_attention if d.hok_checked else None,
                    }
                    for i in g.items
                ],
            }
            for g in d.groups
        ],
    }


def print_digest(out: Console, d: Digest, now: dt.datetime, *, limit: int | None = None) -> None:
    if d.all_clear:
        out.print(f"[green]✓ All clear[/]: nothing at risk or blocked on {d.accounts} accounts.")
    else:
        line = f"[bold]Milestones at risk[/] ({d.day:%a} {d.day.day} {d.day:%b}): "
        line += f"[red]{d.blocked} blocked[/], [yellow]{d.at_risk} at risk[/]"
        if d.hok_checked:
            line += f", {d.needing_attention} need attention (no HoK task in 14 days)"
        out.print(line)
    for c in d.changes:
        where = f" · {c.account_name}" if c.account_name else ""
        out.print(f"  • {CHANGE_WORDS[c.kind]}: {c.name}{where}", markup=False, highlight=False)
    rows = [(g, i) for g in d.groups for i in g.items]
    for n, (g, i) in enumerate(rows[:limit] if limit else rows):
        if n == 0 or rows[n - 1][0] is not g:
            out.print(Text(g.account_name, style="bold"))
        out.print(_item_line(i))
    if limit and len(rows) > limit:
        out.print(f"…and {len(rows) - limit} more: `msx-bot digest` shows them all.")
    out.print(render.freshness_line(d.freshness, now))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _item_line(i: DigestItem) -> Text:
    m = i.milestone
    line = Text("  ")
    line.append(f"{i.status:<8}", style=render.STATUS_STYLE.get(i.status, ""))
    line.append(f" {m.name}" + (f" ({m.number})" if m.number else ""))
    date = f"due {m.date.isoformat()}" if m.date else "no date"
    if i.overdue_days:
        date += f" ({i.overdue_days} d overdue)"
    money = f"${m.monthly_use:,.0f}/mo" if m.monthly_use is not None else "—"
    details = [m.workload or "no workload", money, date, f"at risk {i.days_at_risk} d"]
    line.append(" · " + " · ".join(details), style="dim")
    if i.needs_attention:
        line.append(" needs attention", style="bold magenta")
    return line
