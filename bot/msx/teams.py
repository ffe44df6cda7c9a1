"""Whole account teams from msp_accountteams, however MSX pages them.

msp_accountteams follows `@odata.nextLink` when MSX gives one, but the integration guide
saw it cut at 100 rows with none. Rows are therefore asked sorted by name (`msp_fullname`;
Dataverse appends the row id, so the sort is unique), and a full page without a nextLink
is read on from its last name (`msp_fullname ge <last>`, a documented string comparison;
rows are de-duplicated by row id). Nothing relies on the order of a lookup (Dataverse
sorts those by the related record's name) nor on `gt` on a GUID (not documented).

Should that not move on (more rows of one name than a page holds), what was asked is
split: two halves, then one account a role at a time; one (account, role) that still
cannot move on is reported as incomplete (the user sees it as a gap).

The accounts are shared out at once among as many lanes as the client lets requests fly:
each asks for an even share of the rows expected (from the team sizes of the last
snapshot, else a guess) and reads it page after page: a page's worth of rows costs one
request, and the lanes run dry together. While the teams come in, each newcomer's e-mail
is looked up.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain import Identity, Role, TeamMember
from bot.msx import mapping
from bot.msx.client import Listener, MsxClient
from bot.msx.collection import Collection
from bot.msx.odata import and_, eq, guid, literal, or_
from bot.msx.queries import in_, role_filter

# The fewest rows a request asks for: just under a page, so that a small book's teams
# come in one round trip, side by side.
TARGET_ROWS = 95
GUESSED_TEAM_SIZE = 22  # sellers and SEs an account (the guide's figure), until we know
ROW_ID = "msp_accountteamid"
FIELDS = (
    "_msp_accountid_value,msp_fullname,msp_qualifier2,msp_standardtitle,"
    f"_msp_systemuserid_value,{ROW_ID}"
)
# The five roles of the bot, as one filter: only the rows the mapping keeps count
# against a page.
RELEVANT_ROLES = or_(*(f"({role_filter(r)})" if r.is_seller else role_filter(r) for r in Role))

UsersLookup = Callable[[list[str]], Awaitable[dict[str, Identity]]]


@dataclass
class Teams:
    members: list[TeamMember] = field(default_factory=list)
    # Accounts whose team could not be read whole: the snapshot's gaps name them.
    incomplete: list[str] = field(default_factory=list)
    requests: int = 0
    splits: int = 0


@dataclass(frozen=True)
class _Ask:
    accounts: tuple[str, ...]
    role: Role | None = None


class TeamReader:
    """Reads the teams of many accounts, as many requests at a time as the client's bound
    lets fly (which holds them all, milestones included, to that limit)."""

    def __init__(
        self,
        client: MsxClient,
        users: UsersLookup,
        *,
        listener: Listener | None = None,
        sizes: Mapping[str, int] | None = None,
        on_done: Callable[[int], None] | None = None,
    ) -> None:
        self._client = client
        self._listener = listener
        self._on_done = on_done
        self._sizes = dict(sizes or {})
        self._emails = _Emails(users)
        self._result = Teams()
        self._kept: dict[tuple[str, str, Role], TeamMember] = {}

    async def read(self, account_ids: Iterable[str]) -> Teams:
        ids = list(dict.fromkeys(guid(a) for a in account_ids))
        try:
            await asyncio.gather(*(self._lane(ask) for ask in self._shares(ids)))
            people = await self._emails.all()
        finally:
            await self._emails.aclose()
        members = [_with_email(m, people.get(m.user_id)) for m in self._kept.values()]
        order = {a: i for i, a in enumerate(ids)}
        # Each team by role, then name, as shown.
        members.sort(key=lambda m: (order[m.account_id], _ROLES.index(m.role), m.name.casefold()))
        self._result.members = members
        return self._result

    # -- lanes ---------------------------------------------------------------------------

    async def _lane(self, ask: _Ask) -> None:
        await self._read(ask)
        if self._on_done:
            self._on_done(len(ask.accounts))

    def _shares(self, ids: list[str]) -> list[_Ask]:
        """One ask a lane (at least one account each): every lane reads its pages one
        after another, all of them full but the last, so that the lanes finish together.
        Each ask is an even share of the rows not yet shared out, among the lanes left."""
        queue = deque(ids)
        lanes = min(self._client.bound, len(ids))
        asks: list[_Ask] = []
        while queue:
            # The last lane's share is all that is left.
            share = max(TARGET_ROWS, sum(map(self._expected, queue)) / (lanes - len(asks)))
            first = queue.popleft()
            accounts, rows = [first], self._expected(first)
            # An account joins while that brings the ask nearer its share than it was.
            while queue and rows + self._expected(queue[0]) / 2 <= share:
                rows += self._expected(queue[0])
                accounts.append(queue.popleft())
            asks.append(_Ask(tuple(accounts)))
        return asks

    def _expected(self, account_id: str) -> float:
        if account_id in self._sizes:
            return self._sizes[account_id]
        if self._sizes:
            return sum(self._sizes.values()) / len(self._sizes)
        return GUESSED_TEAM_SIZE

    # -- one ask, read on by name, split only where that cannot go on -------------------

    async def _read(self, ask: _Ask) -> None:
        rows, whole = await self._by_name(ask)
        if whole:
            self._keep(rows)
            return
        self._result.splits += 1
        if len(ask.accounts) > 1:
            half = len(ask.accounts) // 2
            await asyncio.gather(
                # Several accounts: never of one role (only one account is split by role).
                self._read(_Ask(ask.accounts[:half])),
                self._read(_Ask(ask.accounts[half:])),
            )
        elif ask.role is None:
            await asyncio.gather(*(self._read(_Ask(ask.accounts, role)) for role in Role))
        else:
            self._keep(rows)
            self._result.incomplete.append(ask.accounts[0])

    async def _by_name(self, ask: _Ask) -> tuple[list[dict[str, Any]], bool]:
        """The ask's rows, sorted by name (Dataverse appends the row id to the sort), a
        page after another: each goes on from the last name read (`ge`, since several
        rows may share it), keeping the rows not seen before. Whether they are all: not
        if a full page brought no new row (over a page of rows of one name)."""
        rows: list[dict[str, Any]] = []
        seen: set[str | None] = set()
        last: str | None = None
        while True:
            page = await self._get(ask, from_name=last)
            fresh = [r for r in page.items if mapping.team_row_id(r) not in seen]
            seen.update(mapping.team_row_id(r) for r in fresh)
            rows += fresh
            if not page.may_be_truncated:
                return rows, True
            last = mapping.team_row_name(page.items[-1])
            if not fresh or last is None:
                return rows, False

    async def _get(self, ask: _Ask, *, from_name: str | None = None) -> Collection[dict[str, Any]]:
        clauses = [in_("msp_accountid", ask.accounts), eq("msp_qualifier1", "Corporate")]
        clauses.append(RELEVANT_ROLES if ask.role is None else role_filter(ask.role))
        if from_name is not None:
            clauses.append(f"msp_fullname ge {literal(from_name)}")
        params = {"$filter": and_(*clauses), "$select": FIELDS, "$orderby": "msp_fullname"}
        self._result.requests += 1
        return await self._client.get_collection(
            "msp_accountteams", params, listener=self._listener
        )

    def _keep(self, rows: list[dict[str, Any]]) -> None:
        fresh: list[TeamMember] = []
        for row in rows:
            member = mapping.team_member(row)
            if member is None:
                continue
            key = (member.account_id, member.user_id, member.role)
            if key not in self._kept:
                self._kept[key] = member
                fresh.append(member)
        self._emails.want(m.user_id for m in fresh)


_ROLES = list(Role)


class _Emails:
    """Team members' e-mails, looked up while the teams are still coming in: each read's
    newcomers at once, so little is left to ask at the end (the same people sit on many
    teams)."""

    def __init__(self, users: UsersLookup) -> None:
        self._users = users
        self._asked: set[str] = set()
        self._lookups: list[asyncio.Task[dict[str, Identity]]] = []

    def want(self, user_ids: Iterable[str]) -> None:
        new = [u for u in dict.fromkeys(user_ids) if u not in self._asked]
        if new:
            self._asked.update(new)
            self._lookups.append(asyncio.ensure_future(self._users(new)))

    async def all(self) -> dict[str, Identity]:
        found: dict[str, Identity] = {}
        for part in await asyncio.gather(*self._lookups):
            found.update(part)
        return found

    async def aclose(self) -> None:
        for task in self._lookups:
            task.cancel()
        await asyncio.gather(*self._lookups, return_exceptions=True)


def _with_email(member: TeamMember, person: Identity | None) -> TeamMember:
    if person is None or not person.email:
        return member
    return member.model_copy(update={"email": person.email})
