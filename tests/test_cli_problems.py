"""What a new user meets when something is wrong: one line saying what and how to fix it,
never a traceback (unless they ask with --verbose), and a file that is not ours left alone."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from served_sandbox import Served
from slack_double import SlackDouble
from typer.testing import CliRunner, Result

from bot.cli import _verbose_first, app
from bot.store import SnapshotStore, StoreError

runner = CliRunner()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    s = Served()
    yield s
    s.close()


def invoke(*args: str, **env: str | None) -> Result:
    base: dict[str, str | None] = {
        "COLUMNS": "200",
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
        "MSX_ACCESS_TOKEN": "sandbox",
    }
    return runner.invoke(app, list(args), env={**base, **env})


def one_line(result: Result) -> str:
    """The command failed with exactly one line on stderr, and no traceback anywhere."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- MSX_BOT_DB -------------------------------------------------------------------------


def test_a_folder_as_msx_bot_db(tmp_path: Path) -> None:
    line = one_line(invoke("accounts", MSX_BOT_DB=str(tmp_path)))
    assert line == f"✗ {tmp_path} is a folder: set MSX_BOT_DB to a file, e.g. {tmp_path}/msx-bot.db"


def test_a_file_that_is_not_ours_is_refused_and_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"my notes, not a database\n" * 100)
    line = one_line(invoke("refresh", MSX_BOT_DB=str(notes)))
    assert "is not an msx-bot database" in line and "MSX_BOT_DB" in line
    assert notes.read_bytes() == b"my notes, not a database\n" * 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # no -wal, no -shm


def test_a_folder_that_cannot_hold_the_file(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    line = one_line(invoke("accounts", MSX_BOT_DB=str(tmp_path / "a-file" / "msx-bot.db")))
    assert "cannot be created" in line and "MSX_BOT_DB" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    line = one_line(invoke("accounts", MSX_BOT_DB=str(locked / "msx-bot.db")))
    assert "cannot be created (Permission denied)" in line and "MSX_BOT_DB" in line


def test_an_empty_variable_counts_as_unset(served: Served, tmp_path: Path) -> None:
    result = invoke(
        "accounts",
        "--json",
        MSX_BOT_DB="",
        MSX_BASE_URL=served.server.url,
        XDG_DATA_HOME=str(tmp_path),
        MSX_BOT_ALLOWED_USERS="",
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "msx-bot" / "msx-bot.db").is_file()  # the default place


# --- one MSX per database -----------------------------------------------------------------


def test_a_database_of_another_msx_is_refused_in_one_line(served: Served, tmp_path: Path) -> None:
    db = tmp_path / "real.db"
    assert invoke("refresh", MSX_BOT_DB=str(db), MSX_BASE_URL=served.server.url).exit_code == 0
    line = one_line(invoke("accounts", MSX_BOT_DB=str(db), MSX_BASE_URL="https://other.test"))
    assert line == (
        f"✗ {db} holds snapshots from {served.server.url}, not from https://other.test: "
        "set MSX_BOT_DB to another file for this MSX"
    )
    # Its own MSX still reads it.
    assert invoke("accounts", MSX_BOT_DB=str(db), MSX_BASE_URL=served.server.url).exit_code == 0


def test_the_store_remembers_its_msx(tmp_path: Path, book: Any) -> None:
    db = tmp_path / "msx-bot.db"
    with SnapshotStore(db, source="https://msx.one"):
        pass
    # Nothing stored yet: another MSX may take the file over.
    with SnapshotStore(db, source="https://msx.two") as store:
        store.save(book)
    with pytest.raises(StoreError, match=r"holds snapshots from https://msx\.two"):
        SnapshotStore(db, source="https://msx.one")
    with SnapshotStore(db, source="https://msx.two") as store:
        assert store.load(book.user.user_id) == book


@pytest.fixture
def book() -> Any:
    import datetime as dt

    from bot.domain import Account, DiscoveryPath, Identity, Snapshot

    return Snapshot(
        user=Identity(user_id="u1", name="Avery", email="a@x.test"),
        taken_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        discovery=DiscoveryPath.ACCOUNT_TEAMS,
        accounts=[Account(id="a1", name="Contoso Ltd", tpid="1")],
    )


# --- the sandbox ------------------------------------------------------------------------


def test_sandbox_on_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = invoke("sandbox", "--port", str(port))
    line = one_line(result)
    assert line.startswith(f"✗ Port {port} is already in use")
    assert "--port" in line
    assert result.stdout == ""  # no banner for a sandbox that is not there


def test_the_hints_keep_the_sandbox_out_of_the_real_database() -> None:
    result = invoke("demo", COLUMNS="80")
    assert result.exit_code == 0, result.output
    assert "MSX_BOT_DB=" in result.stdout


# --- flags --------------------------------------------------------------------------------


def test_version_and_short_help() -> None:
    version = invoke("--version")
    assert version.exit_code == 0 and version.stdout.startswith("msx-bot ")
    for args in (["-h"], ["team", "-h"], ["doctor", "-h"]):
        result = invoke(*args)
        assert result.exit_code == 0 and "Usage" in result.stdout, args
    assert "--sandbox" in invoke("doctor", "-h").stdout


def test_verbose_goes_anywhere_on_the_line() -> None:
    assert _verbose_first(["run", "--verbose"]) == ["--verbose", "run"]
    assert _verbose_first(["team", "-v", "contoso"]) == ["--verbose", "team", "contoso"]
    assert _verbose_first(["team", "--", "--verbose"]) == ["team", "--", "--verbose"]


def test_a_bug_is_one_line_and_verbose_shows_its_traceback(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise KeyError("territory")

    monkeypatch.setattr("bot.cli.render.accounts_table", broken)
    env = {"MSX_BOT_DB": str(tmp_path / "db"), "MSX_BASE_URL": served.server.url}
    line = one_line(invoke("accounts", **env))
    assert line.startswith("✗ Unexpected error (KeyError: 'territory')")
    assert "--verbose" in line
    verbose = invoke("--verbose", "accounts", **env)
    assert verbose.exit_code == 1
    assert "Traceback" in verbose.stderr and "KeyError: 'territory'" in verbose.stderr


# --- doctor -----------------------------------------------------------------------------


class ThreadedSlack:
    """The Slack double on a loop of its own, for commands that run their own asyncio.run."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.slack = SlackDouble(bot_token="xoxb-doc", app_token="xapp-doc")
        asyncio.run_coroutine_threadsafe(self.slack.start(), self.loop).result(10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.slack.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackDouble]:
    threaded = ThreadedSlack()
    yield threaded.slack
    threaded.close()


def doctor(slack: SlackDouble, tmp_path: Path, *args: str, **env: str | None) -> Result:
    return invoke(
        "doctor",
        *args,
        **{
            "SLACK_BOT_TOKEN": "xoxb-doc",
            "SLACK_APP_TOKEN": "xapp-doc",
            "SLACK_API_URL": slack.api_url,
            "MSX_BOT_DB": str(tmp_path / "msx-bot.db"),
            **env,
        },
    )


def test_doctor_checks_the_app_level_token_for_real(
    slack: SlackDouble, served: Served, tmp_path: Path
) -> None:
    good = doctor(slack, tmp_path, MSX_BASE_URL=served.server.url)
    assert good.exit_code == 0, good.stdout
    assert "✓ Slack: SLACK_APP_TOKEN may open Socket Mode connections" in good.stdout
    assert slack.calls_to("apps.connections.open") and slack.connections_opened == 0

    bad = doctor(slack, tmp_path, MSX_BASE_URL=served.server.url, SLACK_APP_TOKEN="xapp-old")
    assert bad.exit_code == 1
    lines = bad.stdout.splitlines()
    assert "✗ Slack: apps.connections.open failed for SLACK_APP_TOKEN (invalid_auth)" in lines
    assert any("set it to an app-level token (xapp-)" in line for line in lines)
    assert "xapp-old" not in bad.stdout and slack.connections_opened == 0


def test_doctor_sandbox_needs_no_azure_cli(slack: SlackDouble, tmp_path: Path) -> None:
    result = doctor(slack, tmp_path, "--sandbox", MSX_ACCESS_TOKEN=None, PATH=str(tmp_path))
    assert result.exit_code == 0, result.stdout
    assert "✓ MSX: the embedded sandbox answers; signed in as Avery Quinn" in result.stdout
    assert "Azure CLI" not in result.stdout
    assert f"Database: {tmp_path / 'msx-bot-sandbox.db'}" in result.stdout
