"""Small, realistic snapshots for the Block Kit builder tests, and helpers to read blocks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from bot.domain import (
    Account,
    DiscoveryPath,
    Freshness,
    Identity,
    Milestone,
    MilestoneStatus,
    Role,
    Snapshot,
    TeamMember,
)

NOW = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
TAKEN = NOW - dt.timedelta(minutes=5)
ME = Identity(user_id="u-me", name="Dana Seller", email="dana@contoso.example")
FRESH = Freshness(taken_at=TAKEN)
STALE = Freshness(taken_at=NOW - dt.timedelta(hours=3), stale_reason="MSX unreachable: VPN?")

S = MilestoneStatus

CONTOSO = Account(
    id="acc-contoso",
    name="Contoso Ltd",
    tpid="1001",
    territory="East.SMECC.MAA.0601",
    pod="East POD 06",
    my_roles=(Role.GROWTH_SELLER,),
)
CHANNEL = Account(
    id="acc-channel",
    name="<!channel> Industries",
    tpid="1002",
    territory="East.SMECC.MAA.0601",
    pod="East POD 06",
    my_roles=(Role.DATA_SE,),
)
TOM = Account(
    id="acc-tom",
    name="Tom & Jerry's",
    tpid="1003",
    territory="West.SMECC.SEA.0702",
    pod="West POD 07",
    my_roles=(Role.DATA_SE, Role.INFRA_SE),
)
CAFE = Account(
    id="acc-cafe",
    name="Café Nordström AB",
    tpid="1004",
    territory="West.SMECC.SEA.0702",
    pod="West POD 07",
)
OREILLY = Account(id="acc-oreilly", name="O'Reilly Media", tpid="1005")
ACCOUNTS = (CONTOSO, CHANNEL, TOM, CAFE, OREILLY)


def milestone(
    n: int,
    status: str | None,
    *,
    account: Account = CONTOSO,
    name: str | None = None,
    date: dt.date | None = dt.date(2026, 12, 15),
    monthly_use: float | None = 12500.0,
) -> Milestone:
    return Milestone(
        id=f"ms-{account.id}-{n}",
        account_id=account.id,
        number=f"7-{100000 + n}",
        name=name or f"Milestone {n}",
        status=status,
        workload="Azure SQL",
        opportunity=f"{account.name} FY26 Data",
        monthly_use=monthly_use,
        date=date,
        url=f"https://msx.example/main.aspx?etn=msp_engagementmilestone&id={n}",
    )


MILESTONES = (
    milestone(1, S.AT_RISK.value, name="Data platform migration"),
    milestone(2, S.AT_RISK.value, date=dt.date(2026, 6, 1)),
    milestone(3, S.BLOCKED.value),
    milestone(4, S.ON_TRACK.value),
    milestone(5, S.ON_TRACK.value, account=TOM),
    milestone(6, S.BLOCKED.value, account=CHANNEL),
    milestone(7, S.COMPLETED.value, account=CAFE),
)


def member(
    n: int,
    role: Role,
    name: str,
    *,
    email: str | None = None,
    title: str | None = None,
    account: Account = CONTOSO,
) -> TeamMember:
    return TeamMember(
        account_id=account.id,
        user_id=f"u{n}",
        name=name,
        role=role,
        title=title,
        email=email,
    )


TEAM = (
    member(1, Role.GROWTH_SELLER, "Ana Núñez", email="Ana.Nunez@contoso.example", title="AE"),
    member(2, Role.GROWTH_SELLER, "Bob <@U999> Smith", title="Account Exec & Lead"),
    member(3, Role.DATA_SE, "Chloé O'Brien", email="chloe@contoso.example", title="Data SE"),
    member(4, Role.INFRA_SE, "Dev Patel", email="dev@contoso.example"),
)
MENTIONS = {"ana.nunez@contoso.example": "U0ANA", "chloe@contoso.example": "U0CHLOE"}


def snapshot(
    accounts: tuple[Account, ...] = ACCOUNTS,
    milestones: tuple[Milestone, ...] = MILESTONES,
    team: tuple[TeamMember, ...] = TEAM,
    gaps: tuple[str, ...] = (),
) -> Snapshot:
    return Snapshot(
        user=ME,
        taken_at=TAKEN,
        discovery=DiscoveryPath.ACCOUNT_TEAMS,
        accounts=accounts,
        team=team,
        milestones=milestones,
        gaps=gaps,
    )


def big_book(n: int = 500) -> Snapshot:
    """A large book: 12 PODs plus a no-POD group, awkward names, some at-risk milestones."""
    accounts = []
    milestones = []
    for i in range(n):
        pod_n = i % 13
        territory = None if pod_n == 12 else f"Region{pod_n % 3}.SMECC.X.{pod_n + 1:02d}01"
        accounts.append(
            Account(
                id=f"acc-{i:04d}",
                # Long, escape-heavy names push section text toward its limit.
                name=f"Tom & Jerry's <Holdings> #{i:04d} " + "Ærøskøbing & Co " * (i % 5),
                tpid=f"{900000 + i}",
                territory=territory,
                pod=None if territory is None else f"Region{pod_n % 3} POD {pod_n + 1:02d}",
                my_roles=(Role.GROWTH_SELLER, Role.DATA_SE) if i % 2 else (Role.INFRA_SE,),
            )
        )
        if i % 7 == 0:
            milestones.append(milestone(i, S.AT_RISK.value, account=accounts[-1]))
    return snapshot(accounts=tuple(accounts), milestones=tuple(milestones), team=())


def text_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every text object (plain_text or mrkdwn) anywhere in blocks."""
    if isinstance(value, dict):
        if value.get("type") in ("plain_text", "mrkdwn") and isinstance(value.get("text"), str):
            yield value
        for item in value.values():
            yield from text_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from text_objects(item)


def mrkdwn(blocks: list[dict]) -> list[str]:
    return [t["text"] for t in text_objects(blocks) if t["type"] == "mrkdwn"]


def all_text(blocks: list[dict]) -> str:
    return "\n".join(t["text"] for t in text_objects(blocks))


_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


def assert_no_raw_markup(blocks: list[dict]) -> None:
    """No `<` or `>` in mrkdwn but the mentions the builders add on purpose."""
    for text in mrkdwn(blocks):
        stripped = _MENTION.sub("", text)
        assert "<" not in stripped and ">" not in stripped, text


def buttons(blocks: list[dict]) -> list[dict]:
    found = []
    for block in blocks:
        if block["type"] == "actions":
            found.extend(block["elements"])
        elif block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found
