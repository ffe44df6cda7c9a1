"""What a command prints when it cannot do its job: one line (or one JSON document), exit 1."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from bot.cli.logs import describe

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

# Slack's advice, as the terminal says it: "`/msx refresh`" -> "`msx-bot refresh`".
_SLACK_COMMAND = re.compile(r"`/msx ([^`]*)`")


class Failure(Exception):
    """A problem the person can act on: `message` says what and how, in one line."""

    def __init__(
        self, message: str, *, code: int = 1, more: Sequence[str] = (), **details: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.more = tuple(more)  # lines that follow it on a terminal (candidates, say)
        self.details = details  # what follows it in the JSON document


def for_terminal(text: str) -> str:
    """Advice written for Slack, for the terminal: the same commands, as `msx-bot` runs them."""
    return _SLACK_COMMAND.sub(lambda m: f"`msx-bot {m.group(1)}`", text)


def settings_problem(exc: ValidationError) -> Failure:
    first = exc.errors()[0]
    variable = str(first["loc"][0]).upper() if first.get("loc") else "a setting"
    return Failure(f"{variable} is not valid ({first['msg']}): fix it in the environment or .env")


def failure_of(exc: Exception, command: str) -> Failure:
    """The one line for any exception: its own words when it has them, else a bug report."""
    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, ValidationError):
        return settings_problem(exc)
    message = getattr(exc, "user_message", None)
    if isinstance(message, str) and message:
        return Failure(for_terminal(message))
    log.debug("msx-bot %s failed", command, exc_info=exc)  # the traceback, with --verbose
    return Failure(
        f"Unexpected error ({describe(exc)}): `msx-bot --verbose {command} ...` shows where; "
        "please report it"
    )


def report(failure: Failure, *, as_json: bool, err: Console) -> None:
    if as_json:
        print(json.dumps({"error": failure.message, **failure.details}, ensure_ascii=False))
    else:
        # On a terminal, wrapped at words; piped, one line (a log or grep reads it whole).
        soft = not err.is_terminal
        err.print(Text.assemble(("✗ ", "red"), failure.message), soft_wrap=soft)
        for line in failure.more:
            err.print(Text(f"  {line}"), soft_wrap=soft)


def one_line_errors(err: Console) -> Callable[[F], F]:
    """Wrap a command: whatever goes wrong ends in one line (or one JSON document with
    `--json`) and a non-zero exit, never a traceback."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def command(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except (typer.Exit, typer.Abort):
                raise
            except Exception as exc:
                failure = failure_of(exc, fn.__name__)
                report(failure, as_json=bool(kwargs.get("as_json")), err=err)
                raise typer.Exit(failure.code) from None

        return cast(F, command)

    return wrap
