"""The Socket Mode websocket: hello, envelopes out, acks in, disconnects."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads
from .state import ACK_DEADLINE_S, MAX_VIEW_STACK, Ack, Envelope, Message, Workspace
from .validation import validate_blocks, validate_options_response, validate_view


class SocketHub:
    def __init__(self, workspace: Workspace, tickets: set[str]) -> None:
        self.ws = workspace
        self.tickets = tickets  # issued by apps.connections.open
        self.sockets: list[web.WebSocketResponse] = []

    @property
    def open_sockets(self) -> list[web.WebSocketResponse]:
        return [s for s in self.sockets if not s.closed]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self.tickets:
            self.ws.problem("websocket opened with a URL apps.connections.open did not issue")
            return web.Response(status=401, text="invalid ticket")
        sock = web.WebSocketResponse(autoping=True)  # answers the SDK's sdk-ping-pong pings
        await sock.prepare(request)
        self.sockets.append(sock)
        self.ws.connections_opened += 1
        await sock.send_json(payloads.hello(len(self.open_sockets)))
        self.ws.changed()
        try:
            async for msg in sock:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
        finally:
            self.sockets.remove(sock)
            self.ws.changed()
        return sock

    async def send(self, envelope: Envelope, *, timeout: float = 5.0) -> Envelope:
        # Slack delivers to one of the app's connections; the newest is the live one
        # while a reconnect briefly leaves two open.
        await self.ws.wait_for(lambda: self.open_sockets, timeout)
        self.ws.envelopes[envelope.envelope_id] = envelope
        envelope.sent_at = time.monotonic()
        await self.open_sockets[-1].send_str(json.dumps(envelope.to_message()))
        return envelope

    async def disconnect(self, reason: str, *, close: bool) -> None:
        for sock in self.open_sockets:
            await sock.send_json(payloads.disconnect(reason))
            if close:
                await sock.close()

    async def close_all(self) -> None:
        for sock in list(self.open_sockets):
            await sock.close(code=1001, message=b"server shutdown")

    # ----- acks

    def _on_text(self, data: str) -> None:
        now = time.monotonic()
        try:
            message = json.loads(data)
        except ValueError:
            self.ws.problem(f"non-JSON message on the socket: {data[:100]!r}")
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        envelope = self.ws.envelopes.get(envelope_id) if isinstance(envelope_id, str) else None
        if envelope is None:
            self.ws.problem(f"ack for an unknown envelope: {data[:100]!r}")
            return
        if envelope_id in self.ws.acks:
            self.ws.problem(f"envelope {envelope_id} acked twice")
            return
        payload = message.get("payload")
        ack = Ack(envelope.envelope_id, payload, now - envelope.sent_at)
        self.ws.acks[envelope.envelope_id] = ack
        if ack.latency_s > ACK_DEADLINE_S:
            self.ws.problem(
                f"{envelope.type} envelope {envelope_id} acked after {ack.latency_s:.2f}s "
                f"(Slack's limit is {ACK_DEADLINE_S:.0f}s)"
            )
        self._apply_ack_payload(envelope, payload)
        self.ws.changed()

    def _apply_ack_payload(self, envelope: Envelope, payload: Any) -> None:
        """Do what Slack does with an ack's payload, and flag what Slack would reject."""
        kind = envelope.payload.get("type") if envelope.type == "interactive" else envelope.type
        if payload is None or payload == {}:
            if kind == "view_submission":
                self._ack_view_submission(envelope, {})  # a bare ack closes the modal
        elif not isinstance(payload, dict):
            self.ws.problem(f"ack payload for {envelope.envelope_id} is not an object")
        elif not envelope.accepts_response_payload:
            self.ws.problem(f"{kind} envelope {envelope.envelope_id} does not accept a payload")
        elif kind == "slash_commands":
            self._ack_message(envelope, payload)
        elif kind == "view_submission":
            self._ack_view_submission(envelope, payload)
        elif kind == "block_suggestion":
            for problem in validate_options_response(payload):
                self.ws.problem(f"options response: {problem}")

    def _ack_message(self, envelope: Envelope, payload: dict[str, Any]) -> None:
        # An ack with a body is an immediate reply the invoking user sees.
        problems = validate_blocks(payload.get("blocks"), "message") if "blocks" in payload else []
        if problems:
            self.ws.problem(f"slash command ack has invalid blocks: {problems}")
            return
        if not payload.get("text") and not payload.get("blocks"):
            return
        public = payload.get("response_type") == "in_channel"
        self.ws.post(
            Message(
                envelope.payload["channel_id"],
                self.ws.new_ts(),
                payload.get("text"),
                payload.get("blocks"),
                "ack",
                None if public else envelope.payload["user_id"],
            )
        )

    def _ack_view_submission(self, envelope: Envelope, payload: dict[str, Any]) -> None:
        user_id = envelope.payload["user"]["id"]
        stack = self.ws.view_stacks.setdefault(user_id, [])
        action = payload.get("response_action")
        if action == "errors":
            errors = payload.get("errors")
            if not isinstance(errors, dict) or not errors:
                self.ws.problem("response_action errors needs a non-empty errors object")
                return
            blocks = envelope.payload["view"].get("blocks") or []
            input_ids = {b.get("block_id") for b in blocks if b.get("type") == "input"}
            unknown = sorted(set(errors) - input_ids)
            if unknown:
                self.ws.problem(f"response_action errors names non-input block_ids {unknown}")
        elif action in ("update", "push"):
            problem = validate_view(payload.get("view"), expect="modal")
            if problem is not None:
                self.ws.problem(f"response_action {action} view rejected: {problem}")
                return
            if action == "update" and stack:
                self.ws.replace_view(self.ws.views[stack[-1]], payload["view"])
            elif action == "push":
                if len(stack) >= MAX_VIEW_STACK:
                    self.ws.problem("response_action push beyond 3 views")
                    return
                stored = self.ws.make_view(payload["view"], root=stack[0] if stack else None)
                stored["previous_view_id"] = stack[-1] if stack else None
                stack.append(stored["id"])
        elif action == "clear":
            stack.clear()
        elif action is None:
            if stack:
                stack.pop()
        else:
            self.ws.problem(f"unknown response_action {action!r}")
