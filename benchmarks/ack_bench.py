"""Ack latency of every /msx interaction: the real bot, the Slack double, a real-HTTP sandbox.

For each command (and a button click) this sends N envelopes through the double's Socket
Mode websocket and records how long the bot took to ack each one (`wait_ack(env).latency_s`,
measured by the double from the write to the socket to the ack's arrival). It does so with
MSX healthy and with MSX hanging (every request waits until released), and prints the median
and the worst per command as a Markdown table, also written to benchmarks/ACK_RESULTS.md.

    .venv/bin/python benchmarks/ack_bench.py [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bot_harness import OWNER, Harness, running_bot  # noqa: E402
from slack_double import Envelope  # noqa: E402
from stamp import machine  # noqa: E402  (benchmarks/, the script's own folder)

from bot.slack.blocks.ids import PageRef  # noqa: E402

RESULTS = ROOT / "benchmarks" / "ACK_RESULTS.md"
SLACK_LIMIT_S = 3.0

Send = Callable[[Harness], Awaitable[Envelope]]


def _account_name(bot: Harness, key: str) -> str:
    data = bot.sandbox.dataset
    return next(a["name"] for a in data.tables["accounts"] if a["accountid"] == data.special[key])


def commands(bot: Harness) -> dict[str, Send]:
    data = bot.sandbox.dataset
    team_of = _account_name(bot, "big_team")
    milestones_of = _account_name(bot, "big_milestones")
    next_page = PageRef(
        view="milestones", account=bot.sandbox.dataset.special["big_milestones"], page=1
    ).encode()

    def slash(text: str) -> Send:
        return lambda b: b.slack.send_slash_command(OWNER, "/msx", text, channel_id="C1")

    async def click(b: Harness) -> Envelope:
        return await b.slack.send_block_action(OWNER, "page:next", next_page, channel_id="C1")

    return {
        "help": slash("help"),
        "accounts": slash("accounts"),
        # By id: the sandbox has both "Contoso Ltd" and "Contoso Ltd." (a name asks to pick).
        f"team ({team_of}, 82 people)": slash(f"team {data.special['big_team']}"),
        f"milestones ({milestones_of}, 135)": slash(f"milestones {data.special['big_milestones']}"),
        "refresh": slash("refresh"),
        "button: Next page": click,
    }


async def measure(bot: Harness, send: Send, runs: int, *, settle: bool) -> list[float]:
    """Ack latencies of `runs` sends; with `settle`, wait for each answer before the next."""
    latencies = []
    for _ in range(runs):
        before = len(bot.slack.responses)
        env = await send(bot)
        latencies.append((await bot.slack.wait_ack(env, timeout=10)).latency_s)
        if settle:
            await bot.wait_reply(before, to=env)
    return latencies


async def run_mode(hanging: bool, runs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_bot(Path(tmp), transport_from_server=True) as bot:
            await bot.command(OWNER, "accounts")  # the first import, so there is a snapshot
            if hanging:
                bot.sandbox.faults.hang = True
            results = {}
            try:
                for name, send in commands(bot).items():
                    # While MSX hangs the refresh never ends: measure the acks only.
                    settle = not (hanging and name == "refresh")
                    results[name] = await measure(bot, send, runs, settle=settle)
            finally:
                bot.sandbox.faults.release()
            # Let the refresh that hung finish before the bot shuts down.
            person = await bot.deps.access.person(OWNER)
            assert person is not None
            await bot.slack.wait_for(lambda: not bot.deps.refresher.running(person), timeout=30)
            problems = list(bot.slack.problems)
    if problems:
        print(f"Slack double problems ({'hanging' if hanging else 'healthy'}):", *problems)
    return results


def table(results: dict[str, dict[str, list[float]]], runs: int) -> str:
    modes = list(results)
    head = "| command | " + " | ".join(f"{m}: median ms | {m}: worst ms" for m in modes) + " |"
    rule = "|---|" + "---:|---:|" * len(modes)
    rows = []
    for name in results[modes[0]]:
        cells = []
        for mode in modes:
            values = results[mode][name]
            cells += [f"{statistics.median(values) * 1000:.1f}", f"{max(values) * 1000:.1f}"]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    worst = max(v for mode in results.values() for vs in mode.values() for v in vs)
    verdict = "within" if worst < SLACK_LIMIT_S else "OVER"
    return "\n".join(
        [
            f"Ack latency over {runs} runs per command (Slack allows {SLACK_LIMIT_S:.0f} s); "
            f"worst overall {worst * 1000:.1f} ms, {verdict} the limit.",
            "",
            head,
            rule,
            *rows,
        ]
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="sends per command and mode")
    parser.add_argument("--write", action="store_true", help="also write ACK_RESULTS.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    results = {
        "MSX healthy": await run_mode(False, args.runs),
        "MSX hanging": await run_mode(True, args.runs),
    }
    report = table(results, args.runs)
    print(report)
    if not args.write:
        return
    RESULTS.write_text(
        "# Ack latency benchmark\n\n"
        f"`benchmarks/ack_bench.py --runs {args.runs}`. {machine()}\n\n"
        "The real bot against the Slack "
        "double (Socket Mode over localhost) and the MSX sandbox served over real HTTP. "
        "Latency is from the double writing the envelope to the websocket to the ack "
        'arriving. "MSX hanging": every MSX request waits until released (after the run).\n\n'
        f"{report}\n"
    )


if __name__ == "__main__":
    asyncio.run(main())
