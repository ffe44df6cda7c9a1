"""A rich progress bar fed by the refresh workflow's progress events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.workflows.refresh import Progress as RefreshProgress
from bot.workflows.refresh import ProgressFn


@contextmanager
def refresh_progress(console: Console) -> Iterator[ProgressFn]:
    """Yield a callback for `refresh(progress=...)`; silent when not on a terminal."""
    if not console.is_terminal:
        yield lambda _event: None
        return
    if console.is_dumb_terminal:
        # TERM=dumb cannot redraw a bar: a line for each stage and each wait instead.
        yield _lines(console)
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}", style="yellow"),
        console=console,
        transient=True,
    )
    task = bar.add_task("Refreshing", total=None, note="")

    def update(event: RefreshProgress) -> None:
        # A wait (throttling, a retry) comes as a note on the current stage; the next
        # event without one clears it.
        bar.update(
            task,
            description=event.stage,
            completed=event.done,
            total=event.total,
            note=event.note,
        )
        bar.refresh()

    with bar:
        yield update


def _lines(console: Console) -> ProgressFn:
    last: list[tuple[str, str]] = []

    def update(event: RefreshProgress) -> None:
        if last and last[-1] == (event.stage, event.note):
            return
        last[:] = [(event.stage, event.note)]
        count = f" {event.done}/{event.total}" if event.total else ""
        note = f" ({event.note})" if event.note else ""
        console.print(f"{event.stage}{count}{note}", highlight=False, soft_wrap=True)

    return update
