"""One engagement milestone row, as MSX returns it with annotations."""

from __future__ import annotations

import random
import uuid
from typing import Any

from bot.sandbox import names
from bot.sandbox.dataset import annotate_lookup
from bot.sandbox.schema import COMMITMENT, FORMATTED, MILESTONE_STATUS

Row = dict[str, Any]

WORKLOAD_IDS = {w: str(uuid.uuid5(uuid.NAMESPACE_URL, f"workload/{w}")) for w in names.WORKLOADS}
# On Track dominates, as in a real book; every status still shows up in a large sample.
STATUS_WEIGHTS = [40, 12, 6, 18, 6, 4, 3, 5]


def milestone_row(
    rng: random.Random,
    milestone_id: str,
    etag: str,
    account: Row,
    number: int,
    opportunity: tuple[str, str],
    status: int | None = None,
) -> Row:
    short = account["name"].split(" ")[0]
    workload = rng.choice(names.WORKLOADS)
    if status is None:
        status = rng.choices(list(MILESTONE_STATUS), weights=STATUS_WEIGHTS)[0]
    verb = rng.choice(names.MILESTONE_VERBS)
    row: Row = {
        "@odata.etag": etag,
        "msp_engagementmilestoneid": milestone_id,
        "msp_name": f"{workload} {verb} - {short} #{number}",
        "msp_milestonenumber": f"7-{rng.randint(100_000_000, 999_999_999)}",
        "msp_milestonestatus": status,
        f"msp_milestonestatus@{FORMATTED}": MILESTONE_STATUS[status],
    }
    annotate_lookup(
        row, "_msp_parentaccount_value", account["accountid"], "account", account["name"]
    )
    annotate_lookup(row, "_msp_opportunityid_value", opportunity[0], "opportunity", opportunity[1])
    annotate_lookup(
        row, "_msp_workloadlkid_value", WORKLOAD_IDS[workload], "msp_workload", workload
    )
    # msp_monthlyuse is a monthly change and may be empty (field notes).
    use = None if rng.random() < 0.2 else rng.randrange(500, 250_000, 250)
    row["msp_monthlyuse"] = use
    if use is not None:
        row[f"msp_monthlyuse@{FORMATTED}"] = f"${use:,.2f}"
    date = (
        None if rng.random() < 0.15 else f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    )
    row["msp_milestonedate"] = date
    if date:
        row[f"msp_milestonedate@{FORMATTED}"] = f"{int(date[5:7])}/{int(date[8:])}/{date[:4]}"
    commit = rng.choice([None, *COMMITMENT])
    row["msp_commitmentrecommendation"] = commit
    if commit is not None:
        row[f"msp_commitmentrecommendation@{FORMATTED}"] = COMMITMENT[commit]
    month, day, hour = rng.randint(7, 12), rng.randint(1, 28), rng.randint(8, 18)
    row["createdon"] = f"2025-{month:02d}-{day:02d}T{hour:02d}:15:00Z"
    row["modifiedon"] = f"2026-0{rng.randint(1, 3)}-{rng.randint(10, 28)}T09:30:00Z"
    return row
