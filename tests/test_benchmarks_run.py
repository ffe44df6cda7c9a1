"""The benchmarks under benchmarks/ still run, at tiny sizes, and still find nothing lost.

Their figures are the issue notes' evidence; a benchmark that no longer runs would leave
them unchecked until someone needs them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_import_benchmark_runs_and_loses_nothing() -> None:
    out = run(
        "benchmarks/import_bench.py", "--sizes", "10", "--latency", "0.005", "--repeat", "1",
    )  # fmt: skip
    # Nothing lost, by msx-bot's first import and its refresh, under every switch.
    ours = [line for line in out.splitlines() if line.startswith("| 5 ms |") and "msx-bot" in line]
    assert len(ours) == 2 + 4
    assert all(line.endswith("| 0 / 0 / 0 |") for line in ours)


def test_store_benchmark_runs() -> None:
    out = run("benchmarks/store_bench.py", "--sizes", "10", "--runs", "2")
    assert "10 accounts" in out and "save median" in out


def test_ack_benchmark_runs_within_slacks_limit() -> None:
    out = run("benchmarks/ack_bench.py", "--runs", "1")
    assert "within the limit" in out
