"""MSX record links (`main.aspx?etn=...&id=...`), read back: which record a pasted URL names.

The entity names are MSX's, so they stay here; callers get a kind and an id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

RecordKind = Literal["milestone", "account"]
_KINDS: dict[str, RecordKind] = {"msp_engagementmilestone": "milestone", "account": "account"}
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})\}?$")


@dataclass(frozen=True)
class RecordLink:
    kind: RecordKind
    id: str  # lower case, no braces


def record_link(url: str, base_url: str) -> RecordLink | None:
    """The record a link to this MSX names; None for any other link."""
    try:
        parts, base = urlsplit(url.strip()), urlsplit(base_url)
    except ValueError:
        return None
    if parts.scheme not in ("https", "http"):
        return None
    if parts.hostname != base.hostname:  # both lower-cased by urlsplit
        return None
    if not parts.path.lower().endswith("/main.aspx"):
        return None
    query = {k.lower(): v for k, v in parse_qs(parts.query).items()}
    etn = (query.get("etn") or [""])[0].lower()
    ident = _GUID.match((query.get("id") or [""])[0].strip())
    kind = _KINDS.get(etn)
    if kind is None or ident is None:
        return None
    return RecordLink(kind=kind, id=ident.group(1).lower())
