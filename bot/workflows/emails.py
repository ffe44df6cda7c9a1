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

    def want(self, members: list[TeamMember]) -> None:
        for m in members:
            if m.user_id not in self._asked:
                self._asked.add(m.user_id)
                self._pending.append(m.user_id)
        if self._eager or len(self._pending) >= self._page:
            self._flush()

    def eager(self) -> None:
        self._eager = True
        self._flush()

    def _flush(self) -> None:
        if self._pending:
            ids, self._pending = self._pending, []
            with priority(URGENT):  # the last of these ends the import: no queueing
                self._lookups.append(asyncio.ensure_future(self._gateway.users(ids)))

    async def all(self) -> dict[str, Identity]:
        self._flush()
        people: dict[str, Identity] = {}
        for part in await all_of(*self._lookups):
            people.update(part)
        return people

    async def aclose(self) -> None:
        for task in self._lookups:
            if not task.done():
                task.cancel()
        await asyncio.gather(*self._lookups, return_exceptions=True)
