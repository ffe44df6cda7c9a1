"""The sandbox's ground truth, in its own plain types: who is who, and what an import
should find. Written by the generator as it decides (this member IS a Growth seller, this
territory IS East POD 06), never parsed back out of the rows it wrote, and owing nothing
to the bot's code: a mistake there must not show up here too.

Role values equal the bot's role values, so tests can compare sets of tuples."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The five seller and SE roles of the integration guide."""

    GROWTH_SELLER = "growth_seller"
    ACQUISITION_SELLER = "acquisition_seller"
    DATA_SE = "data_se"
    INFRA_SE = "infra_se"
    APPS_SE = "apps_se"

    @property
    def is_seller(self) -> bool:
        return self in (Role.GROWTH_SELLER, Role.ACQUISITION_SELLER)


# The guide's table ("Relevant msp_qualifier2 Values"): how MSX writes each role.
Q2_OF: dict[Role, str] = {
    Role.GROWTH_SELLER: "Cloud & AI",
    Role.ACQUISITION_SELLER: "Cloud & AI-Acq",
    Role.DATA_SE: "Cloud & AI Data",
    Role.INFRA_SE: "Cloud & AI Infrastructure",
    Role.APPS_SE: "Cloud & AI Apps",
}


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    email: str | None


@dataclass(frozen=True)
class Member:
    """A seller or SE on an account, as the guide's rules should find them."""

    account_id: str
    user_id: str
    name: str
    role: Role
    title: str | None
    email: str | None


@dataclass(frozen=True)
class ExpectedAccount:
    """One account of a user's book, as an import should produce it."""

    id: str
    name: str
    tpid: str | None
    territory_id: str | None
    territory: str | None
    pod: str | None
    my_roles: tuple[Role, ...]


def fold(text: str) -> str:
    """Case- and accent-free, for the order in which a book is listed."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join(
        "".join(c for c in decomposed if not unicodedata.combining(c)).split()
    ).casefold()
