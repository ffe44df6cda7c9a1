"""A refresh reads the task categories MSX has now; without them the guide's table stands."""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_book import gateway_for

from bot.domain import TASK_CATEGORIES
from bot.sandbox import SandboxMsx, metadata
from bot.store import SnapshotStore
from bot.workflows.refresh import refresh
from bot.workflows.task_rules import categories


async def test_a_category_msx_added_is_offered_after_a_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(metadata.TASK_CATEGORY, 606820010, "Hackathon")
    sb = SandboxMsx(accounts=8)
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            assert "Hackathon" not in {c.label for c in categories(store)}
            await refresh(gateway, store)
            offered = {c.label: c for c in categories(store)}
    assert offered["Hackathon"].code == 606820010 and not offered["Hackathon"].hok
    assert offered["Workshop"].hok


async def test_without_msxs_metadata_the_guides_table_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(metadata.TASK_CATEGORY, 606820010, "Hackathon")
    sb = SandboxMsx(accounts=8)
    sb.faults.fail_entity("EntityDefinitions", n=10, status=500)
    async with gateway_for(sb, tmp_path) as gateway:
        with SnapshotStore(tmp_path / "db") as store:
            result = await refresh(gateway, store)
            offered = categories(store)
    assert result.snapshot.accounts  # the refresh itself went through
    assert {c.code for c in offered} == {c.code for c in TASK_CATEGORIES}  # no Hackathon
    assert any("EntityDefinitions" in p for p in sb.stats.paths())
