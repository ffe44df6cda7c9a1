"""The deterministic org builder: users, territories, accounts, account teams, access teams
and milestones from a seed, recording the ground truth in a `Dataset` as it goes.

The truth is what the builder decides, written down before the rows that express it: "this
member is a Growth seller" comes first, then the msp_qualifier2 and title MSX would hold for
one; "this territory is East POD 06", then its name. Nothing is parsed back from the rows."""

from __future__ import annotations

import itertools
import random
import unicodedata
import uuid
from typing import Any

from bot.sandbox import names
from bot.sandbox.access_teams import build_access_teams
from bot.sandbox.dataset import (
    BUSINESS_UNIT_ID,
    COLLEAGUES,
    ME,
    ORGANIZATION_ID,
    Dataset,
    annotate_lookup,
)
from bot.sandbox.milestones import milestone_row
from bot.sandbox.names import CLOUD_NON_SPECIALISTS, OTHER_ROWS, SE_TITLE, SELLER_TITLES
from bot.sandbox.schema import (
    MILESTONE_STATUS,
)
from bot.sandbox.truth import Q2_OF, Member, Role

__all__ = ["Dataset", "build_dataset"]

HUGE_TEAM = 112  # sellers and SEs on special["huge_team"]: more than one 100-row page

Row = dict[str, Any]


class _Builder:
    def __init__(self, seed: int, n_mine: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.n_mine = n_mine
        self.t: dict[str, list[Row]] = {
            s: []
            for s in (
                "accounts",
                "territories",
                "systemusers",
                "msp_accountteams",
                "msp_engagementmilestones",
                "teams",
                "tasks",
            )
        }
        self.users: dict[str, Row] = {}
        self.memberships: dict[str, list[str]] = {u.user_id: [] for u in (ME, *COLLEAGUES)}
        self.accounts_of: dict[str, list[str]] = {u.user_id: [] for u in (ME, *COLLEAGUES)}
        self.roles_of: dict[tuple[str, str], tuple[Role, ...]] = {}
        self.team_of: dict[str, list[Member]] = {}
        self.pod_of_territory: dict[str, str | None] = {}
        self.cloud_size: dict[str, int] = {}
        self.milestones_of: dict[str, list[str]] = {}
        self.opportunities: dict[str, list[tuple[str, str]]] = {}

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def etag(self) -> str:
        return f'W/"{self.rng.randint(10_000_000, 99_999_999)}"'

    # ---- people and places ----

    def add_user(self, user_id: str, name: str, email: str) -> None:
        row = {
            "@odata.etag": self.etag(),
            "systemuserid": user_id,
            "fullname": name,
            "internalemailaddress": email,
            "domainname": email,
            "isdisabled": False,
        }
        self.users[user_id] = row
        self.t["systemusers"].append(row)

    def build_users(self) -> list[str]:
        for ident in (ME, *COLLEAGUES):
            assert ident.email
            self.add_user(ident.user_id, ident.name, ident.email)
        combos = list(itertools.product(names.FIRST_NAMES, names.LAST_NAMES))
        self.rng.shuffle(combos)
        aliases: set[str] = set()
        pool = []
        for first, last in combos[:170]:
            base = _ascii(first[:2] + last[:6]).lower().replace("'", "")
            alias = next(
                f"{base}{i or ''}" for i in itertools.count() if f"{base}{i or ''}" not in aliases
            )
            aliases.add(alias)
            user_id = self.uid()
            self.add_user(user_id, f"{first} {last}", f"{alias}@microsoft.com")
            pool.append(user_id)
        return pool

    def build_territories(self) -> list[str]:
        ids = []
        for region, area, pods in names.TERRITORY_LAYOUT:
            for pod in pods:
                for terr in (1, 2):
                    tid = self.uid()
                    self.pod_of_territory[tid] = f"{region} POD {pod:02d}"
                    self.t["territories"].append(
                        {
                            "@odata.etag": self.etag(),
                            "territoryid": tid,
                            "name": f"{region}.SMECC.{area}.{pod:02d}{terr:02d}",
                            "msp_accountteamunitname": f"{region}.SMECC.{area}.{pod:02d}",
                        }
                    )
                    ids.append(tid)
        return ids

    def account_names(self, count: int) -> list[str]:
        generated = [
            f"{p} {s}" for p, s in itertools.product(names.ACCOUNT_PREFIXES, names.ACCOUNT_SUFFIXES)
        ]
        self.rng.shuffle(generated)
        return (list(names.SPECIAL_ACCOUNTS) + generated)[:count]

    def add_account(self, name: str, territory: Row | None) -> str:
        aid = self.uid()
        row: Row = {
            "@odata.etag": self.etag(),
            "accountid": aid,
            "name": name,
            "msp_mstopparentid": str(self.rng.randint(1_000_000, 99_999_999)),
        }
        annotate_lookup(
            row,
            "_territoryid_value",
            territory["territoryid"] if territory else None,
            "territory",
            territory["name"] if territory else "",
        )
        self.t["accounts"].append(row)
        return aid

    # ---- account teams ----

    def team_row(
        self,
        account: Row,
        user_id: str,
        q1: str,
        q2: str | None,
        title: str,
        *,
        role: Role | None = None,
        cloud: bool = False,
    ) -> None:
        """One msp_accountteams row. `role`: the seller or SE role this row is (the truth);
        None for a distractor. `cloud`: a distractor the guide's server-side filter
        (Corporate, 'Cloud ') still returns (CSAs, managers under Cloud & AI)."""
        user = self.users[user_id]
        row: Row = {"@odata.etag": self.etag(), "msp_accountteamid": self.uid()}
        annotate_lookup(
            row, "_msp_accountid_value", account["accountid"], "account", account["name"]
        )
        annotate_lookup(row, "_msp_systemuserid_value", user_id, "systemuser", user["fullname"])
        row |= {
            "msp_qualifier1": q1,
            "msp_qualifier2": q2,
            "msp_standardtitle": title,
            "msp_fullname": user["fullname"],
        }
        self.t["msp_accountteams"].append(row)
        if cloud or role is not None:
            self.cloud_size[account["accountid"]] = self.cloud_size.get(account["accountid"], 0) + 1
        if role is not None:
            self.team_of.setdefault(account["accountid"], []).append(
                Member(
                    account_id=account["accountid"],
                    user_id=user_id,
                    name=user["fullname"],
                    role=role,
                    title=title,
                    email=user["internalemailaddress"],
                )
            )
            key = (user_id, account["accountid"])
            if user_id in self.accounts_of and key not in self.roles_of:
                self.accounts_of[user_id].append(account["accountid"])
            self.roles_of[key] = tuple(
                sorted({*self.roles_of.get(key, ()), role}, key=list(Role).index)
            )

    def role_row(self, account: Row, user_id: str, role: Role) -> None:
        title = self.rng.choice(SELLER_TITLES) if role.is_seller else SE_TITLE
        self.team_row(account, user_id, "Corporate", Q2_OF[role], title, role=role)

    def fill_team(self, account: Row, target: int, pool: list[str], others: int) -> None:
        taken = {u for (u, a) in self.roles_of if a == account["accountid"]}
        have = self.cloud_size.get(account["accountid"], 0)
        candidates = [u for u in pool if u not in taken]
        self.rng.shuffle(candidates)
        for user_id in candidates[: max(0, target - have)]:
            if self.rng.random() < 0.2:
                cloud_q2, cloud_title = self.rng.choice(CLOUD_NON_SPECIALISTS)
                self.team_row(account, user_id, "Corporate", cloud_q2, cloud_title, cloud=True)
            else:
                self.role_row(account, user_id, self.rng.choice(list(Role)))
        for _ in range(others):
            q1, q2, title = self.rng.choice(OTHER_ROWS)
            self.team_row(account, self.rng.choice(pool), q1, q2, title)

    def overfill_team(self, account: Row, pool: list[str], sellers_and_ses: int) -> None:
        """Sellers and SEs on top of a filled team until there are `sellers_and_ses`."""
        aid = account["accountid"]
        taken = {u for (u, a) in self.roles_of if a == aid}
        candidates = [u for u in pool if u not in taken]
        self.rng.shuffle(candidates)
        while len(self.team_of.get(aid, [])) < sellers_and_ses:
            self.role_row(account, candidates.pop(), self.rng.choice(list(Role)))

    # ---- milestones ----

    def add_milestones(self, account: Row, count: int, statuses: list[int] | None = None) -> None:
        aid = account["accountid"]
        opps = self.opportunities.setdefault(aid, [])
        short = account["name"].split(" ")[0]
        for _ in range(self.rng.randint(1, 3)):
            opps.append((self.uid(), f"FY26 {self.rng.choice(names.OPPORTUNITY_THEMES)} - {short}"))
        for i in range(count):
            status = statuses[i % len(statuses)] if statuses else None
            row = milestone_row(
                self.rng, self.uid(), self.etag(), account, i + 1, self.rng.choice(opps), status
            )
            self.t["msp_engagementmilestones"].append(row)
            self.milestones_of.setdefault(aid, []).append(row["msp_engagementmilestoneid"])

    # ---- the whole org ----

    def assign_roles(self, mine: list[Row], colleague_only: list[Row], not_mine: list[Row]) -> None:
        rng = self.rng
        me = ME.user_id
        jordan, mei = (c.user_id for c in COLLEAGUES)
        for i, acc in enumerate(mine):
            # Two roles on some accounts (seller + SE, as in a transition); never on the solo one.
            if i % 7 == 2:
                my_roles = [Role.GROWTH_SELLER, Role.DATA_SE]
            elif i % 7 == 5:
                my_roles = [Role.ACQUISITION_SELLER, Role.INFRA_SE]
            else:
                my_roles = [
                    rng.choice(
                        [
                            Role.GROWTH_SELLER,
                            Role.GROWTH_SELLER,
                            Role.ACQUISITION_SELLER,
                            Role.DATA_SE,
                            Role.INFRA_SE,
                            Role.APPS_SE,
                        ]
                    )
                ]
            for role in my_roles:
                self.role_row(acc, me, role)
            if i % 4 == 0 and i != 0:
                self.team_row(acc, me, "Area", "Cloud & AI", "Cloud & AI Area Lead")
            if i != 1 and i % 3 == 2:
                self.role_row(acc, jordan, rng.choice([r for r in Role if r not in my_roles]))
            if i != 1 and i % 4 == 0:
                self.role_row(acc, mei, rng.choice([r for r in Role if r not in my_roles]))
        for j, acc in enumerate(colleague_only):
            self.role_row(acc, jordan if j % 2 == 0 else mei, rng.choice(list(Role)))
        for j, acc in enumerate(not_mine):
            # Me on the account, but not in a Cloud & AI seller/SE role: not my account.
            q1, q2 = [
                ("Corporate", "Modern Work"),
                ("Corporate", "Security"),
                ("Area", "Modern Work"),
            ][j]
            self.team_row(acc, me, q1, q2, "Specialists IC")

    def build(self) -> Dataset:
        rng = self.rng
        pool = self.build_users()
        territory_ids = self.build_territories()
        unassigned_id = self.uid()
        unassigned: Row = {
            "@odata.etag": self.etag(),
            "territoryid": unassigned_id,
            "name": "Unassigned",
            "msp_accountteamunitname": None,
        }
        self.t["territories"].append(unassigned)
        self.pod_of_territory[unassigned_id] = None  # not Region.Segment.Area.Code: no POD
        territories = {r["territoryid"]: r for r in self.t["territories"]}

        n_colleague_only = max(4, self.n_mine // 6)
        n_not_mine = 3
        n_others = max(5, self.n_mine // 5)
        total = self.n_mine + n_colleague_only + n_not_mine + n_others
        acc_names = self.account_names(total)
        rows: list[Row] = []
        for i, name in enumerate(acc_names):
            terr: Row | None = territories[rng.choice(territory_ids)]
            if i == 3:
                terr = None  # no territory at all: `<!channel> Industries`
            elif i == 4:
                terr = unassigned  # a territory name that is not Region.Segment.Area.Code
            self.add_account(name, terr)
            rows.append(self.t["accounts"][-1])
        mine = rows[: self.n_mine]
        colleague_only = rows[self.n_mine : self.n_mine + n_colleague_only]
        not_mine = rows[
            self.n_mine + n_colleague_only : self.n_mine + n_colleague_only + n_not_mine
        ]

        self.assign_roles(mine, colleague_only, not_mine)

        for i, acc in enumerate(rows):
            if i == 0:
                target, others = 99, 190
            elif i == 8:
                target, others = 120, 60
            elif i == 1:
                target, others = 1, 12
            elif i < self.n_mine:
                target = rng.randint(20, 40) if i % 3 else rng.randint(2, 80)
                others = rng.randint(8, 40)
            else:
                target, others = rng.randint(2, 45), rng.randint(5, 20)
            self.fill_team(acc, target, pool, others)
            if i == 8:
                self.overfill_team(acc, pool, HUGE_TEAM)
        rng.shuffle(self.t["msp_accountteams"])  # Dataverse order is not account order

        for i, acc in enumerate(rows):
            if i == 2:
                self.add_milestones(acc, 135, statuses=list(MILESTONE_STATUS))
            elif i < self.n_mine + n_colleague_only:
                self.add_milestones(acc, rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 10]))
            else:
                self.add_milestones(acc, rng.randint(0, 3))

        build_access_teams(self, rows, mine)
        for user_id in self.memberships:
            rng.shuffle(self.memberships[user_id])

        return Dataset(
            seed=self.seed,
            tables=self.t,
            memberships=self.memberships,
            me=ME,
            colleagues=COLLEAGUES,
            business_unit_id=BUSINESS_UNIT_ID,
            organization_id=ORGANIZATION_ID,
            accounts_of=self.accounts_of,
            roles_of={k: v for k, v in self.roles_of.items() if k[0] in self.accounts_of},
            team_of=self.team_of,
            cloud_team_size=self.cloud_size,
            milestones_of=self.milestones_of,
            pod_of_territory=self.pod_of_territory,
            not_mine_account_ids=[a["accountid"] for a in not_mine],
            special={
                "big_team": rows[0]["accountid"],
                "solo_team": rows[1]["accountid"],
                "big_milestones": rows[2]["accountid"],
                "channel": rows[3]["accountid"],
                "no_territory": rows[3]["accountid"],
                "bad_territory": rows[4]["accountid"],
                # Of my accounts once the book has 9 (and 11) of them; the default has 30.
                "huge_team": rows[8]["accountid"],
                "same_name": rows[9]["accountid"],
                "same_name_twin": rows[10]["accountid"],
            },
        )


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def build_dataset(seed: int = 7, accounts: int = 30) -> Dataset:
    """The org for a seed; `accounts` is the size of the signed-in user's book (at least 8)."""
    if accounts < 8:
        raise ValueError("accounts must be at least 8: the special accounts need room")
    return _Builder(seed, accounts).build()
