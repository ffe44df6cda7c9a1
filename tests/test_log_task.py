"""Logging a task through the workflow against the sandbox: exactly once, offline, rejected."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from task_fixtures import World, make_world

from bot.domain import TaskPriority
from bot.msx.errors import AzureCliNotSignedIn
from bot.msx.tasks import MsxTasks
from bot.sandbox import metadata as sandbox_metadata
from bot.store.tables import TaskRow
from bot.store.tasks import PENDING, TaskStore, new_row
from bot.workflows.log_task import QUEUED_NOTE, TaskLogger
from bot.workflows.my_tasks import tasks_since, totals
from bot.workflows.task_rules import InvalidTask

REGARDING = "regardingobjectid_msp_engagementmilestone@odata.bind"


@pytest.fixture
def w(tmp_path: Path) -> World:
    return make_world(tmp_path / "msx-bot.db")


def in_msx(w: World) -> list[dict]:
    return list(w.sandbox.dataset.tables["tasks"])


async def test_a_completed_task_is_created_then_closed_on_its_date(w: World) -> None:
    draft = w.draft()
    done = await w.logger.submit("k1", draft, owner_user_id=w.me, slack_user_id="U1")
    assert done.state == "created" and done.reason is None
    assert done.hok is True and done.category_label == "Architecture Design Session"
    (task,) = in_msx(w)
    assert task["activityid"] == done.task_id
    assert task["subject"] == "Architecture review with Contoso"
    assert task["description"] == "Landing zone and networking"
    assert task["msp_taskcategory"] == 861980004
    assert task["actualdurationminutes"] == task["scheduleddurationminutes"] == 90
    assert task["prioritycode"] == 2
    assert task["_regardingobjectid_value"] == draft.milestone_id
    assert task["_ownerid_value"] == w.me
    assert task["scheduledstart"] == "2026-12-03T12:00:00Z"
    assert task["scheduledend"] == "2026-12-03T13:30:00Z"
    assert (task["statecode"], task["statuscode"]) == (1, 5)
    assert task["actualend"] == "2026-12-03T13:30:00Z"  # credited to the day of the work
    assert [m for m, _ in w.requests()] == ["POST", "PATCH"]
    assert done.url is not None and done.task_id in done.url and "etn=task" in done.url
    assert done.slack_user_id == "U1" and done.owner_user_id == w.me


async def test_an_allowed_user_logs_as_themself(w: World) -> None:
    colleague = w.sandbox.dataset.tables["systemusers"][1]["systemuserid"]
    assert colleague != w.me
    done = await w.logger.submit("k1", w.draft(), owner_user_id=colleague)
    assert in_msx(w)[0]["_ownerid_value"] == colleague
    assert done.owner_user_id == colleague


async def test_an_open_task_is_left_open(w: World) -> None:
    done = await w.logger.submit("k1", w.draft(completed=False), owner_user_id=w.me)
    assert done.state == "created"
    (task,) = in_msx(w)
    assert (task["statecode"], task["statuscode"]) == (0, 2)
    assert [m for m, _ in w.requests()] == ["POST"]


async def test_a_redelivery_with_the_same_key_returns_the_outcome_and_sends_nothing(
    w: World,
) -> None:
    first = await w.logger.submit("view-1", w.draft(), owner_user_id=w.me)
    sent = len(w.requests())
    again = await w.logger.submit("view-1", w.draft(subject="changed"), owner_user_id=w.me)
    assert again == first
    assert len(w.requests()) == sent
    assert len(in_msx(w)) == 1


def stored_row(w: World, key: str, task_id: str) -> TaskRow:
    """A task row as an earlier process stored it before its first request."""
    return new_row(
        key=key,
        task_id=task_id,
        draft=w.draft(),
        owner_user_id=w.me,
        slack_user_id=None,
        now=w.clock(),
        hok=True,
        category_label="Architecture Design Session",
        milestone_name=None,
        account_name=None,
    )


async def test_a_redelivery_while_another_process_is_sending_it_sends_nothing(
    w: World,
) -> None:
    row = stored_row(w, "view-1", "0b0b0b0b-1111-4222-8333-444455556668")
    row.attempts = 1  # its first attempt is under way (or died mid-request)
    TaskStore(w.store).add(row)
    again = await w.logger.submit("view-1", w.draft(), owner_user_id=w.me)
    assert again.state == "queued" and w.requests() == []  # the outbox settles it later


async def test_a_double_submit_makes_one_task(w: World) -> None:
    one, two = await asyncio.gather(
        w.logger.submit("view-1", w.draft(), owner_user_id=w.me),
        w.logger.submit("view-1", w.draft(), owner_user_id=w.me),
    )
    assert one == two and one.state == "created"
    assert len(in_msx(w)) == 1 and len(w.posts()) == 1


async def test_two_keys_are_two_tasks(w: World) -> None:
    one = await w.logger.submit("a", w.draft(), owner_user_id=w.me)
    two = await w.logger.submit("b", w.draft(), owner_user_id=w.me)
    assert one.task_id != two.task_id and len(in_msx(w)) == 2


async def test_a_timeout_after_msx_created_the_task_is_settled_by_reading_it(w: World) -> None:
    w.network.lose = ["POST"]
    done = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert done.state == "created"
    assert len(in_msx(w)) == 1 and len(w.posts()) == 1
    methods = [m for m, _ in w.requests()]
    assert methods == ["POST", "GET", "PATCH"]
    assert w.requests()[1][1].startswith(f"/api/data/v9.2/tasks({done.task_id})")


async def test_a_timeout_and_then_no_answer_at_all_stays_queued_and_is_settled_later(
    w: World,
) -> None:
    w.network.lose = ["POST", "GET", "GET"]  # the client retries a GET once
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued"
    assert len(in_msx(w)) == 1  # MSX has it; the bot does not know yet
    w.clock.advance(31)
    (done,) = await w.outbox.drain_once(w.notify)
    assert done.state == "created" and done.task_id == queued.task_id
    assert len(in_msx(w)) == 1 and len(w.posts()) == 1  # never POSTed again
    assert (in_msx(w)[0]["statecode"], in_msx(w)[0]["statuscode"]) == (1, 5)
    assert w.told == [done]


async def test_msx_down_at_submit_then_back_drains_exactly_once(w: World) -> None:
    w.sandbox.faults.off_vpn = True
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued" and QUEUED_NOTE.startswith("queued")
    assert queued.reason is not None and "VPN" in queued.reason
    assert in_msx(w) == []
    assert await w.outbox.drain_once(w.notify) == []  # not due yet
    w.clock.advance(30)
    assert await w.outbox.drain_once(w.notify) == []  # due, still off the VPN
    assert w.outbox.next_wait() == 60  # backing off: 30 s, then 60 s
    w.sandbox.faults.off_vpn = False
    w.clock.advance(59)
    assert await w.outbox.drain_once(w.notify) == []
    w.clock.advance(1)
    (done,) = await w.outbox.drain_once(w.notify)
    assert done.state == "created" and done.task_id == queued.task_id
    assert await w.outbox.drain_once(w.notify) == []
    w.clock.advance(3600)
    assert await w.outbox.drain_once(w.notify) == []
    assert len(in_msx(w)) == 1
    assert w.told == [done]
    assert w.outbox.pending() == []


async def test_a_kick_tries_queued_tasks_now(w: World) -> None:
    w.network.refusing = True
    await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    w.network.refusing = False
    assert await w.outbox.drain_once() == []
    w.outbox.kick()
    (done,) = await w.outbox.drain_once()
    assert done.state == "created"


async def test_a_lapsed_sign_in_queues_the_task(w: World) -> None:
    w.tokens.problem = AzureCliNotSignedIn("72f988bf-86f1-41af-91ab-2d7cd011db47")
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued" and queued.reason is not None
    assert "az login" in queued.reason
    w.tokens.problem = None
    w.clock.advance(30)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created" and len(in_msx(w)) == 1


async def test_throttling_past_the_clients_patience_queues_after_retry_after(w: World) -> None:
    w.sandbox.faults.throttle(n=200, retry_after=100)
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued" and "throttling" in (queued.reason or "")
    assert w.outbox.next_wait() >= 100
    assert in_msx(w) == []


async def test_a_5xx_on_create_queues_and_the_retry_asks_msx_first(w: World) -> None:
    w.sandbox.faults.server_error(n=1, status=503)
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued"
    w.clock.advance(30)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created"
    assert [m for m, _ in w.requests()] == ["POST", "GET", "POST", "PATCH"]
    assert len(in_msx(w)) == 1


async def test_a_restart_with_a_queued_task_sends_it_once(w: World) -> None:
    w.network.refusing = True
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me, slack_user_id="U1")
    assert queued.state == "queued"
    w.network.refusing = False
    later = w.restart()
    assert [t.task_id for t in later.outbox.pending()] == [queued.task_id]
    later.clock.advance(30)
    (done,) = await later.outbox.drain_once(later.notify)
    assert done.task_id == queued.task_id and done.slack_user_id == "U1"
    assert len(in_msx(later)) == 1
    # The key is remembered across the restart too.
    again = await later.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert again == done and len(in_msx(later)) == 1


async def test_a_row_left_pending_by_a_crash_is_settled_by_reading(w: World) -> None:
    # The previous process stored the row, sent the POST and died before the answer.
    draft = w.draft()
    row = stored_row(w, "k1", "0b0b0b0b-1111-4222-8333-444455556666")
    TaskStore(w.store).add(row)
    assert await MsxTasks(w.client).create(row.task_id, draft, w.me) is True
    later = w.restart()
    assert row.state == PENDING
    assert await later.outbox.drain_once() == []  # maybe still in flight elsewhere
    later.clock.advance(119)
    assert await later.outbox.drain_once() == []
    later.clock.advance(1)  # two minutes old: abandoned
    (done,) = await later.outbox.drain_once()
    assert done.state == "created" and done.task_id == row.task_id
    assert len(in_msx(later)) == 1 and len(later.posts()) == 1


async def test_a_row_left_pending_before_its_post_is_sent_once(w: World) -> None:
    row = stored_row(w, "k1", "0b0b0b0b-1111-4222-8333-444455556667")
    TaskStore(w.store).add(row)
    w.clock.advance(121)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created"
    assert [m for m, _ in w.requests()] == ["GET", "POST", "PATCH"]


async def test_a_400_from_msx_is_rejected_with_its_reason_and_not_retried(w: World) -> None:
    draft = w.draft(category_code=123456789)
    rejected = await w.logger.submit("k1", draft, owner_user_id=w.me)
    assert rejected.state == "rejected"
    assert rejected.reason is not None and "msp_taskcategory" in rejected.reason
    assert "bot bug" not in rejected.reason  # MSX's reason, not our advice
    assert rejected.draft == draft  # to reopen the modal filled in
    sent = len(w.requests())
    w.clock.advance(86_400)
    w.outbox.kick()
    assert await w.outbox.drain_once() == []
    assert len(w.requests()) == sent and in_msx(w) == []


async def test_a_deleted_milestone_is_rejected(w: World) -> None:
    gone = "00000000-0000-4000-8000-00000000dead"
    rejected = await w.logger.submit("k1", w.draft(milestone_id=gone), owner_user_id=w.me)
    assert rejected.state == "rejected" and "Does Not Exist" in (rejected.reason or "")


async def test_completion_lost_then_retried_closes_the_same_task(w: World) -> None:
    w.network.lose = ["PATCH"]
    w.sandbox.faults.fail_after(1)  # the VPN drops after the POST
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued"
    (task,) = in_msx(w)
    assert task["statecode"] == 0
    w.sandbox.faults.clear()
    w.network.lose = []
    w.clock.advance(30)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created" and task["statecode"] == 1
    assert len(w.posts()) == 1 and len(in_msx(w)) == 1


async def test_a_completion_refused_as_already_done_by_a_lost_patch_is_plainly_created(
    w: World,
) -> None:
    w.network.lose = ["PATCH", "PATCH"]  # MSX closed it; both answers were lost
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued" and in_msx(w)[0]["statecode"] == 1
    w.network.fail = {"PATCH": 400}  # closed already: MSX refuses to close it again
    w.clock.advance(30)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created" and done.reason is None  # read back: it is completed


async def test_a_completion_msx_refuses_still_counts_as_created(w: World) -> None:
    # MSX refuses to close it (here: the task was deleted in between). Never "rejected":
    # a resubmission would make a second task.
    done = await w.logger.submit("k0", w.draft(completed=False), owner_user_id=w.me)
    row = TaskStore(w.store).get("k0")
    assert row is not None
    row.completed, row.step, row.state = True, "complete", "queued"
    w.sandbox.dataset.tables["tasks"].clear()
    w.sandbox.dataset._by_id.pop("tasks", None)
    again = await w.logger.attempt(row)
    assert again.state == "created" and "would not mark it completed" in (again.reason or "")
    assert done.task_id == again.task_id


async def test_tasks_since_lists_my_tasks_whatever_became_of_them(w: World) -> None:
    await w.logger.submit("a", w.draft(date=dt.date(2026, 11, 30)), owner_user_id=w.me)
    await w.logger.submit("b", w.draft(category_code=123), owner_user_id=w.me)
    await w.logger.submit("c", w.draft(date=dt.date(2026, 10, 1)), owner_user_id=w.me)
    other = w.sandbox.dataset.tables["systemusers"][1]["systemuserid"]
    await w.logger.submit("d", w.draft(), owner_user_id=other)
    mine = tasks_since(w.store, w.me, dt.date(2026, 11, 30))  # the day itself counts
    assert [(t.draft.date, t.state) for t in mine] == [
        (dt.date(2026, 11, 30), "created"),
        (dt.date(2026, 12, 3), "rejected"),
    ]
    assert mine[0].draft.priority is TaskPriority.HIGH


async def test_the_worker_runs_until_cancelled_and_tells_the_person(w: World) -> None:
    w.network.refusing = True
    await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    w.network.refusing = False

    naps: list[float] = []

    async def sleep_and_travel(seconds: float) -> None:
        naps.append(seconds)
        w.clock.advance(seconds)
        await asyncio.sleep(0)

    w.outbox._sleep = sleep_and_travel
    worker = asyncio.create_task(w.outbox.run(w.notify))
    for _ in range(50):
        if w.told:
            break
        await asyncio.sleep(0)
    worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await worker
    assert [t.state for t in w.told] == ["created"]
    assert naps[0] == 30
    assert len(in_msx(w)) == 1


async def test_an_open_task_whose_answer_was_lost_is_not_closed(w: World) -> None:
    w.network.lose = ["POST"]
    done = await w.logger.submit("k1", w.draft(completed=False), owner_user_id=w.me)
    assert done.state == "created"
    assert [m for m, _ in w.requests()] == ["POST", "GET"]
    assert in_msx(w)[0]["statecode"] == 0


async def test_a_completed_task_found_closed_is_not_patched_again(w: World) -> None:
    w.network.lose = ["PATCH"]
    w.sandbox.faults.fail_after(2)  # POST and PATCH land; then the VPN drops
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued" and in_msx(w)[0]["statecode"] == 1
    w.sandbox.faults.clear()
    w.sandbox.stats.reset()
    w.clock.advance(30)
    w.sandbox.dataset.tables["tasks"][0]["statecode"] = 1
    (done,) = await w.outbox.drain_once()
    assert done.state == "created"
    assert [m for m, _ in w.requests()] == ["PATCH"]  # completing again is harmless


async def test_backoff_doubles_up_to_fifteen_minutes(w: World) -> None:
    w.network.refusing = True
    await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    gaps = []
    for _ in range(7):
        row = TaskStore(w.store).get("k1")
        assert row is not None and row.next_attempt_at is not None
        gaps.append((row.next_attempt_at - w.clock()).total_seconds())
        assert w.outbox.next_wait() == min(gaps[-1], 300)  # the worker naps at most 5 min
        w.clock.now = row.next_attempt_at
        assert await w.outbox.drain_once() == []
    assert gaps == [30, 60, 120, 240, 480, 900, 900]
    assert TaskStore(w.store).get("k1").attempts == 8  # type: ignore[union-attr]


async def test_with_nothing_queued_the_worker_naps_its_longest(w: World) -> None:
    assert w.outbox.next_wait() == 300
    assert w.outbox.pending() == []


async def test_a_failing_notification_does_not_stop_the_outbox(w: World) -> None:
    w.network.refusing = True
    await w.logger.submit("a", w.draft(), owner_user_id=w.me)
    await w.logger.submit("b", w.draft(), owner_user_id=w.me)
    w.network.refusing = False
    w.clock.advance(30)

    async def broken(task: object) -> None:
        raise RuntimeError("Slack is down")

    done = await w.outbox.drain_once(broken)
    assert [t.state for t in done] == ["created", "created"]
    assert len(in_msx(w)) == 2


async def test_ids_that_are_not_guids_are_refused_before_anything_is_stored(w: World) -> None:
    with pytest.raises(InvalidTask) as caught:
        await w.logger.submit("k1", w.draft(milestone_id="m-1"), owner_user_id="me")
    assert set(caught.value.errors) == {"milestone", "owner"}
    assert "“m-1”" in str(caught.value) and "“me”" in str(caught.value)  # what a log shows
    assert TaskStore(w.store).get("k1") is None and w.requests() == []


async def test_names_come_from_the_snapshot_when_not_given(w: World) -> None:
    from bot.domain import Account, DiscoveryPath, Identity, Milestone, Snapshot

    milestone, account = w.milestone()
    w.store.save(
        Snapshot(
            user=Identity(user_id=w.me, name="Avery"),
            taken_at=w.clock(),
            discovery=DiscoveryPath.ACCOUNT_TEAMS,
            accounts=(Account(id=account, name="Contoso"),),
            milestones=(
                Milestone(id=milestone, account_id=account, name="AKS PoC", url="https://x"),
            ),
        )
    )
    done = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert (done.milestone_name, done.account_name) == ("AKS PoC", "Contoso")
    given = await w.logger.submit(
        "k2", w.draft(), owner_user_id=w.me, milestone_name="M", account_name="A"
    )
    assert (given.milestone_name, given.account_name) == ("M", "A")
    # Half given: the other half comes from the snapshot.
    half = await w.logger.submit("k4", w.draft(), owner_user_id=w.me, account_name="A")
    assert (half.milestone_name, half.account_name) == ("AKS PoC", "A")
    half = await w.logger.submit("k5", w.draft(), owner_user_id=w.me, milestone_name="M")
    assert (half.milestone_name, half.account_name) == ("M", "Contoso")
    # A milestone the snapshot does not hold (it is older than the milestone): no name.
    other = w.draft(milestone_id="6c1d2e3f-0000-4000-8000-0000000000ff")
    unknown = await w.logger.submit("k3", other, owner_user_id=w.me)
    assert (unknown.milestone_name, unknown.account_name) == (None, "Contoso")


async def test_a_category_the_bot_has_not_read_yet_is_counted_under_its_code(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sandbox_metadata.TASK_CATEGORY, 606820010, "AI Design Sprint")
    done = await w.logger.submit("k1", w.draft(category_code=606820010), owner_user_id=w.me)
    assert done.state == "created" and done.category_label == ""
    assert totals([done]).by_category == {"606820010": 1}


async def test_a_refused_connection_sent_nothing_so_the_retry_posts_straight_away(
    w: World,
) -> None:
    w.network.refusing = True
    await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    w.network.refusing = False
    w.clock.advance(30)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created"
    assert [m for m, _ in w.requests()] == ["POST", "PATCH"]  # no GET: nothing to settle


async def test_a_500_on_create_is_queued_never_rejected(w: World) -> None:
    w.network.fail = {"POST": 500}
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued" and in_msx(w) == []
    w.clock.advance(30)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created" and len(in_msx(w)) == 1


async def test_a_500_on_completion_is_queued_and_retried(w: World) -> None:
    w.network.fail = {"PATCH": 500}
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued"
    assert [m for m, _ in w.requests()] == ["POST"]  # the failed PATCH never reached MSX
    w.clock.advance(30)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created" and in_msx(w)[0]["statecode"] == 1
    assert [m for m, _ in w.requests()] == ["POST", "PATCH"]


async def test_a_task_queued_while_the_worker_naps_wakes_it(w: World) -> None:
    naps: list[float] = []

    async def nap(seconds: float) -> None:
        naps.append(seconds)
        await asyncio.get_running_loop().create_future()  # until the nap is cut short

    w.outbox._sleep = nap
    worker = asyncio.create_task(w.outbox.run(w.notify))
    for _ in range(10):
        await asyncio.sleep(0)
    assert naps == [300]  # nothing queued: the longest nap
    w.network.refusing = True
    await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    for _ in range(10):
        await asyncio.sleep(0)
    worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await worker
    assert naps == [300, 30]  # woken, it naps until the queued task is due


async def test_a_create_timing_out_twice_is_read_back_once_then_queued(w: World) -> None:
    w.network.drop = ["POST", "POST"]  # timed out, and MSX never saw either
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued" and in_msx(w) == []
    assert [m for m, _ in w.requests()] == ["GET"]  # one read back an attempt, no more
    w.clock.advance(30)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created" and len(in_msx(w)) == 1
    assert [m for m, _ in w.requests()] == ["GET", "GET", "POST", "PATCH"]


async def test_once_msx_said_it_lacks_the_task_a_refused_create_is_sent_again_unasked(
    w: World,
) -> None:
    w.network.fail = {"POST": 503}  # perhaps applied: the next attempt asks MSX first
    await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    w.clock.advance(30)
    w.network.refuse = ["POST", "POST"]  # MSX said no task; then the POST never went out
    assert await w.outbox.drain_once() == []
    w.clock.advance(60)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created"
    assert [m for m, _ in w.requests()] == ["GET", "POST", "PATCH"]  # no second read


async def test_an_error_reading_a_lost_create_back_is_queued_never_rejected(w: World) -> None:
    w.network.lose = ["POST"]
    w.network.fail = {"GET": 400}
    queued = await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    assert queued.state == "queued"  # MSX may have it: a rejection would invite a resubmit
    w.clock.advance(30)
    (done,) = await w.outbox.drain_once()
    assert done.state == "created" and len(in_msx(w)) == 1 and len(w.posts()) == 1


async def test_a_kick_is_for_one_pass(w: World) -> None:
    w.network.refusing = True
    await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    w.outbox.kick()
    assert await w.outbox.drain_once() == []  # tried at once, still refused
    row = TaskStore(w.store).get("k1")
    assert row is not None and row.attempts == 2
    assert await w.outbox.drain_once() == []
    row = TaskStore(w.store).get("k1")
    assert row is not None and row.attempts == 2  # not again until it is due


async def test_a_queued_task_msx_then_refuses_is_reported_rejected(w: World) -> None:
    w.sandbox.faults.off_vpn = True
    await w.logger.submit("k1", w.draft(category_code=123), owner_user_id=w.me)
    w.sandbox.faults.off_vpn = False
    w.clock.advance(30)
    (done,) = await w.outbox.drain_once(w.notify)
    assert done.state == "rejected" and "msp_taskcategory" in (done.reason or "")
    assert w.told == [done] and w.outbox.pending() == []


async def test_the_worker_skips_a_task_being_sent_right_now(w: World) -> None:
    w.sandbox.faults.hang = True
    sending = asyncio.create_task(w.logger.submit("k1", w.draft(), owner_user_id=w.me))
    for _ in range(10):
        await asyncio.sleep(0)
    w.clock.advance(600)  # long enough that a row left pending looks abandoned
    draining = asyncio.create_task(w.outbox.drain_once())
    for _ in range(10):
        await asyncio.sleep(0)
    assert draining.done() and draining.result() == []  # did not wait for the submit
    w.sandbox.faults.release()
    done = await sending
    assert done.state == "created" and len(w.posts()) == 1


async def test_a_task_backing_off_longer_does_not_hold_back_one_due_now(w: World) -> None:
    w.network.refusing = True
    await w.logger.submit("a", w.draft(subject="a"), owner_user_id=w.me)  # due in 30 s
    w.clock.advance(30)
    assert await w.outbox.drain_once() == []  # refused again: due in 60 s more
    await w.logger.submit("b", w.draft(subject="b"), owner_user_id=w.me)  # due in 30 s
    w.network.refusing = False
    w.clock.advance(30)
    assert [t.draft.subject for t in await w.outbox.drain_once()] == ["b"]
    assert [t.draft.subject for t in w.outbox.pending()] == ["a"]


async def test_one_task_failing_again_does_not_end_the_pass(w: World) -> None:
    w.network.refusing = True
    await w.logger.submit("a", w.draft(subject="a"), owner_user_id=w.me)
    await w.logger.submit("b", w.draft(subject="b"), owner_user_id=w.me)
    w.network.refusing = False
    w.clock.advance(30)
    w.sandbox.faults.server_error(n=1, status=503)  # a's POST only
    assert [t.draft.subject for t in await w.outbox.drain_once()] == ["b"]
    assert [t.draft.subject for t in w.outbox.pending()] == ["a"]


async def test_an_overdue_task_is_tried_without_a_nap(w: World) -> None:
    w.network.refusing = True
    await w.logger.submit("k1", w.draft(), owner_user_id=w.me)
    w.clock.advance(100)  # due 70 s ago
    assert w.outbox.next_wait() == 0


async def test_a_failing_pass_naps_the_longest_and_the_worker_carries_on(w: World) -> None:
    naps: list[float] = []

    async def nap(seconds: float) -> None:
        naps.append(seconds)
        await asyncio.sleep(0)

    real = w.logger.tasks.open_rows
    calls = 0

    def broken_once() -> list:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the database is locked")
        return real()

    w.logger.tasks.open_rows = broken_once  # type: ignore[method-assign]
    w.outbox._sleep = nap
    worker = asyncio.create_task(w.outbox.run(w.notify))
    for _ in range(100):
        if len(naps) >= 2:
            break
        await asyncio.sleep(0)
    worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await worker
    assert naps[:2] == [300, 300] and calls >= 3  # a second pass ran after the failure


async def test_the_loggers_hok_codes_decide_its_categories_and_what_counts_as_hok(
    w: World,
) -> None:
    logger = TaskLogger(w.store, w.client, hok_codes={861980008}, now=w.clock)  # Briefing
    assert [c.label for c in logger.categories() if c.hok] == ["Briefing"]
    done = await logger.submit("k1", w.draft(category_code=861980008), owner_user_id=w.me)
    assert done.hok is True
