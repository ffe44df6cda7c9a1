"""`msx-bot doctor` and `msx-bot demo`."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from served_sandbox import Served
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.progress import refresh_progress
from bot.workflows.refresh import Progress

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


@pytest.fixture
def served() -> Iterator[Served]:
    s = Served()
    yield s
    s.close()


def test_doctor_names_the_sandbox_user_and_fails_only_for_slack(
    served: Served, tmp_path: Path
) -> None:
    env = {
        **WIDE,
        "MSX_BASE_URL": served.server.url,
        "MSX_ACCESS_TOKEN": "sandbox",
        "MSX_BOT_DB": str(tmp_path / "db"),
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
    }
    result = runner.invoke(app, ["doctor"], env=env)
    me = served.sandbox.dataset.me
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    failed = [line for line in lines if line.startswith("✗")]
    assert failed == ["✗ Slack: SLACK_BOT_TOKEN and SLACK_APP_TOKEN not set"]
    assert f"✓ MSX: reachable; signed in as {me.name} <{me.email}>" in lines
    assert any(line.startswith("✓ Database:") for line in lines)


def test_doctor_without_a_token_or_the_azure_cli_says_how_to_install_it(
    tmp_path: Path,
) -> None:
    env = {
        **WIDE,
        "MSX_ACCESS_TOKEN": None,
        "PATH": str(tmp_path / "empty-bin"),  # no `az` anywhere
        "MSX_BOT_DB": str(tmp_path / "db"),
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
    }
    result = runner.invoke(app, ["doctor"], env=env)
    assert result.exit_code == 1
    assert "✗ Azure CLI: no token for MSX" in result.stdout
    assert "install it from https://aka.ms/installazurecli" in result.stdout
    assert "az login --tenant 72f988bf-86f1-41af-91ab-2d7cd011db47" in result.stdout
    assert "MSX: not tried without a token" in result.stdout


def test_demo_runs_the_whole_job_on_the_sandbox() -> None:
    result = runner.invoke(app, ["demo"], env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Imported the book of Avery Quinn <averyq@microsoft.com>: 30 accounts" in out
    assert "found through account teams" in out
    assert "My accounts (30)" in out
    assert "Team of " in out
    assert "Milestones of " in out
    assert "✓ Created “Architecture design session with the customer”" in out
    assert "Architecture Design Session (HoK), completed" in out
    assert "Logged by the demo: 1.0 HoK hours, 1 task" in out


def test_the_progress_bar_shows_a_throttling_wait() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with refresh_progress(console) as progress:
        progress(Progress("Teams and milestones", 3, 60))
        progress(
            Progress("Teams and milestones", 3, 60, note="MSX is throttling us; retrying in 20 s")
        )
        shown = out.getvalue()
    assert "Teams and milestones" in shown
    assert "3/60" in shown
    assert "MSX is throttling us; retrying in 20 s" in shown


def test_the_demo_fits_80_columns_and_a_screen_a_step() -> None:
    result = runner.invoke(app, ["demo"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    # Each list shows its first page and says how to see the rest.
    assert "8 of 30; the rest: see Next below" in result.stdout
    assert '8 of 135; blocked and at risk first; all: msx-bot milestones "Contoso Ltd"' in (
        result.stdout
    )
    steps = [i for i, line in enumerate(lines) if line.startswith(("My accounts", "Team of"))]
    steps.append(next(i for i, line in enumerate(lines) if line.startswith("Milestones of")))
    assert len(steps) == 3  # my accounts, a team, its milestones
    # Every step but the last (the milestones, which run to the end) fits a 24-line screen.
    for start, end in itertools.pairwise(steps):
        assert end - start <= 24
    milestones = lines[steps[-1] :]
    shown = [line.split()[0] for line in milestones[3:] if line[:1].isalpha()]
    assert shown[:8] == ["Blocked"] * 8  # Contoso Ltd has 17 blocked: they come first


def test_doctor_gives_terminal_advice(tmp_path: Path) -> None:
    env = {
        **WIDE,
        "MSX_BASE_URL": "http://127.0.0.1:9",  # nothing listens: MSX is unreachable
        "MSX_ACCESS_TOKEN": "sandbox",
        "MSX_BOT_DB": str(tmp_path / "db"),
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
    }
    result = runner.invoke(app, ["doctor"], env=env)
    assert result.exit_code == 1
    assert "connect to the VPN, then `msx-bot refresh`" in result.stdout
    assert "/msx" not in result.stdout
