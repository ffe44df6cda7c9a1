"""The dataset's shape and ground truth: who "me" is, and `Dataset`, the tables plus what
an import for a user should find (written by data.py as it generates; see truth.py).

Rows are stored as Dataverse returns them with `Prefer: odata.include-annotations="*"`;
the app strips annotations when the request did not ask for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.odata_ast import guid_order
from bot.sandbox.schema import FORMATTED, LOOKUP_LOGICAL, NAV_PROPERTY
from bot.sandbox.truth import ExpectedAccount, Member, Person, Role, fold

Row = dict[str, Any]

ME = Person(
    user_id="5f3c2a10-7d4e-4b8a-9c61-2e8f4d7a9b01", name="Avery Quinn", email="averyq@microsoft.com"
)
COLLEAGUES = (
    Person(
        user_id="0b6e1d52-3c7a-4f19-8e24-6a9d5c3b7e12",
        name="Jordan Patel",
        email="jopatel@microsoft.com",
    ),
    Person(
        user_id="c4a8e2f6-91b3-4d57-a0c2-8f7e6d5b4a23",
        name="Mei-Lin Chen",
        email="meilinc@microsoft.com",
    ),
)
BUSINESS_UNIT_ID = "2d9b4c61-0e7f-4a3b-b8c5-1f6e9a7d2c34"
ORGANIZATION_ID = "7e1a5f93-4b2c-4d8e-9a6f-3c0b8d2e1f45"


def annotate_lookup(row: Row, fld: str, target_id: str | None, logical: str, label: str) -> None:
    row[fld] = target_id
    if target_id is not None:
        row[f"{fld}@{FORMATTED}"] = label
        row[f"{fld}@{LOOKUP_LOGICAL}"] = logical
        row[f"{fld}@{NAV_PROPERTY}"] = fld.strip("_").removesuffix("_value")


@dataclass
class Dataset:
    seed: int
    tables: dict[str, list[Row]]
    memberships: dict[str, list[str]]  # systemuserid -> teamids (teammembership_association)
    me: Person
    colleagues: tuple[Person, ...]
    business_unit_id: str
    organization_id: str
    # Ground truth: what an import for a user should find.
    accounts_of: dict[str, list[str]]  # user -> accounts held with a seller/SE role
    roles_of: dict[tuple[str, str], tuple[Role, ...]]  # (user, account) -> roles
    team_of: dict[str, list[Member]]  # account -> sellers and SEs per the guide's rules
    cloud_team_size: dict[str, int]  # account -> Corporate + 'Cloud ' rows
    milestones_of: dict[str, list[str]]  # account -> milestone ids
    pod_of_territory: dict[str, str | None]  # territory -> its POD (None: not of the pattern)
    not_mine_account_ids: list[str]  # me has rows there, but only irrelevant ones
    # big_team, solo_team, big_milestones, no_territory, bad_territory, channel, huge_team,
    # same_name, same_name_twin
    special: dict[str, str]
    _by_id: dict[str, dict[str, Row]] = field(default_factory=dict, repr=False)
    _index: dict[tuple[str, str], dict[str, list[Row]]] = field(default_factory=dict, repr=False)
    _pos: dict[str, dict[int, int]] = field(default_factory=dict, repr=False)
    _key_order: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)

    @property
    def users(self) -> tuple[Person, ...]:
        return (self.me, *self.colleagues)

    def record(self, set_name: str, key: str, record_id: str) -> Row | None:
        if set_name not in self._by_id:
            self._by_id[set_name] = {r[key]: r for r in self.tables[set_name]}
        return self._by_id[set_name].get(record_id.lower())

    def index(self, set_name: str, fld: str) -> dict[str, list[Row]]:
        """Rows of a set grouped by a Guid property's value (built on first use)."""
        if (set_name, fld) not in self._index:
            groups: dict[str, list[Row]] = {}
            for row in self.tables[set_name]:
                if row.get(fld) is not None:
                    groups.setdefault(row[fld], []).append(row)
            self._index[set_name, fld] = groups
        return self._index[set_name, fld]

    def position(self, set_name: str) -> dict[int, int]:
        """Row identity -> place in its table, to keep index lookups in table order."""
        if set_name not in self._pos:
            self._pos[set_name] = {id(r): i for i, r in enumerate(self.tables[set_name])}
        return self._pos[set_name]

    def key_order(self, set_name: str, key: str) -> dict[str, int]:
        """Primary key -> its place in SQL Server's uniqueidentifier order, which `$orderby`
        ends with: ranked once per table, so a sort does not work out a GUID key a row."""
        if set_name not in self._key_order:
            ranked = sorted((r[key] for r in self.tables[set_name]), key=guid_order)
            self._key_order[set_name] = {k: i for i, k in enumerate(ranked)}
        return self._key_order[set_name]

    def insert(self, set_name: str, row: Row) -> None:
        self.tables[set_name].append(row)
        self._by_id.pop(set_name, None)
        self._pos.pop(set_name, None)
        self._key_order.pop(set_name, None)
        for k in [k for k in self._index if k[0] == set_name]:
            del self._index[k]

    def expected_accounts(self, user_id: str) -> list[ExpectedAccount]:
        """The accounts an import for this user should produce, by folded name."""
        out = []
        for account_id in self.accounts_of.get(user_id, []):
            acc = self.record("accounts", "accountid", account_id)
            assert acc is not None
            terr_id = acc["_territoryid_value"]
            terr = self.record("territories", "territoryid", terr_id) if terr_id else None
            tname = terr["name"] if terr else None
            out.append(
                ExpectedAccount(
                    id=account_id,
                    name=acc["name"],
                    tpid=acc["msp_mstopparentid"],
                    territory_id=terr_id,
                    territory=tname,
                    pod=self.pod_of_territory.get(terr_id) if terr_id else None,
                    my_roles=self.roles_of[user_id, account_id],
                )
            )
        return sorted(out, key=lambda a: (fold(a.name), a.id))

    def account_id(self, name: str) -> str:
        return next(a["accountid"] for a in self.tables["accounts"] if a["name"] == name)
