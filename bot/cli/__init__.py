"""The `msx-bot` command: the bot, the demo, the sandbox, doctor, and the read commands."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from bot.cli import render
from bot.cli.progress import refresh_progress
from bot.config import Settings
from bot.domain import Account
from bot.runtime import Runtime
from bot.workflows.book import Book, my_book, refresh_book
from bot.workflows.lookup import find_account

app = typer.Typer(
    help="MSX in Slack and in your terminal: accounts, teams, milestones.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)
T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
QueryArg = Annotated[str, typer.Argument(help="Account name (fuzzy), TPID or id.")]


def _run(make: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run one command against MSX and the snapshot; a problem becomes one line and exit 1."""

    async def go() -> T:
        async with Runtime.open(Settings()) as runtime:
            return await make(runtime)

    try:
        return asyncio.run(go())
    except Exception as exc:  # each known problem carries a line a person can act on
        message = getattr(exc, "user_message", None)
        if message is None:
            raise
        err.print(f"[red]✗[/] {message}", highlight=False)
        raise typer.Exit(1) from None


async def _book(runtime: Runtime, *, quiet: bool) -> Book:
    with refresh_progress(err if not quiet else Console(quiet=True)) as progress:
        return await my_book(runtime.gateway, runtime.store, progress=progress)


def _pick(book: Book, query: str) -> Account:
    match = find_account(book.snapshot.accounts, query)
    if match.account is None:
        render.print_match_problem(err, match)
        raise typer.Exit(2)
    return match.account


def _emit(document: dict[str, Any]) -> None:
    print(json.dumps(document, ensure_ascii=False, indent=2))


@app.command()
def refresh(as_json: JsonOpt = False) -> None:
    """Import my accounts, teams and milestones from MSX into the snapshot."""

    async def go(runtime: Runtime) -> Book:
        with refresh_progress(err if not as_json else Console(quiet=True)) as progress:
            return await refresh_book(runtime.gateway, runtime.store, progress=progress)

    book = _run(go)
    result = book.refresh
    assert result is not None
    snap = book.snapshot
    if as_json:
        _emit(
            {
                "user": snap.user.name,
                "discovery": snap.discovery.value,
                "accounts": len(snap.accounts),
                "team_members": len(snap.team),
                "milestones": len(snap.milestones),
                "gaps": list(snap.gaps),
                "elapsed_s": round(result.elapsed_s, 3),
                "accounts_added": [a.name for a in result.diff.accounts_added],
                "accounts_removed": [a.name for a in result.diff.accounts_removed],
                "status_changes": [
                    {"milestone": c.milestone.name, "from": c.old_status, "to": c.new_status}
                    for c in result.diff.status_changes
                ],
            }
        )
        return
    console.print(
        f"[green]✓[/] {snap.user.name}: {len(snap.accounts)} accounts, {len(snap.team)} team "
        f"members, {len(snap.milestones)} milestones in {result.elapsed_s:.1f} s "
        f"(found through {snap.discovery.value.replace('_', ' ')})."
    )
    for gap in snap.gaps:
        console.print(f"[yellow]![/] {gap}", highlight=False)


@app.command()
def accounts(as_json: JsonOpt = False) -> None:
    """My accounts, with TPID, territory, POD and my roles."""
    book = _run(lambda rt: _book(rt, quiet=as_json))
    if as_json:
        _emit(
            {
                "snapshot": render.freshness_json(book.freshness),
                "accounts": [render.account_json(a) for a in book.snapshot.accounts],
            }
        )
        return
    console.print(render.accounts_table(book.snapshot))
    console.print(render.freshness_line(book.freshness, _now()))


def _show_account(
    query: str,
    as_json: bool,
    key: str,
    rows: Callable[[Book, Account], Sequence[Any]],
    as_row: Callable[[Any], dict[str, Any]],
    table: Callable[[Account, Sequence[Any]], Table],
) -> None:
    """One account's team or milestones: a table for people, a JSON document for scripts."""
    book = _run(lambda rt: _book(rt, quiet=as_json))
    account = _pick(book, query)
    found = rows(book, account)
    if as_json:
        _emit(
            {
                "snapshot": render.freshness_json(book.freshness),
                "account": render.account_json(account),
                key: [as_row(r) for r in found],
            }
        )
        return
    console.print(table(account, found))
    console.print(render.freshness_line(book.freshness, _now()))


@app.command()
def team(query: QueryArg, as_json: JsonOpt = False) -> None:
    """The sellers and solution engineers on an account."""
    _show_account(
        query,
        as_json,
        "team",
        lambda book, a: book.snapshot.team_of(a.id),
        render.member_json,
        render.team_table,
    )


@app.command()
def milestones(query: QueryArg, as_json: JsonOpt = False) -> None:
    """An account's milestones, with status, workload, monthly use and MSX links."""
    _show_account(
        query,
        as_json,
        "milestones",
        lambda book, a: book.snapshot.milestones_of(a.id),
        render.milestone_json,
        render.milestones_table,
    )


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
    accounts: Annotated[int, typer.Option(help="Accounts in my book.")] = 30,
    guid_ranges: Annotated[
        bool, typer.Option(help="Answer gt/lt on a GUID (unverified in MSX; off: 400).")
    ] = False,
    team_next_link: Annotated[
        bool, typer.Option(help="Page msp_accountteams with nextLink (off: cut at 100).")
    ] = False,
) -> None:
    """Serve the embedded MSX sandbox over HTTP on localhost."""
    from bot.sandbox import run_forever

    console.print(
        f"MSX sandbox on http://127.0.0.1:{port} — try:\n"
        f"  MSX_BASE_URL=http://127.0.0.1:{port} MSX_ACCESS_TOKEN=sandbox msx-bot accounts"
    )
    run_forever(
        host="127.0.0.1",
        port=port,
        accounts=accounts,
        guid_ranges=guid_ranges,
        team_next_link=team_next_link,
    )


@app.command()
def demo() -> None:
    """The whole job on the embedded sandbox: no Slack, no VPN."""
    from bot.cli.demo import run_demo

    run_demo(console)


@app.command()
def doctor() -> None:
    """Check the Azure CLI, MSX, Slack and the database; exit 0 only when all pass."""
    from bot.cli.doctor import run_doctor

    raise typer.Exit(run_doctor(Settings(), console))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # azure-identity logs every failed token attempt; we say it once, with the fix.
    logging.getLogger("azure").setLevel(logging.ERROR)
    app()


@app.command()
def run(
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Use the embedded MSX sandbox instead of MSX.")
    ] = False,
) -> None:
    """Run the Slack bot (Socket Mode) until Ctrl-C."""
    from bot.slack.runner import serve

    logging.getLogger().setLevel(logging.INFO)
    try:
        asyncio.run(serve(Settings(), sandbox=sandbox))
    except Exception as exc:
        message = getattr(exc, "user_message", None)
        if message is None:
            raise
        err.print(f"[red]✗[/] {message}", highlight=False)
        raise typer.Exit(1) from None


# Task logging lives in its own module (bot/cli/tasks.py); its commands join this app.
from bot.cli import tasks as _tasks  # noqa: E402

_tasks.register(app)
