"""What the digest says: grouping, what changed, days at risk, needs attention, all clear,
and the Slack message within 50 blocks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from blocks_fixtures import (
    CHANNEL,
    CONTOSO,
    FRESH,
    NOW,
    STALE,
    TOM,
    S,
    all_text,
    assert_no_raw_markup,
    buttons,
    milestone,
    snapshot,
)

from bot.domain import TaskDraft
from bot.slack.blocks import check_message, decode_value
from bot.slack.blocks.digest import digest_blocks, digest_text
from bot.slack.blocks.ids import ACTION_LOG_TASK
from bot.store import SnapshotStore
from bot.store.digest import DigestMemory, SeenMilestone
from bot.store.tasks import CREATED, QUEUED, REJECTED, TaskStore, new_row
from bot.workflows.digest import Digest, build_digest, hok_lookup, hok_since, remember

TODAY = dt.date(2026, 5, 4)  # NOW's day, a Monday

BLOCKED = milestone(3, S.BLOCKED.value, date=dt.date(2026, 4, 20))  # 14 days overdue
AT_RISK = milestone(1, S.AT_RISK.value, name="Data platform migration")
LOWER_CASE = milestone(2, "at risk", date=None)  # sources differ in case
ON_TRACK = milestone(4, S.ON_TRACK.value)
CHANNEL_BLOCKED = milestone(6, S.BLOCKED.value, account=CHANNEL)
TOM_AT_RISK = milestone(5, S.AT_RISK.value, account=TOM)
BOOK = (BLOCKED, AT_RISK, LOWER_CASE, ON_TRACK, CHANNEL_BLOCKED, TOM_AT_RISK)


def make(
    milestones=BOOK,
    memory: DigestMemory | None = None,
    hok: set[str] | None = None,
    today: dt.date = TODAY,
    freshness=FRESH,
) -> Digest:
    return build_digest(
        snapshot(milestones=tuple(milestones)),
        freshness,
        memory,
        today=today,
        now=NOW,
        hok_milestones=hok,
    )


def test_only_at_risk_and_blocked_grouped_by_account_most_urgent_first() -> None:
    d = make()
    names = [g.account_name for g in d.groups]
    # Contoso has a blocked one and two at risk; <!channel> one blocked; Tom one at risk.
    assert names == ["Contoso Ltd", "<!channel> Industries", "Tom & Jerry's"]
    contoso = d.groups[0]
    assert [i.milestone.id for i in contoso.items] == [BLOCKED.id, AT_RISK.id, LOWER_CASE.id]
    assert [i.status for i in contoso.items] == ["Blocked", "At Risk", "At Risk"]
    assert ON_TRACK.id not in {i.milestone.id for i in d.items}
    assert (d.blocked, d.at_risk) == (2, 3)
    assert contoso.items[0].overdue_days == 14 and contoso.items[1].overdue_days is None
    due_today = make((milestone(9, S.AT_RISK.value, date=TODAY),))
    assert due_today.items[0].overdue_days is None  # due today is not yet overdue


def test_first_digest_has_no_changes_and_counts_days_from_today() -> None:
    d = make()
    assert d.first and d.changes == ()
    assert {i.days_at_risk for i in d.items} == {0}


def test_changes_since_the_last_digest_first_and_days_at_risk_carry_on() -> None:
    done = milestone(7, S.COMPLETED.value)
    cancelled = milestone(8, S.CANCELLED.value)
    memory = DigestMemory(
        at=NOW - dt.timedelta(days=3),
        milestones={
            done.id: SeenMilestone(status="At Risk", since=TODAY),
            cancelled.id: SeenMilestone(status="Blocked", since=TODAY),
            AT_RISK.id: SeenMilestone(status="At Risk", since=dt.date(2026, 4, 27)),
            BLOCKED.id: SeenMilestone(status="At Risk", since=dt.date(2026, 5, 1)),
            ON_TRACK.id: SeenMilestone(status="Blocked", since=dt.date(2026, 4, 1)),
            "ms-gone": SeenMilestone(status="At Risk", since=TODAY, name="Old one", account="X"),
        },
    )
    d = make((*BOOK, done, cancelled), memory=memory)
    kinds = {(c.kind, c.milestone_id) for c in d.changes}
    assert kinds == {
        ("newly_blocked", BLOCKED.id),  # was at risk, now blocked
        ("newly_blocked", CHANNEL_BLOCKED.id),
        ("newly_at_risk", LOWER_CASE.id),
        ("newly_at_risk", TOM_AT_RISK.id),
        ("recovered", ON_TRACK.id),
        ("recovered", done.id),
        ("closed", cancelled.id),
        ("gone", "ms-gone"),
    }
    # Each change says which milestone, where, and from what to what.
    by_change = {c.milestone_id: c for c in d.changes}
    assert by_change[BLOCKED.id].old_status == "At Risk"
    assert by_change[BLOCKED.id].number == BLOCKED.number
    assert by_change[cancelled.id].old_status == "Blocked"
    assert by_change[cancelled.id].new_status == "Cancelled"
    gone = by_change["ms-gone"]
    assert (gone.name, gone.account_name, gone.old_status, gone.new_status) == (
        "Old one",
        "X",
        "At Risk",
        None,
    )
    assert [c.kind for c in d.changes][:2] == ["newly_blocked", "newly_blocked"]
    by_id = {i.milestone.id: i for i in d.items}
    assert by_id[AT_RISK.id].days_at_risk == 7  # since 27 Apr, as far as the bot has seen
    assert by_id[BLOCKED.id].days_at_risk == 3  # at risk then blocked: counted from the first
    assert by_id[LOWER_CASE.id].days_at_risk == 0

    # The blocks say what changed before the list.
    blocks = digest_blocks(d, NOW)
    text = all_text(blocks)
    assert text.index("Since your last digest") < text.index("Data platform migration")
    assert "Recovered: *Milestone 4*" in text and "(now On Track)" in text
    assert "Newly blocked: *Milestone 3*" in text
    assert "at risk 7 days (seen since Mon 27 Apr)" in text


def test_remember_keeps_first_seen_dates_and_forgets_recovered() -> None:
    first = make()
    memory = remember(first)
    assert set(memory.milestones) == {i.milestone.id for i in first.items}
    assert memory.milestones[AT_RISK.id].since == TODAY
    # Three days on, AT_RISK is still at risk, BLOCKED has recovered.
    recovered = milestone(3, S.ON_TRACK.value, date=dt.date(2026, 4, 20))
    later = make(
        (recovered, AT_RISK, LOWER_CASE, CHANNEL_BLOCKED, TOM_AT_RISK),
        memory=memory,
        today=TODAY + dt.timedelta(days=3),
    )
    assert [(c.kind, c.milestone_id) for c in later.changes] == [("recovered", BLOCKED.id)]
    assert {i.milestone.id: i.days_at_risk for i in later.items}[AT_RISK.id] == 3
    assert BLOCKED.id not in remember(later).milestones
    # A milestone that leaves the book is still named, from what the last digest kept.
    gone = make((AT_RISK,), memory=remember(later), today=TODAY + dt.timedelta(days=4))
    assert [(c.kind, c.milestone_id, c.name, c.number, c.account_name) for c in gone.changes] == [
        ("gone", CHANNEL_BLOCKED.id, "Milestone 6", "7-100006", "<!channel> Industries"),
        ("gone", LOWER_CASE.id, "Milestone 2", "7-100002", "Contoso Ltd"),
        ("gone", TOM_AT_RISK.id, "Milestone 5", "7-100005", "Tom & Jerry's"),
    ]


def test_a_status_the_digest_does_not_know_is_shown_as_msx_labels_it() -> None:
    on_hold = milestone(1, " On Hold ", name="Data platform migration")
    seen = SeenMilestone(status="At Risk", since=TODAY)
    d = make((on_hold,), memory=DigestMemory(at=NOW, milestones={AT_RISK.id: seen}))
    (change,) = d.changes
    assert (change.kind, change.new_status) == ("closed", "On Hold")
    assert "(now On Hold)" in all_text(digest_blocks(d, NOW))


def test_a_change_on_an_account_that_could_not_be_read_keeps_the_name_it_had() -> None:
    lost = CONTOSO.model_copy(update={"id": "acc-unread", "name": "Unread"})
    was_at_risk = milestone(1, S.ON_TRACK.value, account=lost)
    newly = milestone(2, S.AT_RISK.value, account=lost)
    seen = SeenMilestone(status="At Risk", since=TODAY, account="Fabrikam")
    memory = DigestMemory(at=NOW, milestones={was_at_risk.id: seen})
    # The snapshot's accounts do not include `lost` (MSX did not let it be read).
    d = make((was_at_risk, newly), memory=memory)
    accounts = {c.milestone_id: c.account_name for c in d.changes}
    assert accounts == {was_at_risk.id: "Fabrikam", newly.id: ""}
    # Its milestone at risk is still listed, under a heading that says so.
    assert [g.account_name for g in d.groups] == ["Unknown account"]
    assert "*Unknown account*" in all_text(digest_blocks(d, NOW))


def test_needs_attention_is_at_risk_without_a_hok_task_in_14_days() -> None:
    def hok_milestones_since(user_id: str, since: dt.date) -> set[str]:
        assert (user_id, since) == ("u-me", dt.date(2026, 4, 20))
        return {AT_RISK.id, ON_TRACK.id}

    hok = hok_milestones_since("u-me", hok_since(TODAY))
    d = make(hok=hok)
    flagged = {i.milestone.id for i in d.items if i.needs_attention}
    assert flagged == {BLOCKED.id, LOWER_CASE.id, CHANNEL_BLOCKED.id, TOM_AT_RISK.id}
    # Within an account, after the blocked: those needing attention before an earlier date.
    assert [i.milestone.id for i in d.groups[0].items] == [BLOCKED.id, LOWER_CASE.id, AT_RISK.id]
    assert d.needing_attention == 4
    text = all_text(digest_blocks(d, NOW))
    assert "4 need attention: no HoK task logged in 14 days" in text
    assert text.count("*needs attention*") == 4
    # Without a record of HoK tasks nothing is flagged (rather than everything).
    unknown = make(hok=None)
    assert not unknown.hok_checked and unknown.needing_attention == 0
    assert "need attention" not in all_text(digest_blocks(unknown, NOW))


def test_only_hok_tasks_msx_did_not_refuse_count_as_attention(tmp_path: Path) -> None:
    since = hok_since(TODAY)
    logged = [  # (milestone, owner, HoK category?, state, date)
        ("ms-created", "u-me", True, CREATED, TODAY),
        ("ms-queued", "u-me", True, QUEUED, since),  # on its way, and the first day counts
        ("ms-refused", "u-me", True, REJECTED, TODAY),
        ("ms-not-hok", "u-me", False, CREATED, TODAY),
        ("ms-too-old", "u-me", True, CREATED, since - dt.timedelta(days=1)),
        ("ms-someone-else", "u-other", True, CREATED, TODAY),
    ]
    with SnapshotStore(tmp_path / "db") as store:
        tasks = TaskStore(store)
        for n, (milestone_id, owner, hok, state, day) in enumerate(logged):
            draft = TaskDraft(
                account_id=CONTOSO.id,
                milestone_id=milestone_id,
                category_code=861980004,
                subject="Workshop",
                date=day,
            )
            row = new_row(
                key=f"k{n}",
                task_id=f"t{n}",
                draft=draft,
                owner_user_id=owner,
                slack_user_id=None,
                now=NOW,
                hok=hok,
                category_label="Workshop",
                milestone_name=None,
                account_name=None,
            )
            row.state = state
            tasks.add(row)
        assert hok_lookup(store)("u-me", since) == {"ms-created", "ms-queued"}


def test_each_milestone_shows_what_a_seller_needs_and_its_buttons() -> None:
    d = make(hok=set())
    blocks = digest_blocks(d, NOW)
    check_message(blocks)
    assert_no_raw_markup(blocks)
    text = all_text(blocks)
    for part in ("*Milestone 3* (7-100003)", "Blocked", "Azure SQL", "$12,500/mo"):
        assert part in text
    assert "due 2026-04-20 (*14 days overdue*)" in text
    assert "no date" in text  # LOWER_CASE has none
    assert "&lt;!channel&gt; Industries" in text  # names are inert
    found = buttons(blocks)
    log = [b for b in found if b["action_id"].startswith(f"{ACTION_LOG_TASK}:")]
    opens = [b for b in found if b["action_id"].startswith("open_msx:")]
    assert len(log) == len(opens) == len(d.items) == 5
    assert decode_value(log[0]["value"]) == {"account": CONTOSO.id, "milestone": BLOCKED.id}
    assert opens[0]["url"].startswith("https://")
    assert len({b["action_id"] for b in found}) == len(found)
    assert digest_text(d) == "5 milestones at risk, 2 blocked, 5 need attention"


def test_stale_snapshot_and_late_send_are_said() -> None:
    d = dataclasses.replace(make(freshness=STALE), late=True)
    text = all_text(digest_blocks(d, NOW))
    assert "Snapshot from 3 h ago" in text and "MSX could not be reached" in text
    assert "Sent late" in text
    assert "Sent late" not in all_text(digest_blocks(make(), NOW))


def test_all_clear_is_one_short_line() -> None:
    d = make((ON_TRACK, milestone(7, S.COMPLETED.value)))
    assert d.all_clear
    blocks = digest_blocks(d, NOW)
    check_message(blocks)
    assert len(blocks) == 2  # the line and the freshness
    assert "All clear" in all_text(blocks) and "5 accounts" in all_text(blocks)
    assert not buttons(blocks)
    assert digest_text(d).startswith("All clear")


def test_a_long_digest_summarises_within_50_blocks_and_points_to_milestones() -> None:
    accounts = [
        CONTOSO.model_copy(update={"id": f"acc-{n}", "name": f"Account {n:02d}"}) for n in range(30)
    ]
    many = [
        milestone(100 * a + k, S.AT_RISK.value if k else S.BLOCKED.value, account=acc)
        for a, acc in enumerate(accounts)
        for k in range(3)
    ]
    book = snapshot(accounts=tuple(accounts), milestones=tuple(many))
    memory = DigestMemory(at=NOW, milestones={})  # everything is new: a long changes list
    d = build_digest(book, FRESH, memory, today=TODAY, now=NOW, hok_milestones=set())
    assert len(d.items) == 90
    blocks = digest_blocks(d, NOW)
    check_message(blocks)
    assert len(blocks) <= 50
    text = all_text(blocks)
    shown = [b for b in buttons(blocks) if b["action_id"].startswith("log_task:")]
    assert 10 <= len(shown) < 90
    assert f"and {90 - len(shown)} more milestones at risk" in text
    assert "/msx milestones &lt;account&gt;" in text
    assert "…and 60 more" in text  # the changes list is cut too
    # Whole accounts first: the first shown account has all three.
    assert "Account 00" in text


def test_a_long_list_of_changes_is_cut_at_a_whole_line_within_the_section_limit() -> None:
    long_name = "R&D <platform> " * 9  # escapes to far more than it reads
    many = [milestone(n, S.AT_RISK.value, name=f"{long_name}{n}") for n in range(25)]
    d = make(many, memory=DigestMemory(at=NOW, milestones={}))
    blocks = digest_blocks(d, NOW)
    check_message(blocks)
    (changes,) = [
        b for b in blocks if "Since your last digest" in b.get("text", {}).get("text", "")
    ]
    text = changes["text"]["text"]
    assert len(text) <= 3000
    shown = text.count("Newly at risk")
    assert 0 < shown < 25 and text.splitlines()[-1] == f"…and {25 - shown} more"
    assert_no_raw_markup(blocks)


def test_one_large_account_does_not_crowd_out_the_others() -> None:
    small = [CONTOSO.model_copy(update={"id": f"acc-s{n}", "name": f"Small {n}"}) for n in range(5)]
    big = [milestone(n, S.BLOCKED.value) for n in range(40)]  # Contoso: first, most blocked
    others = [
        milestone(100 + 10 * i + k, S.AT_RISK.value, account=a)
        for i, a in enumerate(small)
        for k in range(2)
    ]
    book = snapshot(accounts=(CONTOSO, *small), milestones=(*big, *others))
    d = build_digest(book, FRESH, None, today=TODAY, now=NOW, hok_milestones=None)
    blocks = digest_blocks(d, NOW)
    check_message(blocks)
    text = all_text(blocks)
    assert all(f"*Small {n}*" in text for n in range(5))  # every account has its heading
    shown = len([b for b in buttons(blocks) if b["action_id"].startswith("log_task:")])
    assert f"and {50 - shown} more milestones at risk" in text and "Contoso Ltd (" in text
    assert "first seen at risk today" in text
