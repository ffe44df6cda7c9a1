"""The digest scheduler against the Slack double and the MSX sandbox, travelling in time.

The clock and the sleep are injected: nothing here waits for real.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bot_harness import COLLEAGUE, OWNER, Harness, running_bot, texts
from slack_double import Clock, Message
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.sandbox import SandboxMsx
from bot.slack import digest_scheduler
from bot.slack.digest_scheduler import DigestScheduler
from bot.slack.runner import build_deps
from bot.store.digest import DigestSettings, DigestStore
from bot.workflows.book import Book

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


class TimeMachine:
    """The scheduler's clock and sleep: sleeping moves time on instead of waiting."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.astimezone(dt.UTC)
        self.slept: list[float] = []
        self.on_sleep: list[object] = []

    def clock(self) -> dt.datetime:
        return self.now

    def go(self, tz: ZoneInfo, *args: int) -> None:
        self.now = dt.datetime(*args, tzinfo=tz).astimezone(dt.UTC)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)
        await asyncio.sleep(0)


def plain_client(bot: Harness) -> AsyncWebClient:
    # Without slack_sdk's own 429 handler (which really sleeps): the scheduler's is tested.
    return AsyncWebClient(token="xoxb-test", base_url=bot.slack.api_url)


def make(bot: Harness, time: TimeMachine, **kwargs: object) -> DigestScheduler:
    return DigestScheduler(
        bot.deps, plain_client(bot), clock=time.clock, sleep=time.sleep, **kwargs
    )


def digests(bot: Harness, user: str = OWNER) -> list[Message]:
    channel = bot.slack.dm_channel(user)
    return [m for m in bot.slack.messages_in(channel) if m.source == "chat.postMessage"]


@asynccontextmanager
async def bot_in(tmp_path: Path, tz: str, **kwargs: object) -> AsyncIterator[Harness]:
    # The smallest sandbox book: every send refreshes it first.
    sandbox = SandboxMsx(accounts=8)
    async with running_bot(tmp_path, sandbox=sandbox, allowed=(), **kwargs) as bot:  # type: ignore[arg-type]
        bot.slack.users[OWNER].tz = tz
        yield bot


async def test_sent_once_at_0830_local_and_never_twice_across_restart_and_clock_jumps(
    tmp_path: Path,
) -> None:
    async with bot_in(tmp_path, "Europe/Berlin") as bot:
        time = TimeMachine(dt.datetime(2026, 12, 7, 8, 29, tzinfo=BERLIN))  # a Monday
        scheduler = make(bot, time)
        assert await scheduler.tick() == []
        assert digests(bot) == []

        time.go(BERLIN, 2026, 12, 7, 8, 30)
        (outcome,) = await scheduler.tick()
        assert outcome.state == "sent" and outcome.digest is not None
        (dm,) = digests(bot)
        assert "Milestones at risk" in texts({"blocks": dm.blocks, "text": dm.text})
        assert "Sent late" not in texts({"blocks": dm.blocks})

        assert await scheduler.tick() == []  # the next tick sees the mark
        restarted = make(bot, time)  # a new process on the same store
        assert await restarted.tick() == []
        time.go(BERLIN, 2026, 12, 7, 7, 0)  # the clock jumps back, then forward again
        assert await restarted.tick() == []
        time.go(BERLIN, 2026, 12, 7, 9, 15)
        assert await restarted.tick() == []
        assert len(digests(bot)) == 1

        time.go(BERLIN, 2026, 12, 8, 8, 31)  # Tuesday
        assert [o.state for o in await restarted.tick()] == ["sent"]
        time.go(BERLIN, 2026, 12, 12, 8, 31)  # Saturday: weekdays only
        assert await restarted.tick() == []
        assert len(digests(bot)) == 2
        bot.slack.assert_no_problems()


async def test_after_sleep_it_goes_out_late_the_same_day_and_missed_days_are_not_replayed(
    tmp_path: Path,
) -> None:
    async with bot_in(tmp_path, "Europe/Berlin") as bot:
        time = TimeMachine(dt.datetime(2026, 12, 7, 11, 5, tzinfo=BERLIN))  # woke up at 11:05
        scheduler = make(bot, time)
        (outcome,) = await scheduler.tick()
        assert outcome.state == "sent"
        (dm,) = digests(bot)
        assert "Sent late" in texts({"blocks": dm.blocks})
        mark = scheduler.store.mark(OWNER, dt.date(2026, 12, 7))
        assert mark is not None and mark.state == "sent" and mark.late

        # Asleep from Monday noon until Thursday 07:00: Tue and Wed are not replayed.
        time.go(BERLIN, 2026, 12, 10, 7, 0)
        assert await scheduler.tick() == []
        time.go(BERLIN, 2026, 12, 10, 8, 30)
        (thursday,) = await scheduler.tick()
        assert thursday.state == "sent" and thursday.digest is not None
        assert not thursday.digest.late
        assert len(digests(bot)) == 2


async def test_two_processes_on_one_database_send_one_digest(tmp_path: Path) -> None:
    async with bot_in(tmp_path, "Europe/Berlin") as bot:
        other_runtime = Runtime.open(bot.runtime.settings, transport=bot.sandbox.transport())
        try:
            client = plain_client(bot)
            other = build_deps(other_runtime, client)
            other.access.owner = bot.deps.access.owner
            time = TimeMachine(dt.datetime(2026, 12, 7, 8, 30, tzinfo=BERLIN))
            first = make(bot, time)
            second = DigestScheduler(other, client, clock=time.clock, sleep=time.sleep)
            results = await asyncio.gather(first.tick(), second.tick())
            states = sorted(o.state for r in results for o in r)
            assert states == ["already", "sent"] or states == ["sent"]
            assert len(digests(bot)) == 1
        finally:
            await other_runtime.aclose()


async def test_dst_weekend_in_new_york_one_digest_a_day_at_0830_local(tmp_path: Path) -> None:
    async with bot_in(tmp_path, "America/New_York") as bot:
        DigestStore(bot.runtime.store).save_settings(OWNER, DigestSettings(days="daily"))
        time = TimeMachine(dt.datetime(2026, 3, 7, 0, 0, tzinfo=NEW_YORK))
        scheduler = make(bot, time, tick_s=1800.0)
        sent_at: list[str] = []
        for _ in range(3 * 24 * 2):  # a tick every 30 minutes, Saturday to Monday
            for outcome in await scheduler.tick():
                assert outcome.state == "sent"
                sent_at.append(f"{time.now.astimezone(NEW_YORK):%a %H:%M %Z}")
            await time.sleep(1800)
        assert sent_at == ["Sat 08:30 EST", "Sun 08:30 EDT", "Mon 08:30 EDT"]
        assert len(digests(bot)) == 3


async def test_msx_unreachable_sends_from_the_snapshot_and_says_its_age(tmp_path: Path) -> None:
    async with bot_in(tmp_path, "Europe/Berlin") as bot:
        time = TimeMachine(dt.datetime(2026, 12, 7, 8, 30, tzinfo=BERLIN))
        scheduler = make(bot, time)
        bot.sandbox.faults.off_vpn = True
        # No snapshot yet and MSX away: nothing to send yet; tried again later, not every tick.
        (nothing,) = await scheduler.tick()
        assert nothing.state == "retry" and "VPN" in (nothing.reason or "")
        assert digests(bot) == []
        assert await scheduler.tick() == []
        bot.sandbox.faults.off_vpn = False
        time.go(BERLIN, 2026, 12, 7, 8, 41)
        assert [o.state for o in await scheduler.tick()] == ["sent"]  # the same day

        # With a snapshot, MSX away: sent from it, saying how old it is.
        bot.sandbox.faults.off_vpn = True
        time.go(BERLIN, 2026, 12, 8, 8, 30)
        (stale,) = await scheduler.tick()
        assert stale.state == "sent"
        dm = digests(bot)[-1]
        said = texts({"blocks": dm.blocks})
        assert "Snapshot from" in said and "MSX could not be reached" in said
        assert len(digests(bot)) == 2


async def test_slack_unreachable_the_digest_goes_out_late_when_it_is_back(tmp_path: Path) -> None:
    async with bot_in(tmp_path, "Europe/Berlin") as bot:
        DigestStore(bot.runtime.store).save_timezone(OWNER, "Europe/Berlin")  # known from before
        # Nothing listens on port 9: every call is refused, as when the network is down.
        client = AsyncWebClient(
            token="xoxb-test", base_url="http://127.0.0.1:9/api/", retry_handlers=[]
        )
        time = TimeMachine(dt.datetime(2026, 12, 7, 8, 30, tzinfo=BERLIN))
        scheduler = DigestScheduler(bot.deps, client, clock=time.clock, sleep=time.sleep)
        (away,) = await scheduler.tick()
        assert away.state == "retry" and digests(bot) == []
        assert scheduler.store.mark(OWNER, dt.date(2026, 12, 7)) is None  # the day given back

        client.base_url = bot.slack.api_url  # the network is back
        time.go(BERLIN, 2026, 12, 7, 8, 35)
        assert await scheduler.tick() == []  # not every tick
        time.go(BERLIN, 2026, 12, 7, 10, 0)
        (back,) = await scheduler.tick()
        assert back.state == "sent" and back.digest is not None and back.digest.late
        (dm,) = digests(bot)
        assert "Sent late" in texts({"blocks": dm.blocks})
        assert await scheduler.tick() == []


async def test_a_429_delays_the_digest_and_never_drops_it(tmp_path: Path) -> None:
    frozen = Clock(frozen_at=1000.0)
    async with bot_in(tmp_path, "Europe/Berlin", slack_clock=frozen) as bot:
        time = TimeMachine(dt.datetime(2026, 12, 7, 8, 30, tzinfo=BERLIN))
        scheduler = make(bot, time)
        # Someone else just used up this DM's postMessage allowance for this second.
        channel = bot.slack.dm_channel(OWNER)
        client = plain_client(bot)
        for n in range(3):
            await client.chat_postMessage(channel=channel, text=f"filler {n}")

        async def sleep(seconds: float) -> None:  # waiting moves Slack's clock on too
            frozen.advance(seconds)
            await time.sleep(seconds)

        scheduler._sleep = sleep
        (outcome,) = await scheduler.tick()
        assert outcome.state == "sent"
        posts = bot.slack.calls_to("chat.postMessage")
        assert [c.error for c in posts[3:]] == ["ratelimited", None]
        assert 1.0 in time.slept  # Retry-After: 1
        assert len(digests(bot)) == 4  # three fillers and the digest, once


async def test_every_allowed_person_gets_their_own_and_off_means_off(tmp_path: Path) -> None:
    async with running_bot(tmp_path, sandbox=SandboxMsx(accounts=8), allowed=(COLLEAGUE,)) as bot:
        bot.slack.users[OWNER].tz = "Europe/Berlin"
        bot.slack.users[COLLEAGUE].tz = "America/New_York"
        time = TimeMachine(dt.datetime(2026, 12, 7, 8, 30, tzinfo=BERLIN))
        scheduler = make(bot, time)
        assert [o.slack_id for o in await scheduler.tick()] == [OWNER]
        time.go(NEW_YORK, 2026, 12, 7, 8, 30)
        assert [o.slack_id for o in await scheduler.tick()] == [COLLEAGUE]
        assert len(digests(bot, OWNER)) == 1 and len(digests(bot, COLLEAGUE)) == 1

        DigestStore(bot.runtime.store).save_settings(OWNER, DigestSettings(enabled=False))
        time.go(BERLIN, 2026, 12, 8, 9, 0)
        assert [o.slack_id for o in await scheduler.tick()] == []
        time.go(NEW_YORK, 2026, 12, 8, 9, 0)
        assert [o.slack_id for o in await scheduler.tick()] == [COLLEAGUE]
        assert len(digests(bot, OWNER)) == 1


async def test_run_loop_ticks_and_survives_a_failing_tick(tmp_path: Path) -> None:
    async with bot_in(tmp_path, "Europe/Berlin") as bot:
        time = TimeMachine(dt.datetime(2026, 12, 7, 8, 0, tzinfo=BERLIN))
        scheduler = make(bot, time, tick_s=60.0)
        ticks = 0
        real_tick = scheduler.tick

        async def flaky_tick() -> list:
            nonlocal ticks
            ticks += 1
            if ticks == 1:
                raise RuntimeError("a bad tick")
            return await real_tick()

        scheduler.tick = flaky_tick  # type: ignore[method-assign]
        task = asyncio.create_task(scheduler.run())
        await bot.slack.wait_for(lambda: digests(bot), timeout=20)
        task.cancel()
        # From 08:00, a tick a minute: the 31st tick (08:30) sent it.
        assert ticks >= 31 and len(digests(bot)) == 1


async def test_all_clear_is_one_line_or_nothing_as_the_person_chooses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_refresh = digest_scheduler.refresh_book

    async def all_on_track(*args: object, **kwargs: object) -> Book:
        book = await real_refresh(*args, **kwargs)  # type: ignore[arg-type]
        calm = tuple(m.model_copy(update={"status": "On Track"}) for m in book.snapshot.milestones)
        return dataclasses.replace(
            book, snapshot=book.snapshot.model_copy(update={"milestones": calm})
        )

    monkeypatch.setattr(digest_scheduler, "refresh_book", all_on_track)
    async with bot_in(tmp_path, "Europe/Berlin") as bot:
        time = TimeMachine(dt.datetime(2026, 12, 7, 8, 30, tzinfo=BERLIN))
        scheduler = make(bot, time)
        (outcome,) = await scheduler.tick()
        assert outcome.state == "sent"
        (dm,) = digests(bot)
        assert len(dm.blocks) == 2 and "All clear" in texts({"blocks": dm.blocks})

        DigestStore(bot.runtime.store).save_settings(OWNER, DigestSettings(all_clear=False))
        time.go(BERLIN, 2026, 12, 8, 8, 30)
        (quiet,) = await scheduler.tick()
        assert quiet.state == "quiet"
        assert len(digests(bot)) == 1  # nothing sent
        assert await scheduler.tick() == []  # and the day is done


async def test_stopped_before_the_post_the_day_is_not_lost(tmp_path: Path) -> None:
    async with bot_in(tmp_path, "Europe/Berlin") as bot:
        time = TimeMachine(dt.datetime(2026, 12, 7, 8, 30, tzinfo=BERLIN))
        bot.sandbox.faults.hang = True  # the refresh before the send hangs...
        asked = bot.sandbox.stats.requests
        ticking = asyncio.create_task(make(bot, time).tick())
        await bot.slack.wait_for(lambda: bot.sandbox.stats.requests > asked)
        assert scheduler_mark(bot) is not None  # claimed
        ticking.cancel()  # ...and the bot is stopped (SIGTERM)
        with pytest.raises(asyncio.CancelledError):
            await ticking
        bot.sandbox.faults.release()
        assert scheduler_mark(bot) is None  # given back
        time.go(BERLIN, 2026, 12, 7, 9, 0)  # restarted half an hour later
        (outcome,) = await make(bot, time).tick()
        assert outcome.state == "sent" and len(digests(bot)) == 1


def scheduler_mark(bot: Harness) -> object:
    return DigestStore(bot.runtime.store).mark(OWNER, dt.date(2026, 12, 7))


async def test_needs_attention_asks_the_hok_record_for_the_books_owner(tmp_path: Path) -> None:
    asked: list[tuple[str, dt.date]] = []
    logged: set[str] = set()

    def hok_milestones_since(user_id: str, since: dt.date) -> set[str]:
        asked.append((user_id, since))
        return logged

    async with bot_in(tmp_path, "Europe/Berlin") as bot:
        time = TimeMachine(dt.datetime(2026, 12, 7, 8, 30, tzinfo=BERLIN))
        scheduler = make(bot, time, hok=hok_milestones_since)
        snap = await digest_scheduler.refresh_book(bot.runtime.gateway, bot.runtime.store)
        at_risk = [m.id for m in snap.snapshot.milestones if m.needs_attention]
        logged.update(at_risk[1:])  # a HoK task on all but one
        (outcome,) = await scheduler.tick()
        assert asked == [(bot.sandbox.dataset.me.user_id, dt.date(2026, 11, 23))]
        assert outcome.digest is not None
        flagged = [i.milestone.id for i in outcome.digest.items if i.needs_attention]
        assert flagged == [at_risk[0]]
        said = texts({"blocks": digests(bot)[0].blocks})
        assert "1 needs attention" in said and said.count("*needs attention*") <= 1
