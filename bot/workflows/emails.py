"""Team members' e-mails, looked up while the teams are still coming in."""

from __future__ import annotations

import asyncio

from bot.domain import Identity, TeamMember
from bot.msx.gateway import MsxGateway
from bot.msx.slots import URGENT, priority
from bot.workflows.concurrency import all_of


class TeamEmails:
    """Looks up team members' e-mails while the teams are still coming in: a page of
    people (100) at a time, and once the last team pages are on their way, each page's
    newcomers at once, so that at the end only the very last page's are left to ask for
    (often none: the same people sit on many teams)."""

    def __init__(self, gateway: MsxGateway, page: int = 100) -> None:
        self._gateway = gateway
        self._page = page
        self._eager = False
        self._asked: set[str] = set()
        self._pending: list[str] = []
        self._lookups: list[asyncio.Future[dict[str, Identity]]] = []
        self._known: dict[str, Identity] = {}

    def fill(self, members: list[TeamMember]) -> list[TeamMember]:
        """These members with the e-mails already found; the others' are asked for. Done
        as pages come in, the import does not end on thousands of copies."""
        out = []
        for m in members:
            person = self._known.get(m.user_id)
            if person is not None:
                m = with_email(m, person)
            elif m.user_id not in self._asked:
                self._asked.add(m.user_id)
                self._pending.append(m.user_id)
            out.append(m)
        if self._eager or len(self._pending) >= self._page:
            self._flush()
        return out

    def eager(self) -> None:
        self._eager = True
        self._flush()

    def _flush(self) -> None:
        if self._pending:
            ids, self._pending = self._pending, []
            with priority(URGENT):  # the last of these ends the import: no queueing
                lookup = asyncio.ensure_future(self._gateway.users(ids))
            lookup.add_done_callback(self._learn)
            self._lookups.append(lookup)

    def _learn(self, lookup: asyncio.Future[dict[str, Identity]]) -> None:
        if not lookup.cancelled() and lookup.exception() is None:
            self._known.update(lookup.result())

    async def all(self, members: list[TeamMember]) -> list[TeamMember]:
        """`members` with every e-mail MSX has, once all the lookups are in."""
        self._flush()
        for found in await all_of(*self._lookups):  # not relying on _learn having run
            self._known.update(found)
        return [
            with_email(m, person)
            if not m.email and (person := self._known.get(m.user_id)) is not None
            else m
            for m in members
        ]

    async def aclose(self) -> None:
        for task in self._lookups:
            if not task.done():
                task.cancel()
        await asyncio.gather(*self._lookups, return_exceptions=True)


def with_email(member: TeamMember, person: Identity) -> TeamMember:
    if not person.email or member.email == person.email:
        return member
    # Made anew: half the cost of model_copy.
    return TeamMember(**{**member.__dict__, "email": person.email})
