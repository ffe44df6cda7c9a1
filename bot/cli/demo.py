"""`msx-bot demo`: the bot's main job on the embedded sandbox, with no Slack and no VPN."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from bot.cli import render
from bot.cli.progress import refresh_progress
from bot.cli.tasks import log_demo_task, show_demo_task
from bot.config import Settings
from bot.domain import Account, LoggedTask, Snapshot
from bot.runtime import Runtime
from bot.workflows.book import Book, refresh_book


def run_demo(console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="msx-bot-demo-") as tmp:
        book, task = asyncio.run(_import(Path(tmp) / "demo.db", console))
    _show(book, console, task)


async def _import(db: Path, console: Console) -> tuple[Book, LoggedTask | None]:
    console.print(Panel.fit("MSX Bot demo — against the embedded MSX sandbox (no Slack, no VPN)"))
    async with Runtime.sandboxed(Settings(), db=db) as runtime:
        with refresh_progress(console) as progress:
            book = await refresh_book(runtime.gateway, runtime.store, progress=progress)
        task = await log_demo_task(runtime, book.snapshot)
    snap = book.snapshot
    elapsed = book.refresh.elapsed_s if book.refresh else 0.0
    console.print(
        f"[green]✓[/] Imported the book of {snap.user.name} <{snap.user.email}>: "
        f"{len(snap.accounts)} accounts, {len(snap.team)} team members, "
        f"{len(snap.milestones)} milestones in {elapsed:.2f} s, "
        f"found through {snap.discovery.value.replace('_', ' ')}.",
        highlight=False,
    )
    return book, task


def _show(book: Book, console: Console, task: LoggedTask | None = None) -> None:
    snap = book.snapshot
    console.print(render.accounts_table(snap))
    account = _busiest(snap)
    if account is None:
        return
    console.print(render.team_table(account, snap.team_of(account.id)))
    console.print(render.milestones_table(account, snap.milestones_of(account.id)))
    for gap in snap.gaps:
        console.print(f"[yellow]![/] {gap}", highlight=False)
    if task is not None:
        show_demo_task(console, task)
    console.print(
        Panel(
            "Go on:\n"
            "  • msx-bot sandbox --port 8765   serve this sandbox over HTTP, then\n"
            "    MSX_BASE_URL=http://127.0.0.1:8765 MSX_ACCESS_TOKEN=sandbox msx-bot accounts\n"
            "  • msx-bot log-task --milestone ID --category Demo --subject ... --minutes 60\n"
            "  • msx-bot run --sandbox   the Slack bot on this sandbox (needs Slack tokens)\n"
            "  • az login, VPN, msx-bot doctor, msx-bot run   the real thing",
            title="Next",
        )
    )


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
