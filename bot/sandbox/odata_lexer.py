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
# One match per token, with the whitespace before it. A quote doubled inside a string is
# one quote; a GUID, date or number counts only where no identifier character follows it
# (the atomic groups keep a refused literal from being retried shorter), else it is read
# as an identifier.
_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<str>'(?:[^']++|'')*+')|(?P<dqstr>\"(?:[^\"]++|\"\")*+\")"
    r"|(?P<punct>[(),=\[\]])"
    rf"|(?P<guid>(?>{GUID.pattern}))(?![A-Za-z0-9_])"
    rf"|(?P<date>(?>{_DATETIME.pattern}))(?![A-Za-z0-9_])"
    rf"|(?P<num>(?>{_NUMBER.pattern}))(?![A-Za-z0-9_])"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_.]*)"
    r"|\Z)"  # trailing whitespace
)


@dataclass(slots=True)  # slots: a long OR-list is hundreds of tokens
class Token:
    kind: str  # str, dqstr, guid, date, num, ident, punct, end
    text: str
    pos: int
    value: Any = None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        m = _TOKEN.match(text, i)
        if m is None:
            while text[i].isspace():  # on to the offending character
                i += 1
            if text[i] in "'\"":
                # Dataverse reports a literal left open at the end of the text.
                raise bad_query(f"There is an unterminated literal at position {n} in '{text}'.")
            raise bad_query(
                f"Syntax error: character '{text[i]}' is not valid at position {i} in '{text}'."
            )
        kind = m.lastgroup
        if kind is not None:  # None: only whitespace was left
            word = m[kind]
            value = None
            if kind == "str" or kind == "dqstr":
                value = word[1:-1].replace(word[0] * 2, word[0])
            tokens.append(Token(kind, word, m.start(kind), value))
        i = m.end()
    tokens.append(Token("end", "", n))
    return tokens
