"""Finding the account a person means."""

from __future__ import annotations

from bot.domain import Account
from bot.workflows.lookup import AccountMatch, find_account

BOOK = [
    Account(id="a1", name="Café Nordström AB", tpid="1001"),
    Account(id="a2", name="Contoso Ltd", tpid="1002"),
    Account(id="a3", name="Contoso Pharma", tpid="1003"),
    Account(id="a4", name="O'Reilly Media", tpid="1004"),
    Account(id="a5", name="Fabrikam Inc", tpid="1005"),
    Account(id="a6", name="Müller & Söhne GmbH", tpid="1006"),
]


def test_accent_and_case_insensitive_name() -> None:
    assert find_account(BOOK, "cafe nordstrom").account == BOOK[0]
    assert find_account(BOOK, "MULLER").account == BOOK[5]


def test_by_tpid_and_by_id() -> None:
    assert find_account(BOOK, "1004").account == BOOK[3]
    assert find_account(BOOK, "a5").account == BOOK[4]


def test_apostrophes_and_typos() -> None:
    assert find_account(BOOK, "o'reilly").account == BOOK[3]
    assert find_account(BOOK, "fabrikan").account == BOOK[4]


def test_ambiguous_query_lists_candidates_best_first() -> None:
    match = find_account(BOOK, "contoso")
    assert match.account is None and match.ambiguous
    assert [a.name for a in match.candidates] == ["Contoso Ltd", "Contoso Pharma"]


def test_exact_name_wins_over_longer_lookalikes() -> None:
    book = [*BOOK, Account(id="a7", name="Contoso Ltd.")]
    assert find_account(book, "contoso pharma").account == BOOK[2]


def test_a_typo_close_to_one_name_only_finds_it() -> None:
    for query, meant in (("fabrkm", "Fabrikam Inc"), ("nrdstrm", "Café Nordström AB")):
        match = find_account(BOOK, query)
        assert match.account is not None and match.account.name == meant


def test_no_match_suggests_the_closest_first() -> None:
    for query, closest in (("frbkm", "Fabrikam Inc"), ("cntso", "Contoso Ltd")):
        match = find_account(BOOK, query)
        assert match.account is None and not match.candidates
        assert len(match.suggestions) == 3
        assert match.suggestions[0].name == closest


def test_a_query_like_no_name_suggests_nothing() -> None:
    match = find_account(BOOK, "qqqqqqqq")
    assert match.account is None and not match.candidates
    assert match.suggestions == []


def test_empty_and_hostile_queries_find_nothing_and_do_not_crash() -> None:
    for query in (
        "",
        "   ",
        "'; drop table accounts; --",
        "<!channel>",
        "x" * 5000,
        "\x00\x1b[31m",
    ):
        match = find_account(BOOK, query)
        assert match.account is None and not match.candidates, query


def test_a_typo_close_to_many_names_offers_the_ten_closest() -> None:
    book = [Account(id=f"n{i}", name=f"Northwind Travel {i:02d}") for i in range(1, 13)]
    match = find_account(book, "northwnd travel")
    assert match.ambiguous and len(match.candidates) == 10


def test_a_name_at_the_candidate_score_is_a_candidate() -> None:
    # Two accounts of one name, each exactly at the candidate score (80) for this typo.
    twins = [Account(id="d1", name="Datum"), Account(id="d2", name="Datum")]
    match = find_account(twins, "adtum")
    assert match.ambiguous and match.candidates == twins


def test_a_name_at_the_suggestion_score_is_suggested() -> None:
    woodgrove = Account(id="w1", name="Woodgrove")  # exactly 30 for this query
    match = find_account([woodgrove], "blue ander")
    assert match.account is None and match.suggestions == [woodgrove]


def test_the_only_account_close_to_a_typo_is_found_in_a_book_of_one() -> None:
    fabrikam = Account(id="f1", name="Fabrikam Inc")
    assert find_account([fabrikam], "fabrkm").account == fabrikam
    assert find_account([], "fabrkm") == AccountMatch(query="fabrkm")
