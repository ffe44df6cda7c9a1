"""`--json` answers with one JSON document even when the command line itself is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["team", "--json"], "Missing argument 'query'."),
        (["accounts", "--json", "--jsn"], "No such option: --jsn"),
    ],
)
def test_a_usage_mistake_with_json_is_one_json_document(
    tmp_path: Path, args: list[str], error: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "", "MSX_BOT_DB": str(tmp_path / "db"), "HOME": str(tmp_path)},
        timeout=60,
    )
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"].startswith(error)
    assert "Traceback" not in done.stderr
