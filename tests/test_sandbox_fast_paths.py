"""The sandbox's fast paths answer exactly what the plain rules answer.

An index on pinned GUIDs, a filter evaluated once per combination of the values it reads,
a primary key sorted by its precomputed place: each must be invisible. Random filters,
orders, selections and page sizes are answered through `handle()` and compared with the
plain evaluation: every row of the table tested by the parsed filter, sorted by a plain
comparator that spells out the ordering rules, cut into pages, projected.
"""

from __future__ import annotations

import functools
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.sandbox import SandboxMsx, SandboxResponse, build_dataset
from bot.sandbox.filter_plan import filter_rows
from bot.sandbox.odata_ast import guid_order
from bot.sandbox.odata_filter import parse_filter
from bot.sandbox.query import sort_rows
from bot.sandbox.schema import ENTITIES, Entity, lookup_column

API = "https://msx.test/api/data/v9.2/"
DS = build_dataset(seed=7, accounts=8)
# Every switch on: msp_accountteams pages with nextLink (so whole answers can be compared)
# and gt/ge/lt/le on GUIDs are answered (so they are compared too).
SB = SandboxMsx(DS, team_next_link=True, guid_ranges=True)
TEAM = ENTITIES["msp_accountteams"]
MS = ENTITIES["msp_engagementmilestones"]
MINE = DS.accounts_of[DS.me.user_id]
USERS = [u["systemuserid"] for u in DS.tables["systemusers"]]
Q2 = sorted({r["msp_qualifier2"] for r in DS.tables["msp_accountteams"] if r["msp_qualifier2"]})
TEAM_IDS = [r["msp_accountteamid"] for r in DS.tables["msp_accountteams"]]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def values(ids: list[str]) -> str:
    return ",".join(f'"{i}"' for i in ids)


some_accounts = st.lists(st.sampled_from(MINE), min_size=1, max_size=6, unique=True)
team_atoms = st.one_of(
    st.sampled_from(["Corporate", "corporate", "Area"]).map(
        lambda v: f"msp_qualifier1 eq {lit(v)}"
    ),
    st.sampled_from(Q2).map(lambda v: f"msp_qualifier2 eq {lit(v)}"),
    st.sampled_from(Q2).map(lambda v: f"msp_qualifier2 ne {lit(v)}"),
    st.sampled_from(["eq", "ne"]).map(lambda op: f"msp_qualifier2 {op} null"),
    st.sampled_from(["Specialists IC", "ic", ""]).map(
        lambda v: f"contains(msp_standardtitle,{lit(v)})"
    ),
    st.sampled_from(["Cloud ", "cloud & ai"]).map(lambda v: f"startswith(msp_qualifier2,{lit(v)})"),
    st.tuples(st.sampled_from(["ge", "gt", "lt", "le"]), st.sampled_from(["M", "a", "O'N"])).map(
        lambda t: f"msp_fullname {t[0]} {lit(t[1])}"
    ),
    st.sampled_from(MINE).map(lambda a: f"_msp_accountid_value eq {a}"),
    st.sampled_from(MINE).map(lambda a: f"_msp_accountid_value eq {a.upper()}"),
    st.sampled_from(USERS).map(lambda u: f"_msp_systemuserid_value eq {u}"),
    st.tuples(st.sampled_from(["In", "NotIn"]), some_accounts).map(
        lambda t: (
            f"Microsoft.Dynamics.CRM.{t[0]}(PropertyName='msp_accountid',"
            f"PropertyValues=[{values(t[1])}])"
        )
    ),
    st.just("Microsoft.Dynamics.CRM.EqualUserId(PropertyName='msp_systemuserid')"),
    # (an index into the ids: sampled_from would write all of them into its repr)
    st.tuples(st.sampled_from(["gt", "lt"]), st.integers(0, len(TEAM_IDS) - 1)).map(
        lambda t: f"msp_accountteamid {t[0]} {TEAM_IDS[t[1]]}"
    ),
)
# Pinned ids under an `or` where one side asks more: the index narrows, the filter decides.
team_atoms = st.one_of(
    team_atoms,
    st.tuples(st.sampled_from(MINE), team_atoms, st.sampled_from(MINE)).map(
        lambda t: f"((_msp_accountid_value eq {t[0]} and {t[1]}) or _msp_accountid_value eq {t[2]})"
    ),
)
milestone_atoms = st.one_of(
    some_accounts.map(
        lambda ids: (
            "Microsoft.Dynamics.CRM.In(PropertyName='msp_parentaccount',"
            f"PropertyValues=[{values(ids)}])"
        )
    ),
    st.sampled_from(MINE).map(lambda a: f"_msp_parentaccount_value eq '{a}'"),
    st.sampled_from([861980000, 861980003, 861980005]).map(lambda v: f"msp_milestonestatus gt {v}"),
    st.sampled_from(["M", "azure"]).map(lambda v: f"msp_name ge {lit(v)}"),
    st.sampled_from(["0", "2500.5"]).map(lambda v: f"msp_monthlyuse gt {v}"),
)


def filters(atoms: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(inner, inner).map(lambda t: f"{t[0]} and {t[1]}"),
            inner.map(lambda f: f"not ({f})"),
        ),
        max_leaves=6,
    )


def orders(entity: Entity) -> st.SearchStrategy[list[tuple[str, bool]]]:
    return st.lists(
        st.tuples(st.sampled_from(sorted(entity.props)), st.booleans()),
        max_size=3,
        unique_by=lambda t: t[0],
    )


def call(coro: Coroutine[Any, Any, SandboxResponse]) -> SandboxResponse:
    """handle() without an event loop: with no latency switched on it never waits."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise AssertionError("the sandbox waited")


def answer(entity: Entity, options: dict[str, str], page: int | None) -> list[list[Any]]:
    """Every page of the answer, following nextLink."""
    query = "&".join(f"${k}={quote(v, safe='')}" for k, v in options.items())
    prefer = 'odata.include-annotations="*"' + (f",odata.maxpagesize={page}" if page else "")
    url: str | None = f"{API}{entity.set_name}?{query}"
    pages = []
    while url:
        resp = call(SB.handle("GET", url, {"Authorization": "Bearer sandbox", "Prefer": prefer}))
        assert resp.status == 200, resp.body
        body = resp.json()
        pages.append(body["value"])
        url = body.get("@odata.nextLink")
    return pages


def plain_key(entity: Entity, row: dict[str, Any], col: str) -> Any:
    """The ordering rules, spelled out: a lookup by the related record's name, strings
    case-insensitively, numbers by value, GUIDs in SQL Server's order."""
    value = row.get(col)
    if value is None:
        return None
    if lookup_column(col):
        return (SB._related_name(row, col) or "").casefold()
    edm = entity.props[col]
    if edm == "Edm.String":
        return str(value).casefold()
    if edm in ("Edm.Int32", "Edm.Decimal"):
        return Decimal(str(value))
    if edm == "Edm.Guid":
        return guid_order(str(value))
    return str(value).lower()


def plain_sort(
    entity: Entity, rows: list[dict[str, Any]], order: list[tuple[str, bool]]
) -> list[dict[str, Any]]:
    cols = [*order, (entity.key, False)]

    def compare(a: list[Any], b: list[Any]) -> int:
        for (_, desc), x, y in zip(cols, a, b, strict=True):
            if x == y:
                continue
            # Null is the lowest value.
            smaller = x is None if x is None or y is None else x < y
            return (1 if smaller else -1) if desc else (-1 if smaller else 1)
        return 0

    keyed = [([plain_key(entity, r, c) for c, _ in cols], r) for r in rows]
    keyed.sort(key=functools.cmp_to_key(lambda a, b: compare(a[0], b[0])))
    return [r for _, r in keyed]


def plain_answer(
    entity: Entity, text: str | None, order: list[tuple[str, bool]], select: list[str] | None
) -> list[dict[str, Any]]:
    table = DS.tables[entity.set_name]
    if text is not None:
        node = parse_filter(text, entity, user_id=SB.signed_in_user_id, guid_ranges=True)
        table = [r for r in table if node.eval(r)]
    if order:
        table = plain_sort(entity, table, order)
    cols = list(entity.props) if select is None else select
    cols += [] if entity.key in cols else [entity.key]
    out = []
    for row in table:
        shown = {"@odata.etag": row.get("@odata.etag"), **{c: row.get(c) for c in cols}}
        shown |= {k: v for k, v in row.items() if "@" in k and k.split("@")[0] in cols}
        out.append(shown)
    return out


def check(
    entity: Entity,
    text: str | None,
    order: list[tuple[str, bool]],
    select: list[str] | None,
    page: int | None,
) -> None:
    options = {}
    if text is not None:
        options["filter"] = text
    if select is not None:
        options["select"] = ",".join(select)
    if order:
        options["orderby"] = ",".join(f"{c} {'desc' if d else 'asc'}" for c, d in order)
    pages = answer(entity, options, page)
    rows = [r for p in pages for r in p]
    expected = plain_answer(entity, text, order, select)
    # The same rows, in the same order, with the same fields in the same order.
    assert [list(r.items()) for r in rows] == [list(r.items()) for r in expected]
    size = min(page or 100, 100)
    assert [len(p) for p in pages[:-1]] == [size] * (len(pages) - 1)
    if not order:  # without $orderby, paging follows table order
        place = {r[entity.key]: i for i, r in enumerate(DS.tables[entity.set_name])}
        places = [place[r[entity.key]] for r in rows]
        assert places == sorted(places)


@settings(SETTINGS, max_examples=20)  # its answers run to hundreds of rows: pages cost
@example(  # the index gives A's and B's rows; only the filter can drop A's other rows
    f"(_msp_accountid_value eq {MINE[0]} and msp_qualifier1 eq 'Area')"
    f" or _msp_accountid_value eq {MINE[1]}",
    [],
    None,
    None,
)
@given(
    st.one_of(st.none(), filters(team_atoms)),
    orders(TEAM),
    st.one_of(st.none(), st.lists(st.sampled_from(sorted(TEAM.props)), min_size=1, unique=True)),
    st.sampled_from([None, 60]),
)
def test_account_team_answers_are_the_plain_evaluation(
    text: str | None, order: list[tuple[str, bool]], select: list[str] | None, page: int | None
) -> None:
    check(TEAM, text, order, select, page)


@SETTINGS
@given(
    st.one_of(st.none(), filters(milestone_atoms)),
    orders(MS),
    st.one_of(st.none(), st.lists(st.sampled_from(sorted(MS.props)), min_size=1, unique=True)),
    st.sampled_from([None, 13, 100]),
)
def test_milestone_answers_are_the_plain_evaluation(
    text: str | None, order: list[tuple[str, bool]], select: list[str] | None, page: int | None
) -> None:
    check(MS, text, order, select, page)


@SETTINGS
@given(st.lists(st.sampled_from(DS.tables["accounts"]), min_size=1, max_size=60, unique_by=id))
def test_an_or_list_of_ids_is_answered_as_the_plain_evaluation(
    accounts: list[dict[str, Any]],
) -> None:
    ids = [a["accountid"] for a in accounts]
    text = "(" + " or ".join(f"accountid eq {i}" for i in ids) + ")"
    check(ENTITIES["accounts"], text, [], None, None)
    check(ENTITIES["accounts"], text, [("name", False)], ["name"], 10)


@SETTINGS
@given(filters(team_atoms), st.lists(st.sampled_from(DS.tables["msp_accountteams"]), max_size=80))
def test_filtering_by_combinations_of_values_is_testing_every_row(
    text: str, rows: list[dict[str, Any]]
) -> None:
    node = parse_filter(text, TEAM, user_id=SB.signed_in_user_id, guid_ranges=True)
    assert filter_rows(node, rows) == [r for r in rows if node.eval(r)]


@SETTINGS
@given(orders(TEAM), st.lists(st.sampled_from(DS.tables["msp_accountteams"]), max_size=80))
def test_the_primary_key_by_its_precomputed_place_sorts_as_its_guid_order(
    order: list[tuple[str, bool]], rows: list[dict[str, Any]]
) -> None:
    key_order = DS.key_order(TEAM.set_name, TEAM.key)
    fast = sort_rows(rows, order, TEAM, SB._related_name, key_order)
    assert fast == sort_rows(rows, order, TEAM, SB._related_name)
    assert fast == plain_sort(TEAM, rows, order)
