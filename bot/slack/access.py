"""Who may use the bot: the owner (the Slack user whose e-mail is the MSX identity's) and
MSX_BOT_ALLOWED_USERS. Nobody else gets data."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Identity

log = logging.getLogger(__name__)

# Slack profiles change rarely; a short cache keeps every click from costing a users.info.
PROFILE_TTL_S = 600.0


@dataclass(frozen=True)
class Person:
    """An allowed Slack user, and whose MSX book they see."""

    slack_id: str
    email: str | None
    is_owner: bool
    # The MSX user whose book this person sees, by e-mail; None means the signed-in owner.
    book_email: str | None


class Access:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        allowed: tuple[str, ...] = (),
        owner: Identity | None = None,
        shared_book: bool = False,
    ) -> None:
        self._client = client
        self._allowed_ids = set(allowed)  # the e-mails too: no Slack id holds an "@"
        self._allowed_emails = {a.casefold() for a in allowed if "@" in a}
        self.owner = owner
        # The sandbox has one demo seller: everyone allowed sees that book.
        self._shared_book = shared_book
        self._profiles: dict[str, tuple[float, str | None]] = {}

    @property
    def owner_name(self) -> str | None:
        return self.owner.name if self.owner else None

    async def person(self, slack_id: str) -> Person | None:
        """The person behind a Slack user id, or None when they may not use the bot."""
        email = await self._email(slack_id)
        folded = email.casefold() if email else None
        owner_email = self.owner.email.casefold() if self.owner and self.owner.email else None
        is_owner = folded is not None and folded == owner_email
        if not (is_owner or slack_id in self._allowed_ids or folded in self._allowed_emails):
            return None
        book_email = None if is_owner or self._shared_book else email
        return Person(slack_id=slack_id, email=email, is_owner=is_owner, book_email=book_email)

    async def _email(self, slack_id: str) -> str | None:
        cached = self._profiles.get(slack_id)
        if cached and time.monotonic() - cached[0] < PROFILE_TTL_S:
            return cached[1]
        try:
            info = await self._client.users_info(user=slack_id)
        except SlackApiError as exc:
            # pragma: no mutate start
            log.warning("users.info failed for %s: %s", slack_id, exc.response.get("error"))
            # pragma: no mutate end
            return None
        user = info.get("user") or {}
        email = (user.get("profile") or {}).get("email")
        self._profiles[slack_id] = (time.monotonic(), email)
        return email
