"""`$filter`: a recursive-descent parser that type-checks against the entity and builds the
syntax tree of odata_ast.py (filter_plan.py answers it fast). Errors carry Dataverse's
messages so a client sees what MSX would say.

Grammar (precedence low to high): or, and, not, comparison, primary.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.sandbox.odata_ast import (
    NUMERIC,
    TEMPORAL,
    Compare,
    InList,
    Literal,
    Logical,
    Node,
    Not,
    Prop,
    StringFunc,
    norm,
)
from bot.sandbox.odata_lexer import GUID, Token, tokenize
from bot.sandbox.schema import Entity, ODataError, bad_query, no_attribute, unknown_property

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
NOT_IN_FUNC = "Microsoft.Dynamics.CRM.NotIn"
EQUAL_USER_ID = "Microsoft.Dynamics.CRM.EqualUserId"
_RANGES = ("gt", "ge", "lt", "le")


class _Parser:
    def __init__(self, text: str, entity: Entity, user_id: str | None, guid_ranges: bool) -> None:
        self.text = text
        self.entity = entity
        self.user_id = user_id
        self.guid_ranges = guid_ranges
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
            # A quoted GUID compares with a Guid property as the GUID it spells (the
            # integration guide's own milestone query: `_x_value eq '<guid>'`).
            left, right = _quoted_guid(left, right), _quoted_guid(right, left)
            if not _compatible(left.edm, right.edm):
                raise _incompatible(left.edm, right.edm, _OPS[op])
            if op in _RANGES and "Edm.Guid" in (left.edm, right.edm) and not self.guid_ranges:
                raise bad_query(
                    f"The operator '{op}' is not supported for operands of type 'Edm.Guid' "
                    f"in '{self.text}'."
                )
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

    def column(self, logical: str) -> Prop:
        """A query function's PropertyName: the column's logical name, never `_x_value`."""
        name = self.entity.attribute(logical)
        if name is None:
            raise no_attribute(logical, self.entity)
        return Prop(self.entity.props[name], name)

    def parse_call(self) -> Node:
        name = self.advance().text
        self.expect("(")
        if name == IN_FUNC:
            return self.parse_in()
        if name == NOT_IN_FUNC:
            return Not("Edm.Boolean", self.parse_in(NOT_IN_FUNC))
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

    def parse_in(self, func: str = IN_FUNC) -> InList:
        prop: Prop | None = None
        values: list[str] | None = None
        while True:
            if self.tok.kind != "ident":
                raise self.error()
            param = self.advance().text
            self.expect("=")
            if param == "PropertyName" and self.tok.kind == "str":
                prop = self.column(self.advance().value)
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
            raise bad_query(f"{func} requires the parameters PropertyName and PropertyValues.")
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
        prop = self.column(self.advance().value)
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
    if prop.edm in NUMERIC:
        try:
            return Decimal(raw)
        except InvalidOperation:
            raise bad_query(f"The value '{raw}' is not a valid number in '{text}'.") from None
    return norm(raw, prop.edm)


def _number(text: str) -> Literal:
    body = text.rstrip("mMdDfFlL")
    if re.fullmatch(r"-?\d+", body):
        return Literal("Edm.Int32" if abs(int(body)) < 2**31 else "Edm.Int64", int(body))
    return Literal("Edm.Decimal", Decimal(body))


def _quoted_guid(node: Node, other: Node) -> Node:
    """A string literal that spells a GUID, compared with a Guid: that GUID."""
    if (
        other.edm == "Edm.Guid"
        and isinstance(node, Literal)
        and node.edm == "Edm.String"
        and GUID.fullmatch(str(node.value))
    ):
        return Literal("Edm.Guid", str(node.value).lower())
    return node


def _compatible(a: str, b: str) -> bool:
    if a == b or "null" in (a, b):
        return True
    return (a in NUMERIC and b in NUMERIC) or (a in TEMPORAL and b in TEMPORAL)


def _incompatible(a: str, b: str, kind: str) -> ODataError:
    return bad_query(
        "A binary operator with incompatible types was detected. Found operand types "
        f"'{a}' and '{b}' for operator kind '{kind}'."
    )


def parse_filter(
    text: str, entity: Entity, *, user_id: str | None = None, guid_ranges: bool = False
) -> Node:
    """Parse and type-check; raises ODataError (400) exactly where Dataverse would.

    `user_id` is the signed-in user `EqualUserId` compares with; without one the function is
    refused, as by an MSX that does not support it. `guid_ranges`: whether gt/ge/lt/le on
    a Guid are answered (undocumented for the Web API: a switch) or refused with 400.
    """
    return _Parser(text, entity, user_id, guid_ranges).parse()
