"""High-level MSX reads and writes, in the seller's types (bot/domain.py)."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

import httpx

from bot.config import Settings
from bot.domain import Account, Identity, Milestone, Territory
from bot.msx import discovery, mapping
from bot.msx.auth import TokenProvider, token_provider_from_settings
from bot.msx.client import Listener, MsxClient
from bot.msx.collection import Collection
from bot.msx.discovery import MyAccounts
from bot.msx.errors import MsxError
from bot.msx.odata import any_guid, eq, guid, guid_eq, split_ids
from bot.msx.queries import equal_user_id, in_
from bot.msx.teams import TeamReader, Teams

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
MILESTONE_FIELDS = (
    "msp_engagementmilestoneid,msp_name,msp_milestonestatus,msp_milestonenumber,"
    "_msp_opportunityid_value,msp_monthlyuse,_msp_workloadlkid_value,msp_milestonedate,"
    "_msp_parentaccount_value"
)
# Accounts per milestone query: at least this many (a page holds 100 milestones, an
# account has a few), and no more queries than MILESTONE_QUERIES.
MILESTONE_CHUNK = 8
MILESTONE_QUERIES = 16


class MsxGateway:
    """MSX as the bot needs it. Field names and filters stay in bot/msx/."""

    def __init__(self, client: MsxClient, *, listener: Listener | None = None) -> None:
        self.client = client
        self.base_url = client.base_url
        self._listener = listener

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        token_provider: TokenProvider | None = None,
        **client_kwargs: Any,
    ) -> MsxGateway:
        # The token providers hold nothing open: closing the client is all there is to close.
        tokens = token_provider or token_provider_from_settings(settings)
        return cls(MsxClient(settings, tokens, transport=transport, **client_kwargs))

    def listening(self, listener: Listener | None) -> MsxGateway:
        """This gateway (same client, same bound) telling `listener` of its retries and
        throttling: one person's refresh hears its own waits."""
        return MsxGateway(self.client, listener=listener)

    # -- who -------------------------------------------------------------------------

    async def whoami(self) -> str:
        data = await self.client.get_json("WhoAmI", listener=self._listener)
        return guid(str(data.get("UserId")))

    async def me(self) -> Identity:
        """The signed-in user in one request: their systemuser row asked with
        `EqualUserId`. Where MSX refuses the function (400 or 501), WhoAmI, then the
        row by id."""
        try:
            found = await self._rows(
                "systemusers", {"$select": USER_FIELDS, "$filter": equal_user_id("systemuserid")}
            )
        except MsxError as exc:
            if exc.status not in REFUSED_FUNCTION:
                raise
            # pragma: no mutate start
            log.info("MSX refused EqualUserId (HTTP %s); asking WhoAmI", exc.status)
            # pragma: no mutate end
        else:
            if found.items:  # the row always names its id: it was asked for
                return mapping.identity(found.items[0])
        return await self.user(await self.whoami())

    async def user(self, user_id: str) -> Identity:
        row = await self.client.get_json(
            f"systemusers({guid(user_id)})", {"$select": USER_FIELDS}, listener=self._listener
        )
        return mapping.identity(row)

    async def user_by_email(self, email: str) -> Identity | None:
        found = await self._rows(
            "systemusers",
            {"$select": USER_FIELDS, "$filter": eq("internalemailaddress", email.strip())},
        )
        return mapping.identity(found.items[0]) if found.items else None

    async def users(self, ids: Iterable[str]) -> dict[str, Identity]:
        rows = await self._by_ids("systemusers", "systemuserid", USER_FIELDS, ids)
        people = (mapping.identity(row) for row in rows)
        return {p.user_id: p for p in people if p.user_id}

    # -- whose accounts --------------------------------------------------------------

    async def me_and_my_accounts(self) -> tuple[Identity, MyAccounts]:
        """Who is signed in and their accounts, in one round trip where MSX allows:
        my alignments are asked with `EqualUserId` beside my own row."""
        mine = asyncio.ensure_future(
            discovery.alignments(self.client, equal_user_id("msp_systemuserid"), self._listener)
        )
        try:
            me = await self.me()
        except BaseException:
            await discovery.cancel(mine)
            raise
        try:
            found = await mine
        except MsxError as exc:
            if exc.status not in REFUSED_FUNCTION:
                raise
            # pragma: no mutate start
            log.info("MSX refused EqualUserId on alignments (HTTP %s); asking by id", exc.status)
            # pragma: no mutate end
            return me, await self.accounts_of(me.user_id)
        return me, await discovery.combine(found, self._access_teams(me.user_id))

    async def accounts_of(self, user_id: str) -> MyAccounts:
        """A person's accounts by their user id (a colleague's book)."""
        # Asked beside the alignments, so that falling back to them costs no round trip.
        access = self._access_teams(user_id)
        try:
            found = await discovery.alignments(
                self.client, guid_eq("_msp_systemuserid_value", user_id), self._listener
            )
        except BaseException:
            await discovery.cancel(access)
            raise
        return await discovery.combine(found, access)

    def _access_teams(self, user_id: str) -> asyncio.Future[Collection[str]]:
        return asyncio.ensure_future(
            discovery.access_team_accounts(self.client, user_id, self._listener)
        )

    # -- account details -------------------------------------------------------------

    async def accounts(self, ids: Iterable[str]) -> list[Account]:
        """Accounts with their territory and POD."""
        rows = await self._by_ids("accounts", "accountid", ACCOUNT_FIELDS, ids)
        accounts = _unique_by_id(a for a in map(mapping.account, rows) if a)
        territory_ids = sorted({a.territory_id for a in accounts if a.territory_id})
        territories = {t.id: t for t in await self.territories(territory_ids)}
        out = []
        for a in accounts:
            t = territories.get(a.territory_id) if a.territory_id else None
            out.append(
                a.model_copy(update={"territory": t.name, "pod": t.pod}) if t is not None else a
            )
        return out

    async def territories(self, ids: Iterable[str]) -> list[Territory]:
        rows = await self._by_ids("territories", "territoryid", TERRITORY_FIELDS, ids)
        return _unique_by_id(t for t in map(mapping.territory, rows) if t)

    async def teams(
        self,
        account_ids: Iterable[str],
        *,
        sizes: Mapping[str, int] | None = None,
        on_done: Callable[[int], None] | None = None,
    ) -> Teams:
        """The sellers and SEs of these accounts, whole, with their e-mails (teams.py has
        how). `sizes`: each account's team size as last seen, to ask in page-sized
        batches; `on_done(n)` hears of n more accounts read."""
        reader = TeamReader(
            self.client, self.users, listener=self._listener, sizes=sizes, on_done=on_done
        )
        return await reader.read(account_ids)

    async def milestones(
        self, account_ids: Iterable[str], *, on_done: Callable[[int], None] | None = None
    ) -> Collection[Milestone]:
        """Every milestone of these accounts (following nextLink), and whether MSX may
        have held some back. Asked in up to MILESTONE_QUERIES queries side by side."""
        ids = list(dict.fromkeys(guid(i) for i in account_ids))
        step = max(MILESTONE_CHUNK, math.ceil(len(ids) / MILESTONE_QUERIES))

        def params(chunk: list[str]) -> dict[str, str]:
            return {
                "$filter": in_("msp_parentaccount", chunk),
                "$select": MILESTONE_FIELDS,
                "$orderby": "msp_name",
            }

        async def part(chunk: list[str]) -> Collection[dict[str, Any]]:
            # The milestones page with nextLinks: a full page without one is the last.
            found = await self.client.get_collection(
                "msp_engagementmilestones", params(chunk), pages=True, listener=self._listener
            )
            if on_done:
                on_done(len(chunk))
            return found

        chunks = [
            piece
            for i in range(0, len(ids), step)
            for piece in split_ids(
                ids[i : i + step], lambda c: self.client.url("msp_engagementmilestones", params(c))
            )
        ]
        parts = await asyncio.gather(*(part(c) for c in chunks))
        truncated = any(p.may_be_truncated for p in parts)
        if truncated:
            log.warning("Milestone list may be truncated")  # pragma: no mutate
        found = (mapping.milestone(row, self.base_url) for p in parts for row in p.items)
        return Collection(_unique_by_id(m for m in found if m), truncated)

    # -- plumbing --------------------------------------------------------------------

    async def _rows(self, entity_set: str, params: dict[str, str]) -> Collection[dict[str, Any]]:
        return await self.client.get_collection(entity_set, params, listener=self._listener)

    async def _by_ids(
        self, entity_set: str, key: str, select: str, ids: Iterable[str]
    ) -> list[dict[str, Any]]:
        """Rows for many ids: chunks of one page each, under the URL limit, fetched
        concurrently (the client bounds them)."""
        wanted = [guid(i) for i in ids]
        if not wanted:
            return []

        def params(chunk: list[str]) -> dict[str, str]:
            return {"$filter": any_guid(key, chunk), "$select": select}

        chunks = split_ids(
            wanted,
            lambda c: self.client.url(entity_set, params(c)),
            max_ids=self.client.page_size,
        )
        parts = await asyncio.gather(*(self._rows(entity_set, params(c)) for c in chunks))
        return [row for part in parts for row in part.items]

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> MsxGateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _unique_by_id(items: Iterable[T]) -> list[T]:
    seen: dict[str, T] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return list(seen.values())
