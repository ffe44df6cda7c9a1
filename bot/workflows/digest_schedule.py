"""When a person's digest is due: pure functions of the time, their zone and their settings.

The day is the person's local day. Its moment is the settings' time on that day in their
zone, whatever the offset is that day, so a DST change moves the UTC moment, never the
local time. A time that does not exist that day (in a spring-forward gap) becomes the
moment just after the gap; one that happens twice (fall-back) is its first occurrence.
Either way it is one moment a day, and the store's sent mark makes it one send a day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.store.digest import DigestSettings

__all__ = [
    "LATE_AFTER",
    "DigestSettings",
    "Slot",
    "due",
    "is_digest_day",
    "moment",
    "next_moment",
    "zone",
]

# A digest sent more than this after its time says it is late (the machine slept, the
# VPN was down, the bot was not running); the ticks themselves are far more frequent.
LATE_AFTER = dt.timedelta(minutes=15)
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Slot:
    """Today's digest for one person: their local day, its moment (UTC), and whether late."""

    day: dt.date
    at: dt.datetime
    late: bool


def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone Slack reports (users.info `tz`), or None when unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_digest_day(day: dt.date, settings: DigestSettings) -> bool:
    return settings.days == "daily" or day.weekday() < 5


def moment(day: dt.date, settings: DigestSettings, tz: ZoneInfo) -> dt.datetime:
    """The digest's moment on `day` in `tz`, as an aware UTC datetime."""
    # fold=0: in a gap, zoneinfo uses the offset before it, which lands after the gap;
    # in an overlap, the first of the two.
    local = dt.datetime.combine(day, settings.at, tzinfo=tz)
    return local.astimezone(dt.UTC)


def due(settings: DigestSettings, tz: ZoneInfo, now: dt.datetime) -> Slot | None:
    """Today's digest if its time has come (today only: a missed day is never replayed)."""
    if not settings.enabled:
        return None
    day = now.astimezone(tz).date()
    if not is_digest_day(day, settings):
        return None
    at = moment(day, settings, tz)
    if now < at:
        return None
    if settings.changed_at is not None and at < settings.changed_at:
        return None  # set after today's time had passed: from tomorrow on
    return Slot(day=day, at=at, late=now - at > LATE_AFTER)


def next_moment(
    settings: DigestSettings, tz: ZoneInfo, now: dt.datetime, *, sent_today: bool
) -> dt.datetime | None:
    """When the next digest goes out (UTC), for the settings reply; None when off."""
    if not settings.enabled:
        return None
    today = now.astimezone(tz).date()
    if due(settings, tz, now) is not None and not sent_today:
        return now  # due now: the next tick sends it
    for ahead in range(8):
        day = today + dt.timedelta(days=ahead)
        if not is_digest_day(day, settings):
            continue
        if ahead == 0 and sent_today:
            continue
        at = moment(day, settings, tz)
        if at <= now:
            # Today's has passed and `due` said it is not due: it was set too late for
            # today (changed_at is never later than now, so nothing later is skipped).
            continue
        return at
    return None
