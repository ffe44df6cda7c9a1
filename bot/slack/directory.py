"""E-mail -> Slack user id, for @-mentions in team replies, within Slack's rate limits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# users.lookupByEmail is Tier 3 (50+/min): look up a few at a time, remember the answers,
# and never hold a reply up for long: who is not resolved yet is shown by name.
MAX_LOOKUPS_PER_REPLY = 25
LOOKUP_BUDGET_S = 2.0
CONCURRENCY = 5


class SlackDirectory:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._known: dict[str, str | None] = {}
        self._gate = asyncio.Semaphore(CONCURRENCY)

    async def mentions(self, emails: Iterable[str | None]) -> dict[str, str]:
        """Slack ids for the e-mails that belong to a workspace user (keys lower-case)."""
        wanted = list(dict.fromkeys(e.casefold() for e in emails if e))
        todo = [e for e in wanted if e not in self._known][:MAX_LOOKUPS_PER_REPLY]
        if todo:
            tasks = [asyncio.ensure_future(self._lookup(e)) for e in todo]
            _, pending = await asyncio.wait(tasks, timeout=LOOKUP_BUDGET_S)
            for task in pending:
                task.cancel()
        return {e: sid for e in wanted if (sid := self._known.get(e))}

    async def _lookup(self, email: str) -> None:
        async with self._gate:
            try:
                answer = await self._client.users_lookupByEmail(email=email)
            except SlackApiError as exc:
                if exc.response.get("error") == "users_not_found":
                    self._known[email] = None
                else:
                    log.warning("users.lookupByEmail failed: %s", exc.response.get("error"))
                return
            self._known[email] = (answer.get("user") or {}).get("id")
