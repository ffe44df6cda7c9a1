"""Button values and action ids: what listeners read back."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.blocks.ids import (
    ACTION_OPEN_MSX,
    ACTION_PAGE_NEXT,
    ACTION_PAGE_PREV,
    ACTION_PICK_ACCOUNT,
    OPEN_MSX_PATTERN,
    PAGE_PATTERN,
    PICK_ACCOUNT_PATTERN,
    PageRef,
    PickRef,
    decode_value,
    encode_value,
)


def test_values_round_trip() -> None:
    ref = PageRef(view="milestones", account="acc-1", page=3)
    assert PageRef.decode(ref.encode()) == ref
    assert decode_value(ref.encode()) == {"view": "milestones", "account": "acc-1", "page": 3}
    accounts = PageRef(view="accounts", account=None, page=0)
    assert PageRef.decode(accounts.encode()) == accounts
    pick = PickRef(view="team", account="acc-é")
    assert PickRef.decode(pick.encode()) == pick


@pytest.mark.parametrize(
    "garbage",
    ["", "not json", "[1, 2]", "42", "null", '"str"', "{", "x" * 3000, "[" * 1999, "{}" * 3],
)
def test_decode_value_rejects_garbage(garbage: str) -> None:
    with pytest.raises(ValueError):
        decode_value(garbage)


@pytest.mark.parametrize(
    "value",
    [
        '{"view": "nope", "account": null, "page": 0}',
        '{"view": "team", "account": null, "page": 0}',
        '{"view": "accounts", "account": null, "page": -1}',
        '{"view": "accounts", "account": null, "page": true}',
        '{"view": "accounts", "account": null, "page": "2"}',
        '{"view": "accounts", "account": 5, "page": 0}',
    ],
)
def test_page_ref_rejects_wrong_shapes(value: str) -> None:
    with pytest.raises(ValueError):
        PageRef.decode(value)


def test_pick_ref_rejects_wrong_shapes() -> None:
    for value in ('{"view": "accounts", "account": "a"}', '{"view": "team", "account": ""}'):
        with pytest.raises(ValueError):
            PickRef.decode(value)


def test_encode_value_refuses_oversize() -> None:
    with pytest.raises(ValueError):
        encode_value({"account": "x" * 2000})


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


@given(st.text(max_size=300) | _JSONISH.map(json.dumps))
def test_decode_value_only_ever_raises_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        assert isinstance(decode_value(text), dict)


def test_patterns_match_suffixed_ids_only_of_their_kind() -> None:
    assert PAGE_PATTERN.match(ACTION_PAGE_PREV) and PAGE_PATTERN.match(ACTION_PAGE_NEXT)
    assert PICK_ACCOUNT_PATTERN.match(f"{ACTION_PICK_ACCOUNT}:3")
    assert OPEN_MSX_PATTERN.match(f"{ACTION_OPEN_MSX}:12")
    assert not PAGE_PATTERN.match("pager") and not PAGE_PATTERN.match(ACTION_PICK_ACCOUNT)
