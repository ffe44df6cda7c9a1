"""Helpers for the refresh tests: a gateway and a store on the in-process sandbox, and
ground truth in the shapes the tests compare. The sandbox's truth is in its own plain
types (bot/sandbox/truth.py); `book_accounts` and `identity` turn it into the bot's."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from msx_fixtures import FakeSleep
from pydantic import SecretStr

from bot.config import Settings
from bot.domain import Account, Identity, Role, Snapshot
from bot.msx.gateway import MsxGateway
from bot.sandbox import SandboxMsx
from bot.sandbox.dataset import Dataset
from bot.sandbox.truth import Q2_OF, Person
from bot.sandbox.truth import Role as SandboxRole
from bot.workflows.refresh import Progress

BASE = "https://msx.test"


def settings_for(tmp_path: Path) -> Settings:
    return Settings(
        msx_base_url=BASE, msx_access_token=SecretStr("sandbox"), msx_bot_db=tmp_path / "db"
    )


def gateway_for(sb: SandboxMsx, tmp_path: Path, **client_kwargs: Any) -> MsxGateway:
    """The real gateway on the sandbox; waits go to a FakeSleep (no real waiting)."""
    client_kwargs.setdefault("sleep", FakeSleep())
    client_kwargs.setdefault("jitter", lambda: 0.0)
    return MsxGateway.from_settings(
        settings_for(tmp_path), transport=sb.transport(), **client_kwargs
    )


def members(snapshot: Snapshot, account_id: str) -> set[tuple[str, Role, str | None]]:
    return {(m.user_id, m.role, m.email) for m in snapshot.team_of(account_id)}


def truth(sb: SandboxMsx, account_id: str) -> set[tuple[str, Role, str | None]]:
    return {(m.user_id, Role(m.role), m.email) for m in sb.dataset.team_of.get(account_id, [])}


def identity(person: Person) -> Identity:
    return Identity(user_id=person.user_id, name=person.name, email=person.email)


def book_accounts(ds: Dataset, user_id: str) -> list[Account]:
    """The sandbox's expected book for a user, as the bot's Accounts (same order)."""
    return [
        Account(
            id=a.id,
            name=a.name,
            tpid=a.tpid,
            territory_id=a.territory_id,
            territory=a.territory,
            pod=a.pod,
            my_roles=tuple(Role(r) for r in a.my_roles),
        )
        for a in ds.expected_accounts(user_id)
    ]


class Recorder:
    """A progress callback that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Progress] = []

    def __call__(self, event: Progress) -> None:
        self.events.append(event)

    @property
    def notes(self) -> list[str]:
        return [e.note for e in self.events if e.note]


def add_team_row(
    sb: SandboxMsx, account_id: str, user_id: str, role: Role, *, name: str = "Extra Person"
) -> None:
    """One more seller or SE row on an account, as MSX would hold it."""
    title = "Specialists IC" if role.is_seller else "Technical Specialists IC"
    q2 = Q2_OF[SandboxRole(role.value)]
    sb.dataset.insert(
        "msp_accountteams",
        {
            "msp_accountteamid": str(uuid.uuid4()),
            "_msp_accountid_value": account_id,
            "_msp_systemuserid_value": user_id,
            "msp_qualifier1": "Corporate",
            "msp_qualifier2": q2,
            "msp_standardtitle": title,
            "msp_fullname": name,
        },
    )


def add_account(sb: SandboxMsx, name: str) -> str:
    account_id = str(uuid.uuid4())
    sb.dataset.insert(
        "accounts",
        {
            "accountid": account_id,
            "name": name,
            "msp_mstopparentid": str(uuid.UUID(account_id).int % 10**8),
            "_territoryid_value": None,
        },
    )
    return account_id
