"""How much CPU does the MSX sandbox spend on each kind of query an import sends?

    .venv/bin/python benchmarks/sandbox_bench.py [--accounts 200] [--rounds 5] [--write]

The import benchmark serves the sandbox from one single-threaded child process; with 16
requests in flight, the sandbox's own CPU a request is added to the round trips charged to
the bot. This measures that CPU alone: the queries are the shapes msx-bot sends (written
out here, so the sandbox is timed without the bot), built from the seed-7 book, and each is
answered by calling `SandboxMsx.handle()` directly (no HTTP, no event loop).

Each round, a new sandbox answers every query once in import order on fresh tables (the
first query of a set builds that set's indexes: the "first" column), then once again, as a
served sandbox answers after its first import (the mean and slowest columns); a query's
time is its median over the rounds. "json.dumps share" is the part of a page's time the
stdlib's `json.dumps` takes, re-encoding the answer's own payload. The Markdown table is
printed; `--write` also writes it, with the date, commit and machine, to
benchmarks/SANDBOX_RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import machine  # noqa: E402  (benchmarks/, the script's own folder)

from bot.sandbox import SandboxMsx, SandboxResponse, build_dataset  # noqa: E402
from bot.sandbox.odata_ast import guid_order  # noqa: E402

SEED = 7
BASE = "https://msx.bench/api/data/v9.2/"
HEADERS = {
    "Authorization": "Bearer sandbox",
    "Accept": "application/json",
    "OData-Version": "4.0",
    "Prefer": 'odata.include-annotations="OData.Community.Display.V1.FormattedValue",'
    "odata.maxpagesize=100",
}
ROLES = (
    "(msp_qualifier2 eq 'Cloud & AI' and contains(msp_standardtitle,'Specialists IC'))"
    " or (msp_qualifier2 eq 'Cloud & AI-Acq' and contains(msp_standardtitle,'Specialists IC'))"
    " or msp_qualifier2 eq 'Cloud & AI Data' or msp_qualifier2 eq 'Cloud & AI Infrastructure'"
    " or msp_qualifier2 eq 'Cloud & AI Apps'"
)
TEAM_SELECT = (
    "_msp_accountid_value,msp_fullname,msp_qualifier2,msp_standardtitle,"
    "_msp_systemuserid_value,msp_accountteamid"
)
MILESTONE_SELECT = (
    "msp_engagementmilestoneid,msp_name,msp_milestonestatus,msp_milestonenumber,"
    "_msp_opportunityid_value,msp_monthlyuse,_msp_workloadlkid_value,msp_milestonedate,"
    "_msp_parentaccount_value"
)


def url(set_name: str, **options: str) -> str:
    query = "&".join(f"${k}={quote(v, safe=',()=')}" for k, v in options.items())
    return f"{BASE}{set_name}?{query}"


def in_list(column: str, ids: list[str]) -> str:
    values = ",".join(f'"{i}"' for i in ids)
    return f"Microsoft.Dynamics.CRM.In(PropertyName='{column}',PropertyValues=[{values}])"


def or_list(prop: str, ids: list[str]) -> str:
    return "(" + " or ".join(f"{prop} eq {i}" for i in ids) + ")"


def chunks(items: list[str], n: int) -> list[list[str]]:
    return [items[i : i + n] for i in range(0, len(items), n)]


def team(ids: list[str], read_on: str | None = None) -> str:
    f = f"{in_list('msp_accountid', ids)} and msp_qualifier1 eq 'Corporate' and ({ROLES})"
    if read_on is not None:
        f += f" and msp_fullname ge '{read_on.replace(chr(39), chr(39) * 2)}'"
    return url("msp_accountteams", filter=f, select=TEAM_SELECT, orderby="msp_fullname")


def call(coro: Coroutine[Any, Any, SandboxResponse]) -> SandboxResponse:
    """Run `handle()` to its end without an event loop: with no latency or hang switched
    on, it never waits, so the time measured is the sandbox's alone."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("the sandbox waited: switch its latency and hangs off")


def get(sb: SandboxMsx, target: str) -> SandboxResponse:
    resp = call(sb.handle("GET", target, HEADERS))
    if resp.status != 200:
        raise RuntimeError(f"{resp.status} for {target[:200]}: {resp.body[:300]!r}")
    return resp


def queries(sb: SandboxMsx) -> dict[str, list[str]]:
    """Each kind of query an import sends, over the whole book."""
    ds = sb.dataset
    me = ds.me.user_id
    mine = ds.accounts_of[me]
    members = sorted({r["_msp_systemuserid_value"] for r in ds.tables["msp_accountteams"]})
    territories = sorted(
        {t for a in ds.tables["accounts"] if (t := a.get("_territoryid_value")) is not None}
    )
    kinds: dict[str, list[str]] = {
        "my rows (EqualUserId, one role)": [
            url(
                "msp_accountteams",
                filter="Microsoft.Dynamics.CRM.EqualUserId(PropertyName='msp_systemuserid')"
                f" and msp_qualifier1 eq 'Corporate' and msp_qualifier2 eq '{q2}'",
                select="_msp_accountid_value,msp_qualifier2,msp_standardtitle,msp_accountteamid",
                orderby="msp_accountteamid",
            )
            for q2 in ("Cloud & AI", "Cloud & AI-Acq", "Cloud & AI Data")
        ],
        "accounts by id (OR of 100)": [
            url(
                "accounts",
                filter=or_list("accountid", ids),
                select="accountid,name,msp_mstopparentid,_territoryid_value",
            )
            for ids in chunks(mine, 100)
        ],
        "territories by id (OR)": [
            url("territories", filter=or_list("territoryid", ids), select="territoryid,name")
            for ids in chunks(territories, 100)
        ],
        "team (In of 5, by name)": [team(ids) for ids in chunks(mine, 5)],
        "team (In of 3, read on by name)": [team(ids, "M") for ids in chunks(mine, 3)],
        "milestones (In of 13, by name)": [
            url(
                "msp_engagementmilestones",
                filter=in_list("msp_parentaccount", ids),
                select=MILESTONE_SELECT,
                orderby="msp_name",
            )
            for ids in chunks(mine, 13)
        ],
        "systemusers by id (OR of 100)": [
            url(
                "systemusers",
                filter=or_list("systemuserid", ids),
                select="systemuserid,fullname,internalemailaddress",
            )
            for ids in chunks(members, 100)
        ],
    }
    return {kind: found for kind, found in kinds.items() if found}


NEXT_PAGE = ", next page (nextLink)"


@dataclass
class Row:
    kind: str
    queries: int
    rows: float  # mean rows a page
    mean_ms: float
    max_ms: float
    first_ms: float  # the kind's first query on a fresh sandbox: builds its table's indexes
    json_share: float  # of the page's time, json.dumps's


def answer_all(sb: SandboxMsx) -> dict[str, list[tuple[float, dict[str, Any]]]]:
    """Every query once, in import order: its CPU time and its answer. After each kind, the
    pages its nextLinks point at, as a kind of their own."""
    out: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    todo = list(queries(sb).items())
    while todo:
        kind, targets = todo.pop(0)
        links = []
        for target in targets:
            started = time.process_time()
            payload = get(sb, target).json()
            out.setdefault(kind, []).append((time.process_time() - started, payload))
            if link := payload.get("@odata.nextLink"):
                links.append(link)
        if links:
            todo.insert(0, (kind + NEXT_PAGE, links))
    return out


def measure(accounts: int, rounds: int) -> list[Row]:
    """Each round a sandbox of its own answers every query twice: first on fresh tables
    (the first query of a set builds its indexes), then again, as a served sandbox answers
    after its first import. A query's time is its median over the rounds."""
    first: dict[str, list[float]] = {}
    times: dict[str, list[list[float]]] = {}
    payloads: dict[str, list[dict[str, Any]]] = {}
    for _ in range(rounds):
        guid_order.cache_clear()  # module-wide: would carry the last round's keys
        sb = SandboxMsx(dataset=build_dataset(SEED, accounts))
        for kind, answers in answer_all(sb).items():
            first.setdefault(kind, []).append(answers[0][0])
        guid_order.cache_clear()
        for kind, answers in answer_all(sb).items():
            runs = times.setdefault(kind, [[] for _ in answers])
            for run, (took, _) in zip(runs, answers, strict=True):
                run.append(took)
            payloads[kind] = [payload for _, payload in answers]
    out = []
    for kind, runs in times.items():
        medians = [statistics.median(r) for r in runs]
        encode = 0.0
        for payload in payloads[kind]:
            started = time.process_time()
            json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            encode += time.process_time() - started
        out.append(
            Row(
                kind,
                len(medians),
                statistics.mean(len(p["value"]) for p in payloads[kind]),
                statistics.mean(medians) * 1000,
                max(medians) * 1000,
                statistics.median(first[kind]) * 1000,
                encode / sum(medians),
            )
        )
    return out


def table(rows: list[Row], accounts: int) -> str:
    lines = [
        f"Sandbox CPU a query, {accounts}-account book (seed {SEED}), handle() called directly:",
        "",
        "| query | queries | rows a page | mean ms | slowest ms | first on fresh tables ms "
        "| json.dumps share |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.kind} | {r.queries} | {r.rows:.0f} | {r.mean_ms:.2f} | {r.max_ms:.2f} "
            f"| {r.first_ms:.2f} | {r.json_share:.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write SANDBOX_RESULTS.md")
    args = parser.parse_args()
    rows = measure(args.accounts, args.rounds)
    text = table(rows, args.accounts)
    print(text)
    if args.write:
        out = ROOT / "benchmarks" / "SANDBOX_RESULTS.md"
        out.write_text(f"# Sandbox CPU per query\n\n{machine()}\n\n{text}\n")
        print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
