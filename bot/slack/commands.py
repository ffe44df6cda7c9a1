"""Parse `/msx` text into a command: pure, so every odd input is easy to test."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

SUBCOMMANDS = ("accounts", "team", "milestones", "log", "tasks", "refresh", "help")
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
