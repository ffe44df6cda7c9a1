"""`msx-bot demo`: the bot's main job on the embedded sandbox, with no Slack and no VPN.

Each step fits a screen: long lists show their first page (what needs attention first,
as Slack does) and say how to see the rest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from bot.cli import render
from bot.cli.progress import refresh_progress
from bot.cli.serving import env_hint
from bot.cli.tasks import log_demo_task, show_demo_task
from bot.config import Settings
from bot.domain import Account, LoggedTask, Snapshot
from bot.runtime import Runtime
from bot.workflows.book import Book, refresh_book
from bot.workflows.digest import build_digest

PAGE = 8  # rows a step shows: with its title and caption, a 24-line screen
SANDBOX_URL = "http://127.0.0.1:8765"


def run_demo(console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="msx-bot-demo-") as tmp:
        book, task = asyncio.run(_import(Path(tmp) / "demo.db", console))
    _show(book, console, task)


async def _import(db: Path, console: Console) -> tuple[Book, LoggedTask | None]:
    console.print(Panel.fit("MSX Bot demo: the embedded MSX sandbox (no Slack, no VPN)"))
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
    wide = console.width >= render.WIDE
    rest = "the rest: see Next below"
    console.print(render.accounts_table(snap, wide=wide, limit=PAGE, hint=rest))
    account = _busiest(snap)
    if account is not None:
        name = f'"{account.name}"'
        console.print(
            render.team_table(
                account,
                snap.team_of(account.id),
                wide=wide,
                limit=PAGE,
                hint=f"all of them: msx-bot team {name}",
            )
        )
        console.print(
            render.milestones_table(
                account,
                render.by_attention(snap.milestones_of(account.id)),
                wide=wide,
                limit=PAGE,
                hint=f"blocked and at risk first; all: msx-bot milestones {name}",
            )
        )
    for gap in snap.gaps:
        console.print(f"[yellow]![/] {gap}", highlight=False)
    if task is not None:
        show_demo_task(console, task)
    show_digest(book, console)
    console.print(
        Panel(
            "Go on, with the sandbox's own database (MSX_BOT_DB), never your real one:\n"
            "  msx-bot sandbox --port 8765      serve this sandbox; in another terminal:\n"
            f"  {env_hint(SANDBOX_URL)}\n"
            "  msx-bot refresh && msx-bot accounts\n"
            "The Slack bot on the sandbox (needs Slack tokens): msx-bot run --sandbox\n"
            "Log a task: msx-bot log-task --milestone ID --category Demo --subject ... "
            "--minutes 60\n"
            "The real thing: az login, VPN, msx-bot doctor, msx-bot run",
            title="Next",
            title_align="left",
        ),
        highlight=False,
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
