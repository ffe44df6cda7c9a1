"""The `$filter` parser and evaluator, directly (HTTP-level quoting is in the API tests)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.filter_plan import filter_rows, key_constraint, split_key_constraint
from bot.sandbox.odata_filter import parse_filter, tokenize
from bot.sandbox.schema import ENTITIES, ODataError

TEAM = ENTITIES["msp_accountteams"]
MS = ENTITIES["msp_engagementmilestones"]
A1 = "11111111-2222-3333-4444-555555555555"
A2 = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

COLUMNS = (
    "msp_accountteamid",
    "_msp_accountid_value",
    "msp_qualifier1",
    "msp_qualifier2",
    "msp_fullname",
    "msp_standardtitle",
)
ROWS: list[dict[str, Any]] = [
    dict(zip(COLUMNS, values, strict=True))
    for values in (
        ("1", A1, "Corporate", "Cloud & AI", "Siobhán O'Neill", "Specialists IC"),
        ("2", A1, "Area", "Cloud & AI Data", "Zoë Xu", "Lead"),
        ("3", A2, "Corporate", "Modern Work", "100% & #1 + more", None),
        ("4", A2, "Corporate", None, "Nobody", "Specialists IC"),
    )
]
GUIDE = "msp_qualifier1 eq 'Corporate' and startswith(msp_qualifier2,'Cloud ')"


def ids(text: str, rows: list[dict[str, Any]] = ROWS, *, guid_ranges: bool = False) -> list[str]:
    node = parse_filter(text, TEAM, guid_ranges=guid_ranges)
    return [r["msp_accountteamid"] for r in rows if node.eval(r)]


def err(text: str, entity: Any = TEAM) -> str:
    with pytest.raises(ODataError) as info:
        parse_filter(text, entity)
    assert info.value.status == 400
    return info.value.message


def test_guide_filter_for_account_team() -> None:
    f = f"_msp_accountid_value eq {A1} and {GUIDE}"
    assert ids(f) == ["1"]


def test_string_comparison_is_case_insensitive() -> None:
    assert ids("msp_qualifier1 eq 'CORPORATE'") == ["1", "3", "4"]
    assert ids("startswith(msp_qualifier2,'cloud ')") == ["1", "2"]
    assert ids("contains(msp_fullname,'ZOË')") == ["2"]
    assert ids("endswith(msp_standardtitle,'ic')") == ["1", "4"]


def test_guid_comparison_ignores_case() -> None:
    assert ids(f"_msp_accountid_value eq {A2.upper()}") == ["3", "4"]


def test_doubled_apostrophe_is_one_apostrophe() -> None:
    assert ids("msp_fullname eq 'Siobhán O''Neill'") == ["1"]
    assert tokenize("'it''s'")[0].value == "it's"
    assert ids("msp_fullname eq '100% & #1 + more'") == ["3"]


def test_precedence_and_binds_tighter_than_or() -> None:
    # a or b and c == a or (b and c)
    text = (
        "msp_qualifier1 eq 'Area' or msp_qualifier1 eq 'Corporate'"
        " and msp_qualifier2 eq 'Modern Work'"
    )
    assert ids(text) == ["2", "3"]
    either = "(msp_qualifier1 eq 'Area' or msp_qualifier1 eq 'Corporate')"
    assert ids(f"{either} and _msp_accountid_value eq {A1}") == ["1", "2"]


def test_not_and_ne_and_null() -> None:
    # Two-valued logic: a function on null is false, so `not` of it is true.
    assert ids("not startswith(msp_qualifier2,'Cloud')") == ["3", "4"]
    assert ids("msp_qualifier2 eq null") == ["4"]
    assert ids("msp_qualifier2 ne null and msp_qualifier1 ne 'Area'") == ["1", "3"]


def test_in_function() -> None:
    text = f"Microsoft.Dynamics.CRM.In(PropertyName='msp_accountid',PropertyValues=[\"{A2}\"])"
    assert ids(text) == ["3", "4"]
    # Single-quoted values too, and NotIn is its complement.
    assert ids(
        f"Microsoft.Dynamics.CRM.In(PropertyName='msp_accountid',PropertyValues=['{A2}'])"
    ) == [
        "3",
        "4",
    ]
    assert ids(
        f"Microsoft.Dynamics.CRM.NotIn(PropertyName='msp_accountid',PropertyValues=['{A2}'])"
    ) == ["1", "2"]
    text = (
        "Microsoft.Dynamics.CRM.In(PropertyName='msp_qualifier2',"
        'PropertyValues=["cloud & ai","MODERN WORK"])'
    )
    assert ids(text) == ["1", "3"]
    assert err("Microsoft.Dynamics.CRM.In(PropertyName='msp_nope',PropertyValues=[\"a\"])") == (
        "'msp_accountteam' entity doesn't contain attribute with Name = 'msp_nope'."
    )
    assert "not a valid Guid" in err(
        "Microsoft.Dynamics.CRM.In(PropertyName='msp_accountid',PropertyValues=[\"x\"])"
    )


def test_numbers_decimals_and_dates() -> None:
    cols = (
        "msp_engagementmilestoneid",
        "msp_milestonestatus",
        "msp_monthlyuse",
        "msp_milestonedate",
        "createdon",
    )
    rows: list[dict[str, Any]] = [
        dict(
            zip(cols, ("a", 861980001, 1500.5, "2026-03-01", "2025-08-01T10:00:00Z"), strict=True)
        ),
        dict(zip(cols, ("b", 861980000, None, None, "2025-12-01T10:00:00Z"), strict=True)),
    ]

    def m(text: str) -> list[str]:
        node = parse_filter(text, MS)
        return [r["msp_engagementmilestoneid"] for r in rows if node.eval(r)]

    assert m("msp_milestonestatus eq 861980001") == ["a"]
    assert m("msp_monthlyuse gt 1000.25") == ["a"]
    assert m("msp_monthlyuse le 1000") == []  # null never orders
    assert m("msp_milestonedate lt 2026-06-30") == ["a"]
    assert m("createdon ge 2025-11-01T00:00:00Z") == ["b"]
    assert m("createdon ge 2025-11-01") == ["b"]


def test_unknown_property() -> None:
    assert err("msp_nope eq 'x'") == (
        "Could not find a property named 'msp_nope' on type "
        "'Microsoft.Dynamics.CRM.msp_accountteam'."
    )
    assert "msp_nope" in err("startswith(msp_nope,'x')")


def test_quoted_guid_is_that_guid_but_other_text_is_a_type_error() -> None:
    assert (
        ids(f"_msp_accountid_value eq '{A1}'")
        == ids(f"_msp_accountid_value eq {A1}")
        == [
            "1",
            "2",
        ]
    )
    assert ids(f"'{A2.upper()}' eq _msp_accountid_value") == ["3", "4"]
    assert err("_msp_accountid_value eq 'Contoso'") == (
        "A binary operator with incompatible types was detected. Found operand types "
        "'Edm.Guid' and 'Edm.String' for operator kind 'Equal'."
    )
    assert "'Edm.Int32' and 'Edm.String'" in err("msp_milestonestatus eq 'At Risk'", MS)
    assert "'NotEqual'" in err("msp_qualifier1 ne 5")


def test_unterminated_literal_reports_position() -> None:
    text = "msp_qualifier1 eq 'Corporate"
    assert err(text) == f"There is an unterminated literal at position {len(text)} in '{text}'."
    # An unescaped apostrophe leaves the last quote open.
    assert "unterminated literal" in err("msp_fullname eq 'O'Neill'")


def test_syntax_errors() -> None:
    for bad in (
        "",
        "msp_qualifier1 eq",
        "(msp_qualifier1 eq 'a'",
        "msp_qualifier1 eq 'a' and",
        "msp_qualifier1 EQ 'a'",  # operators are lower case
        "msp_qualifier1 eq 'a' msp_qualifier2 eq 'b'",
        "msp_qualifier1 eq 'a' ; drop",
    ):
        err(bad)
    assert "unknown function" in err("StartsWith(msp_qualifier2,'Cloud')")
    assert "single boolean" in err("msp_qualifier1")
    assert "No function signature" in err(f"startswith(_msp_accountid_value,'{A1[:4]}')")


def test_key_constraint_finds_pinned_guids() -> None:
    node = parse_filter(
        f"(_msp_accountid_value eq {A1} or _msp_accountid_value eq {A2}) and {GUIDE}",
        TEAM,
    )
    assert key_constraint(node) == ("_msp_accountid_value", {A1, A2})
    # What is left for the rows the index returns is the rest of the `and`s.
    key, rest = split_key_constraint(node)
    assert key == ("_msp_accountid_value", {A1, A2}) and rest is not None
    assert [r["msp_accountteamid"] for r in filter_rows(rest, ROWS)] == ids(GUIDE) == ["1"]
    assert split_key_constraint(parse_filter(f"_msp_accountid_value eq {A1}", TEAM))[1] is None
    assert (
        key_constraint(parse_filter(f"_msp_accountid_value eq {A1} or msp_qualifier1 eq 'x'", TEAM))
        is None
    )
    assert key_constraint(parse_filter(f"not (_msp_accountid_value eq {A1})", TEAM)) is None


EQUAL_USER_ID = "Microsoft.Dynamics.CRM.EqualUserId(PropertyName='msp_systemuserid')"
U1 = "99999999-8888-7777-6666-555555555555"
U2 = "12345678-1234-1234-1234-123456789abc"
ROWS_BY_USER: list[dict[str, Any]] = [
    {"msp_accountteamid": "1", "_msp_systemuserid_value": U1, "msp_qualifier1": "Corporate"},
    {"msp_accountteamid": "2", "_msp_systemuserid_value": U2, "msp_qualifier1": "Corporate"},
    {"msp_accountteamid": "3", "_msp_systemuserid_value": U1, "msp_qualifier1": "Area"},
    {"msp_accountteamid": "4", "_msp_systemuserid_value": None, "msp_qualifier1": "Area"},
]


def by_user(text: str, user_id: str = U1) -> list[str]:
    node = parse_filter(text, TEAM, user_id=user_id)
    return [r["msp_accountteamid"] for r in ROWS_BY_USER if node.eval(r)]


def test_equal_user_id_is_the_signed_in_user() -> None:
    assert by_user(EQUAL_USER_ID) == ["1", "3"]
    assert by_user(EQUAL_USER_ID, U2.upper()) == ["2"]  # Guids compare without case
    assert by_user(f"{EQUAL_USER_ID} and msp_qualifier1 eq 'Area'") == ["3"]
    assert by_user(f"{EQUAL_USER_ID} or msp_qualifier1 eq 'Area'") == ["1", "3", "4"]
    assert by_user(f"not {EQUAL_USER_ID}") == ["2", "4"]
    assert by_user(f"({EQUAL_USER_ID}) eq false") == ["2", "4"]
    # It is `_msp_systemuserid_value eq <user>`, so the index answers it.
    node = parse_filter(f"{EQUAL_USER_ID} and msp_qualifier1 eq 'Area'", TEAM, user_id=U1)
    assert key_constraint(node) == ("_msp_systemuserid_value", {U1})


def test_equal_user_id_errors() -> None:
    def user_err(text: str) -> str:
        with pytest.raises(ODataError) as info:
            parse_filter(text, TEAM, user_id=U1)
        assert info.value.status == 400
        return info.value.message

    func = "Microsoft.Dynamics.CRM.EqualUserId"
    assert user_err(f"{func}(PropertyName='msp_nope')") == (
        "'msp_accountteam' entity doesn't contain attribute with Name = 'msp_nope'."
    )
    assert user_err(f"{func}(PropertyName='_msp_systemuserid_value')") == (
        "'msp_accountteam' entity doesn't contain attribute with Name = '_msp_systemuserid_value'."
    )
    assert user_err(f"{func}(PropertyName='msp_qualifier1')") == (
        f"{func} requires a property of type 'Edm.Guid'; 'msp_qualifier1' is of type 'Edm.String'."
    )
    one_parameter = f"{func} requires exactly one parameter, PropertyName."
    assert user_err(f"{func}()") == one_parameter
    assert user_err(f"{func}(Property='msp_systemuserid')") == one_parameter
    assert user_err(f"{func}(PropertyName='msp_systemuserid',X='y')") == one_parameter
    assert "String value expected" in user_err(f"{func}(PropertyName=msp_systemuserid)")
    # A parameter alias is not supported: 400, like any other unknown syntax.
    assert "'@' is not valid" in user_err(f"{func}(PropertyName=@p1)")
    # Without a signed-in user to compare with, the function is refused outright.
    assert err(EQUAL_USER_ID) == f"The query function '{func}' is not supported."


def test_guids_compare_as_sql_server_orders_them() -> None:
    # uniqueidentifier order: the last six bytes decide first, the first group last. So
    # a range on the first hex digits alone does not split a table the way it looks.
    low_tail = {
        "msp_accountteamid": "1",
        "_msp_accountid_value": "ff000000-0000-0000-0000-000000000001",
    }
    high_tail = {
        "msp_accountteamid": "2",
        "_msp_accountid_value": "00000000-0000-0000-0000-000000000002",
    }
    rows = [low_tail, high_tail]
    middle = "_msp_accountid_value gt ffffffff-0000-0000-0000-000000000001"
    assert ids(middle, rows, guid_ranges=True) == ["2"]
    low = "_msp_accountid_value lt 00000000-0000-0000-0000-010000000000"
    assert ids(low, rows, guid_ranges=True) == ["1", "2"]
