"""How long does saving and loading a whole snapshot take? Both run on the refresh's path.

    .venv/bin/python benchmarks/store_bench.py [--sizes 50 200] [--runs 15]

For each book size the sandbox's book is imported in process (`refresh` over the sandbox's
transport), then saved over its previous copy and loaded back `--runs` times in a file
store (WAL, as msx-bot runs it). A save rewrites every row, changed or not. Prints the
median and best of each, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.domain import Snapshot  # noqa: E402
from bot.msx.gateway import MsxGateway  # noqa: E402
from bot.sandbox import SandboxMsx  # noqa: E402
from bot.store import SnapshotStore  # noqa: E402
from bot.workflows.refresh import refresh  # noqa: E402

SEED = 7


async def imported(accounts: int, db: Path) -> Snapshot:
    sb = SandboxMsx(guid_ranges=True, seed=SEED, accounts=accounts)
    settings = Settings(
        msx_base_url="https://msx.test",
        msx_access_token=SecretStr("sandbox"),
        msx_bot_db=db,
    )
    with SnapshotStore(db) as store:
        async with MsxGateway.from_settings(settings, transport=sb.transport()) as gateway:
            return (await refresh(gateway, store)).snapshot


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def ms(times: list[float]) -> str:
    return f"median {1000 * statistics.median(times):6.1f}, best {1000 * min(times):6.1f}"


def bench(accounts: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = asyncio.run(imported(accounts, Path(tmp) / "import.db"))
        uid = snapshot.user.user_id
        gc.collect()  # the import's garbage is not the store's to collect
        with SnapshotStore(Path(tmp) / "bench.db") as store:
            store.save(snapshot)
            saves = [timed(lambda: store.save(snapshot)) for _ in range(runs)]
            loads = [timed(lambda: store.load(uid)) for _ in range(runs)]
            assert store.load(uid) == snapshot, "the store did not give back what it was given"
        print(
            f"{accounts:4d} accounts ({len(snapshot.team):5d} team members, "
            f"{len(snapshot.milestones):4d} milestones): "
            f"save {ms(saves)}; load {ms(loads)} (ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for size in args.sizes:
        bench(size, args.runs)


if __name__ == "__main__":
    main()
