"""The entity sets the sandbox serves, their properties and EDM types, and Dataverse errors.

Property names and types are what `$select`, `$filter` and `$orderby` are checked against,
so a client that asks for a field MSX does not have fails here as it would there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

FORMATTED = "OData.Community.Display.V1.FormattedValue"
LOOKUP_LOGICAL = "Microsoft.Dynamics.CRM.lookuplogicalname"
NAV_PROPERTY = "Microsoft.Dynamics.CRM.associatednavigationproperty"

# Dataverse error codes used by more than one module.
CODE_QUERY = "0x80060888"  # bad query, unknown property, syntax
CODE_NOT_FOUND = "0x80040217"  # record does not exist
CODE_VALIDATION = "0x80044331"
CODE_AUTH = "0x80045000"  # sandbox's choice: the real 401 often has no body at all
CODE_THROTTLED = "0x80072322"
CODE_BLOCKED_IP = "0x80095ffe"
CODE_PAGING = "0x80040203"


@dataclass(frozen=True)
class Entity:
    set_name: str
    logical_name: str
    key: str
    props: dict[str, str]
    # msp_accountteams never announces more rows: the guide's "inconsistent paging cookies".
    pages: bool = True
    methods: frozenset[str] = field(default_factory=lambda: frozenset({"GET"}))

    @property
    def type_name(self) -> str:
        return f"Microsoft.Dynamics.CRM.{self.logical_name}"


G, S, INT, D = "Edm.Guid", "Edm.String", "Edm.Int32", "Edm.Decimal"
DATE, DTO, B = "Edm.Date", "Edm.DateTimeOffset", "Edm.Boolean"

ENTITIES: dict[str, Entity] = {
    e.set_name: e
    for e in (
        Entity(
            "accounts",
            "account",
            "accountid",
            {"accountid": G, "name": S, "msp_mstopparentid": S, "_territoryid_value": G},
        ),
        Entity(
            "territories",
            "territory",
            "territoryid",
            {"territoryid": G, "name": S, "msp_accountteamunitname": S},
        ),
        Entity(
            "systemusers",
            "systemuser",
            "systemuserid",
            {
                "systemuserid": G,
                "fullname": S,
                "internalemailaddress": S,
                "domainname": S,
                "isdisabled": B,
            },
        ),
        Entity(
            "msp_accountteams",
            "msp_accountteam",
            "msp_accountteamid",
            {
                "msp_accountteamid": G,
                "_msp_accountid_value": G,
                "_msp_systemuserid_value": G,
                "msp_qualifier1": S,
                "msp_qualifier2": S,
                "msp_standardtitle": S,
                "msp_fullname": S,
            },
            pages=False,
        ),
        Entity(
            "msp_engagementmilestones",
            "msp_engagementmilestone",
            "msp_engagementmilestoneid",
            {
                "msp_engagementmilestoneid": G,
                "msp_name": S,
                "msp_milestonenumber": S,
                "msp_milestonestatus": INT,
                "_msp_parentaccount_value": G,
                "_msp_opportunityid_value": G,
                "_msp_workloadlkid_value": G,
                "msp_monthlyuse": D,
                "msp_milestonedate": DATE,
                "msp_commitmentrecommendation": INT,
                "createdon": DTO,
                "modifiedon": DTO,
            },
        ),
        Entity(
            "teams",
            "team",
            "teamid",
            {
                "teamid": G,
                "name": S,
                "teamtype": INT,
                "_teamtemplateid_value": G,
                "_regardingobjectid_value": G,
            },
        ),
        Entity(
            "tasks",
            "task",
            "activityid",
            {
                "activityid": G,
                "subject": S,
                "description": S,
                "msp_taskcategory": INT,
                "scheduleddurationminutes": INT,
                "actualdurationminutes": INT,
                "prioritycode": INT,
                "scheduledstart": DTO,
                "scheduledend": DTO,
                "actualend": DTO,
                "statecode": INT,
                "statuscode": INT,
                "_regardingobjectid_value": G,
                "_ownerid_value": G,
                "createdon": DTO,
            },
            methods=frozenset({"GET", "POST", "PATCH"}),
        ),
    )
}

# Option sets whose labels the sandbox formats (the integration guide reads labels, not codes).
MILESTONE_STATUS: dict[int, str] = {
    861980000: "On Track",
    861980001: "At Risk",
    861980002: "Blocked",
    861980003: "Completed",
    861980004: "Cancelled",
    861980005: "Lost to Competitor",
    861980006: "Hygiene/Duplicate",
    861980007: "Not Started",
}
COMMITMENT: dict[int, str] = {861980002: "Pipeline", 861980003: "Committed"}
TEAM_TYPE: dict[int, str] = {0: "Owner", 1: "Access"}

ACCOUNT_TEAM_TEMPLATE = "3fcc1cfc-3e43-e311-9405-00155db3ba1e"
OPPORTUNITY_TEAM_TEMPLATE = "cc923a9d-7651-e311-9405-00155db3ba1e"
MILESTONE_TEAM_TEMPLATE = "316e4735-9e83-eb11-a812-0022481e1be0"


class ODataError(Exception):
    """A Dataverse-shaped failure: HTTP status plus the `{"error": {code, message}}` body."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> bytes:
        return json.dumps({"error": {"code": self.code, "message": self.message}}).encode()


def bad_query(message: str) -> ODataError:
    return ODataError(400, CODE_QUERY, message)


def unknown_property(name: str, entity: Entity) -> ODataError:
    return bad_query(f"Could not find a property named '{name}' on type '{entity.type_name}'.")
