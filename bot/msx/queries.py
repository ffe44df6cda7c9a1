"""Filters the gateway composes, in Dataverse's own forms.

Query functions (`In`, `EqualUserId`) take a column's logical name (`msp_accountid`),
never the OData value property (`_msp_accountid_value`), which Dataverse refuses with 400;
plain comparisons are the other way round (dataverse-notes.md, Filters).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain import Role
from bot.msx.mapping import ROLE_QUALIFIER2, SELLER_TITLE_MARK
from bot.msx.odata import eq, guid, literal

_FUNCTIONS = "Microsoft.Dynamics.CRM."


def in_(logical_name: str, ids: Iterable[str]) -> str:
    """`Microsoft.Dynamics.CRM.In`: rows whose column is one of these GUIDs."""
    values = ",".join(f'"{guid(i)}"' for i in ids)
    return f"{_FUNCTIONS}In(PropertyName={literal(logical_name)},PropertyValues=[{values}])"


def equal_user_id(logical_name: str) -> str:
    """`Microsoft.Dynamics.CRM.EqualUserId`: rows whose column is the signed-in user."""
    return f"{_FUNCTIONS}EqualUserId(PropertyName={literal(logical_name)})"


def role_filter(role: Role) -> str:
    """One role's rows, with the guide's title rule for sellers. Only ever after an
    account filter, which narrows the rows first: a leading wildcard (`contains`) cannot
    use an index (dataverse-notes.md)."""
    clause = eq("msp_qualifier2", ROLE_QUALIFIER2[role])
    if role.is_seller:
        return f"{clause} and contains(msp_standardtitle,{literal(SELLER_TITLE_MARK)})"
    return clause
