"""Raw MSX rows -> domain types."""

from __future__ import annotations

import datetime as dt

import pytest
from msx_fixtures import gid

from bot.domain import Identity, Role
from bot.msx import mapping
from bot.msx.mapping import FORMATTED, Assignment

BASE = "https://msx.example.test"
# MSX sends GUIDs in either case; the bot keeps them lower case (gid() has no letters).
HEX = "8c05af24-749d-e811-a848-000d3a1bbc2c"


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


def test_a_members_title_is_kept_and_a_missing_name_falls_back() -> None:
    title = "Digital Solution Area Specialists IC"
    member = mapping.team_member(member_row("Cloud & AI", title, _msp_accountid_value=HEX.upper()))
    assert member is not None and (member.title, member.account_id) == (title, HEX)
    # Without msp_fullname: the user lookup's label, then a placeholder.
    labelled = member_row(
        "Cloud & AI Data", msp_fullname=None, **{"_msp_systemuserid_value" + FORMATTED: "Ana S."}
    )
    assert mapping.team_member(labelled).name == "Ana S."  # type: ignore[union-attr]
    unnamed = mapping.team_member(member_row("Cloud & AI Data", msp_fullname=" "))
    assert unnamed is not None and unnamed.name == "(unknown person)"


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
    assert account is not None and account.name == "Contoso"
    assert (account.id, account.tpid, account.territory_id) == (gid(5), "1234567", gid(9))
    assert (account.territory, account.pod, account.my_roles) == (None, None, ())
    bare = mapping.account({"accountid": gid(6), "name": "Fabrikam", "_territoryid_value": None})
    assert bare is not None and bare.territory_id is None and bare.tpid is None


def test_account_without_a_name_says_so() -> None:
    account = mapping.account({"accountid": HEX.upper(), "name": None})
    assert account is not None and (account.id, account.name) == (HEX, "(unnamed account)")
    assert mapping.account({"accountid": "not-a-guid", "name": "Contoso"}) is None


def test_territory() -> None:
    territory = mapping.territory({"territoryid": gid(9), "name": "East.SMECC.MAA.0601"})
    assert territory is not None and territory.pod == "East POD 06"
    unnamed = mapping.territory({"territoryid": gid(9), "name": None})
    assert unnamed is not None and (unnamed.name, unnamed.pod) == ("", None)


def test_identity_from_a_user_row() -> None:
    row = {
        "systemuserid": HEX.upper(),
        "fullname": " Ana Silva ",
        "internalemailaddress": "a@x.com",
    }
    assert mapping.identity(row) == Identity(user_id=HEX, name="Ana Silva", email="a@x.com")
    # No full name: the e-mail, then the id, names the person.
    assert mapping.identity({**row, "fullname": None}).name == "a@x.com"
    bare = mapping.identity({"systemuserid": HEX, "fullname": "", "internalemailaddress": None})
    assert (bare.name, bare.email) == (HEX, None)


def test_identity_without_an_id_is_nobody() -> None:
    # No id at all: an empty one, which the gateway treats as nobody.
    assert mapping.identity({"fullname": "Ana"}).user_id == ""


def test_team_rows_name_their_id_and_sort_name() -> None:
    row = {"msp_accountteamid": HEX.upper(), "_msp_accountid_value": gid(1), "msp_fullname": "Ana"}
    assert mapping.team_row_id(row) == HEX
    assert mapping.team_row_name(row) == "Ana"
    assert mapping.team_row_name({"msp_fullname": None}) is None


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
    assert milestone.name == "AKS landing zone"
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
    # An empty label is no label; a nameless milestone says so.
    blank = {**row, "msp_name": None, "msp_milestonestatus" + FORMATTED: ""}
    unnamed = mapping.milestone(blank, BASE)
    assert unnamed is not None and (unnamed.name, unnamed.status) == ("(untitled milestone)", None)
    # A date alone, as well as a timestamp; nonsense is no date or amount.
    dated = mapping.milestone({**row, "msp_milestonedate": "2026-04-01"}, BASE)
    assert dated is not None and dated.date == dt.date(2026, 4, 1)
    odd = mapping.milestone({**row, "msp_milestonedate": "2026-04", "msp_monthlyuse": "n/a"}, BASE)
    assert odd is not None and (odd.date, odd.monthly_use) == (None, None)
    # A milestone needs its account as well as its id.
    assert mapping.milestone({**row, "_msp_parentaccount_value": None}, BASE) is None


def test_access_team_account() -> None:
    template = mapping.ACCOUNT_TEAM_TEMPLATE_ID
    assert mapping.access_team_account({"_regardingobjectid_value": gid(1)}) == gid(1)
    fallback = {"_regardingobjectid_value": None, "name": f"{gid(2).upper()}+{template}"}
    assert mapping.access_team_account(fallback) == gid(2)
    assert mapping.access_team_account({"name": "Some team"}) is None
    assert mapping.access_team_account({"_regardingobjectid_value": None}) is None
