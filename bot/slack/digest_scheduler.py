"""The morning digest: an asyncio task that ticks, and sends each allowed person's DM once a day.

Each tick asks, per person, whether today's digest is due (their settings, their Slack
time zone). If it is and nobody has claimed the day yet, it claims it in the store (an
INSERT that fails when the row exists: one winner across ticks, restarts and processes),
refreshes that person's book from MSX (or says how old the snapshot is when MSX is away),
and posts. A Slack 429 waits as long as Slack asks and tries again: it delays a digest,
never drops it. The clock and the sleep are injected, so tests travel in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Freshness
from bot.msx.errors import MsxProblem
from bot.slack.access import Person
from bot.slack.blocks.digest import digest_blocks, digest_text
from bot.slack.deps import BotDeps
from bot.store.digest import DigestStore, SentMark
from bot.workflows.book import Book, cached_book, refresh_book
from bot.workflows.digest import Digest, HokLookup, build_digest, hok_lookup, hok_since, remember
from bot.workflows.digest_schedule import UTC, Slot, due, zone
from bot.workflows.refresh import UnknownUser

log = logging.getLogger(__name__)

TICK_S = 30.0
REFRESH_TIMEOUT_S = 180.0
TZ_TTL = dt.timedelta(hours=6)  # users.info is asked again after this
POST_GAP_S = 1.0  # chat.postMessage: about one a second
TRANSIENT_TRIES = 5  # for 5xx and refused connections (a 429 is waited out, however often)
# After a digest that could not be made or sent (no snapshot and MSX away, Slack away), the
# day is released and tried again this often, the same day only.
RETRY_EVERY = dt.timedelta(minutes=10)
DEFAULT_RETRY_AFTER_S = 1.0

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]
Ending = Literal["sent", "quiet", "failed"]
# "retry": not sent, the day released for a later tick; "failed": Slack refused it for good.
State = Literal["sent", "quiet", "failed", "already", "retry"]


@dataclass(frozen=True)
class Outcome:
    slack_id: str
    state: State
    digest: Digest | None = None
    ts: str | None = None  # the message's, when sent
    reason: str | None = None  # when failed, in words a person can act on


_NOT_GIVEN: HokLookup = lambda _uid, _since: set()  # noqa: E731 (a sentinel)


class DigestScheduler:
    def __init__(
        self,
        deps: BotDeps,
        client: AsyncWebClient,
        *,
        hok: HokLookup | None = _NOT_GIVEN,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        tick_s: float = TICK_S,
    ) -> None:
        self._deps = deps
        self._client = client
        self._store = DigestStore(deps.runtime.store)
        self._hok = hok_lookup(deps.runtime.store) if hok is _NOT_GIVEN else hok
        self._clock = clock or deps.clock
        self._sleep = sleep
        self._tick_s = tick_s
        self._zones: dict[str, tuple[dt.datetime, str]] = {}
        self._last_post: dt.datetime | None = None
        self._not_before: dict[str, dt.datetime] = {}
        self._posting = False

    @property
    def store(self) -> DigestStore:
        return self._store

    def now(self) -> dt.datetime:
        return self._clock()

    async def run(self) -> None:
        """Tick until cancelled; a failed tick is logged and the next one tries again."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("digest tick failed")
            await self._sleep(self._tick_s)

    async def tick(self) -> list[Outcome]:
        """Send every digest that is due now and not yet claimed; what happened to each."""
        now = self._clock()
        outcomes: list[Outcome] = []
        for slack_id in await self.recipients():
            settings = self._store.settings(slack_id)
            if not settings.enabled:
                continue
            tz = await self.timezone(slack_id)
            if tz is None:
                continue  # Slack has not told us where they are yet: next tick
            slot = due(settings, tz, now)
            if slot is None or self._store.mark(slack_id, slot.day) is not None:
                continue
            if self._not_before.get(slack_id, now) > now:
                continue  # it failed a moment ago: not every tick
            person = await self._deps.access.person(slack_id)
            if person is not None:
                outcomes.append(await self.deliver(person, slot))
        return outcomes

    async def recipients(self) -> list[str]:
        """Slack ids of the owner and every allowed user (e-mails looked up, remembered)."""
        allowed = self._deps.runtime.settings.msx_bot_allowed_users
        owner = self._deps.access.owner
        emails = [owner.email] if owner and owner.email else []
        emails += [a for a in allowed if "@" in a]
        found = await self._deps.directory.mentions(emails)
        ids = [found[e.casefold()] for e in emails if e.casefold() in found]
        ids += [a for a in allowed if "@" not in a]
        return list(dict.fromkeys(ids))

    async def timezone(self, slack_id: str) -> ZoneInfo | None:
        """The person's zone from users.info `tz`, asked every few hours; the stored one
        while Slack does not answer."""
        now = self._clock()
        cached = self._zones.get(slack_id)
        if cached and now - cached[0] < TZ_TTL:
            return zone(cached[1])
        try:
            info = await self._client.users_info(user=slack_id)
            name = (info.get("user") or {}).get("tz")
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("users.info failed for %s: %s", slack_id, _slack_error(exc))
            name = None
        if isinstance(name, str) and zone(name) is not None:
            self._zones[slack_id] = (now, name)
            self._store.save_timezone(slack_id, name)
            return zone(name)
        return zone(self._store.timezone(slack_id))

    async def deliver(self, person: Person, slot: Slot | None) -> Outcome:
        """Today's digest for `person` (`slot`), or one right now (`/msx digest now`: None).

        A scheduled digest claims its day first: whoever loses the claim sends nothing.
        One that could not be made or sent for a passing reason gives the day back, and a
        later tick tries again; one Slack may have received is never sent again.
        """
        sid = person.slack_id
        now = self._clock()
        if slot is not None and not self._store.claim(
            sid, slot.day, SentMark(at=now, late=slot.late)
        ):
            return Outcome(sid, "already")
        self._posting = False
        try:
            outcome = await self._deliver(person, slot, now)
        except asyncio.CancelledError:
            # Stopped (Ctrl-C, SIGTERM) before the post left: the day is not lost.
            if slot is not None and not self._posting:
                with contextlib.suppress(Exception):
                    self._store.release(sid, slot.day)
            raise
        except Exception:
            log.exception("the digest for %s failed", sid)
            outcome = Outcome(sid, "retry", reason="The digest failed; the bot's log says why.")
        if outcome.state == "retry":
            self._not_before[sid] = self._clock() + RETRY_EVERY
            if slot is not None:
                self._store.release(sid, slot.day)
        return outcome

    async def _deliver(self, person: Person, slot: Slot | None, now: dt.datetime) -> Outcome:
        sid = person.slack_id
        book, problem = await self._fresh_book(person)
        if book is None:
            return Outcome(sid, "retry", reason=f"No digest yet: {problem or 'no snapshot'}")
        if slot is not None:
            day = slot.day
        else:
            day = now.astimezone(await self.timezone(sid) or UTC).date()
        digest = self.build(book, day=day, now=now, late=bool(slot and slot.late))
        if digest.all_clear and slot is not None and not self._store.settings(sid).all_clear:
            self._remember(digest)
            self._finish(sid, slot, "quiet")
            return Outcome(sid, "quiet", digest)
        try:
            ts = await self._post(sid, digest)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            reason = f"Slack did not take the digest ({_slack_error(exc)})"
            log.warning("digest for %s not sent: %s", sid, reason)
            if _never_arrived(exc):
                return Outcome(sid, "retry", digest, reason=reason)
            self._finish(sid, slot, "failed", reason=reason)
            return Outcome(sid, "failed", digest, reason=reason)
        self._remember(digest)
        self._finish(sid, slot, "sent")
        return Outcome(sid, "sent", digest, ts=ts)

    def build(self, book: Book, *, day: dt.date, now: dt.datetime, late: bool = False) -> Digest:
        snap = book.snapshot
        return build_digest(
            snap,
            book.freshness,
            self._store.memory(snap.user.user_id),
            today=day,
            now=now,
            hok_milestones=self._hok_milestones(snap.user.user_id, day),
            late=late,
        )

    def _hok_milestones(self, user_id: str, day: dt.date) -> set[str] | None:
        if self._hok is None:
            return None
        try:
            return set(self._hok(user_id, hok_since(day)))
        except Exception:  # without the record, flag nothing rather than everything
            log.exception("could not read the HoK task record")
            return None

    def _remember(self, digest: Digest) -> None:
        self._store.save_memory(digest.user.user_id, remember(digest))

    def _finish(
        self, sid: str, slot: Slot | None, state: Ending, reason: str | None = None
    ) -> None:
        if slot is None:
            return
        mark = SentMark(state=state, at=self._clock(), late=slot.late, reason=reason)
        self._store.update_mark(sid, slot.day, mark)

    async def _fresh_book(self, person: Person) -> tuple[Book | None, str | None]:
        """The person's book fresh from MSX; else the snapshot, marked with why it is stale."""
        store = self._deps.runtime.store
        try:
            book = await asyncio.wait_for(
                refresh_book(self._deps.runtime.gateway, store, email=person.book_email),
                REFRESH_TIMEOUT_S,
            )
            return book, None
        except (MsxProblem, UnknownUser, TimeoutError) as exc:
            reason = getattr(exc, "user_message", "MSX did not answer in time")
        cached = await asyncio.to_thread(cached_book, store, email=person.book_email)
        if cached is None:
            return None, reason
        fresh = cached.freshness
        stale = Freshness(taken_at=fresh.taken_at, stale_reason=fresh.stale_reason or reason)
        return Book(snapshot=cached.snapshot, freshness=stale), reason

    async def _post(self, channel: str, digest: Digest) -> str | None:
        """chat.postMessage to the person's DM; 429s are waited out, 5xx retried a few times."""
        now = self._clock()
        text, blocks = digest_text(digest), digest_blocks(digest, now)
        if self._last_post is not None:
            gap = POST_GAP_S - (now - self._last_post).total_seconds()
            if gap > 0:
                await self._sleep(gap)
        failures = 0
        while True:
            try:
                self._posting = True  # from here on Slack may have it: never release the day
                response = await self._client.chat_postMessage(
                    channel=channel, text=text, blocks=blocks
                )
                self._last_post = self._clock()
                ts = response.get("ts")
                return ts if isinstance(ts, str) else None
            except SlackApiError as exc:
                if exc.response.status_code == 429:
                    wait = _retry_after(exc.response.headers)
                    log.info("Slack rate limit: a digest waits %.0f s", wait)
                    await self._sleep(wait)
                    continue
                if not _never_arrived(exc) or failures + 1 >= TRANSIENT_TRIES:
                    raise
            except aiohttp.ClientConnectorError:
                if failures + 1 >= TRANSIENT_TRIES:
                    raise
            # Only what surely did not post is tried again: a timeout might have posted.
            failures += 1
            await self._sleep(2.0**failures)


def _never_arrived(exc: BaseException) -> bool:
    """Whether Slack surely did not post it: no connection, or a 5xx answer."""
    if isinstance(exc, SlackApiError):
        return exc.response.status_code >= 500
    return isinstance(exc, aiohttp.ClientConnectorError)


def _retry_after(headers: dict[str, object]) -> float:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(str(value)))
            except ValueError:
                break
    return DEFAULT_RETRY_AFTER_S


def _slack_error(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__
