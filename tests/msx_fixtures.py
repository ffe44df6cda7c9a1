"""Helpers for the bot/msx tests: a respx router as transport, a fake clock-free sleep,
a counting token provider. Plain functions, so test modules import what they need."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
import respx

from bot.msx.client import MsxClient, MsxEvent, RetryPolicy
from bot.msx.gateway import MsxGateway

BASE = "https://msx.example.test"
API = BASE + "/api/data/v9.2/"
API_PATH = "/api/data/v9.2/"
SECRET = "eyJ0eXAiOiJKV1Qi.SECRET-TOKEN-DO-NOT-LEAK"


class FakeTokens:
    """Hands out SECRET-1, SECRET-2...; a forced refresh moves to the next one."""

    def __init__(self) -> None:
        self.generation = 1
        self.calls = 0
        self.forced = 0

    @property
    def current(self) -> str:
        return f"{SECRET}-{self.generation}"

    async def token(self, *, force_refresh: bool = False) -> str:
        self.calls += 1
        if force_refresh:
            self.forced += 1
            self.generation += 1
        return self.current


class FakeSleep:
    """Records each wait and only yields to the loop: tests take no real time."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


@dataclass
class Harness:
    router: respx.MockRouter
    client: MsxClient
    tokens: FakeTokens
    sleep: FakeSleep
    events: list[MsxEvent] = field(default_factory=list)

    def gateway(self) -> MsxGateway:
        return MsxGateway(self.client)


def make_harness(**client_kwargs: Any) -> Harness:
    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    tokens = FakeTokens()
    sleep = FakeSleep()
    events: list[MsxEvent] = []
    client_kwargs.setdefault("retry", RetryPolicy())
    client = MsxClient(
        BASE,
        tokens,
        transport=httpx.MockTransport(router.async_handler),
        sleep=sleep,
        on_event=events.append,
        jitter=lambda: 1.0,
        **client_kwargs,
    )
    return Harness(router, client, tokens, sleep, events)


def query(request: httpx.Request) -> dict[str, str]:
    """The request's query options, percent-decoded exactly once (no '+' as space)."""
    raw = request.url.query.decode("ascii")
    pairs = [part.split("=", 1) for part in raw.split("&") if part]
    return {unquote(k): unquote(v) for k, v in pairs}


def page(rows: list[dict[str, Any]], next_link: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"value": rows}
    if next_link:
        body["@odata.nextLink"] = next_link
    return httpx.Response(200, json=body)


def dataverse_error(status: int, code: str, message: str, **kw: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}}, **kw)


def gid(n: int) -> str:
    """A deterministic GUID for test records."""
    return f"00000000-0000-4000-8000-{n:012d}"
