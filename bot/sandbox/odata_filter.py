"""`$filter`: a tokenizer, a recursive-descent parser that type-checks against the entity,
and an evaluator. Errors carry Dataverse's messages so a client sees what MSX would say.

Grammar (precedence low to high): or, and, not, comparison, primary.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
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
_NUMERIC = {"Edm.Int32", "Edm.Int64", "Edm.Decimal", "Edm.Double"}
_TEMPORAL = {"Edm.Date", "Edm.DateTimeOffset"}

# ---- AST: each node knows its EDM type and how to evaluate against a row ----


@dataclass
class Node:
    edm: str

    def eval(self, row: Row) -> Any:
        raise NotImplementedError


@dataclass
class Literal(Node):
    value: Any

    def eval(self, row: Row) -> Any:
        return self.value


@dataclass
class Prop(Node):
    name: str

    def eval(self, row: Row) -> Any:
        return row.get(self.name)


@dataclass
class Compare(Node):
    op: str
    left: Node
    right: Node

    def eval(self, row: Row) -> bool:
        a, b = (
            _norm(self.left.eval(row), self.left.edm),
            _norm(self.right.eval(row), self.right.edm),
        )
        if self.op == "eq":
            return a == b
        if self.op == "ne":
            return a != b
        if a is None or b is None:
            return False
        try:
            return bool({"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[self.op])
        except TypeError:
            return False


@dataclass
class Logical(Node):
    op: str
    left: Node
    right: Node

    def eval(self, row: Row) -> bool:
        if self.op == "and":
            return bool(self.left.eval(row)) and bool(self.right.eval(row))
        return bool(self.left.eval(row)) or bool(self.right.eval(row))


@dataclass
class Not(Node):
    operand: Node

    def eval(self, row: Row) -> bool:
        return not self.operand.eval(row)


@dataclass
class StringFunc(Node):
    func: str
    subject: Node
    needle: Node

    def eval(self, row: Row) -> bool:
        s, x = self.subject.eval(row), self.needle.eval(row)
        if s is None or x is None:
            return False
        s, x = str(s).casefold(), str(x).casefold()
        if self.func == "startswith":
            return s.startswith(x)
        if self.func == "endswith":
            return s.endswith(x)
        return x in s


@dataclass
class InList(Node):
    prop: Prop
    values: frozenset[Any]

    def eval(self, row: Row) -> bool:
        return _norm(self.prop.eval(row), self.prop.edm) in self.values


def _norm(value: Any, edm: str) -> Any:
    """Bring a value to the form it compares in: strings case-insensitive, GUIDs lowercase."""
    if value is None:
        return None
    if edm == "Edm.String":
        return str(value).casefold()
    if edm == "Edm.Guid":
        return str(value).lower()
    if edm in _NUMERIC:
        return Decimal(str(value))
    if edm in _TEMPORAL:
        return _to_datetime(str(value))
    return value


def _to_datetime(text: str) -> dt.datetime:
    if len(text) == 10:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class _Parser:
    def __init__(self, text: str, entity: Entity) -> None:
        self.text = text
        self.entity = entity
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
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
            if t.text not in self.entity.props:
                raise unknown_property(t.text, self.entity)
            return Prop(self.entity.props[t.text], t.text)
        raise self.error()

    def parse_call(self) -> Node:
        name = self.advance().text
        self.expect("(")
        if name == IN_FUNC:
            return self.parse_in()
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
                pname = self.advance().value
                if pname not in self.entity.props:
                    raise unknown_property(pname, self.entity)
                prop = Prop(self.entity.props[pname], pname)
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


def parse_filter(text: str, entity: Entity) -> Node:
    """Parse and type-check; raises ODataError (400) exactly where Dataverse would."""
    return _Parser(text, entity).parse()


def key_constraint(node: Node) -> tuple[str, set[str]] | None:
    """A Guid property every match must hold one of, read from the top-level `and`s.

    Lets the app answer `(_x eq a or _x eq b) and ...` from an index instead of a scan,
    which keeps 200-account benchmarks fast. None when the filter does not pin one down.
    """
    if isinstance(node, Logical) and node.op == "and":
        return key_constraint(node.left) or key_constraint(node.right)
    found = _guid_values(node)
    return found


def _guid_values(node: Node) -> tuple[str, set[str]] | None:
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
