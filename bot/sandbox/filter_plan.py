"""How a parsed `$filter` is answered fast: the Guid values an index can pin it to, and
evaluation once per distinct combination of the values it reads."""

from __future__ import annotations

import operator
from itertools import compress

from bot.sandbox.odata_ast import (
    Compare,
    InList,
    Literal,
    Logical,
    Node,
    Not,
    Prop,
    Row,
    StringFunc,
)


def filter_rows(node: Node, rows: list[Row]) -> list[Row]:
    """The rows a filter keeps, in order. Each top-level `and` term runs once per distinct
    combination of the values it reads, since candidate rows share few (qualifiers,
    titles, statuses); terms that read only such values go first, so a term that reads
    row ids sees only the rows left."""
    terms = sorted(_and_terms(node), key=_reads_ids)  # stable: otherwise in filter order
    for term in terms:
        if not rows:
            break
        rows = _filter_term(term, rows)
    return rows


def _filter_term(node: Node, rows: list[Row]) -> list[Row]:
    test, names = node.compile(), sorted(_reads(node))
    if _reads_ids(node):  # nearly every row its own values: nothing to share
        return list(filter(test, rows))
    read = operator.itemgetter(*names) if names else lambda row: ()
    try:
        keys = list(map(read, rows))
        sample = dict(zip(keys, rows, strict=True))  # a row for each combination
    except (KeyError, TypeError):  # a row lacks a property, or holds an unhashable value
        return [r for r in rows if test(r)]
    passing = {k for k, r in sample.items() if test(r)}
    return list(compress(rows, map(passing.__contains__, keys)))


def _and_terms(node: Node) -> list[Node]:
    if isinstance(node, Logical) and node.op == "and":
        return [*_and_terms(node.left), *_and_terms(node.right)]
    return [node]


def _reads_ids(node: Node) -> bool:
    """Whether a term reads a Guid property (values nearly every row has its own)."""
    return any(p.edm == "Edm.Guid" for p in _props(node))


def _reads(node: Node) -> set[str]:
    """The names of the properties a node reads."""
    return {p.name for p in _props(node)}


def _props(node: Node) -> list[Prop]:
    if isinstance(node, Prop):
        return [node]
    if isinstance(node, InList):
        return [node.prop]
    if isinstance(node, (Compare, Logical)):
        return _props(node.left) + _props(node.right)
    if isinstance(node, StringFunc):
        return _props(node.subject) + _props(node.needle)
    return _props(node.operand) if isinstance(node, Not) else []


Pinned = tuple[str, set[str]]


def key_constraint(node: Node) -> Pinned | None:
    """A Guid property every match must hold one of, read from the top-level `and`s.

    Lets the app answer `(_x eq a or _x eq b) and ...` from an index instead of a scan,
    which keeps 200-account benchmarks fast. None when the filter does not pin one down.
    """
    return split_key_constraint(node)[0]


def split_key_constraint(node: Node) -> tuple[Pinned | None, Node | None]:
    """`key_constraint` and the rest of the filter: what is left to check on the rows the
    index returns, which all pass the conjunct the key came from (None: nothing is left)."""
    if isinstance(node, Logical) and node.op == "and":
        key, rest = split_key_constraint(node.left)
        if key:
            return key, _both(rest, node.right)
        key, rest = split_key_constraint(node.right)
        if key:
            return key, _both(node.left, rest)
        return None, node
    found, exact = _guid_values(node)
    if found is None:
        return None, node
    return found, (None if exact else node)


def _both(a: Node | None, b: Node | None) -> Node | None:
    if a is None or b is None:
        return b if a is None else a
    return Logical("Edm.Boolean", "and", a, b)


def _guid_values(node: Node) -> tuple[Pinned | None, bool]:
    """The Guid values every match holds one of, and whether holding one is all the node
    asks (exact) or only part of it (an `and` inside an `or`: its rows are checked again)."""
    if isinstance(node, Compare) and node.op == "eq":
        for p, lit in ((node.left, node.right), (node.right, node.left)):
            if isinstance(p, Prop) and p.edm == "Edm.Guid" and isinstance(lit, Literal):
                return ((p.name, {lit.value}) if lit.value else None), True
        return None, False
    if isinstance(node, InList) and node.prop.edm == "Edm.Guid":
        return (node.prop.name, {str(v) for v in node.values}), True
    if isinstance(node, Logical) and node.op == "or":
        # The whole chain at once (`a or b or c ...`): an OR-list of 100 ids is 99 levels.
        terms = [_guid_values(term) for term in node._terms()]
        names = {pinned[0] for pinned, _ in terms if pinned}
        if all(pinned for pinned, _ in terms) and len(names) == 1:
            values = set().union(*(pinned[1] for pinned, _ in terms if pinned))
            return (names.pop(), values), all(exact for _, exact in terms)
    if isinstance(node, Logical) and node.op == "and":
        # `(_x eq a and ...) or ...`: the `and`'s matches are among its pinned side's.
        for side in (node.left, node.right):
            found, _ = _guid_values(side)
            if found:
                return found, False
    return None, False
