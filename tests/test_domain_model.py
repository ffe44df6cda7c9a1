"""The seller's vocabulary: roles, milestone health, a snapshot's lookups, a task's limits."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from bot.domain import (
    Account,
    DiscoveryPath,
    Identity,
    Milestone,
    MilestoneStatus,
    Role,
    Snapshot,
    SnapshotDiff,
    StatusChange,
    TaskDraft,
    TaskPriority,
    TeamMember,
    fold,
)

ME = Identity(user_id="u1", name="Avery Quinn", email="averyq@example.com")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def milestone(mid: str, account_id: str, status: str | None) -> Milestone:
    return Milestone(id=mid, account_id=account_id, name=f"M {mid}", status=status, url="https://x")


def test_role_labels_are_what_a_seller_reads() -> None:
    assert {role: role.label for role in Role} == {
        Role.GROWTH_SELLER: "Growth seller",
        Role.ACQUISITION_SELLER: "Acquisition seller",
        Role.DATA_SE: "Data SE",
        Role.INFRA_SE: "Infra SE",
        Role.APPS_SE: "Apps SE",
    }


def test_only_growth_and_acquisition_sellers_are_sellers() -> None:
    assert {role for role in Role if role.is_seller} == {
        Role.GROWTH_SELLER,
        Role.ACQUISITION_SELLER,
    }


def test_at_risk_and_blocked_need_attention_nothing_else_does() -> None:
    attention = {s for s in MilestoneStatus if milestone("m", "a", s.value).needs_attention}
    assert attention == {MilestoneStatus.AT_RISK, MilestoneStatus.BLOCKED}
    assert not milestone("m", "a", None).needs_attention
    # MSX's labels, matched as MSX formats them.
    assert milestone("m", "a", "At Risk").needs_attention
    assert milestone("m", "a", "Blocked").needs_attention
    assert not milestone("m", "a", "On Track").needs_attention


def test_a_snapshot_answers_per_account() -> None:
    accounts = (Account(id="a1", name="Contoso"), Account(id="a2", name="Fabrikam"))
    team = (
        TeamMember(account_id="a1", user_id="u2", name="Jordan", role=Role.DATA_SE),
        TeamMember(account_id="a2", user_id="u3", name="Sam", role=Role.GROWTH_SELLER),
        TeamMember(account_id="a1", user_id="u4", name="Kim", role=Role.APPS_SE),
    )
    milestones = (milestone("m1", "a2", "On Track"), milestone("m2", "a1", "Blocked"))
    snap = Snapshot(
        user=ME,
        taken_at=NOW,
        discovery=DiscoveryPath.ACCOUNT_TEAMS,
        accounts=accounts,
        team=team,
        milestones=milestones,
    )
    assert snap.account("a2") == accounts[1]
    assert snap.account("nope") is None
    assert snap.team_of("a1") == [team[0], team[2]]
    assert snap.team_of("nope") == []
    assert snap.milestones_of("a1") == [milestones[1]]
    assert snap.gaps == ()


def test_a_diff_is_empty_only_when_nothing_changed() -> None:
    account = Account(id="a1", name="Contoso")
    change = StatusChange(
        milestone=milestone("m1", "a1", "Blocked"), old_status="On Track", new_status="Blocked"
    )
    assert SnapshotDiff().is_empty
    assert not SnapshotDiff(accounts_added=(account,)).is_empty
    assert not SnapshotDiff(accounts_removed=(account,)).is_empty
    assert not SnapshotDiff(status_changes=(change,)).is_empty


BASE_TASK: dict[str, object] = {
    "account_id": "a1",
    "milestone_id": "m1",
    "subject": "Design session",
    "category_code": 861980004,
    "date": dt.date(2026, 12, 4),
}


def test_a_task_drafts_defaults() -> None:
    draft = TaskDraft.model_validate(BASE_TASK)
    assert (draft.minutes, draft.priority, draft.description, draft.completed) == (
        60,
        TaskPriority.NORMAL,
        "",
        True,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": ""},
        {"subject": "x" * 201},
        {"minutes": 0},
        {"minutes": 1441},
        {"description": "x" * 2001},
        {"priority": -1},
        {"priority": 3},
    ],
)
def test_a_task_outside_msxs_limits_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TaskDraft.model_validate({**BASE_TASK, **fields})


def test_a_task_at_the_limits_is_taken() -> None:
    top = TaskDraft.model_validate(
        {
            **BASE_TASK,
            "subject": "x" * 200,
            "minutes": 1440,
            "description": "x" * 2000,
            "priority": 2,
        }
    )
    assert (len(top.subject), top.minutes, top.priority) == (200, 1440, TaskPriority.HIGH)
    low = TaskDraft.model_validate({**BASE_TASK, "subject": "x", "minutes": 1, "priority": 0})
    assert (low.minutes, low.priority) == (1, TaskPriority.LOW)


def test_records_cannot_be_changed_once_made() -> None:
    account = Account(id="a1", name="Contoso")
    with pytest.raises(ValidationError):
        account.name = "Fabrikam"  # type: ignore[misc]
    assert {account, Account(id="a1", name="Contoso")} == {account}  # frozen, so hashable


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Café Nordström", "cafe nordstrom"),
        ("MÜLLER & Söhne", "muller & sohne"),
        ("  Contoso \t\n Ltd  ", "contoso ltd"),
        ("Straße", "strasse"),
        ("ＡＢＣ", "abc"),  # full-width letters, as some names are typed
    ],
)
def test_fold_ignores_case_accents_and_spacing(text: str, folded: str) -> None:
    assert fold(text) == folded
