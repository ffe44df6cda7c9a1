"""A small world for the task tests: the sandbox behind a transport that can lose answers
or refuse connections, a store on a file, a clock the test moves, a sleep that never waits."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.domain import TaskDraft, TaskPriority
from bot.msx.client import MsxClient, RetryPolicy
from bot.sandbox import SandboxMsx
from bot.sandbox.data import build_dataset
from bot.store import SnapshotStore
from bot.workflows.log_task import TaskLogger
from bot.workflows.outbox import Outbox

BASE = "https://msx.sandbox.test"
T0 = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class NoSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


class Network:
    """Between the bot and the sandbox: `refuse` connections (nothing reaches MSX) or
    `lose` answers (MSX does the work, the answer never comes back: a read timeout)."""

    def __init__(self, sandbox: SandboxMsx) -> None:
        self.inner = sandbox.transport()
        self.refusing = False
        self.lose: list[str] = []  # methods whose next answer is lost, in order
        self.fail: dict[str, int] = {}  # method -> status its next request gets, unsent to MSX
        self.refuse: list[str] = []  # methods whose next connection is refused, in order
        # Methods whose next request times out before it reaches MSX, in order: to the bot
        # it looks like `lose` (it may have been applied), but MSX never saw it.
        self.drop: list[str] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if self.refusing or _next(self.refuse, request):
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if _next(self.drop, request):
            raise httpx.ReadTimeout("timed out", request=request)
        if request.method in self.fail:
            status = self.fail.pop(request.method)
            error = {"error": {"code": "0x80040216", "message": "An unexpected error occurred."}}
            return httpx.Response(status, json=error)
        response = await self.inner.handle_async_request(request)
        if self.lose and self.lose[0] == request.method:
            self.lose.pop(0)
            raise httpx.ReadTimeout("timed out", request=request)
        return response

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(self.handle)


def _next(methods: list[str], request: httpx.Request) -> bool:
    if methods and methods[0] == request.method:
        methods.pop(0)
        return True
    return False


class Tokens:
    def __init__(self) -> None:
        self.problem: Exception | None = None

    async def token(self, *, force_refresh: bool = False) -> str:
        if self.problem is not None:
            raise self.problem
        return "sandbox"


@dataclass
class World:
    path: Path
    sandbox: SandboxMsx
    network: Network
    tokens: Tokens
    clock: Clock
    sleep: NoSleep
    client: MsxClient
    store: SnapshotStore
    logger: TaskLogger
    outbox: Outbox
    told: list[Any] = field(default_factory=list)

    @property
    def me(self) -> str:
        return self.sandbox.dataset.me.user_id

    def milestone(self, n: int = 0) -> tuple[str, str]:
        """(milestone id, account id) of a milestone of mine."""
        ds = self.sandbox.dataset
        row = ds.tables["msp_engagementmilestones"][n]
        return row["msp_engagementmilestoneid"], row["_msp_parentaccount_value"]

    def draft(self, **change: Any) -> TaskDraft:
        milestone, account = self.milestone()
        fields: dict[str, Any] = {
            "account_id": account,
            "milestone_id": milestone,
            "category_code": 861980004,
            "subject": "Architecture review with Contoso",
            "minutes": 90,
            "date": dt.date(2026, 12, 3),
            "priority": TaskPriority.HIGH,
            "description": "Landing zone and networking",
        }
        return TaskDraft(**(fields | change))

    def posts(self) -> list[str]:
        return self.sandbox.stats.paths("POST")

    def requests(self) -> list[tuple[str, str]]:
        return list(self.sandbox.stats.log)

    async def notify(self, task: Any) -> None:
        self.told.append(task)

    def restart(self) -> World:
        """A new process on the same database file (and the same MSX)."""
        self.store.close()
        return make_world(self.path, self.sandbox, self.network, self.tokens, self.clock)


def make_world(
    path: Path,
    sandbox: SandboxMsx | None = None,
    network: Network | None = None,
    tokens: Tokens | None = None,
    clock: Clock | None = None,
) -> World:
    sandbox = sandbox or SandboxMsx(build_dataset(accounts=8))
    network = network or Network(sandbox)
    tokens = tokens or Tokens()
    clock = clock or Clock()
    sleep = NoSleep()
    client = MsxClient(
        BASE,
        tokens,
        transport=network.transport(),
        sleep=sleep,
        jitter=lambda: 0.0,
        retry=RetryPolicy(max_attempts=2),
    )
    store = SnapshotStore(path)
    logger = TaskLogger(store, client, now=clock)
    outbox = Outbox(logger, sleep=sleep)
    return World(path, sandbox, network, tokens, clock, sleep, client, store, logger, outbox)
