"""The DMs about a task (created, queued, rejected; from the outbox too) and `/msx tasks`."""

from __future__ import annotations

import datetime as dt

from blocks_fixtures import all_text, assert_no_raw_markup, buttons

from bot.domain import LoggedTask, TaskDraft, TaskPriority
from bot.slack.blocks.ids import decode_value
from bot.slack.blocks.limits import check_message
from bot.slack.blocks.task_notices import (
    QUEUED_LINE,
    task_result_blocks,
    task_result_text,
    tasks_summary_blocks,
)

TODAY = dt.date(2026, 5, 6)  # a Wednesday
WORKSHOP, INTERNAL = 861980001, 861980012


def task(
    state: str = "created",
    *,
    subject: str = "Lakehouse workshop",
    minutes: int = 90,
    date: dt.date = TODAY,
    hok: bool = True,
    label: str = "Workshop",
    reason: str | None = None,
    n: int = 1,
) -> LoggedTask:
    draft = TaskDraft(
        account_id="acc-1",
        milestone_id="ms-1",
        category_code=WORKSHOP if hok else INTERNAL,
        subject=subject,
        minutes=minutes,
        date=date,
        priority=TaskPriority.HIGH,
    )
    return LoggedTask(
        task_id=f"00000000-0000-0000-0000-{n:012d}",
        draft=draft,
        owner_user_id="u-me",
        slack_user_id="U1",
        state=state,  # type: ignore[arg-type]
        reason=reason,
        created_at=dt.datetime(2026, 5, 6, 12, tzinfo=dt.UTC),
        url=f"https://msx.example/main.aspx?etn=task&id={n}" if state == "created" else None,
        hok=hok,
        category_label=label,
        milestone_name="Data <platform> migration",
        account_name="Tom & Jerry's",
    )


def test_created_says_what_where_and_whether_hok_with_a_link() -> None:
    blocks = task_result_blocks(task())
    check_message(blocks)
    assert_no_raw_markup(blocks)
    text = all_text(blocks)
    assert "Logged in MSX." in text and "*Lakehouse workshop*" in text
    assert "Milestone *Data &lt;platform&gt; migration* · Tom &amp; Jerry's" in text
    assert "1 h 30 min on 2026-05-06 · High priority · completed" in text
    assert "Counts as HoK (Workshop)." in text
    (link,) = [b for b in buttons(blocks) if b.get("url")]
    assert link["text"]["text"] == "Open in MSX" and link["url"].endswith("id=1")
    not_hok = all_text(task_result_blocks(task(hok=False, label="Internal")))
    assert "Does not count as HoK (Internal is not an HoK category)." in not_hok


def test_from_the_outbox_says_it_was_queued() -> None:
    assert "Your queued task is now in MSX." in all_text(
        task_result_blocks(task(), from_queue=True)
    )
    rejected = task("rejected", reason="Owner is disabled.")
    assert "MSX refused your queued task: Owner is disabled." in all_text(
        task_result_blocks(rejected, from_queue=True)
    )


def test_queued_says_it_will_be_created() -> None:
    blocks = task_result_blocks(task("queued"))
    check_message(blocks)
    assert QUEUED_LINE in all_text(blocks)
    assert QUEUED_LINE == "Queued: it will be created when MSX is reachable."
    assert not [b for b in buttons(blocks) if b.get("url")]  # no MSX link yet
    assert task_result_text(task("queued")).startswith(QUEUED_LINE)


def test_rejected_gives_msx_reason_and_a_button_to_fix_it() -> None:
    rejected = task("rejected", reason="The <subject> is too long & odd.")
    blocks = task_result_blocks(rejected)
    check_message(blocks)
    assert_no_raw_markup(blocks)
    assert "MSX refused the task: The &lt;subject&gt; is too long &amp; odd." in all_text(blocks)
    assert "Nothing was created." in all_text(blocks)
    (again,) = buttons(blocks)
    assert again["action_id"].startswith("reopen_task:")
    assert decode_value(again["value"]) == {
        "task": rejected.task_id,
        "owner": "u-me",
        "date": "2026-05-06",
    }


def test_notification_text_is_escaped() -> None:
    assert task_result_text(task(subject="<!here> demo")) == "Logged in MSX: &lt;!here&gt; demo"


def test_tasks_summary_totals_week_and_month() -> None:
    monday = TODAY - dt.timedelta(days=2)
    week = [
        task(minutes=90, n=1),
        task(minutes=30, label="Demo", n=2, date=monday),
        task("queued", minutes=60, n=3),
        task(hok=False, label="Internal", n=4),
        task("rejected", reason="no", n=5),
    ]
    month = [*week, task(minutes=120, date=dt.date(2026, 5, 1), n=6)]
    blocks = tasks_summary_blocks(week, month, TODAY)
    check_message(blocks)
    text = all_text(blocks)
    assert "This week (since 2026-05-04)*: 3 HoK tasks, 3 h (1 still queued)" in text
    assert "This month (May 2026)*: 4 HoK tasks, 5 h (1 still queued)" in text
    assert "Workshop 3 · Demo 1" in text  # by category, most first
    assert "Also 1 task(s) in categories that are not HoK." in text
    assert text.count("Lakehouse workshop") == 3 + 4  # the rejected one is not listed


def test_tasks_summary_when_nothing_yet_and_when_long() -> None:
    empty = all_text(tasks_summary_blocks([], [], TODAY))
    assert "no HoK tasks logged yet" in empty
    many = [task(n=i, minutes=15) for i in range(60)]
    blocks = tasks_summary_blocks(many, many, TODAY)
    check_message(blocks)
    assert "60 HoK tasks, 15 h" in all_text(blocks)
    assert "…and 35 more" in all_text(blocks)
