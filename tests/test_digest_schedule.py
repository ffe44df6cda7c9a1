"""When the digest is due: the person's zone, weekdays, DST, late sends, missed days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.workflows.digest_schedule import DigestSettings, due, moment, next_moment, zone

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT = DigestSettings()
DAILY = DigestSettings(days="daily")


def at(tz: ZoneInfo, *args: int) -> dt.datetime:
    """A local wall time in `tz`, as the UTC moment it is."""
    return dt.datetime(*args, tzinfo=tz).astimezone(dt.UTC)


def test_default_is_weekdays_at_0830_in_the_persons_own_zone() -> None:
    monday = dt.date(2026, 5, 4)
    assert DEFAULT.enabled and DEFAULT.at == dt.time(8, 30) and DEFAULT.days == "weekdays"
    assert due(DEFAULT, LA, at(LA, 2026, 5, 4, 8, 29, 59)) is None
    slot = due(DEFAULT, LA, at(LA, 2026, 5, 4, 8, 30))
    assert slot is not None and slot.day == monday and not slot.late
    assert slot.at == dt.datetime(2026, 5, 4, 15, 30, tzinfo=dt.UTC)  # PDT is UTC-7
    # The same instant is a different local day and time elsewhere: Berlin's 08:30 was
    # hours ago, so Berlin's digest is due (and late); LA's is not yet.
    berlin_morning = at(BERLIN, 2026, 5, 4, 8, 30)
    assert due(DEFAULT, LA, berlin_morning) is None
    assert due(DEFAULT, BERLIN, berlin_morning) is not None


def test_weekends_only_when_daily() -> None:
    saturday = at(NY, 2026, 5, 9, 9, 0)
    sunday = at(NY, 2026, 5, 10, 9, 0)
    assert due(DEFAULT, NY, saturday) is None and due(DEFAULT, NY, sunday) is None
    assert due(DAILY, NY, saturday) is not None and due(DAILY, NY, sunday) is not None
    # Friday evening in LA is already Saturday in Berlin.
    friday_la = at(LA, 2026, 5, 8, 23, 0)
    assert due(DEFAULT, LA, friday_la) is not None
    assert due(DEFAULT, BERLIN, friday_la) is None


def test_off_is_never_due() -> None:
    off = DigestSettings(enabled=False)
    assert due(off, LA, at(LA, 2026, 5, 4, 9, 0)) is None
    assert next_moment(off, LA, at(LA, 2026, 5, 4, 9, 0), sent_today=False) is None


def test_after_sleep_it_is_due_late_the_same_day_and_a_missed_day_is_not_replayed() -> None:
    # The laptop slept through 08:30 and wakes at 11:10: today's goes out, marked late.
    slot = due(DEFAULT, BERLIN, at(BERLIN, 2026, 5, 5, 11, 10))
    assert slot is not None and slot.late and slot.day == dt.date(2026, 5, 5)
    # Exactly 15 minutes after the time is still on time; a second more is late.
    fifteen = due(DEFAULT, BERLIN, at(BERLIN, 2026, 5, 5, 8, 45))
    assert fifteen is not None and not fifteen.late
    just_over = due(DEFAULT, BERLIN, at(BERLIN, 2026, 5, 5, 8, 45, 1))
    assert just_over is not None and just_over.late
    # A few minutes after the time is still on time.
    on_time = due(DEFAULT, BERLIN, at(BERLIN, 2026, 5, 5, 8, 40))
    assert on_time is not None and not on_time.late
    # Asleep from Monday evening to Wednesday 07:00: nothing is due for Tuesday (missed),
    # and Wednesday's waits for 08:30.
    assert due(DEFAULT, BERLIN, at(BERLIN, 2026, 5, 6, 7, 0)) is None
    late_night = due(DEFAULT, BERLIN, at(BERLIN, 2026, 5, 6, 23, 59))
    assert late_night is not None and late_night.day == dt.date(2026, 5, 6)


def test_a_time_set_after_todays_moment_starts_tomorrow() -> None:
    changed = DigestSettings(at=dt.time(9, 0), changed_at=at(LA, 2026, 5, 4, 10, 0))
    assert due(changed, LA, at(LA, 2026, 5, 4, 10, 1)) is None
    assert due(changed, LA, at(LA, 2026, 5, 5, 9, 0)) is not None
    # The settings reply says so: next is tomorrow's, not now.
    assert next_moment(changed, LA, at(LA, 2026, 5, 4, 10, 1), sent_today=False) == at(
        LA, 2026, 5, 5, 9, 0
    )
    # Set before today's moment, or at that very moment: today counts.
    early = DigestSettings(at=dt.time(9, 0), changed_at=at(LA, 2026, 5, 4, 8, 0))
    assert due(early, LA, at(LA, 2026, 5, 4, 9, 0)) is not None
    on_the_dot = DigestSettings(at=dt.time(9, 0), changed_at=at(LA, 2026, 5, 4, 9, 0))
    assert due(on_the_dot, LA, at(LA, 2026, 5, 4, 9, 0)) is not None


def _local_times(settings: DigestSettings, tz: ZoneInfo, days: list[dt.date]) -> list[str]:
    return [f"{moment(d, settings, tz).astimezone(tz):%Y-%m-%d %H:%M %Z}" for d in days]


def _span(first: dt.date, n: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(n)]


def test_dst_moves_the_utc_moment_not_the_local_time_new_york() -> None:
    # Spring forward on Sun 8 Mar 2026; fall back on Sun 1 Nov 2026.
    spring = _span(dt.date(2026, 3, 7), 3)
    assert _local_times(DAILY, NY, spring) == [
        "2026-03-07 08:30 EST",
        "2026-03-08 08:30 EDT",
        "2026-03-09 08:30 EDT",
    ]
    utc = [moment(d, DAILY, NY).hour for d in spring]
    assert utc == [13, 12, 12]
    fall = _span(dt.date(2026, 10, 31), 3)
    assert _local_times(DAILY, NY, fall) == [
        "2026-10-31 08:30 EDT",
        "2026-11-01 08:30 EST",
        "2026-11-02 08:30 EST",
    ]


def test_dst_berlin() -> None:
    # Spring forward on Sun 29 Mar 2026; fall back on Sun 25 Oct 2026.
    spring = _span(dt.date(2026, 3, 28), 3)
    assert [moment(d, DAILY, BERLIN).hour for d in spring] == [7, 6, 6]
    fall = _span(dt.date(2026, 10, 24), 3)
    assert [moment(d, DAILY, BERLIN).hour for d in fall] == [6, 7, 7]


def _sends_by_minute(settings: DigestSettings, tz: ZoneInfo, start: dt.datetime, hours: int):
    """Tick every minute; a day's digest "sends" the first time it is due (like the claim)."""
    sent: dict[dt.date, dt.datetime] = {}
    for minute in range(hours * 60):
        now = start + dt.timedelta(minutes=minute)
        slot = due(settings, tz, now)
        if slot is not None and slot.day not in sent:
            sent[slot.day] = now
    return {day: f"{when.astimezone(tz):%H:%M}" for day, when in sent.items()}


def test_a_time_inside_the_spring_forward_gap_is_sent_just_after_it_never_skipped() -> None:
    # 02:30 does not exist in New York on 8 Mar 2026 (02:00 -> 03:00).
    gap = DigestSettings(at=dt.time(2, 30), days="daily")
    sends = _sends_by_minute(gap, NY, at(NY, 2026, 3, 7, 0, 0), 72)
    assert sends == {
        dt.date(2026, 3, 7): "02:30",
        dt.date(2026, 3, 8): "03:30",
        dt.date(2026, 3, 9): "02:30",
    }
    berlin = _sends_by_minute(gap, BERLIN, at(BERLIN, 2026, 3, 28, 0, 0), 72)
    assert berlin[dt.date(2026, 3, 29)] == "03:30" and len(berlin) == 3


def test_a_time_that_happens_twice_at_fall_back_is_sent_once() -> None:
    # 01:30 happens twice in New York on 1 Nov 2026; Berlin's 02:30 twice on 25 Oct.
    twice = DigestSettings(at=dt.time(1, 30), days="daily")
    sends = _sends_by_minute(twice, NY, at(NY, 2026, 10, 31, 0, 0), 72)
    assert list(sends) == [dt.date(2026, 10, 31), dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
    twice_berlin = DigestSettings(at=dt.time(2, 30), days="daily")
    berlin = _sends_by_minute(twice_berlin, BERLIN, at(BERLIN, 2026, 10, 24, 0, 0), 72)
    assert len(berlin) == 3
    # And the usual 08:30 over both DST weekends: one a day, at 08:30 local each time.
    for tz, start in ((NY, at(NY, 2026, 3, 6, 0, 0)), (BERLIN, at(BERLIN, 2026, 10, 23, 0, 0))):
        usual = _sends_by_minute(DAILY, tz, start, 96)
        assert list(usual.values()) == ["08:30"] * 4


def test_next_moment_for_the_settings_reply() -> None:
    friday_after = at(NY, 2026, 5, 8, 9, 0)
    nxt = next_moment(DEFAULT, NY, friday_after, sent_today=True)
    assert nxt == at(NY, 2026, 5, 11, 8, 30)  # Monday, skipping the weekend
    friday_before = at(NY, 2026, 5, 8, 7, 0)
    assert next_moment(DEFAULT, NY, friday_before, sent_today=False) == at(NY, 2026, 5, 8, 8, 30)
    # Due and not sent yet: now.
    assert next_moment(DEFAULT, NY, friday_after, sent_today=False) == friday_after
    # Sent today already, and the time moved later today: tomorrow, not a second one.
    later = DigestSettings(at=dt.time(17, 0), days="daily")
    assert next_moment(later, NY, friday_after, sent_today=True) == at(NY, 2026, 5, 9, 17, 0)
    # Friday evening in New York is Saturday in UTC: "today" is the person's Friday.
    friday_evening = at(NY, 2026, 5, 8, 21, 0)
    nxt = next_moment(DAILY, NY, friday_evening, sent_today=True)
    assert nxt == at(NY, 2026, 5, 9, 8, 30)


def test_zone_names_from_slack() -> None:
    assert zone("Europe/Berlin") == BERLIN
    assert zone(None) is None and zone("") is None
    assert zone("Mars/Olympus_Mons") is None and zone("../../etc/passwd") is None
