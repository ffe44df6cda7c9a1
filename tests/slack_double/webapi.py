"""The Web API methods and the response_url endpoint, as aiohttp handlers."""

from __future__ import annotations

import base64
import json
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .state import (
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    MAX_VIEW_STACK,
    RESPONSE_URL_MAX_USES,
    RESPONSE_URL_TTL_S,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Call,
    Message,
    ResponseUrl,
    Workspace,
    fill_block_ids,
)
from .validation import validate_blocks, validate_view

BOT_SCOPES = "commands,chat:write,im:write,users:read,users:read.email,links:read,links:write"
MAX_MESSAGE_TEXT = 40000

Result = tuple[dict[str, Any], int, dict[str, str]]
Handler = Callable[[dict[str, Any]], Awaitable[Result]]


def ok(**fields: Any) -> Result:
    return {"ok": True, **fields}, 200, {}


def err(error: str, messages: list[str] | None = None, status: int = 200) -> Result:
    body: dict[str, Any] = {"ok": False, "error": error}
    if messages:
        body["response_metadata"] = {"messages": messages}
    return body, status, {}


class _Invalid(Exception):
    """Raised inside a handler to answer with a Slack error."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages


def _json_field(params: dict[str, Any], name: str, error: str) -> Any:
    """Form bodies carry blocks/views as JSON strings; JSON bodies carry them inline."""
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as e:
            raise _Invalid(error, [f"[ERROR] {name} is not valid JSON"]) from e
    return value


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


class WebApi:
    def __init__(self, workspace: Workspace, *, post_message_per_second: int) -> None:
        self.ws = workspace
        self.base_url = ""  # set by the server once it knows its port
        self.post_message_per_second = post_message_per_second
        self._posts: dict[str, deque[float]] = defaultdict(deque)  # channel -> clock times
        self.methods: dict[str, Handler] = {
            "auth.test": self.auth_test,
            "apps.connections.open": self.apps_connections_open,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
            "chat.unfurl": self.chat_unfurl,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "users.info": self.users_info,
            "users.lookupByEmail": self.users_lookup_by_email,
            "users.list": self.users_list,
            "conversations.open": self.conversations_open,
        }
        self.tickets: set[str] = set()

    # ----- HTTP plumbing

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        is_json = False
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                is_json = True
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    return self._answer(Call(method, params), err("invalid_json"))
                params.update(body)
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        token = self._token(request, params, is_json)
        call = Call(method, params)
        handler = self.methods.get(method)
        if handler is None:
            return self._answer(call, err("unknown_method"))
        auth_error = self._check_token(method, token)
        if auth_error is not None:
            return self._answer(call, err(auth_error))
        try:
            result = await handler(params)
        except _Invalid as e:
            result = err(e.error, e.messages)
        return self._answer(call, result)

    def _token(self, request: web.Request, params: dict[str, Any], is_json: bool) -> str | None:
        header = request.headers.get("Authorization", "")
        body_token = params.pop("token", None)
        if header.startswith("Bearer "):
            return header.removeprefix("Bearer ").strip() or None
        # Slack ignores a token inside a JSON body: JSON requests must use the header.
        return None if is_json else body_token

    def _check_token(self, method: str, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        if method == "auth.test" and token in (self.ws.bot_token, self.ws.app_token):
            return None
        wanted = self.ws.app_token if method == "apps.connections.open" else self.ws.bot_token
        if token == wanted:
            return None
        if token in (self.ws.bot_token, self.ws.app_token):
            return "not_allowed_token_type"
        return "invalid_auth"

    def _answer(self, call: Call, result: Result) -> web.Response:
        body, status, headers = result
        call.response, call.status = body, status
        self.ws.record(call)
        return web.json_response(body, status=status, headers=headers)

    # ----- auth and socket

    async def auth_test(self, params: dict[str, Any]) -> Result:
        body, status, _ = ok(
            url=f"https://{TEAM_DOMAIN}.slack.com/",
            team=TEAM_NAME,
            user=BOT_NAME,
            team_id=TEAM_ID,
            user_id=BOT_USER_ID,
            bot_id=BOT_ID,
            is_enterprise_install=False,
        )
        return body, status, {"x-oauth-scopes": BOT_SCOPES}

    async def apps_connections_open(self, params: dict[str, Any]) -> Result:
        ticket = self.ws.new_id("ticket-")
        self.tickets.add(ticket)
        ws_base = self.base_url.replace("http://", "ws://", 1)
        return ok(url=f"{ws_base}link/?ticket={ticket}&app_id={self.ws.app_id}")

    # ----- chat

    def _message_content(self, params: dict[str, Any], *, require: bool = True) -> tuple[Any, Any]:
        text = params.get("text")
        blocks = _json_field(params, "blocks", "invalid_blocks_format")
        attachments = params.get("attachments")
        if require and not text and not blocks and not attachments:
            raise _Invalid("no_text")
        if text is not None and not isinstance(text, str):
            raise _Invalid("invalid_arguments", ["[ERROR] text must be a string"])
        if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
            raise _Invalid("msg_too_long")
        if blocks is not None:
            if not isinstance(blocks, list):
                raise _Invalid("invalid_blocks_format")
            problems = validate_blocks(blocks, "message")
            if problems:
                raise _Invalid("invalid_blocks", problems)
        return text, blocks

    def _channel(self, params: dict[str, Any]) -> str:
        channel = params.get("channel")
        resolved = self.ws.resolve_channel(channel) if isinstance(channel, str) else None
        if resolved is None:
            raise _Invalid("channel_not_found")
        return resolved

    def _rate_limited(self, channel: str) -> bool:
        """Sliding one-second window per channel, measured on the injectable clock."""
        now = self.ws.clock.now()
        window = self._posts[channel]
        while window and now - window[0] >= 1.0:
            window.popleft()
        return len(window) >= self.post_message_per_second

    async def chat_post_message(self, params: dict[str, Any]) -> Result:
        channel = self._channel(params)
        if self._rate_limited(channel):
            body, _, _ = err("ratelimited")
            return body, 429, {"Retry-After": "1"}
        text, blocks = self._message_content(params)
        self._posts[channel].append(self.ws.clock.now())
        thread_ts = params.get("thread_ts") or None
        message = self.ws.post(
            Message(channel, self.ws.new_ts(), text, blocks, "chat.postMessage", None, thread_ts)
        )
        return ok(channel=channel, ts=message.ts, message=message.to_api())

    async def chat_post_ephemeral(self, params: dict[str, Any]) -> Result:
        user = params.get("user")
        if not user:
            raise _Invalid("invalid_arguments", ["[ERROR] missing required field: user"])
        channel = self._channel(params)
        if user not in self.ws.users:
            raise _Invalid("user_not_in_channel")
        text, blocks = self._message_content(params)
        message = self.ws.post(
            Message(channel, self.ws.new_ts(), text, blocks, "chat.postEphemeral", user)
        )
        return ok(message_ts=message.ts)

    async def chat_unfurl(self, params: dict[str, Any]) -> Result:
        """docs.slack.dev chat.unfurl: channel and ts (or unfurl_id and source) name the
        message; `unfurls` maps URLs that appear in it (as link_shared said) to blocks or
        an attachment. Another URL: cannot_unfurl_message."""
        channel, ts = params.get("channel"), params.get("ts")
        unfurl_id, source = params.get("unfurl_id"), params.get("source")
        if unfurl_id or source:
            if not (unfurl_id and source):
                raise _Invalid("invalid_arguments", ["[ERROR] unfurl_id and source go together"])
            key = next((k for k in self.ws.shared_links if f"unfurl-{k[1]}" == unfurl_id), None)
        elif channel and ts:
            key = (self._channel(params), str(ts))
        else:
            raise _Invalid("invalid_arguments", ["[ERROR] channel and ts go together"])
        unfurls = _json_field(params, "unfurls", "invalid_unfurls_format")
        if not isinstance(unfurls, dict) or not unfurls:
            raise _Invalid("invalid_arguments", ["[ERROR] unfurls must be a JSON object"])
        shared = self.ws.shared_links.get(key) if key else None
        if shared is None or any(url not in shared for url in unfurls):
            raise _Invalid("cannot_unfurl_message")
        problems: list[str] = []
        for url, card in unfurls.items():
            if not isinstance(card, dict) or not (card.get("blocks") or card.get("text")):
                problems.append(f"[ERROR] {url}: an unfurl needs blocks or text")
            elif card.get("blocks") is not None:
                problems += validate_blocks(card["blocks"], "message", f"/unfurls/{url}/blocks")
        if problems:
            raise _Invalid("invalid_blocks", problems)
        assert key is not None
        self.ws.unfurls.setdefault(key, {}).update(unfurls)
        self.ws.changed()
        return ok()

    def _existing(self, params: dict[str, Any]) -> Message:
        channel = self._channel(params)
        ts = params.get("ts")
        message = self.ws.find_message(channel, ts) if isinstance(ts, str) else None
        if message is None or message.deleted:
            raise _Invalid("message_not_found")
        if message.user != BOT_USER_ID:
            raise _Invalid("cant_update_message")
        return message

    async def chat_update(self, params: dict[str, Any]) -> Result:
        message = self._existing(params)
        text, blocks = self._message_content(params)
        message.text = text if text is not None else message.text
        if blocks is not None:
            message.blocks = fill_block_ids(blocks, f"{message.ts}:{message.edits + 1}")
        message.edits += 1
        self.ws.changed()
        return ok(
            channel=message.channel, ts=message.ts, text=message.text, message=message.to_api()
        )

    async def chat_delete(self, params: dict[str, Any]) -> Result:
        message = self._existing(params)
        message.deleted = True
        self.ws.changed()
        return ok(channel=message.channel, ts=message.ts)

    async def chat_get_permalink(self, params: dict[str, Any]) -> Result:
        # Slack's reference: channel_not_found, message_not_found; no scope required.
        channel = self._channel(params)
        ts = params.get("message_ts")
        message = self.ws.find_message(channel, ts) if isinstance(ts, str) else None
        if message is None or message.deleted:
            raise _Invalid("message_not_found")
        permalink = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        if message.thread_ts and message.thread_ts != ts:
            permalink += f"?thread_ts={message.thread_ts}&cid={channel}"
        return ok(channel=channel, permalink=permalink)

    # ----- views

    def _view(self, params: dict[str, Any], expect: str | None) -> dict[str, Any]:
        view = _json_field(params, "view", "invalid_arguments")
        if view is None:
            raise _Invalid("invalid_arguments", ["[ERROR] missing required field: view"])
        problem = validate_view(view, expect=expect)
        if problem is not None:
            raise _Invalid(*problem)
        return view

    def _trigger_user(self, params: dict[str, Any]) -> str:
        if not params.get("trigger_id"):
            raise _Invalid("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        trigger, error = self.ws.exchange_trigger(params["trigger_id"])
        if trigger is None:
            raise _Invalid(error or "invalid_trigger_id")
        return trigger.user_id

    async def views_open(self, params: dict[str, Any]) -> Result:
        view = self._view(params, "modal")
        user_id = self._trigger_user(params)
        stored = self.ws.make_view(view)
        self.ws.view_stacks[user_id] = [stored["id"]]
        return ok(view=stored)

    async def views_push(self, params: dict[str, Any]) -> Result:
        view = self._view(params, "modal")
        user_id = self._trigger_user(params)
        stack = self.ws.view_stacks.get(user_id, [])
        if not stack:
            raise _Invalid("not_found")
        if len(stack) >= MAX_VIEW_STACK:
            raise _Invalid("push_limit_reached")
        stored = self.ws.make_view(view, root=stack[0])
        stored["previous_view_id"] = stack[-1]
        stack.append(stored["id"])
        return ok(view=stored)

    async def views_update(self, params: dict[str, Any]) -> Result:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise _Invalid("invalid_arguments", ["[ERROR] view_id or external_id is required"])
        old = self.ws.views.get(view_id) if view_id else None
        if old is None and external_id:
            old = next((v for v in self.ws.views.values() if v["external_id"] == external_id), None)
        if old is None:
            raise _Invalid("not_found")
        view = self._view(params, old["type"])
        if params.get("hash") and params["hash"] != old["hash"]:
            raise _Invalid("hash_conflict")
        return ok(view=self.ws.replace_view(old, view))

    async def views_publish(self, params: dict[str, Any]) -> Result:
        user_id = params.get("user_id")
        if not user_id or user_id not in self.ws.users:
            raise _Invalid("user_not_found")
        view = self._view(params, "home")
        current = self.ws.home_views.get(user_id)
        if params.get("hash") and (current is None or params["hash"] != current["hash"]):
            raise _Invalid("hash_conflict")
        if current is not None:
            stored = self.ws.replace_view(current, view)
        else:
            stored = self.ws.make_view(view)
        self.ws.home_views[user_id] = stored
        return ok(view=stored)

    # ----- users and conversations

    async def users_info(self, params: dict[str, Any]) -> Result:
        user = self.ws.users.get(params.get("user") or "")
        if user is None:
            raise _Invalid("user_not_found")
        return ok(user=user.to_api())

    async def users_lookup_by_email(self, params: dict[str, Any]) -> Result:
        user = self.ws.user_by_email(params.get("email") or "")
        if user is None:
            raise _Invalid("users_not_found")
        return ok(user=user.to_api())

    async def users_list(self, params: dict[str, Any]) -> Result:
        members = [u.to_api() for u in self.ws.users.values()]
        try:
            limit = int(params.get("limit") or 0)
            cursor = params.get("cursor") or ""
            start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
        except (ValueError, IndexError) as e:
            raise _Invalid("invalid_cursor") from e
        end = start + limit if limit > 0 else len(members)
        next_cursor = base64.b64encode(f"offset:{end}".encode()).decode()
        return ok(
            members=members[start:end],
            cache_ts=1700000000,
            response_metadata={"next_cursor": next_cursor if end < len(members) else ""},
        )

    async def conversations_open(self, params: dict[str, Any]) -> Result:
        if params.get("channel"):
            channel = self._channel(params)
            return ok(channel={"id": channel})
        raw = params.get("users") or ""
        users = [u.strip() for u in str(raw).split(",") if u.strip()]
        if not users:
            raise _Invalid("users_list_not_supplied")
        unknown = [u for u in users if u not in self.ws.users]
        if unknown:
            raise _Invalid("user_not_found")
        if len(users) > 1:
            raise _Invalid("not_implemented", ["[ERROR] the double only opens 1:1 DMs"])
        channel = self.ws.dm_channel(users[0])
        info: dict[str, Any] = {"id": channel}
        if _truthy(params.get("return_im")):
            info.update(is_im=True, user=users[0], created=1700000000)
        return ok(no_op=False, already_open=False, channel=info)

    # ----- response_url

    async def response_url(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        call = Call(
            "response_url", {"response_id": rid, **(body if isinstance(body, dict) else {})}
        )
        if not isinstance(body, dict):
            return self._answer(call, err("invalid_payload", status=400))
        record = self.ws.response_urls.get(rid)
        if record is None or self.ws.clock.now() - record.created > RESPONSE_URL_TTL_S:
            return self._answer(call, err("expired_url", status=404))
        if record.uses >= RESPONSE_URL_MAX_USES:
            return self._answer(call, err("used_url", status=404))
        delete = _truthy(body.get("delete_original"))
        try:
            text, blocks = self._message_content(body, require=not delete)
        except _Invalid as e:
            return self._answer(call, err(e.error, e.messages, status=400))
        if body.get("response_type") not in (None, "ephemeral", "in_channel"):
            return self._answer(call, err("invalid_response_type", status=400))
        record.uses += 1
        self.ws.responses.append((rid, body))
        self._apply_response(record, body, text, blocks)
        return self._answer(call, ok())

    def _apply_response(
        self, record: ResponseUrl, body: dict[str, Any], text: Any, blocks: Any
    ) -> None:
        """Show the response as Slack would: edit/delete the source message, or post anew."""
        original = (
            self.ws.find_message(record.channel_id, record.message_ts, include_ephemeral=True)
            if record.channel_id and record.message_ts
            else None
        )
        if original is not None and _truthy(body.get("delete_original")):
            original.deleted = True
        elif original is not None and _truthy(body.get("replace_original")):
            original.text, original.edits = text, original.edits + 1
            original.blocks = fill_block_ids(blocks, f"{original.ts}:{original.edits}")
        elif record.channel_id is not None and not _truthy(body.get("delete_original")):
            public = body.get("response_type") == "in_channel"
            self.ws.post(
                Message(
                    record.channel_id,
                    self.ws.new_ts(),
                    text,
                    blocks,
                    "response_url",
                    None if public else record.user_id,
                    body.get("thread_ts"),
                )
            )
        self.ws.changed()
