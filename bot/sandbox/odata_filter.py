"""`$filter`: a tokenizer, a recursive-descent parser that type-checks against the entity,
and an evaluator. Errors carry Dataverse's messages so a client sees what MSX would say.

Grammar (precedence low to high): or, and, not, comparison, primary.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from itertools import compress, repeat
from typing import Any

from bot.sandbox.odata_lexer import GUID, Token, tokenize
from bot.sandbox.schema import Entity, ODataError, bad_query, unknown_property

Row = dict[str, Any]

_OPS = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}
_STRING_FUNCS = ("startswith", "endswith", "contains")
IN_FUNC = "Microsoft.Dynamics.CRM.In"
EQUAL_USER_ID = "Microsoft.Dynamics.CRM.EqualUserId"
_NUMERIC = {"Edm.Int32", "Edm.Int64", "Edm.Decimal", "Edm.Double"}
_TEMPORAL = {"Edm.Date", "Edm.DateTimeOffset"}

# ---- AST: each node knows its EDM type and compiles to a closure over a row ----
#
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
        value = _norm(node.value, node.edm)
        return lambda row: value
    convert = _CONVERT.get(node.edm)
    if convert is None:
        return node.compile()
    assert isinstance(node, Prop)  # only literals and properties have non-Boolean types
    name = node.name
    return lambda row: None if (v := row.get(name)) is None else convert(v)


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
    **dict.fromkeys(_NUMERIC, lambda v: Decimal(str(v))),
    **dict.fromkeys(_TEMPORAL, lambda v: _to_datetime(str(v))),
}


def _norm(value: Any, edm: str) -> Any:
    convert = _CONVERT.get(edm)
    return value if value is None or convert is None else convert(value)


class _Parser:
    def __init__(self, text: str, entity: Entity, user_id: str | None) -> None:
        self.text = text
        self.entity = entity
        self.user_id = user_id
        self.tokens = tokenize(text)
        self.i = 0
        self.tok = self.tokens[0]  # the current token

    def advance(self) -> Token:
        t = self.tok
        self.i += 1
        self.tok = self.tokens[self.i]
        return t

    def error(self, what: str = "Syntax error") -> ODataError:
        return bad_query(f"{what} at position {self.tok.pos} in '{self.text}'.")

    def expect(self, punct: str) -> None:
        if self.tok.kind != "punct" or self.tok.text != punct:
            raise self.error(f"'{punct}' expected")
        self.advance()

    def is_word(self, *words: str) -> bool:
        return self.tok.kind == "ident" and self.tok.text in words

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error("Expression expected")
        node = self.parse_or()
        if self.tok.kind != "end":
            raise self.error()
        if node.edm != "Edm.Boolean":
            raise bad_query("The $filter expression must evaluate to a single boolean value.")
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.is_word("or"):
            self.advance()
            node = self._logical("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_unary()
        while self.is_word("and"):
            self.advance()
            node = self._logical("and", node, self.parse_unary())
        return node

    def _logical(self, op: str, left: Node, right: Node) -> Node:
        for side in (left, right):
            if side.edm != "Edm.Boolean":
                raise _incompatible(left.edm, right.edm, op.capitalize())
        return Logical("Edm.Boolean", op, left, right)

    def parse_unary(self) -> Node:
        if self.is_word("not"):
            self.advance()
            operand = self.parse_unary()
            if operand.edm != "Edm.Boolean":
                raise bad_query(
                    f"A unary operator with an incompatible type was detected. Found operand "
                    f"type '{operand.edm}' for operator kind 'Not'."
                )
            return Not("Edm.Boolean", operand)
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        left = self.parse_primary()
        if self.tok.kind == "ident" and self.tok.text in _OPS:
            op = self.advance().text
            right = self.parse_primary()
            if not _compatible(left.edm, right.edm):
                raise _incompatible(left.edm, right.edm, _OPS[op])
            return Compare("Edm.Boolean", op, left, right)
        return left

    def parse_primary(self) -> Node:
        t = self.tok
        if t.kind == "punct" and t.text == "(":
            self.advance()
            node = self.parse_or()
            self.expect(")")
            return node
        if t.kind == "str":
            self.advance()
            return Literal("Edm.String", t.value)
        if t.kind == "guid":
            self.advance()
            return Literal("Edm.Guid", t.text.lower())
        if t.kind == "date":
            self.advance()
            return Literal("Edm.Date" if len(t.text) == 10 else "Edm.DateTimeOffset", t.text)
        if t.kind == "num":
            self.advance()
            return _number(t.text)
        if t.kind == "ident":
            if t.text in ("true", "false"):
                self.advance()
                return Literal("Edm.Boolean", t.text == "true")
            if t.text == "null":
                self.advance()
                return Literal("null", None)
            nxt = self.tokens[self.i + 1]
            if nxt.kind == "punct" and nxt.text == "(":
                return self.parse_call()
            self.advance()
            return self.prop(t.text)
        raise self.error()

    def prop(self, name: str) -> Prop:
        if name not in self.entity.props:
            raise unknown_property(name, self.entity)
        return Prop(self.entity.props[name], name)

    def parse_call(self) -> Node:
        name = self.advance().text
        self.expect("(")
        if name == IN_FUNC:
            return self.parse_in()
        if name == EQUAL_USER_ID:
            return self.parse_equal_user_id()
        if name not in _STRING_FUNCS:
            raise bad_query(
                f"An unknown function with name '{name}' was found. This may also be a function "
                "import or a key lookup on a navigation property, which is not allowed."
            )
        subject = self.parse_or()
        self.expect(",")
        needle = self.parse_or()
        self.expect(")")
        if subject.edm not in ("Edm.String", "null") or needle.edm not in ("Edm.String", "null"):
            raise bad_query(
                f"No function signature for the function with name '{name}' matches the "
                f"specified arguments. The function signatures considered are: {name}("
                "Edm.String Nullable=true, Edm.String Nullable=true)."
            )
        return StringFunc("Edm.Boolean", name, subject, needle)

    def parse_in(self) -> Node:
        prop: Prop | None = None
        values: list[str] | None = None
        while True:
            if self.tok.kind != "ident":
                raise self.error()
            param = self.advance().text
            self.expect("=")
            if param == "PropertyName" and self.tok.kind == "str":
                prop = self.prop(self.advance().value)
            elif param == "PropertyValues":
                values = self.parse_value_list()
            else:
                raise self.error(f"Unexpected parameter '{param}'")
            if self.tok.kind == "punct" and self.tok.text == ",":
                self.advance()
                continue
            self.expect(")")
            break
        if prop is None or values is None:
            raise bad_query(f"{IN_FUNC} requires the parameters PropertyName and PropertyValues.")
        return InList("Edm.Boolean", prop, frozenset(_in_value(v, prop, self.text) for v in values))

    def parse_equal_user_id(self) -> Node:
        """`EqualUserId(PropertyName='p')` becomes `p eq <signed-in user>`, so the index
        answers it as it answers that comparison."""
        if self.user_id is None:
            raise bad_query(f"The query function '{EQUAL_USER_ID}' is not supported.")
        one_parameter = f"{EQUAL_USER_ID} requires exactly one parameter, PropertyName."
        if not self.is_word("PropertyName"):
            raise bad_query(one_parameter)
        self.advance()
        self.expect("=")
        if self.tok.kind != "str":
            raise self.error("String value expected")
        prop = self.prop(self.advance().value)
        if not (self.tok.kind == "punct" and self.tok.text == ")"):
            raise bad_query(one_parameter)
        self.advance()
        if prop.edm != "Edm.Guid":
            raise bad_query(
                f"{EQUAL_USER_ID} requires a property of type 'Edm.Guid'; "
                f"'{prop.name}' is of type '{prop.edm}'."
            )
        return Compare("Edm.Boolean", "eq", prop, Literal("Edm.Guid", self.user_id.lower()))

    def parse_value_list(self) -> list[str]:
        self.expect("[")
        values: list[str] = []
        while not (self.tok.kind == "punct" and self.tok.text == "]"):
            if self.tok.kind not in ("dqstr", "str"):
                raise self.error("String value expected")
            values.append(self.advance().value)
            if self.tok.kind == "punct" and self.tok.text == ",":
                self.advance()
        self.expect("]")
        return values


def _in_value(raw: str, prop: Prop, text: str) -> Any:
    if prop.edm == "Edm.Guid" and not GUID.fullmatch(raw):
        raise bad_query(f"The value '{raw}' is not a valid Guid in '{text}'.")
    if prop.edm in _NUMERIC:
        try:
            return Decimal(raw)
        except InvalidOperation:
            raise bad_query(f"The value '{raw}' is not a valid number in '{text}'.") from None
    return _norm(raw, prop.edm)


def _number(text: str) -> Literal:
    body = text.rstrip("mMdDfFlL")
    if re.fullmatch(r"-?\d+", body):
        return Literal("Edm.Int32" if abs(int(body)) < 2**31 else "Edm.Int64", int(body))
    return Literal("Edm.Decimal", Decimal(body))


def _compatible(a: str, b: str) -> bool:
    if a == b or "null" in (a, b):
        return True
    return (a in _NUMERIC and b in _NUMERIC) or (a in _TEMPORAL and b in _TEMPORAL)


def _incompatible(a: str, b: str, kind: str) -> ODataError:
    return bad_query(
        "A binary operator with incompatible types was detected. Found operand types "
        f"'{a}' and '{b}' for operator kind '{kind}'."
    )


def parse_filter(text: str, entity: Entity, *, user_id: str | None = None) -> Node:
    """Parse and type-check; raises ODataError (400) exactly where Dataverse would.

    `user_id` is the signed-in user `EqualUserId` compares with; without one the function is
    refused, as by an MSX that does not support it.
    """
    return _Parser(text, entity, user_id).parse()


def filter_rows(node: Node, rows: list[Row]) -> list[Row]:
    """The rows a filter keeps, in order. It runs once per distinct combination of the values
    it reads, since candidate rows share few (qualifiers, titles, statuses)."""
    test, names = node.compile(), sorted(_reads(node))
    read = operator.itemgetter(*names) if names else lambda row: ()
    try:
        keys = list(map(read, rows))
        sample = dict(zip(keys, rows, strict=True))  # a row for each combination
    except (KeyError, TypeError):  # a row lacks a property, or holds an unhashable value
        return [r for r in rows if test(r)]
    passing = {k for k, r in sample.items() if test(r)}
    return list(compress(rows, map(passing.__contains__, keys)))


def _reads(node: Node) -> set[str]:
    """The names of the properties a node reads."""
    if isinstance(node, Prop):
        return {node.name}
    if isinstance(node, InList):
        return {node.prop.name}
    if isinstance(node, (Compare, Logical)):
        return _reads(node.left) | _reads(node.right)
    if isinstance(node, StringFunc):
        return _reads(node.subject) | _reads(node.needle)
    return _reads(node.operand) if isinstance(node, Not) else set()


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
    found = _guid_values(node)
    return (found, None) if found else (None, node)


def _both(a: Node | None, b: Node | None) -> Node | None:
    if a is None or b is None:
        return b if a is None else a
    return Logical("Edm.Boolean", "and", a, b)


def _guid_values(node: Node) -> Pinned | None:
    if isinstance(node, Compare) and node.op == "eq":
        for p, lit in ((node.left, node.right), (node.right, node.left)):
            if isinstance(p, Prop) and p.edm == "Edm.Guid" and isinstance(lit, Literal):
                return (p.name, {lit.value}) if lit.value else None
        return None
    if isinstance(node, InList) and node.prop.edm == "Edm.Guid":
        return node.prop.name, {str(v) for v in node.values}
    if isinstance(node, Logical) and node.op == "or":
        a, b = _guid_values(node.left), _guid_values(node.right)
        if a and b and a[0] == b[0]:
            return a[0], a[1] | b[1]
    return None
