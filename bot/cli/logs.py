"""Logging for the terminal: one line a record; tracebacks only with `--verbose`."""

from __future__ import annotations

import logging
import sys

VERBOSE_HINT = "--verbose shows the traceback"
_HANDLER = "msx-bot terminal"


class OneLine(logging.Formatter):
    """A record on one line; an exception as its type and message, never its traceback."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        exc = record.exc_info[1] if record.exc_info else None
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        if exc is not None:
            line += f" ({describe(exc)}; {VERBOSE_HINT})"
        return " ".join(line.split())


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (as logging's last-resort handler does)."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def describe(exc: BaseException) -> str:
    """`ValueError: bad thing` on one line, however long or multi-line the message is."""
    text = " ".join(str(exc).split())
    if len(text) > 300:
        text = text[:299] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def setup(*, verbose: bool, level: int = logging.WARNING) -> None:
    """Log to stderr: `level` and up in one line each, or everything of ours with tracebacks."""
    handler = _Stderr()
    if verbose:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
    else:
        handler.setFormatter(OneLine())
    handler.set_name(_HANDLER)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(old)  # set up again (tests run many commands in one process)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else level)
    # Libraries stay at INFO even when verbose: their DEBUG lines show request and message
    # bodies, and those hold people's books. (bot.slack.socket and .bolt are the loggers
    # we hand slack_sdk's Socket Mode client and Bolt.)
    for name in (
        "slack_sdk",
        "slack_bolt",
        "bot.slack.socket",
        "bot.slack.bolt",
        "aiohttp",
        "httpx",
        "httpcore",
        "asyncio",
    ):
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)  # every statement, otherwise
    # azure-identity logs every failed token attempt; we say it once, with the fix.
    logging.getLogger("azure").setLevel(logging.ERROR)
