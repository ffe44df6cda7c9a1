"""Trigger to modal: how long each way into "Log HoK task" takes to call views.open.

Slack's trigger_id lives 3 seconds, so the form must be opened well inside that. For each
way in (`/msx log <account>`, the global shortcut, the message shortcut, a milestone row's
button) this sends N envelopes through the Slack double and records the time from the
envelope's write to the websocket to the bot's views.open reaching the double; then the
submission's ack. With MSX healthy and with MSX hanging (no MSX request may come first).
Prints a Markdown table, also written to benchmarks/MODAL_RESULTS.md.

    .venv/bin/python benchmarks/modal_bench.py [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
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

from bot.slack.access import Person  # noqa: E402
from bot.slack.blocks import task_modal as tm  # noqa: E402
from bot.slack.blocks.ids import (  # noqa: E402
    SHORTCUT_LOG_TASK,
    SHORTCUT_LOG_TASK_FROM_MESSAGE,
    TaskRef,
)

RESULTS = ROOT / "benchmarks" / "MODAL_RESULTS.md"
TRIGGER_S = 3.0

Send = Callable[[Harness], Awaitable[Envelope]]


def ways_in(bot: Harness) -> dict[str, Send]:
    data = bot.sandbox.dataset
    big = data.special["big_milestones"]
    milestone = data.milestones_of[big][0]
    message = bot.slack.post_as_user(OWNER, "C9", "Workshop with the data team\nNotes follow.")

    async def command(b: Harness) -> Envelope:
        return await b.slack.send_slash_command(OWNER, "/msx", f"log {big}", channel_id="C1")

    async def shortcut(b: Harness) -> Envelope:
        return await b.slack.send_global_shortcut(OWNER, SHORTCUT_LOG_TASK)

    async def message_shortcut(b: Harness) -> Envelope:
        return await b.slack.send_message_shortcut(OWNER, SHORTCUT_LOG_TASK_FROM_MESSAGE, message)

    async def button(b: Harness) -> Envelope:
        value = TaskRef(account=big, milestone=milestone).encode()
        return await b.slack.send_block_action(OWNER, "log_task:0", value, channel_id="C1")

    return {
        "/msx log <account> (135 milestones)": command,
        "global shortcut": shortcut,
        "message shortcut (+ chat.getPermalink)": message_shortcut,
        "milestone row's button": button,
    }


async def trigger_to_open(bot: Harness, send: Send) -> float:
    before = len(bot.slack.calls_to("views.open"))
    env = await send(bot)
    call = await bot.slack.wait_for(
        lambda: next((c for c in bot.slack.calls_to("views.open")[before:] if c.ok), None), 10
    )
    return call.at - env.sent_at


async def submit_ack(bot: Harness, milestone: dict[str, object]) -> float:
    view = bot.slack.top_view(OWNER)
    assert view is not None
    inputs = {
        tm.ACTION_MILESTONE: milestone,
        tm.action_of(tm.BLOCK_CATEGORY): "861980001",
        tm.action_of(tm.BLOCK_SUBJECT): "Benchmark workshop",
    }
    env = await bot.slack.send_view_submission(OWNER, view, inputs=inputs)
    return (await bot.slack.wait_ack(env, timeout=10)).latency_s


async def owner(bot: Harness) -> Person:
    person = await bot.deps.access.person(OWNER)
    assert person is not None
    return person


async def run_mode(hanging: bool, runs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_bot(Path(tmp), transport_from_server=True) as bot:
            await bot.command(OWNER, "accounts")  # the first import, so there is a snapshot
            if hanging:
                bot.sandbox.faults.hang = True
            results: dict[str, list[float]] = {"submission ack": []}
            try:
                for name, send in ways_in(bot).items():
                    results[name] = []
                    for _ in range(runs):
                        results[name].append(await trigger_to_open(bot, send))
                data = bot.sandbox.dataset
                big = data.special["big_milestones"]
                book = await bot.deps.cached_book(await owner(bot))
                assert book is not None
                option = tm.milestone_option(book.snapshot.milestones_of(big)[0])
                command = ways_in(bot)["/msx log <account> (135 milestones)"]
                for _ in range(runs):
                    await trigger_to_open(bot, command)
                    results["submission ack"].append(await submit_ack(bot, option))
            finally:
                bot.sandbox.faults.release()
            # Every submission ends in a DM; let them all arrive before the bot shuts down.
            dm = bot.slack.dm_channel(OWNER)
            await bot.slack.wait_for(lambda: len(bot.slack.messages_in(dm)) >= runs, 30)
            problems = list(bot.slack.problems)
    if problems:
        print(f"Slack double problems ({'hanging' if hanging else 'healthy'}):", *problems)
    return results


def table(results: dict[str, dict[str, list[float]]], runs: int) -> str:
    modes = list(results)
    head = "| way in | " + " | ".join(f"{m}: median ms | {m}: worst ms" for m in modes) + " |"
    rule = "|---|" + "---:|---:|" * len(modes)
    rows = []
    names = [n for n in results[modes[0]] if not n.startswith("submission")]
    names += [n for n in results[modes[0]] if n.startswith("submission")]
    for name in names:
        cells = []
        for mode in modes:
            values = results[mode][name]
            cells += [f"{statistics.median(values) * 1000:.1f}", f"{max(values) * 1000:.1f}"]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    worst = max(v for mode in results.values() for vs in mode.values() for v in vs)
    verdict = "within" if worst < TRIGGER_S else "OVER"
    return "\n".join(
        [
            f"Trigger to views.open over {runs} runs per way in (a trigger lives "
            f"{TRIGGER_S:.0f} s); worst overall {worst * 1000:.1f} ms, {verdict} the limit.",
            "",
            head,
            rule,
            *rows,
        ]
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="sends per way in and mode")
    parser.add_argument("--no-write", action="store_true", help="do not write MODAL_RESULTS.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    results = {
        "MSX healthy": await run_mode(False, args.runs),
        "MSX hanging": await run_mode(True, args.runs),
    }
    report = table(results, args.runs)
    print(report)
    if args.no_write:
        return
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.write_text(
        "# Log HoK task: trigger to modal\n\n"
        f"`benchmarks/modal_bench.py --runs {args.runs}`, {stamp}: the real bot against the "
        "Slack double (Socket Mode over localhost) and the MSX sandbox served over real HTTP, "
        "a 30-account book. Latency is from the double writing the envelope to the websocket "
        "to the bot's views.open arriving; the submission row is its ack (the task is logged "
        'after it). "MSX hanging": '
        "every MSX request waits until released.\n\n"
        f"{report}\n"
    )


if __name__ == "__main__":
    asyncio.run(main())
