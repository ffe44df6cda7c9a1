"""The real `msx-bot run` process against the Slack double: it answers, stops on SIGTERM or
Ctrl-C whatever it is doing (connecting, Slack away, a refresh running), ends with one line
when Slack refuses a token, and never prints a token or a traceback.

Processes that do not depend on each other start together: each one's start-up (imports)
is most of its time."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot_harness import texts
from served_sandbox import Served
from slack_double import SlackDouble

USER = "UTRYOUT"
OWNER = "UOWNER"
BOT_TOKEN = "xoxb-proc-secret"
APP_TOKEN = "xapp-proc-secret"
WAIT_S = 30  # generous: the machine may be busy; nothing here sleeps for it


@dataclass
class Bot:
    """A running `python -m bot run ...` and what it has printed so far."""

    proc: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self.changed.set()

    async def wait_line(self, pred: Callable[[str], bool], count: int = 1) -> list[str]:
        async def seen() -> list[str]:
            while len(found := [ln for ln in self.lines if pred(ln)]) < count:
                self.changed.clear()
                if self.proc.returncode is not None:
                    raise AssertionError("the bot ended early:\n" + self.output)
                await self.changed.wait()
            return found

        try:
            return await asyncio.wait_for(seen(), WAIT_S)
        except TimeoutError:
            raise AssertionError("no such line; the bot printed:\n" + self.output) from None

    async def ended(self) -> int:
        try:
            return await asyncio.wait_for(self.proc.wait(), WAIT_S)
        except TimeoutError:
            raise AssertionError("the bot did not stop:\n" + self.output) from None

    @property
    def output(self) -> str:
        return "\n".join(self.lines[-60:])


def _env(tmp_path: Path, api_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MSX_ACCESS_TOKEN"}
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": api_url,
        "MSX_BOT_DB": str(tmp_path / "msx-bot.db"),
        "MSX_BOT_ALLOWED_USERS": USER,
        "COLUMNS": "200",
        **extra,
    }
    return env


@asynccontextmanager
async def running(tmp_path: Path, api_url: str, *args: str, **extra: str) -> AsyncIterator[Bot]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        *args,
        env=_env(tmp_path, api_url, **extra),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    bot = Bot(proc)
    reader = asyncio.ensure_future(bot._read())
    try:
        yield bot
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await asyncio.wait_for(reader, WAIT_S)


def _clean(bot: Bot) -> None:
    assert "Traceback" not in bot.output, bot.output
    assert "proc-secret" not in bot.output  # tokens never reach the log


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _stops_while_slack_is_unreachable(tmp_path: Path) -> Bot:
    async with running(tmp_path, f"http://127.0.0.1:{_closed_port()}/api/", "--sandbox") as bot:
        waits = await bot.wait_line(lambda ln: "Slack is unreachable" in ln, count=2)
        bot.proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert await bot.ended() == 0, bot.output
    # One line an attempt, each wait longer than the last.
    assert "trying again in 1 s" in waits[0] and "trying again in 2 s" in waits[1], bot.output
    return bot


async def _stops_while_connecting(tmp_path: Path) -> Bot:
    connected = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        await reader.read()  # until the bot hangs up
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with running(tmp_path, f"http://127.0.0.1:{port}/api/", "--sandbox") as bot:
            await asyncio.wait_for(connected.wait(), WAIT_S)
            bot.proc.send_signal(signal.SIGTERM)
            assert await bot.ended() == 0, bot.output
    finally:
        server.close()
    # The sandbox keeps its own database beside the configured one.
    assert (tmp_path / "msx-bot-sandbox.db").exists()
    assert not (tmp_path / "msx-bot.db").exists()
    return bot


async def _stops_while_a_refresh_runs(tmp_path: Path) -> Bot:
    served = Served()
    me = served.sandbox.dataset.me
    try:
        async with SlackDouble(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as slack:
            slack.add_user(OWNER, "avery", me.email, real_name=me.name)
            msx = {"MSX_BASE_URL": served.server.url, "MSX_ACCESS_TOKEN": "sandbox"}
            async with running(tmp_path, slack.api_url, **msx) as bot:
                await bot.wait_line(lambda ln: "owner: " in ln)
                await slack.wait_connected(timeout=WAIT_S)
                envelope = await slack.send_slash_command(OWNER, "/msx", "accounts")
                await slack.wait_ack(envelope)
                reply = await slack.wait_for(
                    lambda: next((b for _, b in slack.responses if "TPID" in texts(b)), None),
                    timeout=WAIT_S,
                )
                book = served.sandbox.dataset.expected_accounts(me.user_id)
                assert all(a.tpid in texts(reply) for a in book[:5] if a.tpid)
                served.sandbox.faults.hang = True  # MSX takes the refresh and never answers
                envelope = await slack.send_slash_command(OWNER, "/msx", "refresh")
                await slack.wait_ack(envelope)
                await slack.wait_for(
                    lambda: any("Refreshing" in texts(b) for _, b in slack.responses),
                    timeout=WAIT_S,
                )
                await slack.wait_for(lambda: served.sandbox.stats.in_flight > 0, timeout=WAIT_S)
                bot.proc.send_signal(signal.SIGTERM)
                assert await bot.ended() == 0, bot.output
            await slack.wait_for(lambda: slack.open_sockets == 0, timeout=10)
    finally:
        served.loop.call_soon_threadsafe(served.sandbox.faults.release)
        served.close()
    assert "shutting down" in bot.output
    return bot


async def test_run_stops_on_a_signal_at_any_moment(tmp_path: Path) -> None:
    bots = await asyncio.gather(
        _stops_while_slack_is_unreachable(tmp_path / "unreachable"),
        _stops_while_connecting(tmp_path / "connecting"),
        _stops_while_a_refresh_runs(tmp_path / "refreshing"),
    )
    for bot in bots:
        assert "stopped" in bot.lines[-1], bot.output
        _clean(bot)


async def _refused(tmp_path: Path, slack: SlackDouble, **tokens: str) -> Bot:
    async with running(tmp_path, slack.api_url, "--sandbox", **tokens) as bot:
        assert await bot.ended() == 1, bot.output
    return bot


async def _revoked_while_running(tmp_path: Path) -> Bot:
    async with (
        SlackDouble(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as slack,
        running(tmp_path, slack.api_url, "--sandbox") as bot,
    ):
        await slack.wait_connected(timeout=WAIT_S)
        slack.app_token = "xapp-rotated"  # the old one no longer works
        await slack.disconnect("refresh_requested")  # Slack asks for a new connection
        assert await bot.ended() == 1, bot.output
    return bot


async def test_a_refused_token_ends_run_with_one_line_naming_it(tmp_path: Path) -> None:
    async with SlackDouble(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as slack:
        bad_bot, bad_app, bot_as_app, revoked = await asyncio.gather(
            _refused(tmp_path / "bot", slack, SLACK_BOT_TOKEN="xoxb-proc-secret-old"),
            _refused(tmp_path / "app", slack, SLACK_APP_TOKEN="xapp-proc-secret-old"),
            _refused(tmp_path / "type", slack, SLACK_APP_TOKEN=BOT_TOKEN),
            _revoked_while_running(tmp_path / "revoked"),
        )
    for bot, variable, error in (
        (bad_bot, "SLACK_BOT_TOKEN", "invalid_auth"),
        (bad_app, "SLACK_APP_TOKEN", "invalid_auth"),
        (bot_as_app, "SLACK_APP_TOKEN", "not_allowed_token_type"),
        (revoked, "SLACK_APP_TOKEN", "invalid_auth"),  # while running: at its reconnection
    ):
        named = [ln for ln in bot.lines if "SLACK_" in ln]
        assert named == [bot.lines[-1]], bot.output
        assert named[0].startswith(f"✗ Slack refused {variable} ({error})"), bot.output
        assert "unreachable" not in bot.output  # refused is not retried
        _clean(bot)
