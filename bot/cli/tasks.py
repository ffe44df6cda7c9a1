"""`msx-bot log-task` and `msx-bot tasks`: log an HoK task from the terminal (same checks,
same outbox as the Slack modal), and the tasks I logged this week and this month."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from bot.config import Settings
from bot.domain import LoggedTask, Snapshot
from bot.msx.errors import MsxProblem
from bot.runtime import Runtime
from bot.store import StoreError
from bot.workflows.book import cached_book, my_book
from bot.workflows.log_task import QUEUED_NOTE, TaskLogger
from bot.workflows.my_tasks import TaskTotals, month_start, tasks_since, totals, week_start
from bot.workflows.outbox import Outbox
from bot.workflows.task_rules import InvalidTask, build_draft

console = Console()
err = Console(stderr=True)
T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


class CliProblem(Exception):
    """A problem the person can act on: one line (or one line a field), exit `code`."""

    def __init__(self, message: str, *, code: int = 1, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.user_message = message
        self.code = code
        self.errors = errors or {}


def _emit(document: dict[str, Any]) -> None:
    print(json.dumps(document, ensure_ascii=False, indent=2))


def _fail(problem: CliProblem, as_json: bool) -> NoReturn:
    if as_json:
        doc: dict[str, Any] = {"ok": False, "error": problem.user_message}
        if problem.errors:
            doc["errors"] = problem.errors
        _emit(doc)
    elif problem.errors:
        for name, message in problem.errors.items():
            err.print(f"[red]✗[/] {name}: {message}", highlight=False)
    else:
        err.print(f"[red]✗[/] {problem.user_message}", highlight=False)
    raise typer.Exit(problem.code)


def _run(make: Callable[[Runtime], Awaitable[T]], as_json: bool) -> T:
    """Run against MSX and the store; every problem a person can cause is one line."""
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())).upper() or "settings"
        _fail(CliProblem(f"{where}: {first.get('msg', 'invalid')}"), as_json)

    async def go() -> T:
        async with Runtime.open(settings) as runtime:
            return await make(runtime)

    try:
        return asyncio.run(go())
    except CliProblem as problem:
        _fail(problem, as_json)
    except (MsxProblem, StoreError) as exc:
        _fail(CliProblem(getattr(exc, "user_message", None) or str(exc)), as_json)


def task_json(task: LoggedTask) -> dict[str, Any]:
    d = task.draft
    return {
        "task_id": task.task_id,
        "state": task.state,
        "reason": task.reason,
        "url": task.url,
        "subject": d.subject,
        "category": task.category_label,
        "category_code": d.category_code,
        "hok": task.hok,
        "minutes": d.minutes,
        "date": d.date.isoformat(),
        "priority": d.priority.label,
        "completed": d.completed,
        "description": d.description,
        "milestone_id": d.milestone_id,
        "milestone": task.milestone_name,
        "account_id": d.account_id,
        "account": task.account_name,
        "logged_at": task.created_at.isoformat(),
    }


def totals_json(t: TaskTotals) -> dict[str, Any]:
    return {
        "count": t.count,
        "hok_count": t.hok_count,
        "hok_hours": round(t.hok_hours, 2),
        "queued": t.queued,
        "by_category": t.by_category,
    }


def outcome_line(task: LoggedTask) -> str:
    d = task.draft
    what = f"“{d.subject}” on {task.milestone_name or d.milestone_id}"
    if task.account_name:
        what += f" ({task.account_name})"
    detail = f"{d.minutes} min, {task.category_label or d.category_code}"
    detail += " (HoK)" if task.hok else " (not HoK)"
    detail += ", completed" if d.completed else ", left open"
    if task.state == "created":
        line = f"✓ Created {what}: {detail}."
        if task.reason:
            line += f" Note: {task.reason}"
        return line + (f"\n  {task.url}" if task.url else "")
    if task.state == "queued":
        return f"… {what} is {QUEUED_NOTE}. ({task.reason})"
    return f"✗ MSX refused {what}: {task.reason}"


async def _snapshot(runtime: Runtime) -> Snapshot:
    book = cached_book(runtime.store)
    if book is not None:
        return book.snapshot
    try:
        return (await my_book(runtime.gateway, runtime.store)).snapshot
    except MsxProblem as exc:
        raise CliProblem(
            f"There is no snapshot yet and MSX cannot make one: {exc.user_message}"
        ) from None


def _logger(runtime: Runtime) -> TaskLogger:
    return TaskLogger(runtime.store, runtime.gateway, hok_codes=runtime.settings.msx_bot_hok_codes)


async def _drain(logger: TaskLogger) -> list[LoggedTask]:
    """Send what earlier commands queued, now that we are here anyway."""
    outbox = Outbox(logger)
    if not outbox.pending():
        return []
    outbox.kick()
    return await outbox.drain_once()


def log_task(
    milestone: Annotated[str | None, typer.Option(help="The milestone's id.")] = None,
    category: Annotated[str | None, typer.Option(help="Category name or code.")] = None,
    subject: Annotated[str | None, typer.Option(help="What you did (up to 200).")] = None,
    minutes: Annotated[str | None, typer.Option(help="Duration, 1 to 1440.")] = None,
    date: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today).")] = None,
    priority: Annotated[str, typer.Option(help="low, normal or high.")] = "normal",
    description: Annotated[str, typer.Option(help="Notes (up to 2000).")] = "",
    leave_open: Annotated[
        bool, typer.Option("--open", help="Leave the task open, not completed.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Log an HoK task against a milestone; queued when MSX cannot be reached."""

    async def go(runtime: Runtime) -> tuple[LoggedTask, list[LoggedTask]]:
        snapshot = await _snapshot(runtime)
        owners = {m.id: m.account_id for m in snapshot.milestones}
        logger = _logger(runtime)
        wanted = (milestone or "").strip().lower()
        fields = {
            # The CLI names no account: the milestone's own (any, if unknown: the
            # milestone's error says what is wrong).
            "account": owners.get(wanted, "?"),
            "milestone": milestone,
            "category": category,
            "subject": subject,
            "minutes": minutes,
            "date": date if date is not None else dt.date.today().isoformat(),
            "priority": priority,
            "description": description,
            "completed": not leave_open,
        }
        try:
            draft = build_draft(fields, logger.categories(), milestone_accounts=owners)
        except InvalidTask as bad:
            raise CliProblem(bad.user_message, code=2, errors=bad.errors) from None
        earlier = await _drain(logger)
        account = snapshot.account(draft.account_id)
        found = next(m for m in snapshot.milestones if m.id == draft.milestone_id)
        task = await logger.submit(
            str(uuid.uuid4()),
            draft,
            owner_user_id=snapshot.user.user_id,
            milestone_name=found.name,
            account_name=account.name if account else None,
        )
        return task, earlier

    task, earlier = _run(go, as_json)
    if as_json:
        _emit({"ok": task.state != "rejected", "task": task_json(task),
               "sent_from_outbox": [task_json(t) for t in earlier]})  # fmt: skip
    else:
        for t in earlier:
            console.print(outcome_line(t), highlight=False, markup=False)
        (err if task.state == "rejected" else console).print(
            outcome_line(task), highlight=False, markup=False
        )
    if task.state == "rejected":
        raise typer.Exit(1)


def tasks_table(title: str, tasks: list[LoggedTask], t: TaskTotals) -> Table:
    table = Table(
        title=f"{title}: {t.hok_hours:.1f} HoK hours, {t.count} task{'s' * (t.count != 1)}",
        title_justify="left",
    )
    for column in ("Date", "Subject", "Category", "HoK", "Min", "State", "Milestone"):
        table.add_column(column, overflow="fold")
    for task in tasks:
        table.add_row(
            task.draft.date.isoformat(),
            task.draft.subject,
            task.category_label or str(task.draft.category_code),
            "HoK" if task.hok else "",
            str(task.draft.minutes),
            task.state,
            task.milestone_name or task.draft.milestone_id,
        )
    if not tasks:
        table.add_row("—", "No tasks logged", "", "", "", "", "")
    return table


def tasks(as_json: JsonOpt = False) -> None:
    """The tasks I logged this week and this month, with HoK hours and counts."""
    today = dt.date.today()

    async def go(runtime: Runtime) -> list[LoggedTask]:
        book = cached_book(runtime.store)
        if book is None:
            raise CliProblem("There is no snapshot yet: run `msx-bot refresh` first")
        with contextlib.suppress(MsxProblem):  # still queued: the list says so
            await _drain(_logger(runtime))
        since = min(week_start(today), month_start(today))
        return tasks_since(runtime.store, book.snapshot.user.user_id, since)

    found = _run(go, as_json)
    periods = {"week": week_start(today), "month": month_start(today)}
    parts = {name: [t for t in found if t.draft.date >= start] for name, start in periods.items()}
    if as_json:
        _emit(
            {
                name: {
                    "since": periods[name].isoformat(),
                    "totals": totals_json(totals(rows)),
                    "tasks": [task_json(t) for t in rows],
                }
                for name, rows in parts.items()
            }
        )
        return
    for name, title in (("week", "This week"), ("month", "This month")):
        rows = parts[name]
        t = totals(rows)
        console.print(tasks_table(title, rows, t))
        if t.by_category:
            counts = ", ".join(f"{label} {n}" for label, n in t.by_category.items())
            console.print(f"  By category: {counts}", highlight=False, markup=False)


async def log_demo_task(runtime: Runtime, snapshot: Snapshot) -> LoggedTask | None:
    """The demo's step: log an HoK task on the first milestone of the account with the most
    milestones needing attention, as the signed-in user."""
    milestones = sorted(snapshot.milestones, key=lambda m: (not m.needs_attention, m.name))
    if not milestones:
        return None
    milestone = milestones[0]
    account = snapshot.account(milestone.account_id)
    logger = _logger(runtime)
    draft = build_draft(
        {
            "account": milestone.account_id,
            "milestone": milestone.id,
            "category": "Architecture Design Session",
            "subject": "Architecture design session with the customer",
            "minutes": 60,
            "date": dt.date.today(),
            "description": "Logged by msx-bot demo",
        },
        logger.categories(),
    )
    return await logger.submit(
        str(uuid.uuid4()),
        draft,
        owner_user_id=snapshot.user.user_id,
        milestone_name=milestone.name,
        account_name=account.name if account else None,
    )


def show_demo_task(console: Console, task: LoggedTask) -> None:
    console.print(outcome_line(task), highlight=False, markup=False)
    t = totals([task])
    console.print(tasks_table("Logged by the demo", [task], t))
