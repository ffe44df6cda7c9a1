"""The pure rules of logging a task: field checks, categories (HoK first), totals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from task_fixtures import make_world

from bot.config import Settings
from bot.domain import (
    DEFAULT_HOK_CODES,
    TASK_CATEGORIES,
    LoggedTask,
    TaskDraft,
    TaskPriority,
    ordered_categories,
)
from bot.sandbox import metadata as sandbox_metadata
from bot.store import SnapshotStore
from bot.workflows.my_tasks import month_start, totals, week_start
from bot.workflows.task_rules import (
    FIELDS,
    InvalidTask,
    build_draft,
    categories,
    find_category,
    refresh_task_categories,
    validate,
)

CATS = ordered_categories((c.code, c.label) for c in TASK_CATEGORIES)
MILESTONE = "6c1d2e3f-0000-4000-8000-000000000001"
ACCOUNT = "a0000000-0000-4000-8000-000000000001"


def good(**change: Any) -> dict[str, Any]:
    return {
        "account": ACCOUNT,
        "milestone": MILESTONE,
        "category": "861980004",
        "subject": "  Architecture review  ",
        "minutes": "90",
        "date": "2026-12-03",
        "priority": "high",
        "description": "",
        **change,
    }


def test_good_fields_make_the_draft() -> None:
    assert validate(good(), CATS) == {}
    draft = build_draft(good(completed=False), CATS)
    assert draft == TaskDraft(
        account_id=ACCOUNT,
        milestone_id=MILESTONE,
        category_code=861980004,
        subject="Architecture review",
        minutes=90,
        date=dt.date(2026, 12, 3),
        priority=TaskPriority.HIGH,
        description="",
        completed=False,
    )
    assert build_draft(good(priority=None, minutes=60), CATS).priority is TaskPriority.NORMAL


@pytest.mark.parametrize(
    ("given", "priority"),
    [
        (None, TaskPriority.NORMAL),
        ("", TaskPriority.NORMAL),  # left blank: MSX's default
        ("low", TaskPriority.LOW),
        (" High ", TaskPriority.HIGH),
        ("0", TaskPriority.LOW),  # MSX's codes, as text or numbers
        ("2", TaskPriority.HIGH),
        (2, TaskPriority.HIGH),
        (TaskPriority.LOW, TaskPriority.LOW),
    ],
)
def test_a_priority_by_name_or_code(given: object, priority: TaskPriority) -> None:
    assert build_draft(good(priority=given), CATS).priority is priority


TOO_LONG = "The {} is {} characters long; MSX takes up to {}."
WHOLE_MINUTES = "Enter the duration in whole minutes, 1 to 1440."
LOW_NORMAL_HIGH = "The priority is Low, Normal or High."


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"account": ""}, "account", "Choose an account."),
        ({"milestone": None}, "milestone", "Choose a milestone."),
        ({"milestone": "m-1"}, "milestone", "“m-1” is not a milestone id."),
        ({"category": ""}, "category", "Choose a category."),
        ({"category": None}, "category", "Choose a category."),
        ({"category": "Lunch"}, "category", "“Lunch” is not an MSX task category."),
        ({"category": "123"}, "category", "“123” is not an MSX task category."),
        ({"subject": "   "}, "subject", "Enter a subject."),
        ({"subject": "x" * 201}, "subject", TOO_LONG.format("subject", 201, 200)),
        ({"subject": "🙂" * 101}, "subject", TOO_LONG.format("subject", 202, 200)),
        ({"minutes": "0"}, "minutes", WHOLE_MINUTES),
        ({"minutes": 1441}, "minutes", WHOLE_MINUTES),
        ({"minutes": "1.5"}, "minutes", WHOLE_MINUTES),
        ({"minutes": True}, "minutes", WHOLE_MINUTES),
        ({"date": "03/12/2026"}, "date", "Enter the date as YYYY-MM-DD."),
        ({"date": None}, "date", "Enter the date as YYYY-MM-DD."),
        ({"priority": "urgent"}, "priority", LOW_NORMAL_HIGH),
        ({"priority": 3}, "priority", LOW_NORMAL_HIGH),
        ({"priority": "3"}, "priority", LOW_NORMAL_HIGH),
        ({"description": "d" * 2001}, "description", TOO_LONG.format("description", 2001, 2000)),
    ],
)
def test_each_wrong_field_gets_its_own_line(
    change: dict[str, Any], field: str, message: str
) -> None:
    errors = validate(good(**change), CATS)
    assert list(errors) == [field] and field in FIELDS
    assert errors[field] == message  # the exact line the form or the CLI shows
    with pytest.raises(InvalidTask) as caught:
        build_draft(good(**change), CATS)
    assert caught.value.errors == errors


def test_limits_are_inclusive() -> None:
    edge = good(subject="s" * 200, description="d" * 2000, minutes=1440)
    assert validate(edge, CATS) == {}
    assert validate(good(minutes=1), CATS) == {}


def test_every_wrong_field_at_once() -> None:
    errors = validate({}, CATS)
    assert set(errors) == {"account", "milestone", "category", "subject", "minutes", "date"}


def test_the_milestone_must_be_the_accounts_when_the_snapshot_is_known() -> None:
    mine = {MILESTONE: ACCOUNT}
    assert validate(good(), CATS, milestone_accounts=mine) == {}
    other = {MILESTONE: "b0000000-0000-4000-8000-000000000002"}
    assert validate(good(), CATS, milestone_accounts=other) == {
        "milestone": "That milestone belongs to another account."
    }
    assert validate(good(), CATS, milestone_accounts={}) == {
        "milestone": "That milestone is not in your snapshot: run a refresh."
    }


@pytest.mark.parametrize(
    ("given", "code"),
    [
        (861980002, 861980002),
        ("861980002", 861980002),
        ("demo", 861980002),  # exact beats "L300+ Demo"
        ("POC/pilot", 861980005),
        ("architecture", 861980004),  # the one label it starts
        ("Technical", None),  # three labels start so: ambiguous
        ("", None),
        (True, None),
    ],
)
def test_a_category_by_code_or_name(given: object, code: int | None) -> None:
    found = find_category(given, CATS)
    assert (found.code if found else None) == code


def test_an_exact_name_wins_over_a_longer_one_it_starts() -> None:
    cats = ordered_categories([(1, "Demo"), (2, "Demo Extended")])
    found = find_category("DEMO", cats)
    assert found is not None and found.code == 1
    assert find_category("demo e", cats) == cats[1]


def test_ids_are_kept_in_lower_case() -> None:
    draft = build_draft(good(account=ACCOUNT.upper(), milestone=MILESTONE.upper()), CATS)
    assert (draft.account_id, draft.milestone_id) == (ACCOUNT, MILESTONE)


def test_the_fallback_table_puts_hok_first_and_marks_it() -> None:
    cats = categories(SnapshotStore.in_memory())
    hok = [c for c in cats if c.hok]
    assert [c.hok for c in cats] == [True] * len(hok) + [False] * (len(cats) - len(hok))
    assert {c.code for c in hok} == DEFAULT_HOK_CODES and len(hok) == 12
    assert hok[0].label == "Architecture Design Session"
    assert {c.code for c in cats} == {c.code for c in TASK_CATEGORIES}
    assert 861980014 in {c.code for c in cats if not c.hok}  # Assessment: not HoK


def test_hok_codes_are_data_and_settings_override_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSX_BOT_HOK_CODES", "861980008, 606820000")
    codes = Settings(_env_file=None).msx_bot_hok_codes  # type: ignore[call-arg]
    assert codes == {861980008, 606820000}
    cats = categories(SnapshotStore.in_memory(), codes)
    assert [c.label for c in cats if c.hok] == ["ACE", "Briefing"]
    monkeypatch.setenv("MSX_BOT_HOK_CODES", "ADS")
    with pytest.raises(ValueError, match="comma-separated list of category codes"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.delenv("MSX_BOT_HOK_CODES")
    assert Settings(_env_file=None).msx_bot_hok_codes == DEFAULT_HOK_CODES  # type: ignore[call-arg]


async def test_categories_come_from_msx_metadata_once_refreshed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MSX grew a category the guide's table does not know.
    monkeypatch.setitem(sandbox_metadata.TASK_CATEGORY, 606820010, "AI Design Sprint")
    w = make_world(tmp_path / "db")
    options = await refresh_task_categories(w.client, w.store)
    assert (606820010, "AI Design Sprint") in options
    cats = categories(w.store)
    sprint = next(c for c in cats if c.code == 606820010)
    assert sprint.hok is False  # not in the HoK set until settings say so
    assert categories(w.store, {606820010})[0].label == "AI Design Sprint"
    done = await w.logger.submit(
        "k", w.draft(category_code=606820010), owner_user_id=w.me
    )  # MSX takes it
    assert done.state == "created" and done.category_label == "AI Design Sprint"
    assert done.hok is False


async def test_when_metadata_cannot_be_read_the_stored_or_the_fallback_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_world(tmp_path / "db")
    w.sandbox.faults.off_vpn = True
    assert await refresh_task_categories(w.client, w.store) == []
    assert categories(w.store) == categories(SnapshotStore.in_memory())
    w.sandbox.faults.off_vpn = False
    monkeypatch.setitem(sandbox_metadata.TASK_CATEGORY, 606820010, "AI Design Sprint")
    await refresh_task_categories(w, w.store)  # a gateway works as well as a client
    w.sandbox.faults.off_vpn = True
    await refresh_task_categories(w.client, w.store)
    assert 606820010 in {c.code for c in categories(w.store)}  # kept from the last read


def logged(code: int, minutes: int, state: str, hok: bool, label: str) -> LoggedTask:
    draft = TaskDraft(
        account_id=ACCOUNT,
        milestone_id=MILESTONE,
        category_code=code,
        subject="s",
        minutes=minutes,
        date=dt.date(2026, 12, 1),
    )
    return LoggedTask(
        task_id="t",
        draft=draft,
        owner_user_id="u",
        state=state,  # type: ignore[arg-type]
        created_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        hok=hok,
        category_label=label,
    )


def test_totals_count_hok_hours_and_categories_but_not_rejected_tasks() -> None:
    tasks = [
        logged(861980001, 90, "created", True, "Workshop"),
        logged(861980001, 30, "queued", True, "Workshop"),
        logged(861980012, 45, "created", False, "Internal"),
        logged(861980004, 600, "rejected", True, "Architecture Design Session"),
        logged(606820010, 15, "created", False, ""),  # a category no label is known for
    ]
    t = totals(tasks)
    assert (t.count, t.hok_count, t.hok_minutes, t.queued) == (4, 2, 120, 1)
    assert t.hok_hours == 2.0
    # Most first, then by name; a task without a label counts under its category's code.
    assert list(t.by_category.items()) == [("Workshop", 2), ("606820010", 1), ("Internal", 1)]
    tie = totals([logged(1, 5, "created", False, "B"), logged(2, 5, "created", False, "A")])
    assert list(tie.by_category) == ["A", "B"]
    assert totals([]).count == 0


def test_week_and_month_start() -> None:
    friday = dt.date(2026, 12, 4)
    assert week_start(friday) == dt.date(2026, 11, 30)  # Monday
    assert week_start(dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)
    assert month_start(friday) == dt.date(2026, 12, 1)
