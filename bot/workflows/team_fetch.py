"""Fetch whole account teams although msp_accountteams caps a page and never pages.

A team query answers at most one page and gives no nextLink, so a full page may be cut
short. Rows come ordered by account, then row id, so every account whose rows are followed
by another account's rows in a cut page is complete; the last one seen is read on after
the page's last row in the next request: no row is read twice, however big a team. Should
MSX not move on, the account is reported, never dropped silently.

`lanes` lanes run side by side (the gateway bounds the requests in flight). Each goes on
with the account its last page was cut in, topped up from one shared queue with as many
as should fill a page (judged from the team sizes seen so far); the accounts a cut page
did not reach go back to the front of the queue, for whichever lane asks next. So every
page but a lane's last is full, and the lanes run dry together instead of one long lane
finishing alone.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain import Role, TeamMember
from bot.msx.gateway import TeamPage
from bot.workflows.concurrency import all_of

# As many lanes as the gateway lets requests fly: fewer leaves it idle, more only adds
# requests (every lane's last page is part-empty).
LANES = 16
PAGE_ROWS = 100  # msp_accountteams' cap
# Ask for half a page more than should fit: a page that comes back part-empty costs a
# request; more than that only leaves a lane more to finish alone at the end (a cut
# account is read on, not again).
OVERFILL = 1.5
GUESSED_TEAM_SIZE = 22  # sellers and SEs an account, the guide's figure, until we know


class TeamSource(Protocol):
    async def team_members(
        self, account_ids: Sequence[str], *, after: tuple[str, str] | None = None
    ) -> TeamPage: ...


@dataclass
class TeamResult:
    members: list[TeamMember] = field(default_factory=list)
    requests: int = 0
    # Accounts that could not be fetched whole, for the snapshot's gaps.
    incomplete: list[str] = field(default_factory=list)


async def fetch_teams(
    source: TeamSource,
    account_ids: Sequence[str],
    *,
    batch_size: int | None = None,
    lanes: int = LANES,
    on_done: Callable[[int], None] | None = None,
    prepare: Callable[[list[TeamMember]], list[TeamMember]] | None = None,
    on_last_round: Callable[[], None] | None = None,
) -> TeamResult:
    """Every team member of every account, asking again for whatever a page cut short.

    `batch_size` fixes how many accounts a request asks for (by default: as many as
    should fill a page); `on_done(n)` hears of n more accounts complete, `prepare` gets
    the new members as they come and returns them to keep (e.g. with what is known of
    them so far), and `on_last_round` hears that every account has been asked for.
    """
    result = TeamResult()
    by_account: dict[str, list[TeamMember]] = {}
    ids = list(dict.fromkeys(account_ids))
    queue = deque(ids)
    seen_members = seen_accounts = 0

    held: set[tuple[str, str, Role]] = set()

    def keep(members: list[TeamMember], complete: Sequence[str]) -> None:
        nonlocal seen_members, seen_accounts
        fresh = []
        for account_id in complete:
            by_account.setdefault(account_id, [])
        for member in members:
            key = (member.account_id, member.user_id, member.role)
            if key not in held:
                held.add(key)
                fresh.append(member)
        if prepare and fresh:
            fresh = prepare(fresh)
        for member in fresh:
            by_account.setdefault(member.account_id, []).append(member)
        seen_members += len(fresh)
        seen_accounts += len(complete)
        if on_done and complete:
            on_done(len(complete))

    def share() -> int:
        """Accounts to ask for at once: enough for a page and a bit, so pages come full."""
        if batch_size:
            return batch_size
        if not seen_accounts:  # the first requests: every lane gets some
            by_guess = math.ceil(PAGE_ROWS * OVERFILL / GUESSED_TEAM_SIZE)
            return max(1, min(by_guess, math.ceil(len(ids) / lanes)))
        per_account = max(seen_members / seen_accounts, 1)
        return max(1, math.ceil(PAGE_ROWS * OVERFILL / per_account))

    def top_up(pending: list[str]) -> list[str]:
        want = share()
        while len(pending) < want and queue:
            pending.append(queue.popleft())
            if not queue and on_last_round:
                on_last_round()
        return pending

    async def lane() -> None:
        pending = top_up([])
        after: tuple[str, str] | None = None
        while pending:
            page = await source.team_members(pending, after=after)
            result.requests += 1
            if not page.may_be_truncated:
                keep(page.items, pending)
                pending, after = top_up([]), None
                continue
            # Accounts before the last one seen are whole; the last is read on after the
            # page's last row (its rows so far are kept: they will not come again).
            whole = page.accounts_in_order[:-1]
            keep(page.items, whole)
            if page.last_row is None or page.last_row == after:
                # MSX did not move on: record what is missing rather than loop.
                cut = page.last_row[0] if page.last_row else pending[0]
                result.incomplete.append(cut)
                whole = [*whole, cut]
                keep([], [cut])
                after = None
            else:
                after = page.last_row
            # The accounts not reached go back to the front of the queue for whichever
            # lane asks next; this lane goes on with the one it was cut in.
            done = {*page.accounts_in_order, *whole}
            queue.extendleft(reversed([a for a in pending if a not in done]))
            pending = top_up([] if after is None else [after[0]])

    await all_of(*(lane() for _ in range(min(lanes, len(ids)))))
    # Each team by role, then name, as shown: not in whatever order MSX's row ids fell.
    result.members = [m for a in ids for m in sorted(by_account.get(a, []), key=_shown)]
    return result


_ROLES = list(Role)


def _shown(member: TeamMember) -> tuple[int, str]:
    return _ROLES.index(member.role), member.name.casefold()
