"""Find the account a person means: by id, by TPID, or by (fuzzy) name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils

from bot.domain import Account, fold

# A fuzzy score at or above this is a plausible candidate; an exact folded name wins outright.
_CANDIDATE_SCORE = 80
# Below that, a typo ("northwnd"): one account this close, well ahead of the next, is meant.
_CLOSE_SCORE = 70
_CLOSE_LEAD = 15
_SUGGESTIONS = 3
# A name that shares next to nothing with the query is no suggestion: the list is.
_SUGGEST_SCORE = 30


@dataclass(frozen=True)
class AccountMatch:
    """One account found, several to choose from, or none (with the closest names)."""

    query: str
    account: Account | None = None
    candidates: list[Account] = field(default_factory=list)
    suggestions: list[Account] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        return self.account is None and bool(self.candidates)


def find_account(accounts: Sequence[Account], query: str) -> AccountMatch:
    q = fold(query)
    if not q:
        return AccountMatch(query=query)
    raw = query.strip().lower()
    for account in accounts:
        if account.id.lower() == raw or (account.tpid and account.tpid == query.strip()):
            return AccountMatch(query=query, account=account)

    exact = [a for a in accounts if fold(a.name) == q]
    if len(exact) == 1:
        return AccountMatch(query=query, account=exact[0])

    # Every query word inside the name: "contoso" -> all Contosos, "nordstrom" -> Café Nordström.
    words = q.split()
    contained = [a for a in accounts if all(w in fold(a.name) for w in words)]
    if len(contained) == 1:
        return AccountMatch(query=query, account=contained[0])
    if contained:
        return AccountMatch(query=query, candidates=_ranked(contained, q))

    names = {i: fold(a.name) for i, a in enumerate(accounts)}
    # WRatio, extract's default scorer: the best of plain, partial and token-sorted ratios.
    scored = process.extract(q, names, processor=utils.default_process, limit=10)
    plausible = [accounts[i] for _, score, i in scored if score >= _CANDIDATE_SCORE]
    if len(plausible) == 1:
        return AccountMatch(query=query, account=plausible[0])
    if plausible:
        return AccountMatch(query=query, candidates=plausible)
    if scored:
        # The best score, and the runner-up's (none: nothing to lead).
        best, *runner_up = (score for _, score, _ in scored[:2])
        if best >= _CLOSE_SCORE and best - sum(runner_up) >= _CLOSE_LEAD:
            return AccountMatch(query=query, account=accounts[scored[0][2]])
    near = [accounts[i] for _, score, i in scored[:_SUGGESTIONS] if score >= _SUGGEST_SCORE]
    return AccountMatch(query=query, suggestions=near)


def _ranked(accounts: list[Account], q: str) -> list[Account]:
    # Shorter, closer names first: "contoso" ranks "Contoso Ltd" before "Contoso Pharma Holdings".
    return sorted(accounts, key=lambda a: (-fuzz.ratio(q, fold(a.name)), fold(a.name)))
