"""Raw MSX records -> domain types. MSX's field names live here and in gateway.py only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.domain import Account, Identity, Milestone, Role, TeamMember, Territory
from bot.msx.odata import is_guid

FORMATTED_TERM = "OData.Community.Display.V1.FormattedValue"
FORMATTED = "@" + FORMATTED_TERM
MSX_APP_ID = "fe0c3504-3700-e911-a849-000d3a10b7cc"
ACCOUNT_TEAM_TEMPLATE_ID = "3fcc1cfc-3e43-e311-9405-00155db3ba1e"
SELLER_TITLE_MARK = "Specialists IC"  # sellers' standard titles contain it; CSAs etc. don't

# msp_qualifier2 -> role; every other qualifier2 value is not ours to show.
QUALIFIER2_ROLES: dict[str, Role] = {
    "Cloud & AI": Role.GROWTH_SELLER,
    "Cloud & AI-Acq": Role.ACQUISITION_SELLER,
    "Cloud & AI Data": Role.DATA_SE,
    "Cloud & AI Infrastructure": Role.INFRA_SE,
    "Cloud & AI Apps": Role.APPS_SE,
}
ROLE_QUALIFIER2: dict[Role, str] = {role: q2 for q2, role in QUALIFIER2_ROLES.items()}
_ROLE_BY_FOLDED = {q2.casefold(): role for q2, role in QUALIFIER2_ROLES.items()}


@dataclass(frozen=True)
class Assignment:
    """One of my alignments: an account and the role I hold on it."""

    account_id: str
    role: Role


def role_of(qualifier2: object) -> Role | None:
    if not isinstance(qualifier2, str):
        return None
    return _ROLE_BY_FOLDED.get(qualifier2.strip().casefold())


def formatted(row: dict[str, Any], field: str) -> str | None:
    """The label MSX formats for a field (needs the include-annotations Prefer header)."""
    value = row.get(field + FORMATTED)
    return str(value) if value not in (None, "") else None


def _id(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and is_guid(value) else None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def identity(row: dict[str, Any]) -> Identity:
    uid = _id(row.get("systemuserid")) or ""
    return Identity(
        user_id=uid,
        name=_text(row.get("fullname")) or _text(row.get("internalemailaddress")) or uid,
        email=_text(row.get("internalemailaddress")),
    )


def assignment(row: dict[str, Any]) -> Assignment | None:
    """One of my alignments, or None for a row that is not one of the five roles (a
    seller's needs a "Specialists IC" title, as a team member's does)."""
    account_id = _id(row.get("_msp_accountid_value"))
    role = role_of(row.get("msp_qualifier2"))
    if account_id is None or role is None or not _title_fits(role, row):
        return None
    return Assignment(account_id, role)


def _title_fits(role: Role, row: dict[str, Any]) -> bool:
    title = _text(row.get("msp_standardtitle")) or ""
    return not role.is_seller or SELLER_TITLE_MARK.casefold() in title.casefold()


def team_row_id(row: dict[str, Any]) -> str | None:
    return _id(row.get("msp_accountteamid"))


def team_row_name(row: dict[str, Any]) -> str | None:
    """The name a team row sorts by (`$orderby=msp_fullname`), to read on after it."""
    return row.get("msp_fullname")  # a string column: text or null


def team_member(row: dict[str, Any]) -> TeamMember | None:
    """A seller or SE on an account, or None for everyone else (managers, CSAs, CSU...)."""
    account_id = _id(row.get("_msp_accountid_value"))
    user_id = _id(row.get("_msp_systemuserid_value"))
    role = role_of(row.get("msp_qualifier2"))
    if account_id is None or user_id is None or role is None:
        return None
    if not _title_fits(role, row):
        return None
    title = _text(row.get("msp_standardtitle"))
    name = (
        _text(row.get("msp_fullname"))
        or formatted(row, "_msp_systemuserid_value")
        or "(unknown person)"
    )
    return TeamMember(account_id=account_id, user_id=user_id, name=name, role=role, title=title)


def access_team_account(row: dict[str, Any]) -> str | None:
    """The account an access team is for: its regarding record, else the team name's
    "{accountid}+{templateid}" prefix."""
    regarding = _id(row.get("_regardingobjectid_value"))
    if regarding:
        return regarding
    name = row.get("name")
    if isinstance(name, str) and "+" in name:
        return _id(name.partition("+")[0].strip())
    return None


def account(row: dict[str, Any]) -> Account | None:
    account_id = _id(row.get("accountid"))
    if account_id is None:
        return None
    return Account(
        id=account_id,
        name=_text(row.get("name")) or "(unnamed account)",
        tpid=_text(row.get("msp_mstopparentid")),
        territory_id=_id(row.get("_territoryid_value")),
    )


def territory(row: dict[str, Any]) -> Territory | None:
    territory_id = _id(row.get("territoryid"))
    if territory_id is None:
        return None
    return Territory(id=territory_id, name=_text(row.get("name")) or "")


def milestone_url(base_url: str, milestone_id: str) -> str:
    """`base_url` without its trailing slash, as the gateway keeps it."""
    return (
        f"{base_url}/main.aspx?appid={MSX_APP_ID}"
        f"&pagetype=entityrecord&etn=msp_engagementmilestone&id={milestone_id}"
    )


def milestone(row: dict[str, Any], base_url: str) -> Milestone | None:
    milestone_id = _id(row.get("msp_engagementmilestoneid"))
    account_id = _id(row.get("_msp_parentaccount_value"))
    if milestone_id is None or account_id is None:
        return None
    return Milestone(
        id=milestone_id,
        account_id=account_id,
        number=_text(row.get("msp_milestonenumber")),
        name=_text(row.get("msp_name")) or "(untitled milestone)",
        # Status codes differ between sources (msx-field-notes.md): only the label counts.
        status=formatted(row, "msp_milestonestatus"),
        workload=formatted(row, "_msp_workloadlkid_value"),
        opportunity=formatted(row, "_msp_opportunityid_value"),
        monthly_use=_float(row.get("msp_monthlyuse")),
        date=_date(row.get("msp_milestonedate")),
        url=milestone_url(base_url, milestone_id),
    )


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _date(value: object) -> dt.date | None:
    # "2026-03-31T00:00:00Z" or "2026-03-31": the date part is what MSX shows.
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
