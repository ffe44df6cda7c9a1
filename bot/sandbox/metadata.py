"""`EntityDefinitions(...)/Attributes(...)/Microsoft.Dynamics.CRM.PicklistAttributeMetadata`:
the option sets a client may read instead of trusting hard-coded codes."""

from __future__ import annotations

import re
import uuid
from typing import Any

from bot.sandbox.schema import (
    CODE_NOT_FOUND,
    COMMITMENT,
    MILESTONE_STATUS,
    ODataError,
    bad_query,
)

# task.msp_taskcategory as MSX labels it: the integration guide's table, then the newer
# categories the field notes report in use (msx-field-notes.md, "Tasks").
TASK_CATEGORY: dict[int, str] = {
    861980004: "Architecture Design Session",
    861980006: "Blocker Escalation",
    861980008: "Briefing",
    861980007: "Consumption Plan",
    861980002: "Demo",
    861980005: "PoC/Pilot",
    606820005: "Technical Close/Win Plan",
    861980001: "Workshop",
    606820000: "ACE",
    861980010: "Call Back Requested",
    606820001: "Cross Segment",
    606820002: "Cross Workload",
    861980000: "Customer Engagement",
    861980013: "External (Co-creation of Value)",
    861980012: "Internal",
    861980003: "Negotiate Pricing",
    861980011: "New Partner Request",
    606820003: "Post Sales",
    861980009: "RFP/RFI",
    606820004: "Tech Support",
    606820009: "L300+ Demo",
    606820006: "Rapid Prototyping",
    606820008: "Solution Whiteboarding",
    606820007: "Technical Workshop",
    861980014: "Assessment",
}

OPTION_SETS: dict[tuple[str, str], dict[int, str]] = {
    ("task", "msp_taskcategory"): TASK_CATEGORY,
    ("task", "prioritycode"): {0: "Low", 1: "Normal", 2: "High"},
    ("msp_engagementmilestone", "msp_milestonestatus"): MILESTONE_STATUS,
    ("msp_engagementmilestone", "msp_commitmentrecommendation"): COMMITMENT,
}
_ROUTE = re.compile(
    r"EntityDefinitions\(LogicalName='(?P<entity>\w+)'\)"
    r"/Attributes\(LogicalName='(?P<attr>\w+)'\)"
    r"/Microsoft\.Dynamics\.CRM\.PicklistAttributeMetadata"
)
_SELECTABLE = ("LogicalName", "MetadataId", "SchemaName", "AttributeType")


def _label(text: str) -> dict[str, Any]:
    localized = {"Label": text, "LanguageCode": 1033}
    return {"LocalizedLabels": [localized], "UserLocalizedLabel": localized}


def answer(rest: str, options: dict[str, str], api_root: str) -> dict[str, Any]:
    m = _ROUTE.fullmatch(rest)
    if not m:
        raise ODataError(404, "0x80060888", f"Resource not found for the segment '{rest}'.")
    entity, attr = m.group("entity"), m.group("attr")
    if entity not in {e for e, _ in OPTION_SETS}:
        raise ODataError(
            404, CODE_NOT_FOUND, f"Could not find entity with LogicalName = '{entity}'."
        )
    if (entity, attr) not in OPTION_SETS:
        raise ODataError(
            404, CODE_NOT_FOUND, f"Could not find attribute '{attr}' on entity '{entity}'."
        )
    for opt in options:
        if opt not in ("$select", "$expand"):
            raise bad_query(f"The query option '{opt}' is not allowed on metadata.")
    select = [s.strip() for s in options.get("$select", "").split(",") if s.strip()]
    for col in select:
        if col not in _SELECTABLE:
            raise bad_query(
                f"Could not find a property named '{col}' on type "
                "'Microsoft.Dynamics.CRM.PicklistAttributeMetadata'."
            )
    expand = options.get("$expand")
    if expand not in (None, "OptionSet", "GlobalOptionSet"):
        raise bad_query(
            f"Could not find a property named '{expand}' on type "
            "'Microsoft.Dynamics.CRM.PicklistAttributeMetadata'."
        )
    metadata_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"attribute/{entity}/{attr}"))
    full = {
        "LogicalName": attr,
        "MetadataId": metadata_id,
        "SchemaName": attr,
        "AttributeType": "Picklist",
    }
    out: dict[str, Any] = {
        "@odata.context": f"{api_root}$metadata#EntityDefinitions('{entity}')/Attributes/"
        "Microsoft.Dynamics.CRM.PicklistAttributeMetadata/$entity",
    }
    out |= {k: v for k, v in full.items() if not select or k in select or k == "MetadataId"}
    if expand:
        out[expand] = {
            "MetadataId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"optionset/{entity}/{attr}")),
            "Name": f"{entity}_{attr}",
            "Options": [
                {"Value": code, "Label": _label(text)}
                for code, text in sorted(OPTION_SETS[entity, attr].items())
            ],
        }
    return out
