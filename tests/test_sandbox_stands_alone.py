"""The sandbox stands alone: it imports nothing of the bot it stands in for, and its truth
is in its own types, written as it generates (issue 15)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.sandbox import build_dataset
from bot.sandbox import truth as sandbox_truth

SANDBOX = Path(__file__).resolve().parents[1] / "bot" / "sandbox"


def bot_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [n for n in names if n.split(".")[0] == "bot" and not n.startswith("bot.sandbox")]
    return found


def test_nothing_under_bot_sandbox_imports_the_bot() -> None:
    files = sorted(SANDBOX.glob("*.py"))
    assert len(files) > 10
    offenders = {p.name: bot_imports(p) for p in files}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_truth_is_in_the_sandboxs_own_types() -> None:
    ds = build_dataset(accounts=11)
    book = ds.expected_accounts(ds.me.user_id)
    members = [m for ms in ds.team_of.values() for m in ms]
    assert type(ds.me).__module__ == sandbox_truth.__name__
    assert {type(a).__module__ for a in book} == {sandbox_truth.__name__}
    assert {type(m).__module__ for m in members} == {sandbox_truth.__name__}
    assert {type(r) for a in book for r in a.my_roles} == {sandbox_truth.Role}
    # Role values are the bot's, so sets of (user, role) tuples compare across the two.
    assert {r.value for r in sandbox_truth.Role} == {
        "growth_seller",
        "acquisition_seller",
        "data_se",
        "infra_se",
        "apps_se",
    }


def test_every_territory_has_its_pod_written_down() -> None:
    ds = build_dataset()
    pods = ds.pod_of_territory
    assert set(pods) == {t["territoryid"] for t in ds.tables["territories"]}
    by_name = {t["name"]: pods[t["territoryid"]] for t in ds.tables["territories"]}
    # Examples in the guide's own form ("East.SMECC.MAA.0601" -> "East POD 06").
    assert by_name["East.SMECC.MAA.0601"] == "East POD 06"
    assert by_name["Central.SMECC.GLA.1102"] == "Central POD 11"
    assert by_name["Unassigned"] is None
    book = {a.id: a for a in ds.expected_accounts(ds.me.user_id)}
    assert book[ds.special["no_territory"]].pod is None
    assert book[ds.special["bad_territory"]].pod is None
    assert book[ds.special["bad_territory"]].territory == "Unassigned"
