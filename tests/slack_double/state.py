"""What the double remembers: users, channels, messages, views, triggers, calls, acks."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .clock import Clock

T = TypeVar("T")

TEAM_ID = "T0DOUBLE1"
TEAM_DOMAIN = "msx-double"
TEAM_NAME = "MSX Double"
APP_ID = "A0DOUBLE1"
BOT_ID = "B0DOUBLE1"
BOT_USER_ID = "U0BOTUSER"
BOT_NAME = "msxbot"
VERIFICATION_TOKEN = "verification-token-double"

TRIGGER_TTL_S = 3.0
RESPONSE_URL_TTL_S = 30 * 60.0
RESPONSE_URL_MAX_USES = 5
ACK_DEADLINE_S = 3.0
MAX_VIEW_STACK = 3


@dataclass
class SlackUser:
    id: str
    name: str
    email: str | None = None
    real_name: str | None = None
    tz: str = "America/Los_Angeles"
    tz_offset: int = -8 * 3600
    is_bot: bool = False
    deleted: bool = False

    def to_api(self) -> dict[str, Any]:
        """The `user` object of users.info / users.list."""
        real_name = self.real_name or self.name
        profile: dict[str, Any] = {
            "real_name": real_name,
            "display_name": self.name,
            "real_name_normalized": real_name,
            "display_name_normalized": self.name,
            "team": TEAM_ID,
        }
        if self.email is not None:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": self.tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }


@dataclass
class Call:
    """One Web API call (or response_url POST, method "response_url") and what we answered.

    Iterates as `(method, params)`, so `for method, params in slack.calls` works.
    """

    method: str
    params: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    at: float = field(default_factory=time.monotonic)  # when it arrived (for benchmarks)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.method, self.params))

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return self.response.get("error")


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int | None = None
    retry_reason: str | None = None
    sent_at: float = 0.0  # time.monotonic() when written to the socket

    def to_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "envelope_id": self.envelope_id,
            "payload": self.payload,
            "type": self.type,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.retry_attempt is not None:
            message["retry_attempt"] = self.retry_attempt
            message["retry_reason"] = self.retry_reason or ""
        return message

    @property
    def trigger_id(self) -> str | None:
        return self.payload.get("trigger_id")

    @property
    def response_url(self) -> str | None:
        return self.payload.get("response_url")


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    latency_s: float


@dataclass
class Trigger:
    id: str
    user_id: str
    created: float
    used: bool = False


@dataclass
class ResponseUrl:
    id: str
    user_id: str
    channel_id: str | None
    created: float
    message_ts: str | None = None  # the message the interaction came from, if any
    uses: int = 0


@dataclass
class Message:
    """A message as a user would see it. `ephemeral_to` is set for ephemeral ones."""

    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    source: str  # chat.postMessage, chat.postEphemeral, response_url, ack
    ephemeral_to: str | None = None
    thread_ts: str | None = None
    user: str = BOT_USER_ID
    deleted: bool = False
    edits: int = 0

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "team": TEAM_ID,
            "ts": self.ts,
            "text": self.text or "",
        }
        if self.user == BOT_USER_ID:
            out.update(bot_id=BOT_ID, app_id=APP_ID)
        if self.blocks is not None:
            out["blocks"] = self.blocks
        if self.thread_ts is not None:
            out["thread_ts"] = self.thread_ts
        return out


def fill_block_ids(blocks: list[dict[str, Any]] | None, seed: str) -> list[dict[str, Any]] | None:
    """Copy of blocks with Slack's auto-assigned block_id / action_id where missing."""
    if blocks is None:
        return None
    out = copy.deepcopy(blocks)
    for i, block in enumerate(out):
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", hashlib.sha1(f"{seed}:{i}".encode()).hexdigest()[:5])
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                elements.append(block[key])
        for j, el in enumerate(elements):
            if isinstance(el, dict) and el.get("type") not in (None, "image"):
                el.setdefault("action_id", hashlib.sha1(f"{seed}:{i}:{j}".encode()).hexdigest()[:5])
    return out


class Workspace:
    """The recorded state of one fake workspace, shared by the Web API and the socket."""

    def __init__(self, *, bot_token: str, app_token: str, clock: Clock | None = None) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.clock = clock or Clock()
        self.team_id = TEAM_ID
        self.app_id = APP_ID
        self.bot_id = BOT_ID
        self.bot_user_id = BOT_USER_ID
        self.users: dict[str, SlackUser] = {}
        self.channels: dict[str, str] = {}  # id -> name
        self.dms: dict[str, str] = {}  # user id -> D channel id
        self.calls: list[Call] = []
        self.messages: list[Message] = []
        self.views: dict[str, dict[str, Any]] = {}  # view id -> view
        self.view_stacks: dict[str, list[str]] = {}  # user id -> view ids, root first
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> published home view
        # (channel, message ts) -> the links a link_shared event named, and their unfurls.
        self.shared_links: dict[tuple[str, str], list[str]] = {}
        self.unfurls: dict[tuple[str, str], dict[str, Any]] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.responses: list[tuple[str, dict[str, Any]]] = []
        self.envelopes: dict[str, Envelope] = {}
        self.acks: dict[str, Ack] = {}
        self.problems: list[str] = []  # protocol mistakes Slack would show users as errors
        self.connections_opened = 0  # websocket connections accepted (hello sent)
        self._ids = itertools.count(1)
        self._epoch = int(time.time())
        self._tick = asyncio.Event()
        self.add_user(BOT_USER_ID, BOT_NAME, is_bot=True)

    # ----- ids

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def new_ts(self) -> str:
        n = next(self._ids)
        return f"{self._epoch + n}.{n:06d}"

    # ----- change notification: every record calls changed(), wait_for re-checks on it

    def changed(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Wait until predicate() is truthy and return its value.

        Re-checked on every recorded change, and every 50 ms for state outside the double
        (the bot's own store, say).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            tick = self._tick
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [f"{c.method}:{c.error or 'ok'}" for c in self.calls[-8:]]
                raise TimeoutError(
                    f"condition not met within {timeout}s; recent calls {recent}; "
                    f"problems {self.problems[-5:]}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tick.wait(), min(remaining, 0.05))

    # ----- directory

    def add_user(
        self,
        id: str,
        name: str,
        email: str | None = None,
        *,
        real_name: str | None = None,
        tz: str = "America/Los_Angeles",
        tz_offset: int = -8 * 3600,
        is_bot: bool = False,
    ) -> SlackUser:
        user = SlackUser(id, name, email, real_name, tz, tz_offset, is_bot)
        self.users[id] = user
        return user

    def ensure_user(self, user_id: str) -> SlackUser:
        """Users who click things exist; invent a plain profile for an id not yet added."""
        return self.users.get(user_id) or self.add_user(user_id, user_id.lower())

    def user_by_email(self, email: str) -> SlackUser | None:
        wanted = email.strip().lower()
        for user in self.users.values():
            if user.email is not None and user.email.lower() == wanted and not user.deleted:
                return user
        return None

    def add_channel(self, id: str, name: str | None = None) -> str:
        self.channels.setdefault(id, name or id.lower())
        return id

    def dm_channel(self, user_id: str) -> str:
        """The bot's DM channel with a user (what conversations.open returns)."""
        if user_id not in self.dms:
            self.dms[user_id] = "D" + user_id.lstrip("U").rjust(8, "0")
            self.channels[self.dms[user_id]] = "directmessage"
        return self.dms[user_id]

    def resolve_channel(self, channel: str) -> str | None:
        """Channel id a post lands in; a user id means the bot's DM with them."""
        if channel in self.channels:
            return channel
        if channel in self.users:
            return self.dm_channel(channel)
        return None

    # ----- records

    def record(self, call: Call) -> Call:
        self.calls.append(call)
        self.changed()
        return call

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self.changed()

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @property
    def failed_calls(self) -> list[Call]:
        return [c for c in self.calls if not c.ok]

    @property
    def ack_latencies(self) -> list[float]:
        return [a.latency_s for a in self.acks.values()]

    def messages_in(self, channel: str, *, include_deleted: bool = False) -> list[Message]:
        return [
            m for m in self.messages if m.channel == channel and (include_deleted or not m.deleted)
        ]

    def seen_by(self, user_id: str, channel: str | None = None) -> list[Message]:
        """Live messages visible to a user: everything public plus their ephemerals."""
        return [
            m
            for m in self.messages
            if not m.deleted
            and (m.ephemeral_to is None or m.ephemeral_to == user_id)
            and (channel is None or m.channel == channel)
        ]

    def find_message(
        self, channel: str, ts: str, *, include_ephemeral: bool = False
    ) -> Message | None:
        for m in self.messages:
            if m.channel == channel and m.ts == ts and (include_ephemeral or not m.ephemeral_to):
                return m
        return None

    def post_as_user(
        self, user_id: str, channel: str, text: str, *, thread_ts: str | None = None
    ) -> Message:
        """A message a person wrote (not the bot): something a message shortcut can act on."""
        self.ensure_user(user_id)
        self.add_channel(channel)
        message = Message(channel, self.new_ts(), text, None, "user", None, thread_ts, user_id)
        self.messages.append(message)
        self.changed()
        return message

    def post(self, message: Message) -> Message:
        message.blocks = fill_block_ids(message.blocks, message.ts)
        self.messages.append(message)
        self.changed()
        return message

    # ----- triggers and response_urls

    def new_trigger(self, user_id: str) -> str:
        trigger = Trigger(
            f"{next(self._ids)}.{TEAM_ID}.{self.new_id('')}", user_id, self.clock.now()
        )
        self.triggers[trigger.id] = trigger
        return trigger.id

    def exchange_trigger(self, trigger_id: Any) -> tuple[Trigger | None, str | None]:
        """(trigger, None) when usable, else (None, Slack's error). Marks it used."""
        trigger = self.triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None:
            return None, "invalid_trigger_id"
        if trigger.used:
            return None, "trigger_exchanged"
        if self.clock.now() - trigger.created > TRIGGER_TTL_S:
            return None, "expired_trigger_id"
        trigger.used = True
        return trigger, None

    def new_response_url(
        self, base_url: str, user_id: str, channel_id: str | None, message_ts: str | None = None
    ) -> str:
        rid = self.new_id("R")
        self.response_urls[rid] = ResponseUrl(
            rid, user_id, channel_id, self.clock.now(), message_ts=message_ts
        )
        return f"{base_url}response/{rid}"

    # ----- views

    def make_view(self, view: dict[str, Any], *, root: str | None = None) -> dict[str, Any]:
        vid = self.new_id("V")
        stored = {
            "id": vid,
            "team_id": TEAM_ID,
            "type": view["type"],
            "blocks": fill_block_ids(view.get("blocks", []), vid),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{self._epoch}.{self.new_id('h')}",
            "title": view.get("title"),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "previous_view_id": None,
            "root_view_id": root or vid,
            "app_id": APP_ID,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        self.views[vid] = stored
        self.changed()
        return stored

    def replace_view(self, old: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
        """views.update / response_action update: same id, new content and hash."""
        fresh = self.make_view(view, root=old["root_view_id"])
        del self.views[fresh["id"]]
        fresh["id"] = old["id"]
        fresh["previous_view_id"] = old["previous_view_id"]
        fresh["blocks"] = fill_block_ids(view.get("blocks", []), old["id"])
        self.views[old["id"]] = fresh
        self.changed()
        return fresh

    def view_stack(self, user_id: str) -> list[dict[str, Any]]:
        """The user's open modals, root first (empty when none is open)."""
        return [self.views[v] for v in self.view_stacks.get(user_id, [])]

    def top_view(self, user_id: str) -> dict[str, Any] | None:
        stack = self.view_stack(user_id)
        return stack[-1] if stack else None

    def owner_of_view(self, view_id: str) -> str | None:
        for user_id, stack in self.view_stacks.items():
            if view_id in stack:
                return user_id
        return None
