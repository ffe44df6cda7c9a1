"""`msx-bot log-task` and `msx-bot tasks` against the sandbox over real localhost HTTP."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from served_sandbox import Served
from typer.testing import CliRunner, Result

from bot.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    s = Served()
    yield s
    s.close()


def env_for(served: Served, db: Path, **more: str) -> dict[str, str | None]:
    return {
        "MSX_BASE_URL": served.server.url,
        "MSX_ACCESS_TOKEN": "sandbox",
        "MSX_BOT_DB": str(db),
        "MSX_BOT_HOK_CODES": None,
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
        "COLUMNS": "200",
        **more,
    }


def run(served: Served, db: Path, *args: str, **env: str) -> Result:
    return runner.invoke(app, list(args), env=env_for(served, db, **env))


def doc(result: Result) -> Any:
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def snapshot_file(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-tasks") / "msx-bot.db"
    assert run(served, path, "refresh", "--json").exit_code == 0
    return path


@pytest.fixture
def db(served: Served, snapshot_file: Path, tmp_path: Path) -> Path:
    """A copy of one refreshed snapshot (the store closed it cleanly: no WAL left)."""
    path = tmp_path / "msx-bot.db"
    shutil.copyfile(snapshot_file, path)
    served.sandbox.dataset.tables["tasks"].clear()
    served.sandbox.dataset._by_id.pop("tasks", None)
    served.sandbox.faults.clear()
    return path


def my_milestone(served: Served) -> dict[str, Any]:
    ds = served.sandbox.dataset
    account = ds.accounts_of[ds.me.user_id][0]
    return ds.record("msp_engagementmilestones", "msp_engagementmilestoneid",
                     ds.milestones_of[account][0]) or {}  # fmt: skip


def in_msx(served: Served) -> list[dict[str, Any]]:
    return list(served.sandbox.dataset.tables["tasks"])


def log(served: Served, db: Path, *extra: str, **env: str) -> Result:
    milestone = my_milestone(served)["msp_engagementmilestoneid"]
    args = ["log-task", "--milestone", milestone, "--category", "demo", "--subject", "Demo day"]
    return run(served, db, *args, "--minutes", "45", "--date", "2026-12-02", *extra, **env)


def test_log_task_creates_a_completed_task(served: Served, db: Path) -> None:
    result = log(served, db, "--priority", "high", "--description", "Showed Fabric", "--json")
    assert result.exit_code == 0, result.output
    task = doc(result)["task"]
    assert task["state"] == "created" and task["hok"] is True
    assert task["category"] == "Demo" and task["completed"] is True
    assert task["milestone"] == my_milestone(served)["msp_name"]
    (made,) = in_msx(served)
    assert made["activityid"] == task["task_id"]
    assert (made["statecode"], made["statuscode"], made["prioritycode"]) == (1, 5, 2)
    assert made["_ownerid_value"] == served.sandbox.dataset.me.user_id
    assert made["description"] == "Showed Fabric"
    assert made["scheduledstart"].startswith("2026-12-02")


def test_log_task_open_leaves_it_open_and_prints_a_line(served: Served, db: Path) -> None:
    result = log(served, db, "--open")
    assert result.exit_code == 0, result.output
    assert "✓ Created “Demo day”" in result.stdout and "left open" in result.stdout
    assert in_msx(served)[0]["statecode"] == 0


def test_wrong_input_is_one_line_a_field_and_creates_nothing(served: Served, db: Path) -> None:
    milestone = my_milestone(served)["msp_engagementmilestoneid"]
    result = run(
        served, db, "log-task", "--milestone", milestone, "--category", "lunch",
        "--minutes", "2000", "--date", "tomorrow", "--priority", "urgent",
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "✗ category", "✗ subject", "✗ minutes", "✗ date", "✗ priority",
    ]  # fmt: skip
    assert "Traceback" not in result.output
    assert in_msx(served) == []


def test_wrong_input_with_json_is_one_document(served: Served, db: Path) -> None:
    result = run(served, db, "log-task", "--milestone", "nope", "--json")
    assert result.exit_code == 2
    answer = doc(result)
    assert answer["ok"] is False and set(answer["errors"]) == {
        "milestone", "category", "subject", "minutes",
    }  # fmt: skip
    # The one-line error is every field's message, one after the other.
    assert answer["error"] == " ".join(answer["errors"].values())


def test_a_milestone_outside_my_snapshot_is_refused(served: Served, db: Path) -> None:
    result = log(served, db, "--json")
    assert result.exit_code == 0
    stranger = "00000000-0000-4000-8000-0000000000aa"
    result = run(served, db, "log-task", "--milestone", stranger, "--category", "Demo",
                 "--subject", "x", "--minutes", "30", "--json")  # fmt: skip
    assert result.exit_code == 2 and "refresh" in doc(result)["errors"]["milestone"]


def test_msx_down_queues_and_the_next_command_sends_it_once(served: Served, db: Path) -> None:
    served.sandbox.faults.off_vpn = True
    result = log(served, db, "--json")
    assert result.exit_code == 0
    task = doc(result)["task"]
    assert task["state"] == "queued" and "VPN" in task["reason"]
    assert in_msx(served) == []
    served.sandbox.faults.off_vpn = False
    listing = run(served, db, "tasks", "--json")
    assert listing.exit_code == 0, listing.output
    assert [t["state"] for t in doc(listing)["month"]["tasks"]] == ["created"]
    assert [t["activityid"] for t in in_msx(served)] == [task["task_id"]]
    assert run(served, db, "tasks", "--json").exit_code == 0
    assert len(in_msx(served)) == 1


def test_a_task_msx_refuses_exits_1_with_its_reason(
    served: Served, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A category the bot's table knows but this MSX does not: MSX answers 400.
    from bot.sandbox import metadata

    monkeypatch.delitem(metadata.TASK_CATEGORY, 861980002)
    result = log(served, db)
    assert result.exit_code == 1
    assert "✗ MSX refused" in result.stderr and "msp_taskcategory" in result.stderr


def test_tasks_shows_this_week_and_month_with_hok_totals(served: Served, db: Path) -> None:
    today = dt.date.today()
    milestone = my_milestone(served)["msp_engagementmilestoneid"]
    for category, minutes in (("Demo", "90"), ("Workshop", "30"), ("Internal", "60")):
        result = run(served, db, "log-task", "--milestone", milestone, "--category", category,
                     "--subject", f"{category} session", "--minutes", minutes)  # fmt: skip
        assert result.exit_code == 0, result.output
    answer = doc(run(served, db, "tasks", "--json"))
    week = answer["week"]["totals"]
    assert week == {
        "count": 3,
        "hok_count": 2,
        "hok_hours": 2.0,
        "queued": 0,
        "by_category": {"Demo": 1, "Internal": 1, "Workshop": 1},
    }
    assert answer["week"]["since"] == (today - dt.timedelta(days=today.weekday())).isoformat()
    shown = run(served, db, "tasks")
    assert shown.exit_code == 0
    assert "This week: 2.0 HoK hours, 3 tasks" in shown.stdout
    assert "By category: Demo 1, Internal 1, Workshop 1" in shown.stdout


def test_a_bad_hok_setting_is_one_line(served: Served, db: Path) -> None:
    result = run(served, db, "tasks", "--json", MSX_BOT_HOK_CODES="ADS")
    assert result.exit_code == 1
    assert "MSX_BOT_HOK_CODES" in doc(result)["error"]


def test_tasks_without_a_snapshot_says_what_to_do(served: Served, tmp_path: Path) -> None:
    result = run(served, tmp_path / "empty.db", "tasks")
    assert result.exit_code == 1 and "msx-bot refresh" in result.stderr
