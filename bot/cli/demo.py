"""`msx-bot demo`: the bot's main job on the embedded sandbox, with no Slack and no VPN."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from bot.cli import render
from bot.cli.progress import refresh_progress
from bot.config import Settings
from bot.domain import Account, Snapshot
from bot.runtime import Runtime
from bot.workflows.book import Book, refresh_book
from bot.workflows.digest import build_digest


def run_demo(console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="msx-bot-demo-") as tmp:
        book = asyncio.run(_import(Path(tmp) / "demo.db", console))
    _show(book, console)


async def _import(db: Path, console: Console) -> Book:
    console.print(Panel.fit("MSX Bot demo — against the embedded MSX sandbox (no Slack, no VPN)"))
    async with Runtime.sandboxed(Settings(), db=db) as runtime:
        with refresh_progress(console) as progress:
            book = await refresh_book(runtime.gateway, runtime.store, progress=progress)
    snap = book.snapshot
    elapsed = book.refresh.elapsed_s if book.refresh else 0.0
    console.print(
        f"[green]✓[/] Imported the book of {snap.user.name} <{snap.user.email}>: "
        f"{len(snap.accounts)} accounts, {len(snap.team)} team members, "
        f"{len(snap.milestones)} milestones in {elapsed:.2f} s, "
        f"found through {snap.discovery.value.replace('_', ' ')}.",
        highlight=False,
    )
    return book


def _show(book: Book, console: Console) -> None:
    snap = book.snapshot
    console.print(render.accounts_table(snap))
    account = _busiest(snap)
    if account is None:
        return
    console.print(render.team_table(account, snap.team_of(account.id)))
    console.print(render.milestones_table(account, snap.milestones_of(account.id)))
    for gap in snap.gaps:
        console.print(f"[yellow]![/] {gap}", highlight=False)
    show_digest(book, console)
    console.print(
        Panel(
            "Go on:\n"
            "  • msx-bot sandbox --port 8765   serve this sandbox over HTTP, then\n"
            "    MSX_BASE_URL=http://127.0.0.1:8765 MSX_ACCESS_TOKEN=sandbox msx-bot accounts\n"
            "  • msx-bot run --sandbox   the Slack bot on this sandbox (needs Slack tokens)\n"
            "  • az login, VPN, msx-bot doctor, msx-bot run   the real thing",
            title="Next",
        )
    )


def show_digest(book: Book, console: Console) -> None:
    """The morning digest of the same book, as `msx-bot digest` prints it."""
    from bot.cli.digest import print_digest

    now = dt.datetime.now(dt.UTC)
    digest = build_digest(
        book.snapshot,
        book.freshness,
        None,
        today=now.astimezone().date(),
        now=now,
        hok_milestones=None,
    )
    console.print(Panel.fit("The morning digest: a DM on weekdays at 08:30 (msx-bot digest)"))
    print_digest(console, digest, now, limit=8)


def _busiest(snap: Snapshot) -> Account | None:
    """The account with the most at-risk or blocked milestones: the one worth showing."""
    if not snap.accounts:
        return None
    return max(
        snap.accounts,
        key=lambda a: (
            sum(m.needs_attention for m in snap.milestones_of(a.id)),
            len(snap.team_of(a.id)),
        ),
    )
