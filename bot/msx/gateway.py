"""High-level MSX reads and writes, in the seller's types (bot/domain.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx

from bot.config import Settings
from bot.domain import Account, Identity, Milestone, Role, TeamMember, Territory
from bot.msx import mapping
from bot.msx.auth import TokenProvider, token_provider_from_settings
from bot.msx.client import MsxClient
from bot.msx.collection import Collection
from bot.msx.errors import MsxError
from bot.msx.mapping import (
    ACCOUNT_TEAM_TEMPLATE_ID,
    ROLE_QUALIFIER2,
    SELLER_TITLE_MARK,
    Assignment,
)
from bot.msx.odata import and_, any_guid, eq, guid, guid_eq, guid_gt, literal, or_, split_ids

log = logging.getLogger(__name__)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)

# How an MSX without a query function (EqualUserId) answers it.
REFUSED_FUNCTION = (400, 501)
USER_FIELDS = "systemuserid,fullname,internalemailaddress"
ACCOUNT_FIELDS = "accountid,name,msp_mstopparentid,_territoryid_value"
TERRITORY_FIELDS = "territoryid,name"
TEAM_ROW_ID = "msp_accountteamid"
TEAM_FIELDS = (
    "_msp_accountid_value,msp_fullname,msp_qualifier2,msp_standardtitle,"
    f"_msp_systemuserid_value,{TEAM_ROW_ID}"
)
MILESTONE_FIELDS = (
    "msp_engagementmilestoneid,msp_name,msp_milestonestatus,msp_milestonenumber,"
    "_msp_opportunityid_value,msp_monthlyuse,_msp_workloadlkid_value,msp_milestonedate,"
    "_msp_parentaccount_value"
)


@dataclass(frozen=True)
class TeamPage(Collection[TeamMember]):
    """Team members from one request, the accounts seen in the raw rows, in order, and
    where the page ended (the last raw row's account and row id).

    Rows are ordered by account, then row id: when the page was cut short
    (`may_be_truncated`), every account before the last one in `accounts_in_order` is
    complete, and the last one goes on after `last_row`.
    """

    accounts_in_order: list[str] = field(default_factory=list)
    last_row: tuple[str, str] | None = None


class MsxGateway:
    """MSX as the bot needs it. Field names and filters stay in here and in mapping.py."""

    def __init__(
        self,
        client: MsxClient,
        base_url: str | None = None,
        *,
        token_provider: TokenProvider | None = None,
    ) -> None:
        self.client = client
        self.base_url = (base_url or client.base_url).rstrip("/")
        # Closed with the gateway when the gateway made it (from_settings).
        self._owned_tokens = token_provider

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        token_provider: TokenProvider | None = None,
        **client_kwargs: Any,
    ) -> MsxGateway:
        owned = token_provider is None
        tokens = token_provider or token_provider_from_settings(settings)
        client = MsxClient(settings, tokens, transport=transport, **client_kwargs)
        return cls(client, settings.msx_base_url, token_provider=tokens if owned else None)

    # -- who am I ----------------------------------------------------------------------

    async def whoami(self) -> str:
        data = await self.client.get_json("WhoAmI")
        return guid(str(data.get("UserId", "")))

    async def me(self) -> Identity:
        """The signed-in user in one request, WhoAmI not needed first: their systemuser row
        asked with `EqualUserId`. Where MSX refuses the function (400 or 501), WhoAmI,
        then the row by id."""
        try:
            found = await self.client.get_collection(
                "systemusers",
                {"$select": USER_FIELDS, "$filter": equal_user_id("systemuserid")},
            )
        except MsxError as exc:
            if exc.status not in REFUSED_FUNCTION:
                raise
            log.info("MSX refused EqualUserId (HTTP %s); asking WhoAmI", exc.status)
        else:
            person = mapping.identity(found.items[0]) if found.items else None
            if person is not None and person.user_id:
                return person
        return await self.user(await self.whoami())

    async def user(self, user_id: str) -> Identity:
        row = await self.client.get_json(f"systemusers({guid(user_id)})", {"$select": USER_FIELDS})
        return mapping.identity(row, user_id)

    async def user_by_email(self, email: str) -> Identity | None:
        found = await self.client.get_collection(
            "systemusers",
            {"$select": USER_FIELDS, "$filter": eq("internalemailaddress", email.strip())},
        )
        return mapping.identity(found.items[0]) if found.items else None

    async def users(self, ids: Iterable[str]) -> dict[str, Identity]:
        rows = await self._by_ids("systemusers", "systemuserid", USER_FIELDS, ids)
        people = (mapping.identity(row) for row in rows)
        return {p.user_id: p for p in people if p.user_id}

    # -- my accounts -------------------------------------------------------------------

    async def my_assignments(self, user_id: str | None = None) -> Collection[Assignment]:
        """A person's (account, role) alignments from msp_accountteams: Corporate rows of
        the five seller and SE roles only (sellers with a "Specialists IC" title), as the
        team rules. Without `user_id`, the signed-in user's, asked with `EqualUserId` so
        that it need not wait for WhoAmI; an MSX that refuses the function answers
        MsxError 400 (or 501), and the caller asks again with the id.

        One query a role, all at once, so each answer is small; a role that still fills a
        page is read on by account (`_msp_accountid_value gt <last>`), since msp_accountteams
        gives no nextLink. `may_be_truncated` only if even that could not go on.
        """
        person = "_msp_systemuserid_value"
        me = guid_eq(person, user_id) if user_id else equal_user_id(person)

        async def of_role(role: Role) -> tuple[list[dict[str, Any]], bool]:
            rows: list[dict[str, Any]] = []
            after: str | None = None
            while True:
                clauses = [me, eq("msp_qualifier1", "Corporate"), role_filter(role)]
                if after is not None:
                    clauses.append(f"_msp_accountid_value gt {after}")
                raw = await self.client.get_collection(
                    "msp_accountteams",
                    {
                        "$filter": and_(*clauses),
                        "$select": "_msp_accountid_value,msp_qualifier2",
                        "$orderby": "_msp_accountid_value",
                    },
                )
                rows += raw.items
                if not raw.may_be_truncated:
                    return rows, False
                last = mapping.account_of_team_row(raw.items[-1]) if raw.items else None
                if last is None or last == after:
                    log.warning("My %s alignments may be truncated", role.label)
                    return rows, True
                # One (account, role) is all we need: the last account's other rows are
                # duplicates, so going on after it loses nothing.
                after = last

        parts = await asyncio.gather(*(of_role(role) for role in Role))
        rows = [row for part, _ in parts for row in part]
        return Collection(_assignments(rows), any(cut for _, cut in parts))

    async def access_team_accounts(self, user_id: str) -> list[str]:
        """Accounts whose account access team I am on (the post-2026 discovery path)."""
        found = await self.client.get_collection(
            f"systemusers({guid(user_id)})/teammembership_association",
            {
                "$select": "_regardingobjectid_value,teamid,name",
                "$filter": and_(
                    eq("teamtype", 1), guid_eq("_teamtemplateid_value", ACCOUNT_TEAM_TEMPLATE_ID)
                ),
            },
        )
        if found.may_be_truncated:
            log.warning("Access-team list may be truncated (%d teams)", len(found.items))
        ids = (mapping.access_team_account(row) for row in found.items)
        return list(dict.fromkeys(i for i in ids if i))

    async def accounts(self, ids: Iterable[str]) -> list[Account]:
        rows = await self._by_ids("accounts", "accountid", ACCOUNT_FIELDS, ids)
        return _unique_by_id(a for a in map(mapping.account, rows) if a)

    async def territories(self, ids: Iterable[str]) -> list[Territory]:
        rows = await self._by_ids("territories", "territoryid", TERRITORY_FIELDS, ids)
        return _unique_by_id(t for t in map(mapping.territory, rows) if t)

    # -- account details ---------------------------------------------------------------

    async def team_members(
        self, account_ids: Iterable[str], *, after: tuple[str, str] | None = None
    ) -> TeamPage:
        """Sellers and SEs on these accounts, in ONE request: msp_accountteams never pages
        past 100 rows, so callers read `may_be_truncated`, `accounts_in_order` and
        `last_row` to ask again for what a cut page left out (workflows/team_fetch.py).
        `after` (an account and a row id) reads that account on from after that row."""
        ids = [guid(i) for i in dict.fromkeys(account_ids)]
        if not ids:
            return TeamPage([], False, [])
        accounts = in_guids("_msp_accountid_value", ids)
        if after is not None:
            cut, row = after
            rest = [i for i in ids if i != guid(cut)]
            read_on = and_(guid_eq("_msp_accountid_value", cut), guid_gt(TEAM_ROW_ID, row))
            accounts = or_(read_on, in_guids("_msp_accountid_value", rest)) if rest else read_on
        raw = await self.client.get_collection(
            "msp_accountteams",
            {
                # Only the rows the mapping keeps: any other row would count against the page.
                "$filter": and_(accounts, eq("msp_qualifier1", "Corporate"), RELEVANT_ROLES),
                "$select": TEAM_FIELDS,
                # A cut page leaves only its last account to read on, after its last row.
                "$orderby": f"_msp_accountid_value,{TEAM_ROW_ID}",
            },
        )
        # Truncation is judged on the raw rows (by the client), before mapping drops any;
        # the accounts seen and the last row likewise come from the raw rows.
        seen = (mapping.account_of_team_row(row) for row in raw.items)
        accounts_in_order = list(dict.fromkeys(a for a in seen if a))
        members = (mapping.team_member(row) for row in raw.items)
        unique = {(m.account_id, m.user_id, m.role): m for m in members if m}
        last_row = mapping.team_row_key(raw.items[-1]) if raw.items else None
        return TeamPage(list(unique.values()), raw.may_be_truncated, accounts_in_order, last_row)

    async def milestones(self, account_ids: Iterable[str]) -> Collection[Milestone]:
        """Every milestone of these accounts (following nextLink), and whether MSX may
        have held some back."""
        ids = [guid(i) for i in dict.fromkeys(account_ids)]
        if not ids:
            return Collection([], False)

        def params(chunk: list[str]) -> dict[str, str]:
            return {
                "$filter": in_guids("_msp_parentaccount_value", chunk),
                "$select": MILESTONE_FIELDS,
                "$orderby": "msp_name",
            }

        chunks = split_ids(ids, lambda c: self.client.url("msp_engagementmilestones", params(c)))
        parts = await asyncio.gather(
            *(
                # Milestones page (nextLink): a full last page is the end of them.
                self.client.get_collection("msp_engagementmilestones", params(c), pages=True)
                for c in chunks
            )
        )
        truncated = any(p.may_be_truncated for p in parts)
        if truncated:
            log.warning("Milestone list may be truncated")
        found = (mapping.milestone(row, self.base_url) for p in parts for row in p.items)
        return Collection(_unique_by_id(m for m in found if m), truncated)

    # -- plumbing ----------------------------------------------------------------------

    async def _by_ids(
        self, entity_set: str, key: str, select: str, ids: Iterable[str]
    ) -> list[dict[str, Any]]:
        """Rows for many ids: chunks of one page each, under the URL limit, fetched
        concurrently (the client's semaphore bounds them)."""
        wanted = [guid(i) for i in ids]
        if not wanted:
            return []

        def params(chunk: list[str]) -> dict[str, str]:
            return {"$filter": any_guid(key, chunk), "$select": select}

        # A page of ids at a time, and no URL over the limit.
        chunks = split_ids(
            wanted,
            lambda c: self.client.url(entity_set, params(c)),
            max_ids=self.client.page_size,
        )
        parts = await asyncio.gather(
            *(self.client.get_collection(entity_set, params(c)) for c in chunks)
        )
        return [row for part in parts for row in part.items]

    async def aclose(self) -> None:
        await self.client.aclose()
        close: Callable[[], Any] | None = getattr(self._owned_tokens, "aclose", None)
        if close is not None:
            await close()

    async def __aenter__(self) -> MsxGateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def equal_user_id(prop: str) -> str:
    """`Microsoft.Dynamics.CRM.EqualUserId`: true where `prop` is the signed-in user."""
    return f"Microsoft.Dynamics.CRM.EqualUserId(PropertyName={literal(prop)})"


def in_guids(prop: str, ids: Iterable[str]) -> str:
    """`Microsoft.Dynamics.CRM.In(...)`: a long OR-list of GUIDs, shorter (dataverse-notes)."""
    values = ",".join(f'"{guid(i)}"' for i in ids)
    return f"Microsoft.Dynamics.CRM.In(PropertyName={literal(prop)},PropertyValues=[{values}])"


def role_filter(role: Role) -> str:
    """The server-side filter for one role's rows, with the guide's title rule for sellers."""
    clause = eq("msp_qualifier2", ROLE_QUALIFIER2[role])
    if role.is_seller:
        return f"{clause} and contains(msp_standardtitle,{literal(SELLER_TITLE_MARK)})"
    return clause


# The five roles of the bot, as one filter (parenthesised, so it composes with `and`).
RELEVANT_ROLES = or_(*(f"({role_filter(r)})" if r.is_seller else role_filter(r) for r in Role))


def _assignments(rows: Iterable[dict[str, Any]]) -> list[Assignment]:
    found = (mapping.assignment(row) for row in rows)
    return list(dict.fromkeys(a for a in found if a))


def _unique_by_id(items: Iterable[T]) -> list[T]:
    seen: dict[str, T] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return list(seen.values())
