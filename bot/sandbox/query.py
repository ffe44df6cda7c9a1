"""Query options and headers: parsing `$select`/`$orderby`/`$top`/`$count`, the Prefer
header, projecting rows with or without annotations, and the signed `$skiptoken` cookie."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote_plus

from bot.sandbox.odata_ast import guid_order
from bot.sandbox.schema import (
    CODE_PAGING,
    Entity,
    ODataError,
    bad_query,
    lookup_column,
    unknown_property,
)

Row = dict[str, Any]

KNOWN_OPTIONS = frozenset(
    {"$select", "$filter", "$orderby", "$top", "$skip", "$count", "$skiptoken", "$expand", "$apply"}
)
PAGE_CAP = 100  # MSX's observed cap, whatever the client asks for
MAX_URL = 32768


@dataclass
class Query:
    options: dict[str, str] = field(default_factory=dict)
    # Raw `k=v` parts other than $skiptoken, so a nextLink repeats the client's own encoding.
    raw_parts: list[str] = field(default_factory=list)


def parse_query(raw_query: str, *, allow_expand: bool = False) -> Query:
    q = Query()
    for part in raw_query.split("&"):
        if not part:
            continue
        raw_key, _, raw_value = part.partition("=")
        # Percent-decoding happens once, here; `+` is a space as in .NET's UrlDecode.
        key, value = unquote_plus(raw_key), unquote_plus(raw_value)
        if key.startswith("$"):
            if key not in KNOWN_OPTIONS:
                raise bad_query(f"The query parameter '{key}' is not supported.")
            if key in q.options:
                raise bad_query(
                    f"Query option '{key}' was specified more than once, but it must be "
                    "specified at most once."
                )
            q.options[key] = value
        if key != "$skiptoken":
            q.raw_parts.append(part)
    if "$skip" in q.options:
        raise bad_query("Skip Clause is not supported in CRM")
    for unsupported in ("$apply",) if allow_expand else ("$expand", "$apply"):
        if unsupported in q.options:
            raise bad_query(f"The sandbox does not support the query option '{unsupported}'.")
    return q


def parse_prefer(header: str) -> dict[str, str]:
    """`odata.include-annotations="a,b", odata.maxpagesize=50` -> {name: unquoted value}."""
    prefs: dict[str, str] = {}
    for item in re.findall(r'(?:[^,"]|"[^"]*")+', header):
        name, _, value = item.strip().partition("=")
        if name:
            prefs[name.strip().lower()] = value.strip().strip('"')
    return prefs


def annotation_filter(prefs: dict[str, str]) -> list[str]:
    """Patterns of annotations the client asked for: `*`, `ns.*`, or exact terms."""
    value = prefs.get("odata.include-annotations")
    return [p.strip() for p in value.split(",") if p.strip()] if value else []


def _wanted(term: str, patterns: list[str]) -> bool:
    return any(
        p == "*" or p == term or (p.endswith(".*") and term.startswith(p[:-1])) for p in patterns
    )


def parse_select(value: str | None, entity: Entity) -> list[str] | None:
    if value is None:
        return None
    cols = [c.strip() for c in value.split(",")]
    if not all(cols):
        raise bad_query(f"Syntax error at position {value.find(',,') + 1} in '{value}'.")
    for col in cols:
        if col not in entity.props:
            raise unknown_property(col, entity)
    return cols


def project(row: Row, entity: Entity, select: list[str] | None, patterns: list[str]) -> Row:
    return projector(entity, select, patterns)(row)


def projector(
    entity: Entity, select: list[str] | None, patterns: list[str]
) -> Callable[[Row], Row]:
    """`project` for the rows of one answer. Which annotations it keeps is worked out once per
    row layout (a table's rows share one), not for every key of every row."""
    cols = list(entity.props) if select is None else [*select]
    if entity.key not in cols:
        cols.append(entity.key)  # Dataverse always returns the primary key
    chosen = set(cols)
    kept_in: dict[tuple[str, ...], list[str]] = {}

    def kept(k: str) -> bool:
        col, at, term = k.partition("@")
        return bool(at) and col in chosen and _wanted(term, patterns)

    names = ["@odata.etag", *cols]

    def one(row: Row) -> Row:
        out: Row = dict(zip(names, map(row.get, names), strict=True))
        if patterns:
            layout = tuple(row)
            keys = kept_in.get(layout)
            if keys is None:
                keys = kept_in[layout] = [k for k in layout if kept(k)]
            for k in keys:
                out[k] = row[k]
        return out

    return one


def parse_orderby(value: str | None, entity: Entity) -> list[tuple[str, bool]]:
    if not value:
        return []
    order = []
    for item in value.split(","):
        words = item.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise bad_query(f"Syntax error at position {len(value)} in '{value}'.")
        if words[0] not in entity.props:
            raise unknown_property(words[0], entity)
        order.append((words[0], len(words) == 2 and words[1] == "desc"))
    return order


RelatedName = Callable[[Row, str], str | None]


def sort_rows(
    rows: list[Row],
    order: list[tuple[str, bool]],
    entity: Entity,
    related_name: RelatedName,
    key_order: dict[str, int] | None = None,
) -> list[Row]:
    """`$orderby` as Dataverse applies it: a lookup (`_x_value`) by the related record's
    primary name, not its GUID; a choice by its integer value; and the primary key
    appended as the last key, so that ties (two accounts of one name) have one order.
    `key_order`: each primary key's place in GUID order (Dataset.key_order), if known."""
    if all(col != entity.key for col, _ in order):
        order = [*order, (entity.key, False)]
    out = list(rows)
    for col, desc in reversed(order):
        if col == entity.key and key_order is not None:
            # A primary key is never null: one sort by its precomputed place.
            out.sort(key=lambda r: key_order[r[col]], reverse=desc)
            continue
        key = _sort_key(col, entity.props[col], related_name)
        keyed = list(zip(map(key, out), out, strict=True))
        # Nulls sort first ascending, as SQL Server does; stable sorts keep ties in order.
        nulls = [r for k, r in keyed if k is None]
        present = [(k, r) for k, r in keyed if k is not None]
        present.sort(key=lambda kr: kr[0], reverse=desc)
        ordered = [r for _, r in present]
        out = ordered + nulls if desc else nulls + ordered
    return out


def _sort_key(col: str, edm: str, related_name: RelatedName) -> Callable[[Row], Any]:
    """A row's sort key for a column, None for null."""
    if lookup_column(col):

        def name(row: Row) -> str | None:
            return None if row.get(col) is None else (related_name(row, col) or "").casefold()

        return name
    convert = _KEY_OF.get(edm, lambda v: str(v).lower())
    return lambda row: None if (v := row.get(col)) is None else convert(v)


# A non-null value's sort key by EDM type: strings case-insensitively, numbers by value,
# GUIDs in SQL Server's order; anything else as lowercase text.
_KEY_OF: dict[str, Callable[[Any], Any]] = {
    "Edm.String": lambda v: str(v).casefold(),
    "Edm.Int32": lambda v: Decimal(str(v)),
    "Edm.Decimal": lambda v: Decimal(str(v)),
    "Edm.Guid": lambda v: guid_order(str(v)),
}


def parse_top(value: str | None) -> int | None:
    if value is None:
        return None
    if not re.fullmatch(r"\d+", value.strip()):
        raise bad_query(
            f"Invalid value '{value}' for $top query option found. The $top query option "
            "requires a non-negative integer value."
        )
    return int(value)


def parse_count(value: str | None) -> bool:
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise bad_query(f"'{value}' is not a valid count option.")


def page_size(prefs: dict[str, str]) -> int:
    raw = prefs.get("odata.maxpagesize")
    if raw is not None and raw.isdigit() and int(raw) > 0:
        return min(int(raw), PAGE_CAP)
    return PAGE_CAP


# ---- paging cookie ----


def _signature(secret: bytes, path: str, options: dict[str, str], offset: int) -> str:
    canonical = "&".join(f"{k}={v}" for k, v in sorted(options.items()) if k != "$skiptoken")
    msg = f"{path}|{canonical}|{offset}".encode()
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()[:20]


def skiptoken_for(secret: bytes, path: str, options: dict[str, str], offset: int, page: int) -> str:
    """A cookie shaped like Dataverse's, signed over the query so it cannot be edited."""
    cookie = f"{offset}:{_signature(secret, path, options, offset)}"
    return f'<cookie pagenumber="{page}" pagingcookie="{quote(cookie)}" istracking="False" />'


def read_skiptoken(secret: bytes, path: str, options: dict[str, str]) -> int:
    token = options.get("$skiptoken")
    if token is None:
        return 0
    m = re.fullmatch(
        r'<cookie pagenumber="\d+" pagingcookie="([^"]*)" istracking="False" />', token
    )
    if m:
        offset_s, _, sig = unquote_plus(m.group(1)).partition(":")
        if offset_s.isdigit():
            offset = int(offset_s)
            if hmac.compare_digest(sig, _signature(secret, path, options, offset)):
                return offset
    # Signed over the query, so an edited cookie, or one moved to another query, fails.
    raise ODataError(400, CODE_PAGING, "Invalid page number in paging cookie.")


def next_link(base: str, path: str, raw_parts: Iterable[str], token: str) -> str:
    parts = [*raw_parts, f"$skiptoken={quote(token, safe='')}"]
    return f"{base}{path}?{'&'.join(parts)}"
