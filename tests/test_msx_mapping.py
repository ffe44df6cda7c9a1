"""Raw MSX rows -> domain types."""

from __future__ import annotations

import datetime as dt

import pytest
from msx_fixtures import gid

from bot.domain import Role
from bot.msx import mapping
from bot.msx.mapping import FORMATTED, Assignment

BASE = "https://msx.example.test"


def member_row(q2: str, title: str | None = "Digital Solution Area Specialists IC", **kw: object):
    row: dict[str, object] = {
        "_msp_accountid_value": gid(1),
        "_msp_systemuserid_value": gid(2),
        "msp_fullname": "Ana Silva",
        "msp_qualifier2": q2,
        "msp_standardtitle": title,
    }
    row.update(kw)
    return row


@pytest.mark.parametrize(
    ("q2", "role"),
    [
        ("Cloud & AI", Role.GROWTH_SELLER),
        ("Cloud & AI-Acq", Role.ACQUISITION_SELLER),
        ("Cloud & AI Data", Role.DATA_SE),
        ("Cloud & AI Infrastructure", Role.INFRA_SE),
        ("Cloud & AI Apps", Role.APPS_SE),
    ],
)
def test_roles(q2: str, role: Role) -> None:
    row = {"_msp_accountid_value": gid(1), "msp_qualifier2": q2, "msp_standardtitle": "x"}
    # A seller's alignment needs a "Specialists IC" title, as a seller on a team does.
    assert mapping.assignment(row) == (None if role.is_seller else Assignment(gid(1), role))
    titled = {**row, "msp_standardtitle": "Digital Solution Area Specialists IC"}
    assert mapping.assignment(titled) == Assignment(gid(1), role)
    member = mapping.team_member(member_row(q2))
    assert member is not None and member.role is role


@pytest.mark.parametrize("q2", ["Cloud & AI Security", "Modern Work", "", None, "Cloud"])
def test_other_qualifiers_are_dropped(q2: str | None) -> None:
    assert mapping.assignment({"_msp_accountid_value": gid(1), "msp_qualifier2": q2}) is None
    assert mapping.team_member(member_row(q2)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "title",
    ["Digital Account Management IC", "Customer Success Account Mgmt IC", "Manager", None, ""],
)
def test_sellers_need_specialists_ic(title: str | None) -> None:
    assert mapping.team_member(member_row("Cloud & AI", title)) is None
    assert mapping.team_member(member_row("Cloud & AI-Acq", title)) is None


def test_ses_need_no_title() -> None:
    member = mapping.team_member(member_row("Cloud & AI Data", None))
    assert member is not None
    assert member.title is None
    assert member.name == "Ana Silva"
    assert member.account_id == gid(1) and member.user_id == gid(2)


def test_member_without_ids_is_dropped() -> None:
    assert mapping.team_member(member_row("Cloud & AI Data", _msp_systemuserid_value=None)) is None


def test_account_with_and_without_territory() -> None:
    account = mapping.account(
        {
            "accountid": gid(5).upper(),
            "name": "Contoso",
            "msp_mstopparentid": 1234567,
            "_territoryid_value": gid(9),
        }
    )
    assert account is not None
    assert (account.id, account.tpid, account.territory_id) == (gid(5), "1234567", gid(9))
    assert (account.territory, account.pod, account.my_roles) == (None, None, ())
    bare = mapping.account({"accountid": gid(6), "name": "Fabrikam", "_territoryid_value": None})
    assert bare is not None and bare.territory_id is None and bare.tpid is None


def test_territory() -> None:
    territory = mapping.territory({"territoryid": gid(9), "name": "East.SMECC.MAA.0601"})
    assert territory is not None and territory.pod == "East POD 06"


def test_milestone_uses_formatted_labels() -> None:
    row = {
        "msp_engagementmilestoneid": gid(7),
        "msp_name": "AKS landing zone",
        "msp_milestonenumber": "7-123456789",
        "msp_milestonestatus": 861980005,
        "msp_milestonestatus" + FORMATTED: "Not Started",
        "_msp_opportunityid_value": gid(8),
        "_msp_opportunityid_value" + FORMATTED: "Contoso AKS",
        "_msp_workloadlkid_value": gid(10),
        "_msp_workloadlkid_value" + FORMATTED: "Azure Kubernetes Service",
        "msp_monthlyuse": 1250.5,
        "msp_milestonedate": "2026-03-31T00:00:00Z",
        "_msp_parentaccount_value": gid(1),
    }
    milestone = mapping.milestone(row, BASE)
    assert milestone is not None
    assert milestone.status == "Not Started"
    assert milestone.workload == "Azure Kubernetes Service"
    assert milestone.opportunity == "Contoso AKS"
    assert milestone.monthly_use == 1250.5
    assert milestone.date == dt.date(2026, 3, 31)
    assert milestone.number == "7-123456789"
    assert milestone.url == (
        f"{BASE}/main.aspx?appid=fe0c3504-3700-e911-a849-000d3a10b7cc"
        f"&pagetype=entityrecord&etn=msp_engagementmilestone&id={gid(7)}"
    )


def test_milestone_without_labels_or_values() -> None:
    row = {
        "msp_engagementmilestoneid": gid(7),
        "msp_name": "x",
        "msp_milestonestatus": 861980001,  # a code alone is never turned into a label
        "msp_monthlyuse": None,
        "msp_milestonedate": None,
        "_msp_parentaccount_value": gid(1),
    }
    milestone = mapping.milestone(row, BASE)
    assert milestone is not None
    assert (milestone.status, milestone.monthly_use, milestone.date) == (None, None, None)
    assert (milestone.workload, milestone.opportunity) == (None, None)


def test_access_team_account() -> None:
    template = mapping.ACCOUNT_TEAM_TEMPLATE_ID
    assert mapping.access_team_account({"_regardingobjectid_value": gid(1)}) == gid(1)
    fallback = {"_regardingobjectid_value": None, "name": f"{gid(2).upper()}+{template}"}
    assert mapping.access_team_account(fallback) == gid(2)
    assert mapping.access_team_account({"name": "Some team"}) is None
