"""What the benchmarks print: when, at which commit and on what machine they ran, and the
latency tables the Slack benchmarks share."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return (
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit or 'unknown'}, "
        f"{platform.machine()} with {os.cpu_count()} cores, Python {platform.python_version()}."
    )


def latency_table(
    results: dict[str, dict[str, list[float]]],
    *,
    first_column: str,
    what: str,
    limit_s: float,
    runs: int,
    rows: list[str] | None = None,
) -> str:
    """Median and worst ms per row and mode, and whether the worst is within `limit_s`."""
    modes = list(results)
    head = f"| {first_column} | " + " | ".join(f"{m}: median ms | {m}: worst ms" for m in modes)
    lines = [head + " |", "|---|" + "---:|---:|" * len(modes)]
    for name in rows or list(results[modes[0]]):
        cells = []
        for mode in modes:
            values = results[mode][name]
            cells += [f"{statistics.median(values) * 1000:.1f}", f"{max(values) * 1000:.1f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    worst = max(v for mode in results.values() for vs in mode.values() for v in vs)
    verdict = "within" if worst < limit_s else "OVER"
    return "\n".join(
        [
            f"{what} over {runs} runs per {first_column} (the limit is {limit_s:.0f} s); "
            f"worst overall {worst * 1000:.1f} ms, {verdict} the limit.",
            "",
            *lines,
        ]
    )
