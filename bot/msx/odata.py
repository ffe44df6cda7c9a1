"""OData query building: quoting, GUID checks, filter helpers, URL encoding and chunking.

Every value that reaches a `$filter` goes through `literal` or `guid`, so user text
can never change a filter's meaning.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from urllib.parse import quote

MAX_URL = 16_384  # half of Dataverse's 32 KB GET limit: room for the nextLink cookie

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Property paths come from our own code, never from users; checked anyway.
_PROP = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*")
# Left readable in values: they are legal in a query and Dataverse reads them either way.
# The apostrophe, &, #, %, + and space are all percent-encoded.
_SAFE_VALUE = "(),/:@$"


def guid(value: str | uuid.UUID) -> str:
    """A GUID, checked and lower-cased, ready to go unquoted into a filter or a path."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str) or not _GUID.fullmatch(value):
        raise ValueError(f"not a GUID: {value!r}")
    return value.lower()


def is_guid(value: object) -> bool:
    return isinstance(value, str) and _GUID.fullmatch(value) is not None


def literal(text: str) -> str:
    """An OData string literal: single quotes, an apostrophe doubled."""
    return "'" + text.replace("'", "''") + "'"


def _prop(name: str) -> str:
    if not _PROP.fullmatch(name):
        raise ValueError(f"not a property name: {name!r}")
    return name


def eq(prop: str, value: str | int | float | bool | None) -> str:
    """`prop eq value`; strings are always quoted (use `guid_eq` for GUIDs)."""
    if value is None:
        rendered = "null"
    elif isinstance(value, bool):  # before int: bool is an int
        rendered = "true" if value else "false"
    elif isinstance(value, int | float):
        rendered = repr(value)
    else:
        rendered = literal(value)
    return f"{_prop(prop)} eq {rendered}"


def guid_eq(prop: str, value: str | uuid.UUID) -> str:
    return f"{_prop(prop)} eq {guid(value)}"


def startswith(prop: str, text: str) -> str:
    return f"startswith({_prop(prop)},{literal(text)})"


def any_guid(prop: str, ids: Iterable[str | uuid.UUID]) -> str:
    """`(p eq a or p eq b)`; a single id is parenthesised too, for uniform composition."""
    clauses = [guid_eq(prop, i) for i in ids]
    if not clauses:
        raise ValueError("any_guid needs at least one id")
    return "(" + " or ".join(clauses) + ")"


def and_(*clauses: str) -> str:
    """Clauses joined by `and`; a clause with a top-level `or` is parenthesised."""
    if not clauses:
        raise ValueError("and_ needs at least one clause")
    return " and ".join(f"({c})" if _has_top_level_or(c) else c for c in clauses)


def or_(*clauses: str) -> str:
    """Clauses joined by `or`, the whole group in parentheses (`or` binds loosest)."""
    if not clauses:
        raise ValueError("or_ needs at least one clause")
    return "(" + " or ".join(clauses) + ")"


def _has_top_level_or(clause: str) -> bool:
    if " or " not in clause:
        return False  # the common case, without walking a long id list char by char
    depth = 0
    in_literal = False
    for i, ch in enumerate(clause):
        if ch == "'":
            in_literal = not in_literal  # '' (an escaped apostrophe) leaves and re-enters
        elif in_literal:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and clause.startswith(" or ", i):
            return True
    return False


def encode_query(params: dict[str, str]) -> str:
    """`k=v&...`, every reserved character in values percent-encoded (UTF-8). The keys are
    ours (`$filter`, `$select`...), never a person's: they go in as they are."""
    return "&".join(f"{key}={quote(value, safe=_SAFE_VALUE)}" for key, value in params.items())


def split_ids(
    ids: Iterable[str],
    render: Callable[[list[str]], str],
    max_url: int = MAX_URL,
    max_ids: int | None = None,
) -> list[list[str]]:
    """Chunk `ids` (deduplicated, order kept) so `render(chunk)` stays within `max_url`
    characters and each chunk has at most `max_ids` ids (e.g. one page's worth). The ids
    are GUIDs: each adds the same length to a render."""
    if max_ids is not None and max_ids < 1:
        raise ValueError("max_ids must be at least 1")
    unique = list(dict.fromkeys(ids))
    if not unique:
        return []
    one = len(render(unique[:1]))
    if one > max_url:
        raise ValueError(f"a single id makes a URL longer than {max_url} characters")
    # Each id adds the same, so two renders size every chunk.
    step = len(render(unique[:2])) - one  # 0 for a single id
    size = (max_url - one) // step + 1 if step else len(unique)
    size = min(size, max_ids or size)
    chunks = [unique[i : i + size] for i in range(0, len(unique), size)]
    if any(len(render(chunk)) > max_url for chunk in chunks):
        raise ValueError("ids of uneven length: chunks sized by the first two are too long")
    return chunks
