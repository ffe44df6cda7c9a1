"""SlackDouble: a strict local Slack (Web API + Socket Mode) for the real Bolt app."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from aiohttp import web

from . import payloads
from .clock import Clock
from .socket import SocketHub
from .state import Ack, Envelope, Message, Workspace
from .webapi import WebApi


class SlackDouble(Workspace):
    """`async with SlackDouble() as slack:` then point the bot at `slack.api_url`.

    State (users, calls, messages, views, acks, problems ...) is inherited from Workspace;
    this class adds the HTTP server and the ways to act as a Slack user.
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-test",
        clock: Clock | None = None,
        post_message_per_second: int = 3,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(bot_token=bot_token, app_token=app_token, clock=clock)
        self.host = host
        self.web_api = WebApi(self, post_message_per_second=post_message_per_second)
        self.hub = SocketHub(self, self.web_api.tickets)
        self.port = 0
        self.base_url = ""  # http://127.0.0.1:<port>/
        self.api_url = ""  # base_url + "api/", for AsyncWebClient(base_url=...)
        self.connect_timeout = 5.0  # how long send_* waits for the bot to be connected
        self._runner: web.AppRunner | None = None

    # ----- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.web_api.handle)
        app.router.add_post("/response/{rid}", self.web_api.response_url)
        app.router.add_get("/link/", self.hub.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{self.port}/"
        self.api_url = f"{self.base_url}api/"
        self.web_api.base_url = self.base_url

    async def stop(self) -> None:
        await self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackDouble:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ----- socket

    @property
    def open_sockets(self) -> int:
        return len(self.hub.open_sockets)

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `count` websockets have ever been accepted and one is open now."""
        await self.wait_for(
            lambda: self.connections_opened >= count and self.hub.open_sockets, timeout
        )

    async def disconnect(self, reason: str = "refresh_requested", *, close: bool = False) -> None:
        """Send Slack's `disconnect` message to every open socket; `close` also hangs up."""
        await self.hub.disconnect(reason, close=close)

    async def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> Envelope:
        """Send any envelope (waits up to `connect_timeout` for a connected socket)."""
        envelope = Envelope(
            self.new_id("env-"),
            type,
            payload,
            accepts_response_payload,
            retry_attempt,
            retry_reason,
        )
        return await self.hub.send(envelope, timeout=self.connect_timeout)

    async def wait_ack(self, envelope: Envelope, timeout: float = 5.0) -> Ack:
        return await self.wait_for(lambda: self.acks.get(envelope.envelope_id), timeout)

    # ----- acting as a user

    async def send_slash_command(
        self,
        user_id: str,
        command: str = "/msx",
        text: str = "",
        *,
        channel_id: str = "C1",
        channel_name: str | None = None,
    ) -> Envelope:
        user = self.ensure_user(user_id)
        name = channel_name or ("directmessage" if channel_id.startswith("D") else "general")
        self.add_channel(channel_id, name)
        payload = payloads.slash_command(
            user=user,
            command=command,
            text=text,
            channel_id=channel_id,
            channel_name=name,
            response_url=self.new_response_url(self.base_url, user_id, channel_id),
            trigger_id=self.new_trigger(user_id),
        )
        return await self.send_envelope("slash_commands", payload, accepts_response_payload=True)

    def _resolve_view(self, view: dict[str, Any] | str) -> dict[str, Any]:
        view_id = view if isinstance(view, str) else view.get("id")
        if not isinstance(view_id, str) or view_id not in self.views:
            raise ValueError(f"no such view {view_id!r}: open it through the Web API first")
        return self.views[view_id]

    async def send_block_action(
        self,
        user_id: str,
        action_id: str,
        value: Any = None,
        *,
        block_id: str | None = None,
        container: dict[str, Any] | None = None,
        view: dict[str, Any] | str | None = None,
        message: Message | dict[str, Any] | None = None,
        channel_id: str | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> Envelope:
        """A user clicks/selects `action_id`.

        With `view` (dict or id; a modal or a Home tab) or `message` (a recorded Message,
        e.g. `slack.messages[-1]`) the element must exist there: its block_id and type
        shape the action (`value` is an option value for selects). Without either, a bare
        button action is sent. In a view, `inputs` ({action_id: value}) is what the user
        has entered so far: Slack sends the view's whole state with the action.
        """
        user = self.ensure_user(user_id)
        blocks: list[dict[str, Any]] | None = None
        stored_view: dict[str, Any] | None = None
        message_dict: dict[str, Any] | None = None
        channel: dict[str, Any] | None = None
        response_url: str | None = None
        if view is not None:
            stored_view = self._resolve_view(view)
            blocks = stored_view["blocks"]
            stored_view = dict(stored_view)
            state = payloads.view_state_values(stored_view, inputs or {})
            if value is not None and action_id not in (inputs or {}):
                found_now = payloads.find_element(blocks, action_id)
                if found_now is not None and found_now[1].get("type") != "button":
                    entry = payloads.state_entry(found_now[1], value)
                    state.setdefault(found_now[0], {})[action_id] = entry
            stored_view["state"] = {"values": state}
            container = container or {"type": "view", "view_id": stored_view["id"]}
        elif message is not None:
            if isinstance(message, Message):
                channel_id = channel_id or message.channel
                is_ephemeral = message.ephemeral_to is not None
                message_dict = message.to_api()
            else:
                message_dict = message
                is_ephemeral = False
            blocks = message_dict.get("blocks") or []
            ts = message_dict.get("ts")
            container = container or {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel_id,
                "is_ephemeral": is_ephemeral,
            }
            response_url = self.new_response_url(self.base_url, user_id, channel_id, ts)
        else:
            container = container or {"type": "message", "channel_id": channel_id}
            response_url = self.new_response_url(self.base_url, user_id, channel_id)
        element: dict[str, Any] | None = None
        if blocks is not None:
            found = payloads.find_element(blocks, action_id)
            if found is None:
                raise ValueError(f"no element with action_id {action_id!r} on that surface")
            block_id = block_id or found[0]
            element = found[1]
        if channel_id is not None:
            self.add_channel(channel_id)
            channel = {"id": channel_id, "name": self.channels[channel_id]}
        action = payloads.action(
            action_id=action_id, block_id=block_id or "", value=value, element=element
        )
        payload = payloads.block_actions(
            user=user,
            actions=[action],
            container=container,
            trigger_id=self.new_trigger(user_id),
            response_url=response_url,
            channel=channel,
            message=message_dict,
            view=stored_view,
        )
        return await self.send_envelope("interactive", payload)

    async def send_global_shortcut(self, user_id: str, callback_id: str) -> Envelope:
        """A user picks a global shortcut (composer or search): a trigger, no response_url."""
        user = self.ensure_user(user_id)
        payload = payloads.global_shortcut(
            user=user, callback_id=callback_id, trigger_id=self.new_trigger(user_id)
        )
        return await self.send_envelope("interactive", payload)

    async def send_message_shortcut(
        self, user_id: str, callback_id: str, message: Message
    ) -> Envelope:
        """A user picks a message shortcut on a recorded message they can see."""
        user = self.ensure_user(user_id)
        if message.deleted or message.ephemeral_to not in (None, user_id):
            raise ValueError("the user cannot see that message")
        payload = payloads.message_shortcut(
            user=user,
            callback_id=callback_id,
            trigger_id=self.new_trigger(user_id),
            channel={"id": message.channel, "name": self.channels.get(message.channel, "")},
            message=message.to_api(),
            response_url=self.new_response_url(self.base_url, user_id, message.channel),
        )
        return await self.send_envelope("interactive", payload)

    async def send_block_suggestion(
        self,
        user_id: str,
        action_id: str,
        value: str,
        *,
        view: dict[str, Any] | str | None = None,
        block_id: str | None = None,
    ) -> Envelope:
        """A user types `value` into an external_select; the ack carries the options."""
        user = self.ensure_user(user_id)
        stored_view = self._resolve_view(view) if view is not None else None
        if stored_view is not None:
            found = payloads.find_element(stored_view["blocks"], action_id)
            if found is None:
                raise ValueError(f"no element with action_id {action_id!r} in that view")
            block_id = block_id or found[0]
        payload = payloads.block_suggestion(
            user=user, action_id=action_id, block_id=block_id or "", value=value, view=stored_view
        )
        return await self.send_envelope("interactive", payload, accepts_response_payload=True)

    async def send_view_submission(
        self,
        user_id: str,
        view: dict[str, Any] | str,
        values: dict[str, Any] | None = None,
        *,
        inputs: dict[str, Any] | None = None,
    ) -> Envelope:
        """The user submits their top modal.

        `values` is Slack's raw `state.values` ({block_id: {action_id: {...}}}); or give
        `inputs` ({action_id: value}) and the double builds it from the view's elements.
        Required inputs left empty raise ValueError: Slack's client would not submit.
        """
        user = self.ensure_user(user_id)
        stored = self._resolve_view(view)
        if self.top_view(user_id) is not stored:
            raise ValueError(f"view {stored['id']} is not the top modal of {user_id}")
        built = payloads.view_state_values(stored, inputs or {})
        for block_id, by_action in (values or {}).items():
            built.setdefault(block_id, {}).update(by_action)
        payloads.check_required_inputs(stored, built)
        payload = payloads.view_submission(
            user=user, view=stored, values=built, trigger_id=self.new_trigger(user_id)
        )
        return await self.send_envelope("interactive", payload, accepts_response_payload=True)

    async def send_event(
        self, event: dict[str, Any], retry_attempt: int = 0, retry_reason: str = ""
    ) -> Envelope:
        payload = payloads.event_callback(event, self.new_id("Ev"))
        return await self.send_envelope(
            "events_api", payload, retry_attempt=retry_attempt, retry_reason=retry_reason
        )

    async def share_links(self, user_id: str, channel_id: str, urls: list[str]) -> Envelope:
        """A person posts a message with `urls`; Slack sends link_shared for them (only for
        the app's unfurl_domains: the caller passes those)."""
        message = self.post_as_user(user_id, channel_id, " ".join(f"<{u}>" for u in urls))
        self.shared_links[(channel_id, message.ts)] = list(urls)
        return await self.send_event(payloads.link_shared(user_id, channel_id, message.ts, urls))

    async def redeliver(self, envelope: Envelope, reason: str = "timeout") -> Envelope:
        """Slack's retry: same payload (same event_id), new envelope, retry_attempt + 1."""
        return await self.send_envelope(
            envelope.type,
            envelope.payload,
            accepts_response_payload=envelope.accepts_response_payload,
            retry_attempt=(envelope.retry_attempt or 0) + 1,
            retry_reason=reason,
        )

    # ----- assertions

    def assert_no_problems(self) -> None:
        """Fail if the bot did anything Slack would show a user as an error."""
        if self.problems:
            raise AssertionError("Slack double saw problems:\n" + "\n".join(self.problems))
