"""The "Log HoK task" modal: building it from a form, and reading a submission back.

Pure: a `TaskForm` (what is entered or pre-filled) plus the person's accounts, the chosen
account's milestones and the categories go in, a view dict comes out; a submitted
`state.values` goes in, a `TaskForm` comes out. The listener does the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    ExternalDataSelectElement,
    InputBlock,
    InputInteractiveElement,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain import Account, HokCategory, Milestone, TaskPriority, fold
from bot.slack.blocks.milestones import canonical_status, ordered
from bot.slack.blocks.notices import refusal_blocks
from bot.slack.blocks.text import escape_within, truncate

TASK_MODAL = "log_task_modal"  # callback_id of the modal

# Input blocks; each element's action_id is the block id with an "_input" suffix.
# The milestone block's id carries the account: Slack keeps an input's entry across
# views.update when block_id and action_id stay the same, and a milestone chosen for
# another account must not survive a change of account.
BLOCK_ACCOUNT = "task_account"
BLOCK_MILESTONE = "task_milestone"
BLOCK_CATEGORY = "task_category"
BLOCK_SUBJECT = "task_subject"
BLOCK_MINUTES = "task_minutes"
BLOCK_DATE = "task_date"
BLOCK_PRIORITY = "task_priority"
BLOCK_DESCRIPTION = "task_description"
BLOCK_COMPLETED = "task_completed"
BLOCK_NOTICE = "task_notice"


def action_of(block_id: str) -> str:
    return f"{block_id.partition(':')[0]}_input"


ACTION_ACCOUNT = action_of(BLOCK_ACCOUNT)
ACTION_MILESTONE = action_of(BLOCK_MILESTONE)
COMPLETED_VALUE = "completed"

SUBJECT_MAX = 200
DESCRIPTION_MAX = 2000
MINUTES_MIN, MINUTES_MAX = 1, 1440
STATIC_OPTIONS_MAX = 100  # Slack's limit for a static_select
OPTION_TEXT_MAX = 75
METADATA_MAX = 3000
TITLE = "Log HoK task"

HOK_SUFFIX = " (HoK)"
STATUS_GLYPH = {
    "Blocked": "🔴",
    "At Risk": "🟠",
    "On Track": "🟢",
    "Completed": "✅",
    "Not Started": "⚪",
}


@dataclass(frozen=True)
class TaskForm:
    """What the modal shows, or what a person submitted. Strings as typed; None = empty."""

    account_id: str | None = None
    milestone_id: str | None = None
    category_code: int | None = None
    subject: str = ""
    minutes: str | None = "60"
    date: dt.date | None = None
    priority: TaskPriority = TaskPriority.NORMAL
    description: str = ""
    completed: bool = True


def milestone_block_id(account_id: str | None) -> str:
    key = hashlib.sha1((account_id or "").encode()).hexdigest()[:10]
    return f"{BLOCK_MILESTONE}:{key}"


def field_block_ids(account_id: str | None) -> dict[str, str]:
    """Back-end field name -> the input block that shows its error."""
    return {
        "account": BLOCK_ACCOUNT,
        "milestone": milestone_block_id(account_id),
        "category": BLOCK_CATEGORY,
        "subject": BLOCK_SUBJECT,
        "minutes": BLOCK_MINUTES,
        "date": BLOCK_DATE,
        "priority": BLOCK_PRIORITY,
        "description": BLOCK_DESCRIPTION,
    }


# ----- small element builders (slack_sdk's models: they check Slack's limits as they build)


def _plain(text: str, limit: int = OPTION_TEXT_MAX) -> PlainTextObject:
    return PlainTextObject(text=truncate(text, limit) or "?", emoji=True)


def _option(text: str, value: str) -> dict[str, Any]:
    return Option(text=_plain(text), value=value).to_dict()


def _as_option(option: dict[str, Any]) -> Option:
    return Option(text=_plain(option["text"]["text"]), value=option["value"])


def _input(
    block_id: str,
    label: str,
    element: InputInteractiveElement,
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch: bool = False,
) -> dict[str, Any]:
    element.action_id = action_of(block_id)
    return InputBlock(
        block_id=block_id,
        label=_plain(label, 2000),
        element=element,
        optional=optional,
        hint=_plain(hint, 2000) if hint else None,
        dispatch_action=True if dispatch else None,
    ).to_dict()


def _context(text: str) -> dict[str, Any]:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, 3000))]).to_dict()


def _select(
    options: list[dict[str, Any]], initial: str | None, placeholder: str
) -> StaticSelectElement:
    chosen = next((o for o in options if o["value"] == initial), None)
    return StaticSelectElement(
        placeholder=_plain(placeholder, 150),
        options=[_as_option(o) for o in options],
        initial_option=_as_option(chosen) if chosen else None,
    )


def _external(initial: dict[str, Any] | None, placeholder: str) -> ExternalDataSelectElement:
    return ExternalDataSelectElement(
        placeholder=_plain(placeholder, 150),
        initial_option=_as_option(initial) if initial else None,
        # 0: the list shows as soon as it opens, the first 100 by relevance; typing narrows it.
        min_query_length=0,
    )


# ----- options (also what the options handler answers with)


def account_option(account: Account) -> dict[str, Any]:
    text = account.name if not account.tpid else f"{account.name} · TPID {account.tpid}"
    return _option(text, account.id[:150])


def milestone_option(milestone: Milestone) -> dict[str, Any]:
    status = canonical_status(milestone.status) or "No status"
    tail = f" · {STATUS_GLYPH.get(status, '')} {status}".replace("  ", " ")
    head = milestone.name if not milestone.number else f"{milestone.name} ({milestone.number})"
    return _option(truncate(head, OPTION_TEXT_MAX - len(tail)) + tail, milestone.id[:150])


def category_option(category: HokCategory) -> dict[str, Any]:
    suffix = HOK_SUFFIX if category.hok else ""
    return _option(
        truncate(category.label, OPTION_TEXT_MAX - len(suffix)) + suffix, str(category.code)
    )


PRIORITY_OPTIONS = [_option(p.label, str(p.value)) for p in TaskPriority]
COMPLETED_OPTION = _option("The work is done: mark the task completed", COMPLETED_VALUE)


def _matches(query: str, *texts: str | None) -> bool:
    words = fold(query).split()
    haystack = fold(" ".join(t for t in texts if t))
    return all(w in haystack for w in words)


def milestone_options(milestones: Sequence[Milestone], query: str) -> list[dict[str, Any]]:
    """What an external milestone select offers for `query`: every word in the name,
    number, status, workload or opportunity; the ones needing attention first; <= 100."""
    found = [
        m
        for m in ordered(milestones)
        if _matches(query, m.name, m.number, m.status, m.workload, m.opportunity)
    ]
    return [milestone_option(m) for m in found[:STATIC_OPTIONS_MAX]]


def account_options(accounts: Sequence[Account], query: str) -> list[dict[str, Any]]:
    """What an external account select offers for `query` (name or TPID), by name; <= 100."""
    found = sorted(
        (a for a in accounts if _matches(query, a.name, a.tpid)), key=lambda a: fold(a.name)
    )
    return [account_option(a) for a in found[:STATIC_OPTIONS_MAX]]


# ----- the view


@dataclass(frozen=True)
class ModalMeta:
    """What the modal carries in private_metadata: the account its milestone list is for
    (an options request does not say what else is selected)."""

    account_id: str | None = None

    def encode(self) -> str:
        text = json.dumps({"account": self.account_id}, separators=(",", ":"))
        return text if len(text) <= METADATA_MAX else "{}"

    @classmethod
    def decode(cls, text: str | None) -> ModalMeta:
        try:
            data = json.loads(text or "{}")
        except (ValueError, RecursionError):
            return cls()
        account = data.get("account") if isinstance(data, dict) else None
        return cls(account_id=account if isinstance(account, str) and account else None)


def _account_block(form: TaskForm, accounts: Sequence[Account]) -> dict[str, Any]:
    chosen = next((a for a in accounts if a.id == form.account_id), None)
    element: InputInteractiveElement
    if len(accounts) <= STATIC_OPTIONS_MAX:
        element = _select(
            [account_option(a) for a in accounts], form.account_id, "Choose an account"
        )
    else:
        initial = account_option(chosen) if chosen else None
        element = _external(initial, "Type part of an account name or TPID")
    return _input(BLOCK_ACCOUNT, "Account", element, dispatch=True)


def _milestone_blocks(
    form: TaskForm, accounts: Sequence[Account], milestones: Sequence[Milestone]
) -> list[dict[str, Any]]:
    account = next((a for a in accounts if a.id == form.account_id), None)
    if account is None:
        return [_context("Choose an account to see its milestones.")]
    if not milestones:
        name = escape_within(account.name, 200)
        return [_context(f"No milestones on record for *{name}*: `/msx refresh` if that is new.")]
    block_id = milestone_block_id(account.id)
    element: InputInteractiveElement
    if len(milestones) <= STATIC_OPTIONS_MAX:
        options = [milestone_option(m) for m in ordered(milestones)]
        element = _select(options, form.milestone_id, "Choose a milestone")
        return [_input(block_id, "Milestone", element)]
    chosen = next((m for m in milestones if m.id == form.milestone_id), None)
    element = _external(milestone_option(chosen) if chosen else None, "Type to search milestones")
    hint = f"{len(milestones)} milestones: type part of a name or number."
    return [_input(block_id, "Milestone", element, hint=hint)]


def task_modal(
    form: TaskForm,
    *,
    accounts: Sequence[Account],
    milestones: Sequence[Milestone],
    categories: Sequence[HokCategory],
    notice: str | None = None,
) -> dict[str, Any]:
    """The modal, filled in from `form`; `milestones` are the chosen account's."""
    if not accounts:
        return info_modal(
            "Your snapshot has no accounts to log a task against: `/msx refresh` if that "
            "is new, or ask who manages your MSX account teams."
        )
    blocks: list[dict[str, Any]] = []
    if notice:
        blocks.append({**_context(notice), "block_id": BLOCK_NOTICE})
    blocks.append(_account_block(form, accounts))
    blocks.extend(_milestone_blocks(form, accounts, milestones))
    category_options = [category_option(c) for c in categories[:STATIC_OPTIONS_MAX]]
    initial_category = str(form.category_code) if form.category_code is not None else None
    blocks.append(
        _input(
            BLOCK_CATEGORY,
            "Category",
            _select(category_options, initial_category, "Choose a category"),
            hint="(HoK) marks the hands-on-keyboard categories.",
        )
    )
    subject = PlainTextInputElement(
        max_length=SUBJECT_MAX,
        initial_value=truncate(form.subject, SUBJECT_MAX) if form.subject else None,
    )
    blocks.append(_input(BLOCK_SUBJECT, "Subject", subject))
    minutes = NumberInputElement(
        is_decimal_allowed=False,
        min_value=str(MINUTES_MIN),
        max_value=str(MINUTES_MAX),
        initial_value=form.minutes or None,
    )
    blocks.append(_input(BLOCK_MINUTES, "Duration (minutes)", minutes))
    date = DatePickerElement(initial_date=form.date.isoformat() if form.date else None)
    blocks.append(_input(BLOCK_DATE, "Date", date))
    priority = _select(PRIORITY_OPTIONS, str(form.priority.value), "Priority")
    blocks.append(_input(BLOCK_PRIORITY, "Priority", priority))
    description = PlainTextInputElement(
        multiline=True,
        max_length=DESCRIPTION_MAX,
        initial_value=truncate(form.description, DESCRIPTION_MAX) if form.description else None,
    )
    blocks.append(_input(BLOCK_DESCRIPTION, "Description", description, optional=True))
    done = _as_option(COMPLETED_OPTION)
    completed = CheckboxesElement(
        options=[done], initial_options=[done] if form.completed else None
    )
    blocks.append(_input(BLOCK_COMPLETED, "Completed", completed, optional=True))
    return View(
        type="modal",
        callback_id=TASK_MODAL,
        title=_plain(TITLE, 24),
        submit=_plain("Log task", 24),
        close=_plain("Cancel", 24),
        private_metadata=ModalMeta(account_id=form.account_id).encode(),
        blocks=blocks,
    ).to_dict()


def info_modal(text: str, *, title: str = TITLE) -> dict[str, Any]:
    """A modal with one message and no inputs: "loading", or why it cannot be used."""
    return View(
        type="modal",
        callback_id=TASK_MODAL,
        title=_plain(title, 24),
        close=_plain("Close", 24),
        blocks=[SectionBlock(text=MarkdownTextObject(text=truncate(text, 3000)))],
    ).to_dict()


def refusal_modal(owner_name: str | None) -> dict[str, Any]:
    """The polite no, as a modal (where there is no response_url to answer through)."""
    view = info_modal("This bot is private.", title="MSX Bot")
    view["blocks"] = refusal_blocks(owner_name)
    return view


def loading_modal() -> dict[str, Any]:
    return info_modal(
        ":hourglass_flowing_sand: Fetching your accounts from MSX (first use); "
        "the form appears here in a moment."
    )


# ----- reading a submission


def _entry(values: Mapping[str, Any], block_id: str) -> dict[str, Any]:
    by_action = values.get(block_id)
    if not isinstance(by_action, Mapping):
        return {}
    entry = by_action.get(action_of(block_id))
    return dict(entry) if isinstance(entry, Mapping) else {}


def _selected(values: Mapping[str, Any], block_id: str) -> str | None:
    option = _entry(values, block_id).get("selected_option")
    value = option.get("value") if isinstance(option, Mapping) else None
    return value if isinstance(value, str) and value else None


def _text(values: Mapping[str, Any], block_id: str) -> str:
    value = _entry(values, block_id).get("value")
    return value.strip() if isinstance(value, str) else ""


def selected_account(values: Mapping[str, Any]) -> str | None:
    return _selected(values, BLOCK_ACCOUNT)


def read_form(values: Mapping[str, Any], meta: ModalMeta) -> TaskForm:
    """The form as submitted (or as entered so far, from a block_actions' view state)."""
    account = selected_account(values) or meta.account_id
    milestone = _selected(values, milestone_block_id(account))
    category = _selected(values, BLOCK_CATEGORY)
    raw_date = _entry(values, BLOCK_DATE).get("selected_date")
    try:
        date = dt.date.fromisoformat(raw_date) if isinstance(raw_date, str) else None
    except ValueError:
        date = None
    priority = _selected(values, BLOCK_PRIORITY)
    checked = _entry(values, BLOCK_COMPLETED).get("selected_options")
    return TaskForm(
        account_id=account,
        milestone_id=milestone,
        category_code=int(category) if category and category.isdigit() else None,
        subject=_text(values, BLOCK_SUBJECT),
        minutes=_text(values, BLOCK_MINUTES) or None,
        date=date,
        priority=TaskPriority(int(priority))
        if priority in {str(p.value) for p in TaskPriority}
        else TaskPriority.NORMAL,
        description=_text(values, BLOCK_DESCRIPTION),
        completed=isinstance(checked, list)
        and any(isinstance(o, Mapping) and o.get("value") == COMPLETED_VALUE for o in checked),
    )


def error_blocks_for(
    errors: Mapping[str, str], form: TaskForm, view_blocks: Sequence[Mapping[str, Any]]
) -> dict[str, str]:
    """Back-end field errors keyed by the modal's input block ids.

    A field with no input block on screen (no milestone list before an account is chosen)
    shows its message on the account block, so Slack accepts the errors and the person
    sees it.
    """
    inputs = {b.get("block_id") for b in view_blocks if b.get("type") == "input"}
    out: dict[str, str] = {}
    for field, message in errors.items():
        block = field_block_ids(form.account_id).get(field, BLOCK_SUBJECT)
        if block not in inputs:
            block = BLOCK_ACCOUNT
        out[block] = f"{out[block]} {message}" if block in out else message
    return {k: truncate(v, 2000) for k, v in out.items()}
