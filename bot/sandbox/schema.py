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
CODE_QUERY = "0x80060888"  # bad query, syntax (as observed for $skip)
CODE_NO_PROPERTY = "0x0"  # "Could not find a property named ..." (Microsoft's troubleshooting)
CODE_NO_SEGMENT = "0x8006088a"  # "Resource not found for the segment ..." (same page)
CODE_NOT_FOUND = "0x80040217"  # record does not exist
CODE_VALIDATION = "0x80044331"
CODE_THROTTLED = "0x80072322"
CODE_BLOCKED_IP = "0x80095ffe"
CODE_PAGING = "0x8004112a"  # QueryBuilderInvalidPagingCookie (Microsoft's error list)
CODE_NO_ATTRIBUTE = "0x80041103"  # QueryBuilderNoAttribute (Microsoft's error list)


@dataclass(frozen=True)
class Entity:
    set_name: str
    logical_name: str
    key: str
    props: dict[str, str]
    # The related record's primary name column: `$orderby` on a lookup sorts by it.
    primary_name: str | None = None
    # False: whether it announces more rows is a switch (msp_accountteams, the guide's
    # "inconsistent paging cookies"); see SandboxMsx(team_next_link=...).
    pages: bool = True
    methods: frozenset[str] = field(default_factory=lambda: frozenset({"GET"}))

    @property
    def type_name(self) -> str:
        return f"Microsoft.Dynamics.CRM.{self.logical_name}"

    def attribute(self, logical: str) -> str | None:
        """The OData property of a column given its logical name (what query functions
        take): `msp_accountid` -> `_msp_accountid_value`; None if there is no such column.
        `_x_value` is not a logical name, so it is not found."""
        if logical.startswith("_"):
            return None
        lookup = f"_{logical}_value"
        if self.props.get(lookup) == "Edm.Guid":
            return lookup
        return logical if logical in self.props else None


def lookup_column(prop: str) -> bool:
    """`_x_value`: the OData value property of a lookup column."""
    return prop.startswith("_") and prop.endswith("_value")


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
            primary_name="name",
        ),
        Entity(
            "territories",
            "territory",
            "territoryid",
            {"territoryid": G, "name": S, "msp_accountteamunitname": S},
            primary_name="name",
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
            primary_name="fullname",
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
            primary_name="msp_fullname",
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
            primary_name="msp_name",
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
            primary_name="name",
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
            primary_name="subject",
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
        if self.status == 401:
            return b""  # a 401 carries its WWW-Authenticate challenge, not an error body
        return json.dumps({"error": {"code": self.code, "message": self.message}}).encode()


def bad_query(message: str) -> ODataError:
    return ODataError(400, CODE_QUERY, message)


ENTITY_BY_LOGICAL: dict[str, Entity] = {e.logical_name: e for e in ENTITIES.values()}
# Lookup property -> the logical name of the table it points at (a polymorphic lookup such
# as regardingobjectid is read from the row's lookuplogicalname annotation instead).
LOOKUP_TARGETS: dict[str, str] = {
    "_territoryid_value": "territory",
    "_msp_accountid_value": "account",
    "_msp_parentaccount_value": "account",
    "_msp_systemuserid_value": "systemuser",
    "_ownerid_value": "systemuser",
}


def no_attribute(name: str, entity: Entity) -> ODataError:
    """What Dataverse answers when a query function names a column that is not one of the
    entity's logical names (e.g. the OData property `_msp_accountid_value`)."""
    return ODataError(
        400,
        CODE_NO_ATTRIBUTE,
        f"'{entity.logical_name}' entity doesn't contain attribute with Name = '{name}'.",
    )


def unknown_property(name: str, entity: Entity) -> ODataError:
    return ODataError(
        400,
        CODE_NO_PROPERTY,
        f"Could not find a property named '{name}' on type '{entity.type_name}'.",
    )
