"""The real bot (Bolt app, Socket Mode handler) wired to the Slack double and the sandbox."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_double import Clock, Envelope, Message, SlackDouble

from bot.config import Settings
from bot.runtime import Runtime
from bot.sandbox import SandboxMsx
from bot.slack.app import build_app
from bot.slack.deps import BotDeps
from bot.slack.runner import build_deps, slack_client
from bot.slack.task_flow import start_outbox

OWNER = "UOWNER"
COLLEAGUE = "UCOLLEAGUE"
STRANGER = "USTRANGER"


@dataclass
class Harness:
    slack: SlackDouble
    sandbox: SandboxMsx
    runtime: Runtime
    deps: BotDeps
    handler: AsyncSocketModeHandler

    async def command(self, user: str, text: str, channel: str = "C1") -> dict:
        """Send `/msx <text>`, wait for the ack and the final reply; return the reply JSON."""
        before = len(self.slack.responses)
        env = await self.slack.send_slash_command(user, "/msx", text, channel_id=channel)
        await self.slack.wait_ack(env)
        return await self.wait_reply(before)

    async def send(self, user: str, text: str, channel: str = "C1") -> Envelope:
        """Send `/msx <text>` and wait for the ack only."""
        env = await self.slack.send_slash_command(user, "/msx", text, channel_id=channel)
        await self.slack.wait_ack(env)
        return env

    def last_message(self, user: str = OWNER) -> Message:
        """The newest message `user` sees (replies are ephemeral, so only they see them)."""
        return self.slack.seen_by(user)[-1]

    async def click(
        self, user: str, action_id: str, message: Message | None = None, **kwargs: Any
    ) -> dict:
        """Click a button on a message the user sees; wait for the ack and the bot's answer."""
        before = len(self.slack.responses)
        env = await self.slack.send_block_action(
            user, action_id, message=message or self.last_message(user), **kwargs
        )
        await self.slack.wait_ack(env)
        return await self.wait_reply(before)

    async def wait_reply(
        self, before: int, *, final: bool = True, to: Envelope | None = None
    ) -> dict:
        """The newest reply posted since `before` (only to `to`'s response URL, if given);
        with `final`, progress lines ("Refreshing…") do not count."""

        def done() -> dict | None:
            new = [
                body
                for rid, body in self.slack.responses[before:]
                if to is None or (to.response_url or "").endswith(f"/{rid}")
            ]
            if not new:
                return None
            last = new[-1]
            text = str(last.get("blocks") or last.get("text"))
            if final and "Refreshing" in text and ":arrows_counterclockwise:" in text:
                return None  # a progress line: the answer is still to come
            if final and "Refreshing from MSX" in text:
                return None
            return last

        return await self.slack.wait_for(done, timeout=10)


def action_ids(reply: dict) -> list[str]:
    """The action_ids of every element in a reply, in order."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("action_id"), str):
                found.append(node["action_id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(reply.get("blocks") or [])
    return found


def buttons(reply: dict) -> dict[str, dict]:
    """Buttons by action_id."""
    out: dict[str, dict] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "button" and isinstance(node.get("action_id"), str):
                out[node["action_id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(reply.get("blocks") or [])
    return out


def mrkdwn_texts(blocks: object) -> list[str]:
    """Every mrkdwn text in blocks: where Slack would parse `<!channel>` and mentions."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return out


def everything_sent(slack: SlackDouble) -> list[str]:
    """Every mrkdwn text and top-level text the bot sent anywhere (posts, responses, views)."""
    out: list[str] = []
    for call in slack.calls:
        params = call.params
        for key in ("text",):
            if isinstance(params.get(key), str):
                out.append(params[key])
        for key in ("blocks", "view"):
            value = params.get(key)
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    out.append(value)
                    continue
            out.extend(mrkdwn_texts(value))
    return out


def texts(reply: dict) -> str:
    """Every text a person can read in a reply, in one string."""
    out: list[str] = [reply.get("text") or ""]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    out.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(reply.get("blocks") or [])
    return "\n".join(out)


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    sandbox: SandboxMsx | None = None,
    allowed: tuple[str, ...] = (COLLEAGUE,),
    transport_from_server: bool = False,
    learn_owner_first: bool = True,
    slack_clock: Clock | None = None,
) -> AsyncIterator[Harness]:
    """With `learn_owner_first=False` the bot asks MSX who its owner is in the background,
    as `msx-bot run` does, instead of before it connects."""
    sandbox = sandbox or SandboxMsx()
    data = sandbox.dataset
    async with SlackDouble(
        bot_token="xoxb-test", app_token="xapp-test", clock=slack_clock
    ) as slack:
        slack.add_user(OWNER, "avery", data.me.email, real_name=data.me.name)
        colleague = data.colleagues[0]
        slack.add_user(COLLEAGUE, "jordan", colleague.email, real_name=colleague.name)
        slack.add_user(STRANGER, "mallory", "mallory@example.com", real_name="Mallory")
        server = await sandbox.serve() if transport_from_server else None
        settings = Settings(
            msx_base_url=server.url if server else "https://msx.sandbox.test",
            msx_access_token=SecretStr("sandbox"),
            msx_bot_db=tmp_path / "bot.db",
            slack_bot_token=SecretStr("xoxb-test"),
            slack_app_token=SecretStr("xapp-test"),
            slack_api_url=slack.api_url,
            msx_bot_allowed_users=allowed,
        )
        transport = None if server else sandbox.transport()
        runtime = Runtime.open(settings, transport=transport)
        client = slack_client(settings, SecretStr("xoxb-test"))
        deps = build_deps(runtime, client)
        learning = None
        if learn_owner_first:
            await deps.learn_owner()
        else:
            learning = deps.learn_owner_soon()
        handler = AsyncSocketModeHandler(
            build_app(deps, client),
            "xapp-test",
            web_client=slack_client(settings, SecretStr("xapp-test")),
        )
        await handler.connect_async()
        await slack.wait_connected()
        outbox = start_outbox(deps, client)  # the task outbox worker, as `msx-bot run` starts it
        try:
            yield Harness(slack, sandbox, runtime, deps, handler)
        finally:
            if learning is not None:
                learning.cancel()
            outbox.cancel()
            await handler.close_async()
            await runtime.aclose()
            if server:
                await server.close()


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)
