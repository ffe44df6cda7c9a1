"""`msx-bot refresh|accounts|team|milestones` against the sandbox over real localhost HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from served_sandbox import Served
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.domain import Role

runner = CliRunner()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    s = Served()
    yield s
    s.close()


def env_for(served: Served, db: Path) -> dict[str, str | None]:
    return {
        "MSX_BASE_URL": served.server.url,
        "MSX_ACCESS_TOKEN": "sandbox",
        "MSX_BOT_DB": str(db),
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
        "COLUMNS": "200",
    }


def run(served: Served, db: Path, *args: str) -> Result:
    return runner.invoke(app, list(args), env=env_for(served, db))


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def db(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot made once by `msx-bot refresh --json`, read by the tests below."""
    path = tmp_path_factory.mktemp("cli") / "msx-bot.db"
    summary = as_json(run(served, path, "refresh", "--json"))
    ds = served.sandbox.dataset
    assert summary["user"] == ds.me.name
    assert summary["discovery"] == "account_teams"
    assert summary["accounts"] == len(ds.accounts_of[ds.me.user_id])
    assert summary["team_members"] == sum(len(ds.team_of[a]) for a in ds.accounts_of[ds.me.user_id])
    assert summary["gaps"] == []
    assert summary["accounts_added"] == summary["accounts_removed"] == []
    return path


def test_refresh_json_then_again_reports_no_change(served: Served, db: Path) -> None:
    summary = as_json(run(served, db, "refresh", "--json"))
    assert summary["status_changes"] == [] and summary["accounts_removed"] == []
    assert summary["milestones"] >= 135


def test_accounts_json(served: Served, db: Path) -> None:
    doc = as_json(run(served, db, "accounts", "--json"))
    ds = served.sandbox.dataset
    assert doc["snapshot"]["taken_at"] and doc["snapshot"]["stale_reason"] is None
    assert {tuple(sorted(a)) for a in doc["accounts"]} == {
        ("id", "my_roles", "name", "pod", "territory", "tpid")
    }
    expected = {a.id: a for a in ds.expected_accounts(ds.me.user_id)}
    for a in doc["accounts"]:
        e = expected.pop(a["id"])
        assert (a["name"], a["tpid"], a["territory"], a["pod"]) == (
            e.name,
            e.tpid,
            e.territory,
            e.pod,
        )
        assert a["my_roles"] == [r.value for r in e.my_roles]
    assert not expected


def test_accounts_table_says_the_snapshots_age(served: Served, db: Path) -> None:
    result = run(served, db, "accounts")
    assert result.exit_code == 0
    assert "My accounts (30)" in result.stdout
    assert "Snapshot from just now" in result.stdout


def test_team_by_folded_name(served: Served, db: Path) -> None:
    doc = as_json(run(served, db, "team", "cafe nordstrom", "--json"))
    ds = served.sandbox.dataset
    account = ds.account_id("Café Nordström AB")
    assert doc["account"]["name"] == "Café Nordström AB"
    assert {(m["name"], m["role"], m["email"]) for m in doc["team"]} == {
        (m.name, m.role.value, m.email) for m in ds.team_of[account]
    }
    assert {m["role"] for m in doc["team"]} <= {r.value for r in Role}
    assert all(set(m) == {"name", "role", "title", "email"} for m in doc["team"])


def test_team_by_tpid(served: Served, db: Path) -> None:
    accounts = as_json(run(served, db, "accounts", "--json"))["accounts"]
    target = next(a for a in accounts if a["tpid"])
    doc = as_json(run(served, db, "team", target["tpid"], "--json"))
    assert doc["account"]["id"] == target["id"]


def test_all_135_milestones_with_links(served: Served, db: Path) -> None:
    ds = served.sandbox.dataset
    account = ds.special["big_milestones"]
    doc = as_json(run(served, db, "milestones", account, "--json"))
    assert doc["account"]["id"] == account
    items = doc["milestones"]
    assert len(items) == 135
    assert {m["id"] for m in items} == set(ds.milestones_of[account])
    assert all(m["url"].startswith(served.server.url + "/main.aspx?") for m in items)
    assert all(m["status"] for m in items)


def test_an_ambiguous_query_lists_the_candidates(served: Served, db: Path) -> None:
    result = run(served, db, "team", "contoso")
    assert result.exit_code == 2
    assert "Several accounts match" in result.stderr
    for name in ("Contoso Ltd", "Contoso Pharma", "Contoso Ltd."):
        assert name in result.stderr


def test_no_match_suggests_the_closest(served: Served, db: Path) -> None:
    result = run(served, db, "milestones", "Zzyzx Quartz Emporium")
    assert result.exit_code == 2
    assert "No account matches" in result.stderr
    assert "closest:" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def one_document(result: Result) -> Any:
    """stdout holds exactly one JSON document (json.loads refuses anything after it)."""
    return json.loads(result.stdout)


def test_json_for_an_ambiguous_query_lists_the_candidates_with_tpids(
    served: Served, db: Path
) -> None:
    result = run(served, db, "milestones", "contoso", "--json")
    assert result.exit_code == 2
    doc = one_document(result)
    assert "Several accounts match 'contoso'" in doc["error"]
    names = {c["name"]: c["tpid"] for c in doc["candidates"]}
    assert {"Contoso Ltd", "Contoso Pharma", "Contoso Ltd."} <= set(names)
    assert all(names.values())


def test_json_for_no_match_names_the_closest(served: Served, db: Path) -> None:
    result = run(served, db, "team", "Zzyzx Quartz Emporium", "--json")
    assert result.exit_code == 2
    doc = one_document(result)
    assert doc["error"].startswith("No account matches")
    assert doc["closest"] and all(c["name"] and "tpid" in c for c in doc["closest"])


def test_json_for_a_failed_refresh_is_one_document_with_terminal_advice(
    served: Served, tmp_path: Path
) -> None:
    served.sandbox.faults.off_vpn = True
    try:
        result = run(served, tmp_path / "new.db", "refresh", "--json")
    finally:
        served.sandbox.faults.off_vpn = False
    assert result.exit_code == 1
    doc = one_document(result)
    assert "VPN" in doc["error"]
    assert "`msx-bot refresh`" in doc["error"] and "/msx" not in doc["error"]


def test_first_use_without_a_snapshot_refreshes_first(served: Served, tmp_path: Path) -> None:
    before = served.sandbox.stats.requests
    doc = as_json(run(served, tmp_path / "new.db", "accounts", "--json"))
    assert len(doc["accounts"]) == 30
    assert served.sandbox.stats.requests > before


def test_msx_down_after_a_snapshot_still_answers_and_says_why(
    served: Served, db: Path, tmp_path: Path
) -> None:
    own = tmp_path / "own.db"
    as_json(run(served, own, "refresh", "--json"))
    served.sandbox.faults.off_vpn = True
    try:
        failed = run(served, own, "refresh")
        asked = served.sandbox.stats.requests
        doc = as_json(run(served, own, "accounts", "--json"))
    finally:
        served.sandbox.faults.off_vpn = False
    assert failed.exit_code == 1
    assert "VPN" in failed.stderr
    # One line, with the terminal's advice rather than Slack's.
    assert len(failed.stderr.splitlines()) == 1 and "`msx-bot refresh`" in failed.stderr
    assert "/msx" not in failed.stderr
    assert served.sandbox.stats.requests == asked  # answered from the snapshot alone
    assert len(doc["accounts"]) == 30
    assert "VPN" in doc["snapshot"]["stale_reason"]
    assert "`msx-bot refresh`" in doc["snapshot"]["stale_reason"]


def test_the_read_commands_fit_80_columns(served: Served, db: Path) -> None:
    narrow = {**env_for(served, db), "COLUMNS": "80"}
    for args in (["accounts"], ["team", "cafe nordstrom"], ["milestones", "contoso ltd"]):
        result = runner.invoke(app, args, env=narrow)
        assert result.exit_code == 0, result.output
        assert max(len(line) for line in result.stdout.splitlines()) <= 80, args
    # The TPIDs are never broken across lines.
    accounts = runner.invoke(app, ["accounts"], env=narrow).stdout
    for a in served.sandbox.dataset.expected_accounts(served.sandbox.dataset.me.user_id):
        assert a.tpid is None or a.tpid in accounts


def test_milestones_in_the_terminal_come_blocked_and_at_risk_first(
    served: Served, db: Path
) -> None:
    doc = as_json(run(served, db, "milestones", "contoso ltd", "--json"))
    statuses = [m["status"] for m in doc["milestones"]]
    first_other = next(i for i, s in enumerate(statuses) if s not in ("Blocked", "At Risk"))
    assert statuses[:first_other] == sorted(statuses[:first_other], key="Blocked At Risk".find)
    assert all(s not in ("Blocked", "At Risk") for s in statuses[first_other:])
