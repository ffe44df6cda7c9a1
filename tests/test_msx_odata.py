"""OData building: quoting round-trips (property-based), GUID checks, filters, chunking."""

from __future__ import annotations

import re
import uuid
from itertools import pairwise
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.msx.odata import (
    and_,
    any_guid,
    encode_query,
    eq,
    guid,
    guid_eq,
    is_guid,
    literal,
    or_,
    split_ids,
    startswith,
)

# Every character a string can hold, bar lone surrogates (not encodable as UTF-8).
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
NASTY = st.text(alphabet=st.sampled_from(list("'\"&#%+= ?/()\\\x00\n\téü漢🙂")), max_size=30)


def decode_query(query: str) -> list[tuple[str, str]]:
    """Split on & and percent-decode exactly once, the way a server does."""
    return [
        (unquote(k, errors="strict"), unquote(v, errors="strict"))
        for k, v in (pair.split("=", 1) for pair in query.split("&"))
    ]


def read_literals(expression: str) -> list[str]:
    """A reference tokenizer: every OData string literal in `expression`, unescaped."""
    found: list[str] = []
    i = 0
    while i < len(expression):
        if expression[i] != "'":
            i += 1
            continue
        i += 1
        chars: list[str] = []
        while True:
            if i >= len(expression):
                raise ValueError("unterminated literal")
            if expression[i] == "'":
                if expression[i + 1 : i + 2] == "'":
                    chars.append("'")
                    i += 2
                    continue
                i += 1
                break
            chars.append(expression[i])
            i += 1
        found.append("".join(chars))
    return found


@given(ANY_TEXT | NASTY)
def test_literal_round_trips_through_a_url(text: str) -> None:
    query = encode_query({"$filter": eq("name", text), "$select": "name,accountid"})
    assert all(ord(c) < 128 and c not in " #'+" for c in query)
    pairs = decode_query(query)
    assert [k for k, _ in pairs] == ["$filter", "$select"]
    flt = dict(pairs)["$filter"]
    assert flt.startswith("name eq '") and flt.endswith("'")
    assert read_literals(flt) == [text]
    assert dict(pairs)["$select"] == "name,accountid"


@given(ANY_TEXT | NASTY, ANY_TEXT | NASTY)
def test_composed_filters_keep_each_literal(a: str, b: str) -> None:
    flt = and_(or_(eq("x", a), startswith("y", b)), eq("z", 1))
    ((key, value),) = decode_query(encode_query({"$filter": flt}))
    assert key == "$filter"
    assert read_literals(value) == [a, b]


@given(st.uuids())
def test_guid_accepts_any_uuid(value: uuid.UUID) -> None:
    assert guid(str(value).upper()) == str(value)
    assert guid(value) == str(value)


@given(st.text(max_size=40))
def test_guid_rejects_anything_but_a_guid(value: str) -> None:
    try:
        uuid_value = uuid.UUID(value)
    except ValueError:
        uuid_value = None
    if uuid_value is not None and str(uuid_value) == value.lower():
        assert guid(value) == value.lower()
    else:
        with pytest.raises(ValueError):
            guid(value)


@pytest.mark.parametrize(
    "bad",
    [
        "x) or (1 eq 1",
        "8c05af24-749d-e811-a848-000d3a1bbc2c) or (1 eq 1",
        "8c05af24-749d-e811-a848-000d3a1bbc2c or 1 eq 1",
        "'8c05af24-749d-e811-a848-000d3a1bbc2c'",
        "{8c05af24-749d-e811-a848-000d3a1bbc2c}",
        "8c05af24749de811a848000d3a1bbc2c",
        " 8c05af24-749d-e811-a848-000d3a1bbc2c",
        "8c05af24-749d-e811-a848-000d3a1bbc2c\n",
        "",
    ],
)
def test_guid_rejects_injections(bad: str) -> None:
    with pytest.raises(ValueError, match=f"^not a GUID: {re.escape(repr(bad))}$"):
        guid(bad)
    with pytest.raises(ValueError):
        guid_eq("accountid", bad)
    with pytest.raises(ValueError):
        any_guid("accountid", ["8c05af24-749d-e811-a848-000d3a1bbc2c", bad])


def test_is_guid_takes_only_a_guid_string() -> None:
    assert is_guid("8C05AF24-749D-E811-A848-000D3A1BBC2C")
    assert not is_guid("8c05af24-749d-e811-a848-000d3a1bbc2c ")
    assert not is_guid(None)
    assert not is_guid(uuid.UUID(int=1))


def test_literal_doubles_apostrophes() -> None:
    assert literal("O'Reilly") == "'O''Reilly'"
    assert literal("") == "''"


def test_eq_renders_each_type() -> None:
    assert eq("msp_qualifier1", "Corporate") == "msp_qualifier1 eq 'Corporate'"
    assert eq("teamtype", 1) == "teamtype eq 1"
    assert eq("isdisabled", False) == "isdisabled eq false"
    assert eq("isdisabled", True) == "isdisabled eq true"
    assert eq("parentid", None) == "parentid eq null"
    # A GUID-looking string is still a string unless guid_eq says otherwise.
    assert eq("name", "8c05af24-749d-e811-a848-000d3a1bbc2c").endswith("'")
    with pytest.raises(ValueError, match=r"^not a property name: \"name eq 'x' or 1\"$"):
        eq("name eq 'x' or 1", "y")


def test_any_guid_and_composition() -> None:
    a, b = "8C05AF24-749D-E811-A848-000D3A1BBC2C", "00000000-0000-4000-8000-000000000001"
    ids = any_guid("_msp_accountid_value", [a, b])
    assert ids == (
        "(_msp_accountid_value eq 8c05af24-749d-e811-a848-000d3a1bbc2c"
        " or _msp_accountid_value eq 00000000-0000-4000-8000-000000000001)"
    )
    flt = and_(ids, eq("msp_qualifier1", "Corporate"), startswith("msp_qualifier2", "Cloud "))
    assert flt == (
        ids + " and msp_qualifier1 eq 'Corporate' and startswith(msp_qualifier2,'Cloud ')"
    )
    with pytest.raises(ValueError, match=r"^any_guid needs at least one id$"):
        any_guid("x", [])
    # An empty group would drop the filter (and_) or make one MSX refuses (or_).
    with pytest.raises(ValueError, match=r"^and_ needs at least one clause$"):
        and_()
    with pytest.raises(ValueError, match=r"^or_ needs at least one clause$"):
        or_()


def test_and_parenthesises_a_bare_or_but_not_one_inside_a_literal() -> None:
    assert and_("a eq 1 or b eq 2", "c eq 3") == "(a eq 1 or b eq 2) and c eq 3"
    assert and_("name eq 'x or y'", "c eq 3") == "name eq 'x or y' and c eq 3"
    assert and_("name eq 'it''s or'", "c eq 3") == "name eq 'it''s or' and c eq 3"
    # After a literal (even one with an escaped apostrophe) an `or` is top level again.
    assert and_("n eq 'it''s' or b eq 2", "c eq 3") == "(n eq 'it''s' or b eq 2) and c eq 3"
    assert and_("(a eq 1) or b eq 2", "c eq 3") == "((a eq 1) or b eq 2) and c eq 3"
    assert and_("(a eq 1 or b eq 2)", "c eq 3") == "(a eq 1 or b eq 2) and c eq 3"
    # An or_ group that calls a function inside is already parenthesised whole.
    group = or_(startswith("a", "x"), "b eq 1")
    assert and_(group, "c eq 3") == "(startswith(a,'x') or b eq 1) and c eq 3"
    assert or_("a eq 1", "b eq 2") == "(a eq 1 or b eq 2)"


def test_encode_query_encodes_reserved_characters() -> None:
    encoded = encode_query({"$filter": "a eq 'x&y#z%+ é'"})
    assert encoded == "$filter=a%20eq%20%27x%26y%23z%25%2B%20%C3%A9%27"
    # Parentheses, commas and the rest stay readable (and short: URLs are split by length).
    readable = encode_query({"$filter": "startswith(a/b,'x:@$')", "$select": "a,b"})
    assert readable == "$filter=startswith(a/b,%27x:@$%27)&$select=a,b"


def _render(chunk: list[str]) -> str:
    base = "https://msx.example.test/api/data/v9.2/accounts?"
    return base + encode_query({"$filter": any_guid("accountid", chunk), "$select": "name"})


@given(st.lists(st.uuids().map(str), max_size=300), st.integers(600, 6000), st.integers(1, 120))
def test_split_ids_respects_both_limits(ids: list[str], max_url: int, max_ids: int) -> None:
    chunks = split_ids(ids, _render, max_url=max_url, max_ids=max_ids)
    assert [i for chunk in chunks for i in chunk] == list(dict.fromkeys(ids))
    for chunk in chunks:
        assert chunk
        assert len(chunk) <= max_ids
        assert len(_render(chunk)) <= max_url
    # As few chunks as the limits allow: each is full but the last.
    for chunk, after in pairwise(chunks):
        assert len(chunk) == max_ids or len(_render([*chunk, after[0]])) > max_url


def test_split_ids_sizes_chunks_without_trial_and_error() -> None:
    """Two renders size every chunk (each 16 KB long): no trimming an id at a time."""
    rendered: list[int] = []

    def counting(chunk: list[str]) -> str:
        rendered.append(len(chunk))
        return _render(chunk)

    chunks = split_ids([str(uuid.UUID(int=n)) for n in range(2000)], counting)
    assert len(rendered) <= 2 + 2 * len(chunks)


def test_split_ids_defaults_to_16kb() -> None:
    ids = [str(uuid.UUID(int=n)) for n in range(1000)]
    chunks = split_ids(ids, _render)
    assert len(chunks) > 1
    assert all(len(_render(c)) <= 16_384 for c in chunks)
    assert len(split_ids(ids, _render, max_ids=100)) == 10


def test_split_ids_at_a_limit_of_exactly_one_id() -> None:
    a, b = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))
    assert split_ids([a, b], _render, max_url=len(_render([a]))) == [[a], [b]]
    assert split_ids([a, b, a], _render, max_ids=1) == [[a], [b]]


def test_split_ids_refuses_ids_it_cannot_size() -> None:
    # Sized by "a" and "b", "ccc" would overflow the chunk: not GUIDs, so refused.
    with pytest.raises(ValueError, match=r"^ids of uneven length: chunks sized by the first "):
        split_ids(["a", "b", "ccc", "d"], ",".join, max_url=5)


def test_split_ids_refuses_an_impossible_limit() -> None:
    with pytest.raises(ValueError, match=r"^max_ids must be at least 1$"):
        split_ids([str(uuid.UUID(int=1))], _render, max_ids=0)
    with pytest.raises(ValueError, match=r"^a single id makes a URL longer than 50 characters$"):
        split_ids([str(uuid.UUID(int=1))], _render, max_url=50)
