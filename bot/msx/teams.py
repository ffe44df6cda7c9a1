"""Whole account teams from msp_accountteams, however MSX pages them.

msp_accountteams follows `@odata.nextLink` when MSX gives one, but the integration guide
saw it cut at 100 rows with none. A full page without a nextLink may therefore hide rows,
and nothing in it says which accounts are whole (Dataverse orders rows of a lookup by the
related record's name, not its id), so such a page is asked again, split:

1. several accounts -> two halves;
2. one account -> one request a role;
3. one (account, role) -> read on by name (`msp_fullname ge <last>`, a string keyset on
   a sort Dataverse makes unique with the row id), rows de-duplicated by row id.

Only when even that makes no progress is the account reported as incomplete (the user
sees it as a gap). Requests aim below a full page (TARGET_ROWS), sized by the team sizes
known from the last snapshot or seen so far, so that splitting stays rare.

While the teams come in, the members' e-mails are looked up a page of people at a time.
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

PAGE_ROWS = 100  # MSX's page: Prefer odata.maxpagesize=100
TARGET_ROWS = 70  # what a request aims at: below a page, so a cut is rare
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
        self._queue: deque[str] = deque()

    async def read(self, account_ids: Iterable[str]) -> Teams:
        ids = list(dict.fromkeys(guid(a) for a in account_ids))
        self._queue = deque(ids)
        try:
            await asyncio.gather(*(self._lane() for _ in range(min(self._client.bound, len(ids)))))
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

    async def _lane(self) -> None:
        while self._queue:
            ask = self._next_ask()
            if not self._queue:
                self._emails.eager()  # every account asked for: look people up at once
            await self._read(ask)
            if self._on_done:
                self._on_done(len(ask.accounts))

    def _next_ask(self) -> _Ask:
        """As many accounts as should fit TARGET_ROWS (at least one)."""
        first = self._queue.popleft()
        accounts, rows = [first], self._expected(first)
        while self._queue and rows + self._expected(self._queue[0]) <= TARGET_ROWS:
            rows += self._expected(self._queue[0])
            accounts.append(self._queue.popleft())
        return _Ask(tuple(accounts))

    def _expected(self, account_id: str) -> float:
        if account_id in self._sizes:
            return self._sizes[account_id]
        if self._sizes:
            return sum(self._sizes.values()) / len(self._sizes)
        return GUESSED_TEAM_SIZE

    # -- one ask, split as far as it takes ------------------------------------------------

    async def _read(self, ask: _Ask) -> None:
        known_big = len(ask.accounts) == 1 and self._expected(ask.accounts[0]) >= PAGE_ROWS
        if ask.role is None and known_big:  # fills a page alone: a role at a time at once
            await self._by_role(ask.accounts[0])
            return
        page = await self._get(ask)
        if not page.may_be_truncated:
            self._keep(page.items, ask)
            return
        self._result.splits += 1
        if len(ask.accounts) > 1:
            half = len(ask.accounts) // 2
            await asyncio.gather(
                self._read(_Ask(ask.accounts[:half], ask.role)),
                self._read(_Ask(ask.accounts[half:], ask.role)),
            )
        elif ask.role is None:
            await self._by_role(ask.accounts[0])
        else:
            await self._read_on_by_name(ask, page.items)

    async def _by_role(self, account_id: str) -> None:
        await asyncio.gather(*(self._read(_Ask((account_id,), role)) for role in Role))

    async def _read_on_by_name(self, ask: _Ask, rows: list[dict[str, Any]]) -> None:
        """One (account, role) over a page: go on from the last name read (`ge`, since
        several people may share it), keeping rows not seen before, until a page is not
        full. No new row at all means MSX does not move on: a gap, not a loop."""
        seen = {mapping.team_row_id(r) for r in rows}
        kept = list(rows)
        last = mapping.team_row_name(rows[-1]) if rows else None
        while last is not None:
            page = await self._get(ask, from_name=last)
            fresh = [r for r in page.items if mapping.team_row_id(r) not in seen]
            if not page.may_be_truncated:
                self._keep(kept + fresh, ask)
                return
            if not fresh:
                break
            seen.update(mapping.team_row_id(r) for r in fresh)
            kept += fresh
            last = mapping.team_row_name(page.items[-1])
        self._keep(kept, ask)
        self._result.incomplete.append(ask.accounts[0])

    async def _get(self, ask: _Ask, *, from_name: str | None = None) -> Collection[dict[str, Any]]:
        clauses = [in_("msp_accountid", ask.accounts), eq("msp_qualifier1", "Corporate")]
        params = {"$select": FIELDS}
        if ask.role is None:
            clauses.append(RELEVANT_ROLES)
        else:
            clauses.append(role_filter(ask.role))
            # Sorted by name (Dataverse appends the row id), for reading on by name.
            params["$orderby"] = "msp_fullname"
            if from_name is not None:
                clauses.append(f"msp_fullname ge {literal(from_name)}")
        params["$filter"] = and_(*clauses)
        self._result.requests += 1
        return await self._client.get_collection(
            "msp_accountteams", params, listener=self._listener
        )

    def _keep(self, rows: list[dict[str, Any]], ask: _Ask) -> None:
        fresh: list[TeamMember] = []
        counts: dict[str, int] = dict.fromkeys(ask.accounts, 0)
        for row in rows:
            account_id = mapping.account_of_team_row(row)
            if account_id in counts:
                counts[account_id] += 1
            member = mapping.team_member(row)
            if member is None:
                continue
            key = (member.account_id, member.user_id, member.role)
            if key not in self._kept:
                self._kept[key] = member
                fresh.append(member)
        if ask.role is None:
            self._sizes.update(counts)
        self._emails.want(m.user_id for m in fresh)


_ROLES = list(Role)


class _Emails:
    """Team members' e-mails, looked up while the teams are still coming in: a page of
    people (100) at a time, and once every account has been asked for, each page's
    newcomers at once, so little is left to ask at the end (the same people sit on many
    teams)."""

    def __init__(self, users: UsersLookup, page: int = PAGE_ROWS) -> None:
        self._users = users
        self._page = page
        self._eager = False
        self._asked: set[str] = set()
        self._pending: list[str] = []
        self._lookups: list[asyncio.Task[dict[str, Identity]]] = []

    def want(self, user_ids: Iterable[str]) -> None:
        for user_id in user_ids:
            if user_id not in self._asked:
                self._asked.add(user_id)
                self._pending.append(user_id)
        if self._eager or len(self._pending) >= self._page:
            self._flush()

    def eager(self) -> None:
        self._eager = True
        self._flush()

    def _flush(self) -> None:
        if self._pending:
            ids, self._pending = self._pending, []
            self._lookups.append(asyncio.ensure_future(self._users(ids)))

    async def all(self) -> dict[str, Identity]:
        self._flush()
        found: dict[str, Identity] = {}
        for part in await asyncio.gather(*self._lookups):
            found.update(part)
        return found

    async def aclose(self) -> None:
        for task in self._lookups:
            task.cancel()
        await asyncio.gather(*self._lookups, return_exceptions=True)


def _with_email(member: TeamMember, person: Identity | None) -> TeamMember:
    if person is None or not person.email or member.email == person.email:
        return member
    return member.model_copy(update={"email": person.email})
