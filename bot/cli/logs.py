"""Logging: the terminal gets one line a record (tracebacks only with `--verbose`); the log
file beside the database gets everything, tracebacks included."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

VERBOSE_HINT = "--verbose shows the traceback"
_HANDLER = "msx-bot terminal"
_FILE = "msx-bot file"
# `extra={QUIET: True}`: for the log file only (the terminal already says it in one line).
QUIET = "msx_bot_file_only"
LOG_BYTES = 1_000_000
_FULL = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
        handler.setFormatter(logging.Formatter(_FULL, "%H:%M:%S"))
    else:
        handler.setFormatter(OneLine())
        handler.setLevel(level)
        handler.addFilter(lambda record: not getattr(record, QUIET, False))
    _replace(handler, _HANDLER)
    # INFO at least, for the log file; each handler keeps to its own level.
    logging.getLogger().setLevel(logging.DEBUG if verbose else min(level, logging.INFO))
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


class _PrivateLog(logging.handlers.RotatingFileHandler):
    """Created on the first record, readable by you only; a log that cannot be written is
    skipped rather than shown (the command says its own problem)."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def to_file(path: Path) -> Path | None:
    """Also log to `path`, INFO and up with tracebacks; None when its folder is not there."""
    if not path.parent.is_dir() or path.is_dir():
        return None
    handler = _PrivateLog(path, maxBytes=LOG_BYTES, backupCount=2, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter(_FULL))
    handler.setLevel(logging.INFO)
    _replace(handler, _FILE)
    return path


def show_on_terminal(level: int) -> None:
    """Let `level` and up reach the terminal (`msx-bot run` narrates at INFO)."""
    for handler in logging.getLogger().handlers:
        if handler.get_name() == _HANDLER and handler.level > level:
            handler.setLevel(level)


def log_file() -> Path | None:
    for handler in logging.getLogger().handlers:
        if handler.get_name() == _FILE and isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def _replace(handler: logging.Handler, name: str) -> None:
    handler.set_name(name)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == name]:
        root.removeHandler(old)  # set up again (tests run many commands in one process)
        old.close()
    root.addHandler(handler)
