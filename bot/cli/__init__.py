"""The `msx-bot` command: the bot, the demo, the sandbox, doctor, and the read commands."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from bot.cli import logs, render
from bot.cli.failures import Failure, one_line_errors, settings_problem
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
    context_settings={"help_option_names": ["-h", "--help"]},
)
console = Console()
err = Console(stderr=True)
friendly = one_line_errors(err)
T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
QueryArg = Annotated[str, typer.Argument(help="Account name (fuzzy), TPID or id.")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"msx-bot {version('msx-bot')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log more, with tracebacks.")
    ] = False,
    _: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """MSX in Slack and in your terminal: accounts, teams, milestones."""
    logs.setup(verbose=verbose, level=logging.ERROR)
    for known in (console, err):
        # As wide as the terminal (or COLUMNS) is now: rich measures once, on import.
        known.width = Console(stderr=known.stderr).width


def settings() -> Settings:
    try:
        config = Settings()
    except ValidationError as exc:
        raise settings_problem(exc) from None
    logs.to_file(log_path(config))
    return config


def log_path(config: Settings) -> Path:
    """The log file: beside the database (msx-bot.db -> msx-bot.log)."""
    db = config.msx_bot_db
    return db.with_name(f"{db.stem or 'msx-bot'}.log")


def _run(make: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run one command against MSX and the snapshot."""
    config = settings()

    async def go() -> T:
        async with Runtime.open(config) as runtime:
            return await make(runtime)

    return asyncio.run(go())


async def _book(runtime: Runtime, *, quiet: bool) -> Book:
    with refresh_progress(err if not quiet else Console(quiet=True)) as progress:
        return await my_book(runtime.gateway, runtime.store, progress=progress)


def _pick(book: Book, query: str) -> Account:
    match = find_account(book.snapshot.accounts, query)
    if match.account is not None:
        return match.account
    if match.candidates:
        raise Failure(
            render.ambiguous_line(match),
            code=2,
            more=render.candidate_lines(match),
            candidates=[render.account_json(a) for a in match.candidates],
        )
    raise Failure(
        render.no_match_line(match),
        code=2,
        closest=[render.account_json(a) for a in match.suggestions],
    )


def _emit(document: dict[str, Any]) -> None:
    print(json.dumps(document, ensure_ascii=False, indent=2))


@app.command()
@friendly
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
        f"(found through {snap.discovery.value.replace('_', ' ')}).",
        highlight=False,
        soft_wrap=not console.is_terminal,  # piped: one line a fact, for grep
    )
    for gap in snap.gaps:
        console.print(f"[yellow]![/] {gap}", highlight=False)


@app.command()
@friendly
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
    console.print(render.accounts_table(book.snapshot, wide=_wide()))
    console.print(render.freshness_line(book.freshness, _now()))


def _show_account(
    query: str,
    as_json: bool,
    key: str,
    rows: Callable[[Book, Account], Sequence[Any]],
    as_row: Callable[[Any], dict[str, Any]],
    table: Callable[..., Table],
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
    console.print(table(account, found, wide=_wide()))
    console.print(render.freshness_line(book.freshness, _now()))


@app.command()
@friendly
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
@friendly
def milestones(query: QueryArg, as_json: JsonOpt = False) -> None:
    """An account's milestones (blocked and at risk first), with links into MSX."""
    _show_account(
        query,
        as_json,
        "milestones",
        lambda book, a: render.by_attention(book.snapshot.milestones_of(a.id)),
        render.milestone_json,
        render.milestones_table,
    )


@app.command()
@friendly
def sandbox(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.", min=1, max=65535)] = 8765,
    accounts: Annotated[int, typer.Option(help="Accounts in my book.", min=1)] = 30,
    guid_ranges: Annotated[
        bool, typer.Option(help="Answer gt/lt on a GUID (unverified in MSX; off: 400).")
    ] = False,
    team_next_link: Annotated[
        bool, typer.Option(help="Page msp_accountteams with nextLink (off: cut at 100).")
    ] = False,
) -> None:
    """Serve the embedded MSX sandbox over HTTP on localhost."""
    from bot.cli.serving import serve_sandbox

    serve_sandbox(
        console,
        port=port,
        accounts=accounts,
        guid_ranges=guid_ranges,
        team_next_link=team_next_link,
    )


@app.command()
@friendly
def demo() -> None:
    """The whole job on the embedded sandbox: no Slack, no VPN."""
    from bot.cli.demo import run_demo

    run_demo(console)


@app.command()
@friendly
def doctor(
    sandbox: Annotated[
        bool,
        typer.Option("--sandbox", help="Check a `msx-bot run --sandbox` set-up (no Azure CLI)."),
    ] = False,
) -> None:
    """Check the Azure CLI, MSX, Slack and the database; exit 0 only when all pass."""
    from bot.cli.doctor import run_doctor

    raise typer.Exit(run_doctor(settings(), console, sandbox=sandbox))


@app.command()
@friendly
def run(
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Use the embedded MSX sandbox instead of MSX.")
    ] = False,
) -> None:
    """Run the Slack bot (Socket Mode) until Ctrl-C."""
    from bot.slack.runner import serve

    logs.show_on_terminal(logging.INFO)
    asyncio.run(serve(settings(), sandbox=sandbox))


def _wide() -> bool:
    return console.width >= render.WIDE


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _verbose_first(args: list[str]) -> list[str]:
    """`msx-bot run --verbose` as `msx-bot --verbose run`: people put it anywhere."""
    head = args[: args.index("--")] if "--" in args else args
    flags = [a for a in head if a in ("--verbose", "-v")]
    if not flags:
        return args
    rest = list(args)
    for flag in flags:
        rest.remove(flag)
    return ["--verbose", *rest]


def main() -> None:
    args = _verbose_first(sys.argv[1:])
    if "--json" not in args:
        app(args=args, prog_name="msx-bot")
        return
    # A script asked for JSON: even a usage mistake answers with one JSON document.
    try:
        code = app(args=args, prog_name="msx-bot", standalone_mode=False)
    except typer.TyperException as exc:  # usage mistakes (typer vendors click)
        print(json.dumps({"error": exc.format_message()}))
        code = getattr(exc, "exit_code", 2)
    except typer.Abort:
        code = 130
    sys.exit(code if isinstance(code, int) else 0)


# Task logging lives in its own module (bot/cli/tasks.py); its commands join this app.
from bot.cli import tasks as _tasks  # noqa: E402

app.command("log-task")(friendly(_tasks.log_task))
app.command("tasks")(friendly(_tasks.tasks))
from bot.cli import digest as _digest  # noqa: E402, F401  (registers `msx-bot digest`)
