"""`msx-bot digest [--json] [--send]` and the demo's digest step, against the served sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from blocks_fixtures import FRESH, snapshot
from rich.console import Console
from served_sandbox import Served
from slack_double import SlackDouble
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.cli.demo import show_digest
from bot.workflows.book import Book

runner = CliRunner()
OWNER = "UOWNER"


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    s = Served()
    yield s
    s.close()


@pytest.fixture(scope="module")
def slack(served: Served) -> Iterator[SlackDouble]:
    """The Slack double on the sandbox's thread, so the CLI's own loop can reach it."""
    double = SlackDouble(bot_token="xoxb-test", app_token="xapp-test")
    served._call(double.start())
    me = served.sandbox.dataset.me
    double.add_user(OWNER, "avery", me.email, real_name=me.name, tz="Europe/Berlin")
    yield double
    served._call(double.stop())


def run(served: Served, db: Path, *args: str, slack: SlackDouble | None = None) -> Result:
    env: dict[str, str | None] = {
        "MSX_BASE_URL": served.server.url,
        "MSX_ACCESS_TOKEN": "sandbox",
        "MSX_BOT_DB": str(db),
        "SLACK_BOT_TOKEN": "xoxb-test" if slack else None,
        "SLACK_APP_TOKEN": None,
        "SLACK_API_URL": slack.api_url if slack else None,
        "COLUMNS": "200",
    }
    return runner.invoke(app, list(args), env=env)


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_digest_json_lists_only_at_risk_milestones_by_account(
    served: Served, tmp_path: Path
) -> None:
    doc = as_json(run(served, tmp_path / "bot.db", "digest", "--json"))
    ds = served.sandbox.dataset
    assert doc["user"] == ds.me.name and doc["first"] is True and doc["changes"] == []
    statuses = [m["status"] for g in doc["accounts"] for m in g["milestones"]]
    assert statuses and set(statuses) <= {"At Risk", "Blocked"}
    assert doc["counts"]["blocked"] == statuses.count("Blocked")
    assert doc["counts"]["at_risk"] == statuses.count("At Risk")
    mine = set(ds.accounts_of[ds.me.user_id])
    assert {g["account"]["id"] for g in doc["accounts"]} <= mine
    first = doc["accounts"][0]["milestones"][0]
    assert {"number", "workload", "monthly_use", "date", "days_at_risk", "url"} <= set(first)
    # No HoK task logged through the bot yet: every milestone shown needs attention.
    assert doc["counts"]["needs_attention"] == len(statuses)


def test_digest_prints_for_people_and_changes_nothing(served: Served, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    text = run(served, db, "digest")
    assert text.exit_code == 0, text.output
    assert "Milestones at risk" in text.stdout and "Snapshot from" in text.stdout
    # A preview: the next digest still has nothing to compare with.
    assert as_json(run(served, db, "digest", "--json"))["first"] is True


def test_digest_send_needs_a_slack_token(served: Served, tmp_path: Path) -> None:
    result = run(served, tmp_path / "bot.db", "digest", "--send")
    assert result.exit_code == 1
    assert "SLACK_BOT_TOKEN" in result.output


def test_digest_send_dms_the_owner_and_remembers_it(
    served: Served, slack: SlackDouble, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    result = run(served, db, "digest", "--send", slack=slack)
    assert result.exit_code == 0, result.output
    assert "Digest sent" in result.stdout
    dms = [m for m in slack.messages_in(slack.dm_channel(OWNER)) if m.source == "chat.postMessage"]
    assert len(dms) == 1 and "milestones at risk" in dms[0].text
    # Sent, so remembered: the next digest compares with this one.
    assert as_json(run(served, db, "digest", "--json"))["first"] is False


def test_demo_step_prints_the_digest() -> None:
    book = Book(snapshot=snapshot(), freshness=FRESH)
    out = Console(record=True, width=200)
    show_digest(book, out)
    printed = out.export_text()
    assert "The morning digest" in printed
    assert "2 blocked, 2 at risk" in printed and "Data platform migration" in printed
