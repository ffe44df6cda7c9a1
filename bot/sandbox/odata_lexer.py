"""The `$filter` tokenizer: string literals with doubled-quote escapes, unquoted GUIDs,
dates, numbers, identifiers and punctuation, each with its position for error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.sandbox.schema import bad_query

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?"
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_]")


@dataclass
class Token:
    kind: str  # str, dqstr, guid, date, num, ident, punct, end
    text: str
    pos: int
    value: Any = None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "'\"":
            # OData doubles the quote to escape it; running off the end is Dataverse's
            # "unterminated literal", reported at the end of the text.
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise bad_query(
                        f"There is an unterminated literal at position {n} in '{text}'."
                    )
                if text[j] == ch:
                    if j + 1 < n and text[j + 1] == ch:
                        buf.append(ch)
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            kind = "str" if ch == "'" else "dqstr"
            tokens.append(Token(kind, text[i : j + 1], i, "".join(buf)))
            i = j + 1
            continue
        if ch in "(),=[]":
            tokens.append(Token("punct", ch, i))
            i += 1
            continue
        for kind, pattern in (("guid", GUID), ("date", _DATETIME), ("num", _NUMBER)):
            m = pattern.match(text, i)
            if m and not (m.end() < n and _IDENT_CHAR.match(text[m.end()])):
                tokens.append(Token(kind, m.group(), i))
                i = m.end()
                break
        else:
            m = _IDENT.match(text, i)
            if not m:
                raise bad_query(
                    f"Syntax error: character '{ch}' is not valid at position {i} in '{text}'."
                )
            tokens.append(Token("ident", m.group(), i))
            i = m.end()
    tokens.append(Token("end", "", n))
    return tokens
