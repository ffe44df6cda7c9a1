"""The `$filter` syntax tree: each node knows its EDM type and compiles to a closure over a
row. Values compare as Dataverse compares them: strings case-insensitively, GUIDs in any
case, numbers and dates by value."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import repeat
from typing import Any

Row = dict[str, Any]
NUMERIC = {"Edm.Int32", "Edm.Int64", "Edm.Decimal", "Edm.Double"}
TEMPORAL = {"Edm.Date", "Edm.DateTimeOffset"}

# Work that does not depend on the row (normalizing literals, picking a conversion by type)
# is done once per query, in `compile`, not once per row.


@dataclass
class Node:
    edm: str

    def compile(self) -> Callable[[Row], Any]:
        """This node's value for a row, as a closure built once per query."""
        raise NotImplementedError

    @cached_property
    def _compiled(self) -> Callable[[Row], Any]:
        return self.compile()

    def eval(self, row: Row) -> Any:
        return self._compiled(row)


@dataclass
class Literal(Node):
    value: Any

    def compile(self) -> Callable[[Row], Any]:
        value = self.value
        return lambda row: value


@dataclass
class Prop(Node):
    name: str

    def compile(self) -> Callable[[Row], Any]:
        name = self.name
        return lambda row: row.get(name)


@dataclass
class Compare(Node):
    op: str
    left: Node
    right: Node

    def compile(self) -> Callable[[Row], bool]:
        a, b = _normalized(self.left), _normalized(self.right)
        cmp = _COMPARE[self.op]
        if self.op in ("eq", "ne"):
            return lambda row: cmp(a(row), b(row))
        if "Edm.Guid" in (self.left.edm, self.right.edm):
            literal = self.right
            if isinstance(self.left, Prop) and isinstance(literal, Literal) and literal.value:
                # `id gt <guid>`, on thousands of rows: one cached key a row.
                name, bound = self.left.name, guid_order(str(literal.value))
                return lambda row: (
                    (v := row.get(name)) is not None and cmp(guid_order(str(v)), bound)
                )
            a, b = _in_guid_order(a), _in_guid_order(b)

        def ordered(row: Row) -> bool:
            x, y = a(row), b(row)
            if x is None or y is None:
                return False
            try:
                return bool(cmp(x, y))
            except TypeError:
                return False

        return ordered


@dataclass
class Logical(Node):
    op: str
    left: Node
    right: Node

    def compile(self) -> Callable[[Row], bool]:
        tests = [t.compile() for t in self._terms()]
        # map() with operator.call: no generator to set up on every row.
        if self.op == "and":
            return lambda row: all(map(operator.call, tests, repeat(row)))
        return lambda row: any(map(operator.call, tests, repeat(row)))

    def _terms(self) -> list[Node]:
        """The operands of a chain of this same operator, in order (`a or b or c`)."""
        out: list[Node] = []
        for side in (self.left, self.right):
            if isinstance(side, Logical) and side.op == self.op:
                out += side._terms()
            else:
                out.append(side)
        return out


@dataclass
class Not(Node):
    operand: Node

    def compile(self) -> Callable[[Row], bool]:
        f = self.operand.compile()
        return lambda row: not f(row)


@dataclass
class StringFunc(Node):
    func: str
    subject: Node
    needle: Node

    def compile(self) -> Callable[[Row], bool]:
        # Both sides are Edm.String or null, so normalized means casefolded.
        s, x = _normalized(self.subject), _normalized(self.needle)
        test = _STRING_TESTS[self.func]

        def found(row: Row) -> bool:
            sv, xv = s(row), x(row)
            return sv is not None and xv is not None and test(sv, xv)

        return found


@dataclass
class InList(Node):
    prop: Prop
    values: frozenset[Any]

    def compile(self) -> Callable[[Row], bool]:
        value, values = _normalized(self.prop), self.values
        return lambda row: value(row) in values


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "startswith": str.startswith,
    "endswith": str.endswith,
    "contains": lambda s, x: x in s,
}


def _normalized(node: Node) -> Callable[[Row], Any]:
    """The node's value in the form it compares in (see `_norm`)."""
    if isinstance(node, Literal):
        value = norm(node.value, node.edm)
        return lambda row: value
    convert = _CONVERT.get(node.edm)
    if convert is None:
        return node.compile()
    assert isinstance(node, Prop)  # only literals and properties have non-Boolean types
    name = node.name
    return lambda row: None if (v := row.get(name)) is None else convert(v)


@functools.lru_cache(maxsize=1 << 16)
def guid_order(value: str) -> str:
    """A GUID as SQL Server orders uniqueidentifiers (and so Dataverse's `gt` and
    `$orderby`): the last six bytes first, then the fourth group, then the first three
    groups' bytes as stored, least significant first."""
    h = value.replace("-", "").lower()
    return (
        h[20:32]
        + h[16:20]
        + h[14:16]
        + h[12:14]
        + h[10:12]
        + h[8:10]
        + h[6:8]
        + h[4:6]
        + h[2:4]
        + h[0:2]
    )


def _in_guid_order(read: Callable[[Row], Any]) -> Callable[[Row], Any]:
    return lambda row: None if (v := read(row)) is None else guid_order(v)


def _to_datetime(text: str) -> dt.datetime:
    if len(text) == 10:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# How a non-null value of each type is brought to the form it compares in: strings
# case-insensitive, GUIDs lowercase, numbers exact, dates as aware datetimes.
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "Edm.String": lambda v: str(v).casefold(),
    "Edm.Guid": lambda v: str(v).lower(),
    **dict.fromkeys(NUMERIC, lambda v: Decimal(str(v))),
    **dict.fromkeys(TEMPORAL, lambda v: _to_datetime(str(v))),
}


def norm(value: Any, edm: str) -> Any:
    convert = _CONVERT.get(edm)
    return value if value is None or convert is None else convert(value)
