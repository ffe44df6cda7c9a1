"""benchmarks/sandbox_bench.py still runs, at a tiny size, and writes nothing unasked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def files() -> list[str]:
    """What benchmarks/ holds, less Python's own bytecode cache."""
    return sorted(p.name for p in (ROOT / "benchmarks").iterdir() if p.name != "__pycache__")


def test_sandbox_benchmark_prints_every_query_kind_and_writes_nothing() -> None:
    before = files()
    done = subprocess.run(
        [sys.executable, "benchmarks/sandbox_bench.py", "--accounts", "8", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for kind in ("team (In of 5, by name)", "milestones (In of 13, by name)", "systemusers by id"):
        assert f"| {kind}" in done.stdout
    assert files() == before
