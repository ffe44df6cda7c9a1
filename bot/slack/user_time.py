"""Today's date where a person is: from their Slack profile's time zone (users.info `tz`)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# People rarely change time zone; one users.info per person per 10 minutes is plenty.
TZ_TTL_S = 600.0


class UserClock:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._zones: dict[str, tuple[float, dt.tzinfo]] = {}

    async def zone(self, slack_id: str) -> dt.tzinfo:
        """The person's time zone; UTC when Slack does not say (or names one we lack)."""
        cached = self._zones.get(slack_id)
        if cached and time.monotonic() - cached[0] < TZ_TTL_S:
            return cached[1]
        zone: dt.tzinfo = dt.UTC
        try:
            info = await self._client.users_info(user=slack_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", slack_id, exc.response.get("error"))
            return zone
        name = (info.get("user") or {}).get("tz")
        offset = (info.get("user") or {}).get("tz_offset")
        try:
            zone = ZoneInfo(name) if isinstance(name, str) and name else zone
        except (ZoneInfoNotFoundError, ValueError):
            if isinstance(offset, int):
                zone = dt.timezone(dt.timedelta(seconds=offset))
        self._zones[slack_id] = (time.monotonic(), zone)
        return zone

    async def today(self, slack_id: str, now: dt.datetime) -> dt.date:
        return now.astimezone(await self.zone(slack_id)).date()
