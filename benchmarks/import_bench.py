"""How fast, and how complete, is the import? msx-bot's refresh against the guide, literally.

    .venv/bin/python benchmarks/import_bench.py [--latency 0.1 0.25] [--sizes 10 50 200]
        [--repeat 5] [--write]

For each book size the MSX sandbox is served over real localhost HTTP (`await sb.serve()`)
with `sb.faults.latency` added to every request (half on the way in, half on the way
back), from a child process: MSX's own work then runs on its own CPU, as it would, instead
of being charged to the client's event loop. 250 ms is closer to a Dataverse query from a
VPN laptop; 100 ms shows where the client's own CPU starts to count.

The sandbox's switches for what cannot be checked from here (`gt` on a GUID allowed or
refused; msp_accountteams paging with nextLink or cutting at 100 silently): the main table
runs with both at their pessimistic setting (refused, cutting); a second table runs
msx-bot under all four at the last latency given.

These imports run against it, one after the other:

- msx-bot: `bot.workflows.refresh.refresh`, as `msx-bot refresh` runs it (snapshot saved),
  `--repeat` times, each into a new database; the median run is shown, with the fastest
  and slowest (a shared machine's speed wanders from one second to the next). "again" is
  the refresh that follows each, over the snapshot just saved (a seller's daily case).
- the guide, literally (reference/msx-integration-guide.md): one request at a time; WhoAmI,
  my systemuser, my msp_accountteams rows (`$top=500`, relevant qualifier2 values kept),
  accounts and territories by OR-lists of up to 100 ids (`$top=100`), team queries of 3
  accounts with the guide's filter (`$top=100`), one milestone query an account following
  nextLink; no adaptive splitting.

Each is compared with the sandbox's ground truth: accounts, team members (sellers and SEs)
and milestones that the import did not bring back are "lost". Round trips are wall time
divided by the injected latency. The Markdown tables are printed; `--write` also writes
them, with the date, commit and machine, to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stamp import machine  # noqa: E402  (benchmarks/, the script's own folder)

from bot.config import Settings  # noqa: E402
from bot.domain import Role  # noqa: E402
from bot.msx.gateway import MsxGateway  # noqa: E402
from bot.sandbox import Dataset, SandboxMsx, build_dataset  # noqa: E402
from bot.store import SnapshotStore  # noqa: E402
from bot.workflows.refresh import refresh  # noqa: E402

SEED = 7
BOUND = 16  # the gateway's concurrency bound (MsxClient.max_concurrency)
TARGETS = {50: 6, 200: 10}  # round trips the issue allows
API = "/api/data/v9.2/"


# -- the sandbox, in a child process -------------------------------------------------------


@dataclass(frozen=True)
class Switches:
    guid_ranges: bool = False
    team_next_link: bool = False

    @property
    def label(self) -> str:
        gt = "gt on GUIDs" if self.guid_ranges else "no gt on GUIDs"
        teams = "teams page" if self.team_next_link else "teams cut at 100"
        return f"{gt}, {teams}"

    def args(self) -> list[str]:
        return [
            *(["--guid-ranges"] if self.guid_ranges else []),
            *(["--team-next-link"] if self.team_next_link else []),
        ]


STRICT = Switches()
ALL_SWITCHES = [Switches(g, t) for g in (False, True) for t in (False, True)]


async def serve_child(accounts: int, latency: float, switches: Switches) -> None:
    """Child: serve a sandbox; answer `stats` and `reset` on stdin, stop on `quit`/EOF."""
    sb = SandboxMsx(
        seed=SEED,
        accounts=accounts,
        guid_ranges=switches.guid_ranges,
        team_next_link=switches.team_next_link,
    )
    server = await sb.serve()
    sb.faults.latency = latency
    print(server.url, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if command in ("", "quit"):
            break
        if command == "reset":
            sb.stats.reset()
            print("{}", flush=True)
        elif command == "stats":
            by_set: dict[str, int] = {}
            for _method, path in sb.stats.log:
                name = entity_set(path)
                by_set[name] = by_set.get(name, 0) + 1
            stats = {
                "requests": sb.stats.requests,
                "max_in_flight": sb.stats.max_in_flight,
                "by_set": by_set,
            }
            print(json.dumps(stats), flush=True)
    await server.close()


def entity_set(path: str) -> str:
    rest = path.split("?", 1)[0].removeprefix(API)
    if "/" in rest:  # systemusers(<id>)/teammembership_association
        return rest.split("/", 1)[1]
    return rest.split("(", 1)[0] + ("(id)" if "(" in rest else "")


class Child:
    def __init__(self, proc: asyncio.subprocess.Process, url: str) -> None:
        self.proc = proc
        self.url = url

    @classmethod
    async def start(cls, accounts: int, latency: float, switches: Switches) -> Child:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__).resolve()),
            "--serve",
            str(accounts),
            "--latency",
            str(latency),
            *switches.args(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        url = (await proc.stdout.readline()).decode().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the sandbox did not start: {url!r}")
        return cls(proc, url)

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{command}\n".encode())
        await self.proc.stdin.drain()
        answer: dict[str, Any] = json.loads(await self.proc.stdout.readline())
        return answer

    async def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"quit\n")
        await self.proc.stdin.drain()
        await self.proc.wait()


# -- what an import brought back, against the ground truth ---------------------------------


@dataclass
class Found:
    accounts: set[str] = field(default_factory=set)
    members: set[tuple[str, str, Role]] = field(default_factory=set)
    milestones: set[str] = field(default_factory=set)


@dataclass
class Run:
    who: str
    accounts: int
    switches: Switches
    requests: int
    max_in_flight: int
    wall: float
    latency: float
    lost: tuple[int, int, int]  # accounts, team members, milestones
    by_set: dict[str, int]
    # Of several runs: every run's wall time (this run is the median one).
    walls: list[float] = field(default_factory=list)
    splits: int | None = None  # team queries asked again split (msx-bot only)

    @property
    def round_trips(self) -> float:
        return self.wall / self.latency

    @property
    def spread(self) -> str:
        """Round trips of the fastest and the slowest run, when there were several."""
        if len(self.walls) < 2:
            return ""
        return f" ({min(self.walls) / self.latency:.1f}–{max(self.walls) / self.latency:.1f})"


def median_run(runs: list[Run]) -> Run:
    """The run of median wall time, carrying every run's wall time; what any run lost and
    the most any had in flight, so that no run's miss is hidden by the others."""
    ordered = sorted(runs, key=lambda r: r.wall)
    middle = ordered[(len(ordered) - 1) // 2]
    worst_lost = max((r.lost for r in runs), key=sum)
    return replace(
        middle,
        walls=[r.wall for r in runs],
        lost=worst_lost,
        max_in_flight=max(r.max_in_flight for r in runs),
    )


def truth(ds: Dataset) -> Found:
    mine = ds.accounts_of[ds.me.user_id]
    return Found(
        accounts=set(mine),
        members={(m.account_id, m.user_id, m.role) for a in mine for m in ds.team_of.get(a, [])},
        milestones={m for a in mine for m in ds.milestones_of.get(a, [])},
    )


def lost(expected: Found, got: Found) -> tuple[int, int, int]:
    return (
        len(expected.accounts - got.accounts),
        len(expected.members - got.members),
        len(expected.milestones - got.milestones),
    )


# -- msx-bot's import ---------------------------------------------------------------------


async def ours(url: str, tmp: Path) -> tuple[Found, float, int]:
    settings = Settings(
        msx_base_url=url, msx_access_token=SecretStr("sandbox"), msx_bot_db=tmp / "bench.db"
    )
    store = SnapshotStore(settings.msx_bot_db)
    async with MsxGateway.from_settings(settings) as gateway:
        started = time.perf_counter()
        result = await refresh(gateway, store)
        wall = time.perf_counter() - started
    store.close()
    snap = result.snapshot
    return (
        Found(
            accounts={a.id for a in snap.accounts},
            members={(m.account_id, m.user_id, m.role) for m in snap.team},
            milestones={m.id for m in snap.milestones},
        ),
        wall,
        result.team_splits,
    )


# -- the guide, literally -----------------------------------------------------------------

GUIDE_ROLES = {
    "Cloud & AI": Role.GROWTH_SELLER,
    "Cloud & AI-Acq": Role.ACQUISITION_SELLER,
    "Cloud & AI Data": Role.DATA_SE,
    "Cloud & AI Infrastructure": Role.INFRA_SE,
    "Cloud & AI Apps": Role.APPS_SE,
}
GUIDE_HEADERS = {
    "Authorization": "Bearer sandbox",
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
    "Prefer": 'odata.include-annotations="*"',
}


async def guide(url: str) -> Found:
    """The integration guide's import, step by step, one request at a time."""
    found = Found()
    async with httpx.AsyncClient(base_url=url + API, headers=GUIDE_HEADERS, timeout=60.0) as http:

        async def get(path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
            response = await http.get(path, params=params)
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body

        def ors(prop: str, ids: list[str]) -> str:
            return "(" + " or ".join(f"{prop} eq {i}" for i in ids) + ")"

        me = (await get("WhoAmI"))["UserId"]
        await get(f"systemusers({me})")
        rows = await get(
            "msp_accountteams",
            {
                "$filter": f"_msp_systemuserid_value eq {me}",
                "$select": "_msp_accountid_value,msp_qualifier2",
                "$top": "500",
            },
        )
        account_ids = list(
            dict.fromkeys(
                r["_msp_accountid_value"]
                for r in rows["value"]
                if r.get("msp_qualifier2") in GUIDE_ROLES
            )
        )
        territory_ids: set[str] = set()
        for i in range(0, len(account_ids), 100):
            accounts = await get(
                "accounts",
                {
                    "$filter": ors("accountid", account_ids[i : i + 100]),
                    "$select": "accountid,name,msp_mstopparentid,_territoryid_value",
                    "$top": "100",
                },
            )
            for a in accounts["value"]:
                found.accounts.add(a["accountid"])
                if a.get("_territoryid_value"):
                    territory_ids.add(a["_territoryid_value"])
        territories = sorted(territory_ids)
        for i in range(0, len(territories), 100):
            await get(
                "territories",
                {
                    "$filter": ors("territoryid", territories[i : i + 100]),
                    "$select": "territoryid,name,msp_accountteamunitname",
                    "$top": "100",
                },
            )
        for i in range(0, len(account_ids), 3):
            team = await get(
                "msp_accountteams",
                {
                    "$filter": ors("_msp_accountid_value", account_ids[i : i + 3])
                    + " and msp_qualifier1 eq 'Corporate'"
                    + " and startswith(msp_qualifier2,'Cloud ')",
                    "$select": "_msp_accountid_value,msp_fullname,msp_qualifier2,"
                    "msp_standardtitle,_msp_systemuserid_value",
                    "$top": "100",
                },
            )
            for r in team["value"]:
                q2, title = r.get("msp_qualifier2"), r.get("msp_standardtitle") or ""
                if q2 in ("Cloud & AI", "Cloud & AI-Acq") and "Specialists IC" not in title:
                    continue
                if q2 in GUIDE_ROLES:
                    member = (r["_msp_accountid_value"], r["_msp_systemuserid_value"])
                    found.members.add((*member, GUIDE_ROLES[q2]))
        for account_id in account_ids:
            page = await get(
                "msp_engagementmilestones",
                {
                    "$filter": f"_msp_parentaccount_value eq '{account_id}'",  # as the guide
                    "$select": "msp_engagementmilestoneid,msp_name,msp_milestonestatus,"
                    "msp_milestonenumber,_msp_opportunityid_value,msp_monthlyuse,"
                    "_msp_workloadlkid_value",
                    "$orderby": "msp_name",
                },
            )
            while True:
                found.milestones.update(m["msp_engagementmilestoneid"] for m in page["value"])
                link = page.get("@odata.nextLink")
                if not link:
                    break
                page = await get(link)
    return found


# -- the bench ----------------------------------------------------------------------------


async def measure(
    child: Child,
    who: str,
    size: int,
    latency: float,
    switches: Switches,
    expected: Found,
    run: Callable[[], Awaitable[tuple[Found, float, int | None]]],
) -> Run:
    """One import against the child's sandbox, its wall time and what it asked and lost."""
    await child.ask("reset")
    got, wall, splits = await run()
    stats = await child.ask("stats")
    return Run(
        who,
        size,
        switches,
        stats["requests"],
        stats["max_in_flight"],
        wall,
        latency,
        lost(expected, got),
        stats["by_set"],
        splits=splits,
    )


async def bench(
    size: int, latency: float, repeat: int, switches: Switches, *, with_guide: bool
) -> list[Run]:
    expected = truth(build_dataset(SEED, size))
    child = await Child.start(size, latency, switches)

    async def guide_timed() -> tuple[Found, float, int | None]:
        started = time.perf_counter()
        got = await guide(child.url)
        return got, time.perf_counter() - started, None

    try:
        first: list[Run] = []
        again: list[Run] = []
        for _ in range(repeat):  # a first import into a new database, then a refresh of it
            with tempfile.TemporaryDirectory(prefix="msx-bench-") as tmp:
                for who, into in (("msx-bot", first), ("msx-bot, again", again)):
                    into.append(
                        await measure(
                            child,
                            who,
                            size,
                            latency,
                            switches,
                            expected,
                            lambda: ours(child.url, Path(tmp)),
                        )
                    )
        runs = [median_run(first), median_run(again)]
        if with_guide:
            runs.append(
                await measure(
                    child, "guide, literally", size, latency, switches, expected, guide_timed
                )
            )
    finally:
        await child.stop()
    return runs


def table(runs: list[Run], *, switches: bool = False) -> str:
    first = "| switches " if switches else ""
    lines = [
        f"| latency | accounts {first}| import | requests | team splits | most in flight "
        "| wall (s) | round trips | target | lost: accounts / team members / milestones |",
        "|---:|---:" + ("|---" if switches else "") + "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        target = TARGETS.get(r.accounts) if r.who.startswith("msx-bot") else None
        mark = ""
        if target is not None:
            mark = f"≤ {target} " + ("✓" if r.round_trips <= target else "✗")
        cells = [f"{r.latency * 1000:.0f} ms", str(r.accounts)]
        if switches:
            cells.append(r.switches.label)
        cells += [
            r.who,
            str(r.requests),
            "" if r.splits is None else str(r.splits),
            str(r.max_in_flight),
            f"{r.wall:.2f}",
            f"{r.round_trips:.1f}{r.spread}",
            mark,
            f"{r.lost[0]} / {r.lost[1]} / {r.lost[2]}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def requests_table(runs: list[Run]) -> str:
    sets = sorted({s for r in runs for s in r.by_set})
    lines = [
        "| accounts | import | " + " | ".join(sets) + " |",
        "|---:|---|" + "---:|" * len(sets),
    ]
    for r in runs:
        counts = " | ".join(str(r.by_set.get(s, 0)) for s in sets)
        lines.append(f"| {r.accounts} | {r.who} | {counts} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--latency", type=float, nargs="+", default=[0.1, 0.25], help="seconds added a request"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument(
        "--repeat", type=int, default=5, help="msx-bot imports a size (the median is shown)"
    )
    parser.add_argument(
        "--no-switches", action="store_true", help="skip the runs under every switch"
    )
    parser.add_argument("--write", action="store_true", help="also write benchmarks/RESULTS.md")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the child's role
    parser.add_argument("--guid-ranges", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--team-next-link", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        switches = Switches(args.guid_ranges, args.team_next_link)
        asyncio.run(serve_child(args.serve, args.latency[0], switches))
        return

    runs: list[Run] = []
    for latency in args.latency:
        for size in args.sizes:
            runs += asyncio.run(bench(size, latency, args.repeat, STRICT, with_guide=True))
    switch_runs: list[Run] = []
    if not args.no_switches:
        for size in args.sizes:
            for switches in ALL_SWITCHES:
                found = asyncio.run(
                    bench(size, args.latency[-1], args.repeat, switches, with_guide=False)
                )
                switch_runs.append(found[0])
    report = (
        f"{machine()}\n\n"
        f"Concurrency bound {BOUND}, sandbox seed {SEED}, switches {STRICT.label} unless "
        f"said. msx-bot: the median of {args.repeat} imports, each into a new database "
        "(fastest–slowest in brackets), and as many refreshes of them (again); the guide: "
        f"one.\n\n{table(runs)}\n"
    )
    if switch_runs:
        report += (
            f"\nmsx-bot's first import under each of the sandbox's switches, "
            f"{args.latency[-1] * 1000:.0f} ms:\n\n{table(switch_runs, switches=True)}\n"
        )
    report += f"\nRequests by entity set:\n\n{requests_table(runs)}\n"
    print(report)
    if args.write:
        write_results(report)


def write_results(report: str) -> None:
    path = Path(__file__).resolve().parent / "RESULTS.md"
    head = path.read_text().split(MARK)[0] if path.exists() else DEFAULT_HEAD
    path.write_text(f"{head}{MARK}\n\n{report}")


MARK = "<!-- measured: everything below is written by import_bench.py -->"
DEFAULT_HEAD = "# Import benchmark\n\n`.venv/bin/python benchmarks/import_bench.py`\n\n"


if __name__ == "__main__":
    main()
