"""The "Log HoK task" modal as a pure function: fields, defaults, limits, reading it back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from blocks_fixtures import ACCOUNTS, CHANNEL, CONTOSO, MILESTONES, S, all_text, milestone
from slack_double import validate_view

from bot.domain import TASK_CATEGORIES, Account, TaskPriority, ordered_categories
from bot.slack.blocks import task_modal as tm
from bot.slack.blocks.ids import TaskRef
from bot.slack.blocks.limits import check_message
from bot.slack.blocks.milestones import milestones_blocks

from blocks_fixtures import FRESH, NOW  # isort: skip

CATEGORIES = ordered_categories((c.code, c.label) for c in TASK_CATEGORIES)
TODAY = dt.date(2026, 5, 4)
CONTOSO_MS = [m for m in MILESTONES if m.account_id == CONTOSO.id]


def modal(form: tm.TaskForm, accounts: Any = ACCOUNTS, milestones: Any = None) -> dict:
    if milestones is None:
        milestones = [m for m in MILESTONES if m.account_id == form.account_id]
    view = tm.task_modal(form, accounts=accounts, milestones=milestones, categories=CATEGORIES)
    assert validate_view(view, expect="modal") is None, validate_view(view)
    check_message(view["blocks"], surface="modal")
    return view


def block(view: dict, prefix: str) -> dict | None:
    return next(
        (b for b in view["blocks"] if b.get("block_id", "").partition(":")[0] == prefix), None
    )


def element(view: dict, prefix: str) -> dict:
    found = block(view, prefix)
    assert found is not None, prefix
    return found["element"]


def test_every_field_with_its_default() -> None:
    view = modal(tm.TaskForm(account_id=CONTOSO.id, date=TODAY))
    assert view["callback_id"] == tm.TASK_MODAL
    assert all(len(view[k]["text"]) <= 24 for k in ("title", "submit", "close"))
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == [
        "Account",
        "Milestone",
        "Category",
        "Subject",
        "Duration (minutes)",
        "Date",
        "Priority",
        "Description",
        "Completed",
    ]
    assert element(view, tm.BLOCK_ACCOUNT)["initial_option"]["value"] == CONTOSO.id
    assert block(view, tm.BLOCK_ACCOUNT)["dispatch_action"] is True  # refills milestones
    assert "initial_option" not in element(view, tm.BLOCK_MILESTONE)
    subject = element(view, tm.BLOCK_SUBJECT)
    assert subject["max_length"] == 200 and not block(view, tm.BLOCK_SUBJECT)["optional"]
    minutes = element(view, tm.BLOCK_MINUTES)
    assert (minutes["initial_value"], minutes["min_value"], minutes["max_value"]) == (
        "60",
        "1",
        "1440",
    )
    assert element(view, tm.BLOCK_DATE)["initial_date"] == "2026-05-04"
    priority = element(view, tm.BLOCK_PRIORITY)
    assert [o["text"]["text"] for o in priority["options"]] == ["Low", "Normal", "High"]
    assert priority["initial_option"]["text"]["text"] == "Normal"
    description = block(view, tm.BLOCK_DESCRIPTION)
    assert description["optional"] and description["element"]["max_length"] == 2000
    completed = block(view, tm.BLOCK_COMPLETED)
    # Optional: unticking it must not make the form impossible to submit.
    assert completed["optional"] and completed["element"]["initial_options"]


def test_categories_hok_first_and_marked() -> None:
    view = modal(tm.TaskForm(account_id=CONTOSO.id))
    labels = [o["text"]["text"] for o in element(view, tm.BLOCK_CATEGORY)["options"]]
    hok = [c for c in CATEGORIES if c.hok]
    assert labels[: len(hok)] == [f"{c.label} (HoK)" for c in hok]
    assert "Workshop (HoK)" in labels and "Internal" in labels
    assert not any(label.endswith("(HoK)") for label in labels[len(hok) :])


def test_milestones_show_their_status_needing_attention_first() -> None:
    view = modal(tm.TaskForm(account_id=CONTOSO.id, milestone_id=CONTOSO_MS[0].id))
    options = element(view, tm.BLOCK_MILESTONE)["options"]
    assert {o["value"] for o in options} == {m.id for m in CONTOSO_MS}
    assert options[0]["text"]["text"].endswith("Blocked")
    assert "Data platform migration (7-100001) · 🟠 At Risk" in [o["text"]["text"] for o in options]
    chosen = element(view, tm.BLOCK_MILESTONE)["initial_option"]
    assert chosen["value"] == CONTOSO_MS[0].id


def test_long_names_keep_their_status_within_75_chars() -> None:
    long = milestone(9, S.AT_RISK.value, name="Migration " * 20)
    (option,) = element(modal(tm.TaskForm(account_id=CONTOSO.id), milestones=[long]),
                        tm.BLOCK_MILESTONE)["options"]  # fmt: skip
    assert len(option["text"]["text"]) <= 75 and option["text"]["text"].endswith("At Risk")


def test_no_account_yet_no_milestone_input() -> None:
    view = modal(tm.TaskForm())
    assert block(view, tm.BLOCK_MILESTONE) is None
    assert "Choose an account" in all_text(view["blocks"])
    # An error for the missing milestone then shows on the account block (an input).
    errors = tm.error_blocks_for(
        {"milestone": "Choose a milestone."}, tm.TaskForm(), view["blocks"]
    )
    assert errors == {tm.BLOCK_ACCOUNT: "Choose a milestone."}


def test_an_account_without_milestones_says_so_escaped() -> None:
    view = modal(tm.TaskForm(account_id=CHANNEL.id), milestones=[])
    assert block(view, tm.BLOCK_MILESTONE) is None
    text = all_text(view["blocks"])
    assert "No milestones on record for *&lt;!channel&gt; Industries*" in text


def test_the_milestone_block_id_changes_with_the_account() -> None:
    # Slack keeps an input's entry across views.update when its ids stay the same: a
    # milestone chosen for one account must not survive choosing another.
    contoso = block(modal(tm.TaskForm(account_id=CONTOSO.id)), tm.BLOCK_MILESTONE)
    other = tm.milestone_block_id("acc-other")
    assert contoso is not None and contoso["block_id"] != other
    assert contoso["element"]["action_id"] == tm.ACTION_MILESTONE  # one options handler


def test_more_than_100_milestones_or_accounts_become_searchable() -> None:
    many = [milestone(i, S.ON_TRACK.value) for i in range(135)]
    accounts = [Account(id=f"acc-{i}", name=f"Account {i}", tpid=str(i)) for i in range(101)]
    view = modal(
        tm.TaskForm(account_id="acc-7", milestone_id=many[3].id), accounts=accounts, milestones=many
    )
    ms = element(view, tm.BLOCK_MILESTONE)
    assert ms["type"] == "external_select" and ms["initial_option"]["value"] == many[3].id
    assert "135 milestones" in block(view, tm.BLOCK_MILESTONE)["hint"]["text"]
    acct = element(view, tm.BLOCK_ACCOUNT)
    assert acct["type"] == "external_select" and acct["initial_option"]["value"] == "acc-7"

    assert len(tm.milestone_options(many, "")) == 100
    (hit,) = tm.milestone_options(many, "7-100042")
    assert hit["value"] == many[42].id
    assert {o["value"] for o in tm.milestone_options(many, "milestone 13")} >= {many[13].id}
    assert tm.milestone_options(many, "no such thing") == []
    assert [o["value"] for o in tm.account_options(accounts, "tpid 55")] == []
    assert [o["value"] for o in tm.account_options(accounts, "55")] == ["acc-55"]
    assert len(tm.account_options(accounts, "")) == 100


def test_prefilled_text_is_cut_to_its_limits() -> None:
    view = modal(tm.TaskForm(account_id=CONTOSO.id, subject="s" * 300, description="d" * 2500))
    assert len(element(view, tm.BLOCK_SUBJECT)["initial_value"]) == 200
    assert len(element(view, tm.BLOCK_DESCRIPTION)["initial_value"]) == 2000


def _state(view: dict, **entries: Any) -> dict:
    values: dict = {}
    for b in view["blocks"]:
        if b["type"] != "input":
            continue
        action = b["element"]["action_id"]
        values[b["block_id"]] = {action: entries.get(b["block_id"].partition(":")[0], {})}
    return values


def test_reading_a_submission_back() -> None:
    form = tm.TaskForm(account_id=CONTOSO.id, date=TODAY)
    view = modal(form)
    values = _state(
        view,
        task_milestone={"selected_option": {"value": CONTOSO_MS[1].id}},
        task_category={"selected_option": {"value": "861980001"}},
        task_subject={"value": "  Workshop  "},
        task_minutes={"value": "90"},
        task_date={"selected_date": "2026-05-03"},
        task_priority={"selected_option": {"value": "2"}},
        task_description={"value": None},
        task_completed={"selected_options": []},
        task_account={"selected_option": {"value": CONTOSO.id}},
    )
    read = tm.read_form(values, tm.ModalMeta.decode(view["private_metadata"]))
    assert read == tm.TaskForm(
        account_id=CONTOSO.id,
        milestone_id=CONTOSO_MS[1].id,
        category_code=861980001,
        subject="Workshop",
        minutes="90",
        date=dt.date(2026, 5, 3),
        priority=TaskPriority.HIGH,
        description="",
        completed=False,
    )


def test_reading_garbage_gives_empty_fields_not_exceptions() -> None:
    values = {
        tm.BLOCK_CATEGORY: {tm.action_of(tm.BLOCK_CATEGORY): {"selected_option": {"value": "x"}}},
        tm.BLOCK_DATE: {tm.action_of(tm.BLOCK_DATE): {"selected_date": "2026-13-45"}},
        tm.BLOCK_PRIORITY: {tm.action_of(tm.BLOCK_PRIORITY): {"selected_option": {"value": "9"}}},
        "junk": "not a dict",
    }
    read = tm.read_form(values, tm.ModalMeta.decode("{not json"))
    assert read.category_code is None and read.date is None and read.account_id is None
    assert read.priority is TaskPriority.NORMAL and read.completed is False


def test_errors_land_on_the_right_blocks() -> None:
    form = tm.TaskForm(account_id=CONTOSO.id)
    view = modal(form)
    errors = tm.error_blocks_for(
        {"subject": "Enter a subject.", "minutes": "1 to 1440.", "milestone": "Choose one."},
        form,
        view["blocks"],
    )
    assert errors == {
        tm.BLOCK_SUBJECT: "Enter a subject.",
        tm.BLOCK_MINUTES: "1 to 1440.",
        tm.milestone_block_id(CONTOSO.id): "Choose one.",
    }
    inputs = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    assert set(errors) <= inputs


def test_metadata_round_trips_and_fits() -> None:
    meta = tm.ModalMeta(account_id=CONTOSO.id)
    assert tm.ModalMeta.decode(meta.encode()) == meta
    assert len(tm.ModalMeta(account_id="a" * 5000).encode()) <= 3000
    assert tm.ModalMeta.decode('{"account": 5}') == tm.ModalMeta()


def test_info_loading_and_refusal_modals_are_valid() -> None:
    for view in (tm.loading_modal(), tm.refusal_modal("Dana <Seller>"), tm.info_modal("x")):
        assert validate_view(view, expect="modal") is None
        assert "submit" not in view  # nothing to submit
    assert "Dana &lt;Seller&gt;" in all_text(tm.refusal_modal("Dana <Seller>")["blocks"])


def test_every_milestone_row_has_a_log_button_within_50_blocks() -> None:
    many = [milestone(i, S.ON_TRACK.value) for i in range(45)]
    blocks = milestones_blocks(CONTOSO, many, FRESH, NOW)
    check_message(blocks)
    logs = [
        el
        for b in blocks
        if b["type"] == "actions"
        for el in b["elements"]
        if el["action_id"].startswith("log_task:")
    ]
    assert len(logs) == 20  # one page
    refs = [TaskRef.decode(el["value"]) for el in logs]
    assert all(r.account == CONTOSO.id for r in refs)
    assert len({r.milestone for r in refs}) == 20
    assert all(el["text"]["text"] == "Log HoK task" for el in logs)


def test_task_ref_round_trips_and_refuses_forgeries() -> None:
    ref = TaskRef(account="acc-1", milestone="ms-1")
    assert TaskRef.decode(ref.encode()) == ref
    assert TaskRef.decode(TaskRef(account="acc-1").encode()).milestone is None
    for bad in (
        '{"account": ""}',
        '{"milestone": "ms-1"}',
        '{"account": "a", "milestone": 5}',
        "[]",
    ):
        try:
            TaskRef.decode(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")


def test_no_accounts_no_form() -> None:
    view = tm.task_modal(tm.TaskForm(), accounts=[], milestones=[], categories=CATEGORIES)
    assert validate_view(view, expect="modal") is None
    assert "submit" not in view and "no accounts" in all_text(view["blocks"])
