"""The seller's vocabulary: the types every layer speaks, and MSX facts that are data.

Nothing here knows MSX's raw field names or how they are fetched; `bot/msx/` maps
records into these types once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection, Iterable
from enum import IntEnum, StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    """A person's role on an account, as the bot distinguishes them."""

    GROWTH_SELLER = "growth_seller"
    ACQUISITION_SELLER = "acquisition_seller"
    DATA_SE = "data_se"
    INFRA_SE = "infra_se"
    APPS_SE = "apps_se"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_seller(self) -> bool:
        return self in (Role.GROWTH_SELLER, Role.ACQUISITION_SELLER)


ROLE_LABELS: dict[Role, str] = {
    Role.GROWTH_SELLER: "Growth seller",
    Role.ACQUISITION_SELLER: "Acquisition seller",
    Role.DATA_SE: "Data SE",
    Role.INFRA_SE: "Infra SE",
    Role.APPS_SE: "Apps SE",
}


class DiscoveryPath(StrEnum):
    """How my accounts were found: the guide's assignments, or account access teams."""

    ACCOUNT_TEAMS = "account_teams"
    ACCESS_TEAMS = "access_teams"


class HokCategory(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: int
    label: str
    hok: bool


# The guide's table plus the newer categories others report (msx-field-notes.md).
TASK_CATEGORIES: tuple[HokCategory, ...] = (
    HokCategory(code=861980004, label="Architecture Design Session", hok=True),
    HokCategory(code=861980006, label="Blocker Escalation", hok=True),
    HokCategory(code=861980008, label="Briefing", hok=True),
    HokCategory(code=861980007, label="Consumption Plan", hok=True),
    HokCategory(code=861980002, label="Demo", hok=True),
    HokCategory(code=861980005, label="PoC/Pilot", hok=True),
    HokCategory(code=606820005, label="Technical Close/Win Plan", hok=True),
    HokCategory(code=861980001, label="Workshop", hok=True),
    HokCategory(code=606820009, label="L300+ Demo", hok=True),
    HokCategory(code=606820006, label="Rapid Prototyping", hok=True),
    HokCategory(code=606820008, label="Solution Whiteboarding", hok=True),
    HokCategory(code=606820007, label="Technical Workshop", hok=True),
    HokCategory(code=606820000, label="ACE", hok=False),
    HokCategory(code=861980010, label="Call Back Requested", hok=False),
    HokCategory(code=606820001, label="Cross Segment", hok=False),
    HokCategory(code=606820002, label="Cross Workload", hok=False),
    HokCategory(code=861980000, label="Customer Engagement", hok=False),
    HokCategory(code=861980013, label="External (Co-creation of Value)", hok=False),
    HokCategory(code=861980012, label="Internal", hok=False),
    HokCategory(code=861980003, label="Negotiate Pricing", hok=False),
    HokCategory(code=861980011, label="New Partner Request", hok=False),
    HokCategory(code=606820003, label="Post Sales", hok=False),
    HokCategory(code=861980009, label="RFP/RFI", hok=False),
    HokCategory(code=606820004, label="Tech Support", hok=False),
    HokCategory(code=861980014, label="Assessment", hok=False),
)
CATEGORY_BY_CODE: dict[int, HokCategory] = {c.code: c for c in TASK_CATEGORIES}
# Which codes count as HoK: the guide's eight and the four newer ones the field notes report
# as HoK. Data, not code: Settings.msx_bot_hok_codes overrides it.
DEFAULT_HOK_CODES: frozenset[int] = frozenset(c.code for c in TASK_CATEGORIES if c.hok)


def ordered_categories(
    labels: Iterable[tuple[int, str]], hok_codes: Collection[int] = DEFAULT_HOK_CODES
) -> list[HokCategory]:
    """(code, label) pairs as categories to choose from: HoK ones first, each group by label."""
    found = {code: label for code, label in labels}
    cats = [HokCategory(code=c, label=label, hok=c in hok_codes) for c, label in found.items()]
    return sorted(cats, key=lambda c: (not c.hok, c.label.casefold(), c.code))


class MilestoneStatus(StrEnum):
    """Status labels as MSX formats them. Codes differ between sources: match labels."""

    ON_TRACK = "On Track"
    AT_RISK = "At Risk"
    BLOCKED = "Blocked"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"
    LOST_TO_COMPETITOR = "Lost to Competitor"
    HYGIENE_DUPLICATE = "Hygiene/Duplicate"
    NOT_STARTED = "Not Started"


NEEDS_ATTENTION = frozenset({MilestoneStatus.AT_RISK.value, MilestoneStatus.BLOCKED.value})


def derive_pod(territory_name: str | None) -> str | None:
    """ "East.SMECC.MAA.0601" -> "East POD 06"; anything not of that shape -> None."""
    if not territory_name:
        return None
    parts = territory_name.split(".")
    if len(parts) < 2 or not parts[0].strip():
        return None
    code = parts[-1].strip()
    if len(code) < 2 or not code[:2].isdigit():
        return None
    return f"{parts[0].strip()} POD {code[:2]}"


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching ("Café Nordström" -> "cafe nordstrom")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", stripped.casefold()).strip()


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Identity(_Model):
    """An MSX user: the signed-in seller or SE."""

    user_id: str
    name: str
    email: str | None = None


class Territory(_Model):
    id: str
    name: str

    @property
    def pod(self) -> str | None:
        return derive_pod(self.name)


class Account(_Model):
    id: str
    name: str
    tpid: str | None = None
    territory_id: str | None = None
    territory: str | None = None
    pod: str | None = None
    my_roles: tuple[Role, ...] = ()


class TeamMember(_Model):
    account_id: str
    user_id: str
    name: str
    role: Role
    title: str | None = None
    email: str | None = None


class Milestone(_Model):
    id: str
    account_id: str
    number: str | None = None
    name: str
    status: str | None = None
    workload: str | None = None
    opportunity: str | None = None
    monthly_use: float | None = None
    date: dt.date | None = None
    url: str

    @property
    def needs_attention(self) -> bool:
        return self.status in NEEDS_ATTENTION


class TaskPriority(IntEnum):
    """A task's priority, as MSX codes it (`prioritycode`)."""

    LOW = 0
    NORMAL = 1
    HIGH = 2

    @property
    def label(self) -> str:
        return self.name.capitalize()


class TaskDraft(_Model):
    """A task to log against a milestone (HoK or not: the category decides).

    Checked by `bot.workflows.task_rules.validate` before it is built; the bounds here are
    the last line of defence, not the messages a person sees.
    """

    account_id: str
    milestone_id: str
    category_code: int
    subject: str = Field(min_length=1, max_length=200)
    minutes: int = Field(default=60, ge=1, le=1440)
    date: dt.date
    priority: TaskPriority = TaskPriority.NORMAL
    description: str = Field(default="", max_length=2000)
    # The work is done when it is logged after a call: MSX then marks the task completed.
    completed: bool = True


TaskState = Literal["created", "queued", "rejected"]


class LoggedTask(_Model):
    """A task the bot was asked to create, and what became of it.

    "created": it is in MSX (`url` opens it); "queued": MSX could not be reached (or the
    sign-in lapsed) and the outbox will create it; "rejected": MSX refused it and `reason`
    says why, in MSX's words. `task_id` is chosen by the bot before the first request.
    """

    task_id: str
    draft: TaskDraft
    owner_user_id: str
    slack_user_id: str | None = None
    state: TaskState
    reason: str | None = None
    created_at: dt.datetime
    url: str | None = None
    hok: bool
    category_label: str = ""
    milestone_name: str | None = None
    account_name: str | None = None


class Snapshot(_Model):
    """One user's book of business at one moment: what every reply is made from."""

    user: Identity
    taken_at: dt.datetime
    discovery: DiscoveryPath
    accounts: tuple[Account, ...] = ()
    team: tuple[TeamMember, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    # What could not be fetched whole, in words a seller can read; empty when complete.
    gaps: tuple[str, ...] = ()

    def account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def team_of(self, account_id: str) -> list[TeamMember]:
        return [m for m in self.team if m.account_id == account_id]

    def milestones_of(self, account_id: str) -> list[Milestone]:
        return [m for m in self.milestones if m.account_id == account_id]


class StatusChange(_Model):
    milestone: Milestone
    old_status: str | None
    new_status: str | None


class SnapshotDiff(_Model):
    """What a refresh changed, as a seller cares about it."""

    accounts_added: tuple[Account, ...] = ()
    accounts_removed: tuple[Account, ...] = ()
    status_changes: tuple[StatusChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.accounts_added or self.accounts_removed or self.status_changes)


class Freshness(_Model):
    """How old a reply's data is, and why it is not fresher when a refresh failed."""

    taken_at: dt.datetime
    stale_reason: str | None = None
