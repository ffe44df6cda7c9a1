"""Which accounts are a person's: their alignments in msp_accountteams, or their account
access teams.

Alignments are asked one query a role (each answer small), following nextLink. Should a
role's answer fill a page without one (msp_accountteams has been seen to cut at 100), it
is read on by row id (`msp_accountteamid gt <last>`, rows sorted by it); Dataverse does
not document `gt` on a GUID, so where MSX refuses that, the account access teams (which
page like any relationship) fill in what was cut. The access teams are also the way in
when the alignments answer nothing, as reported since mid-2026 (msx-field-notes.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from bot.domain import DiscoveryPath, Role
from bot.msx import mapping
from bot.msx.client import Listener, MsxClient
from bot.msx.collection import Collection
from bot.msx.errors import MsxError
from bot.msx.mapping import ROLE_QUALIFIER2
from bot.msx.odata import and_, eq, guid, guid_eq

log = logging.getLogger(__name__)
ACCOUNT_TEAM_TEMPLATE_ID = "3fcc1cfc-3e43-e311-9405-00155db3ba1e"
ROW_ID = "msp_accountteamid"


@dataclass(frozen=True)
class MyAccounts:
    """Account id -> my roles on it (in Role order; empty where only an access team says
    the account is mine), how they were found, and whether the list may miss some."""

    roles: dict[str, tuple[Role, ...]]
    path: DiscoveryPath
    complete: bool = True


async def alignments(
    client: MsxClient, person: str, listener: Listener | None = None
) -> Collection[mapping.Assignment]:
    """My (account, role) alignments: Corporate rows of the five roles (sellers with a
    "Specialists IC" title). `person` is a filter on `_msp_systemuserid_value` (or
    EqualUserId on `msp_systemuserid`). `may_be_truncated` if a role was cut and could
    not be read on."""

    async def of_role(role: Role) -> Collection[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            # The seller title rule is applied here, not by `contains` in the filter: a
            # leading wildcard cannot use an index, so it only ever follows the account
            # filter (teams.py).
            clauses = [person, eq("msp_qualifier1", "Corporate"), eq("msp_qualifier2", q2(role))]
            if after is not None:
                clauses.append(f"{ROW_ID} gt {guid(after)}")
            params = {
                "$filter": and_(*clauses),
                "$select": f"_msp_accountid_value,msp_qualifier2,msp_standardtitle,{ROW_ID}",
                "$orderby": ROW_ID,  # the primary key: a unique sort, to read on after
            }
            try:
                page = await client.get_collection("msp_accountteams", params, listener=listener)
            except MsxError as exc:
                if after is None or exc.status != 400:
                    raise
                log.info("MSX refused reading alignments on by id (HTTP 400)")  # pragma: no mutate
                return Collection(rows, True)
            rows += page.items
            last = mapping.team_row_id(page.items[-1]) if page.items else None
            if not page.may_be_truncated:
                return Collection(rows, False)
            if last is None or last == after:
                return Collection(rows, True)
            after = last

    parts = await asyncio.gather(*(of_role(role) for role in Role))
    found = (mapping.assignment(row) for part in parts for row in part.items)
    unique = list(dict.fromkeys(a for a in found if a))
    return Collection(unique, any(p.may_be_truncated for p in parts))


async def access_team_accounts(
    client: MsxClient, user_id: str, listener: Listener | None = None
) -> Collection[str]:
    """Accounts whose account access team the user is on."""
    found = await client.get_collection(
        f"systemusers({guid(user_id)})/teammembership_association",
        {
            "$select": "_regardingobjectid_value,teamid,name",
            "$filter": and_(
                eq("teamtype", 1), guid_eq("_teamtemplateid_value", ACCOUNT_TEAM_TEMPLATE_ID)
            ),
        },
        pages=True,  # a relationship pages like any entity set
        listener=listener,
    )
    ids = (mapping.access_team_account(row) for row in found.items)
    return Collection(list(dict.fromkeys(i for i in ids if i)), found.may_be_truncated)


async def combine(
    mine: Collection[mapping.Assignment], access: asyncio.Future[Collection[str]]
) -> MyAccounts:
    """My accounts from the alignments, with the access teams where the alignments are
    empty or cut. `access` is awaited only then (and cancelled otherwise)."""
    roles: dict[str, list[Role]] = {}
    for a in mine.items:
        roles.setdefault(a.account_id, []).append(a.role)
    ordered = {k: tuple(sorted(set(v), key=_ROLES.index)) for k, v in roles.items()}
    if ordered and not mine.may_be_truncated:
        await cancel(access)
        return MyAccounts(ordered, DiscoveryPath.ACCOUNT_TEAMS)
    teams = await access
    extra: dict[str, tuple[Role, ...]] = {a: () for a in teams.items if a not in ordered}
    if not ordered:
        return MyAccounts(extra, DiscoveryPath.ACCESS_TEAMS, not teams.may_be_truncated)
    # Cut alignments, filled in from the access teams: whole only if the access teams hold
    # every account the alignments did give (then they likely hold the cut ones too).
    covered = ordered.keys() <= set(teams.items) and not teams.may_be_truncated
    # pragma: no mutate start
    log.warning("My alignments were cut short; %d account(s) added from access teams", len(extra))
    # pragma: no mutate end
    return MyAccounts({**ordered, **extra}, DiscoveryPath.ACCOUNT_TEAMS, covered)


async def cancel(task: asyncio.Future[Any]) -> None:
    """Cancel a request we no longer need; its failure is no longer ours."""
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


_ROLES = list(Role)


def q2(role: Role) -> str:
    return ROLE_QUALIFIER2[role]
