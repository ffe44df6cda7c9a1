"""Parse `/msx` text into a command: pure, so every odd input is easy to test."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

SUBCOMMANDS = ("accounts", "team", "milestones", "log", "tasks", "refresh", "digest", "help")
ALIASES = {
    "account": "accounts",
    "members": "team",
    "milestone": "milestones",
    "ms": "milestones",
    "task": "tasks",
}
NEEDS_ACCOUNT = frozenset({"team", "milestones"})
# Slack caps a slash command's text; we cap it again before it goes anywhere near a search.
MAX_QUERY = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Command:
    name: str  # one of SUBCOMMANDS, or "unknown"
    query: str = ""
    typed: str = ""  # what the person typed, for "I don't know X"
    suggestion: str | None = None


def parse(text: str | None) -> Command:
    cleaned = _CONTROL.sub(" ", text or "").strip()
    if not cleaned:
        return Command("help")
    head, _, rest = cleaned.partition(" ")
    word = head.casefold()
    name = ALIASES.get(word, word)
    query = rest.strip()[:MAX_QUERY]
    if name in SUBCOMMANDS:
        return Command(name, query=query)
    guess = process.extractOne(word, SUBCOMMANDS, scorer=fuzz.ratio, score_cutoff=60)
    return Command("unknown", query=query, typed=head, suggestion=guess[0] if guess else None)


# `/msx digest ...` (issue 12): its own small grammar, parsed here so that every odd input
# is tested without Slack.
DIGEST_USAGE = (
    "Usage: `/msx digest on [HH:MM] [weekdays|daily] [all-clear|quiet]`, `/msx digest off`, "
    "`/msx digest now`, or `/msx digest` to see your settings."
)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DAYS = {"weekdays": "weekdays", "weekday": "weekdays", "daily": "daily", "everyday": "daily"}
_ALL_CLEAR = {"all-clear": True, "allclear": True, "quiet": False}


@dataclass(frozen=True)
class DigestCommand:
    action: Literal["show", "on", "off", "now", "invalid"]
    at: dt.time | None = None  # None: keep the current time
    days: Literal["weekdays", "daily"] | None = None
    all_clear: bool | None = None
    problem: str | None = None  # for "invalid": what was wrong, in a few words


def parse_digest(query: str) -> DigestCommand:
    words = query.casefold().split()
    if not words:
        return DigestCommand("show")
    head, rest = words[0], words[1:]
    if head in ("off", "now", "show", "settings"):
        if rest:
            return DigestCommand("invalid", problem=f"`{head}` takes nothing after it")
        if head == "off":
            return DigestCommand("off")
        return DigestCommand("now") if head == "now" else DigestCommand("show")
    if head != "on":
        return DigestCommand("invalid", problem="expected on, off or now")
    at: dt.time | None = None
    days: Literal["weekdays", "daily"] | None = None
    all_clear: bool | None = None
    for word in rest:
        if (match := _HHMM.match(word)) and at is None:
            at = dt.time(int(match.group(1)), int(match.group(2)))
        elif word in _DAYS and days is None:
            days = "daily" if _DAYS[word] == "daily" else "weekdays"
        elif word in _ALL_CLEAR and all_clear is None:
            all_clear = _ALL_CLEAR[word]
        else:
            return DigestCommand("invalid", problem="expected a time like 08:30, weekdays or daily")
    return DigestCommand("on", at=at, days=days, all_clear=all_clear)
