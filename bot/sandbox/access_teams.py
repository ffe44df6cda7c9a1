"""Teams and memberships: one account access team per account (how accounts are found
since msp_accountteams went quiet), plus owner, opportunity and milestone teams that
must not count."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sandbox.dataset import COLLEAGUES, ME, annotate_lookup
from bot.sandbox.schema import (
    ACCOUNT_TEAM_TEMPLATE,
    FORMATTED,
    MILESTONE_TEAM_TEMPLATE,
    OPPORTUNITY_TEAM_TEMPLATE,
    TEAM_TYPE,
)

if TYPE_CHECKING:
    from bot.sandbox.data import Row, _Builder


def build_access_teams(b: _Builder, rows: list[Row], mine: list[Row]) -> None:
    me = ME.user_id
    jordan = COLLEAGUES[0].user_id
    # Access teams: one per account, members = the users of ours aligned there.
    for acc in rows:
        aid = acc["accountid"]
        members = [u for u in b.accounts_of if aid in b.accounts_of[u]]
        add_team(
            b,
            f"{aid}+{ACCOUNT_TEAM_TEMPLATE}",
            1,
            (ACCOUNT_TEAM_TEMPLATE, "Account Team"),
            (aid, "account", acc["name"]),
            members,
        )
    for name in (
        "MSX Sellers - US SMECC",
        "Cloud & AI East",
        "Avery Quinn's Team",
        "Contoso BU",
    ):
        add_team(b, name, 0, None, None, [me] if name != "Contoso BU" else [jordan])
    for acc in mine[:8]:
        for opp_id, opp_name in b.opportunities.get(acc["accountid"], [])[:1]:
            add_team(
                b,
                f"{opp_id}+{OPPORTUNITY_TEAM_TEMPLATE}",
                1,
                (OPPORTUNITY_TEAM_TEMPLATE, "Opportunity Sales Team"),
                (opp_id, "opportunity", opp_name),
                [me],
            )
    for ms in b.t["msp_engagementmilestones"][:3]:
        mid = ms["msp_engagementmilestoneid"]
        add_team(
            b,
            f"{mid}+{MILESTONE_TEAM_TEMPLATE}",
            1,
            (MILESTONE_TEAM_TEMPLATE, "Milestone Team"),
            (mid, "msp_engagementmilestone", ms["msp_name"]),
            [me],
        )


def add_team(
    b: _Builder,
    name: str,
    teamtype: int,
    template: tuple[str, str] | None,
    regarding: tuple[str, str, str] | None,
    members: list[str],
) -> None:
    tid = b.uid()
    row: Row = {
        "@odata.etag": b.etag(),
        "teamid": tid,
        "name": name,
        "teamtype": teamtype,
        f"teamtype@{FORMATTED}": TEAM_TYPE[teamtype],
    }
    annotate_lookup(
        row,
        "_teamtemplateid_value",
        template[0] if template else None,
        "teamtemplate",
        template[1] if template else "",
    )
    annotate_lookup(
        row,
        "_regardingobjectid_value",
        regarding[0] if regarding else None,
        regarding[1] if regarding else "",
        regarding[2] if regarding else "",
    )
    b.t["teams"].append(row)
    for user_id in members:
        b.memberships.setdefault(user_id, []).append(tid)
