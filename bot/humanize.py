"""How a person says an amount of time: shared by the Slack and terminal front ends."""

from __future__ import annotations

import datetime as dt


def _as_utc(moment: dt.datetime) -> dt.datetime:
    # Snapshots store aware datetimes; a naive one is taken to be UTC rather than failing.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def age(taken_at: dt.datetime, now: dt.datetime) -> str:
    """How long ago, as a person says it: "just now", "5 min ago", "3 h ago", "2 days ago"."""
    seconds = (_as_utc(now) - _as_utc(taken_at)).total_seconds()
    if seconds < 60:  # includes a clock a little behind the snapshot's
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return "1 day ago" if days == 1 else f"{days} days ago"
