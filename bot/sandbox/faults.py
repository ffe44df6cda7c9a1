"""Switchable failures and request statistics. Every count means "the next N requests",
so a test states exactly which request fails and nothing depends on timing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.sandbox.schema import CODE_BLOCKED_IP, CODE_THROTTLED, ODataError


class ConnectionDropped(Exception):
    """The request dies without an answer; adapters turn it into a transport failure.

    kind "connect": never connected (httpx.ConnectError); "reset": the server hung up
    mid-request (httpx.RemoteProtocolError).
    """

    def __init__(self, kind: str = "connect") -> None:
        super().__init__(f"sandbox dropped the connection ({kind})")
        self.kind = kind


@dataclass
class Stats:
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    # (method, path and query, percent-decoded) per request, in arrival order.
    log: list[tuple[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        self.requests = self.in_flight = self.max_in_flight = 0
        self.log.clear()

    def paths(self, method: str = "GET") -> list[str]:
        return [p for m, p in self.log if m == method]


@dataclass
class _EntityFault:
    remaining: int
    status: int
    code: str
    message: str


class Faults:
    def __init__(self) -> None:
        self.off_vpn = False
        self.latency = 0.0  # seconds a round trip: half before MSX works on it, half after
        self._throttle: list[int] = []  # Retry-After per pending 429
        self._server_errors: list[int] = []
        self._drops: list[str] = []
        self._fail_after: int | None = None
        self._entity: dict[str, _EntityFault] = {}
        self.reject_on_token_change = False
        self.reject_status = 401
        self._hang = False
        self._released = asyncio.Event()

    # ---- switches ----

    def throttle(self, n: int = 1, retry_after: int = 2) -> None:
        self._throttle.extend([retry_after] * n)

    def server_error(self, n: int = 1, status: int = 503) -> None:
        self._server_errors.extend([status] * n)

    def drop(self, n: int = 1, kind: str = "connect") -> None:
        if kind not in ("connect", "reset"):
            raise ValueError("kind is 'connect' or 'reset'")
        self._drops.extend([kind] * n)

    def fail_after(self, n: int) -> None:
        """After n more 2xx answers every request is a connection failure (the VPN drops)."""
        self._fail_after = n

    def reject_first_after_token_change(self, status: int = 401) -> None:
        """From now on, the first request bearing a new token is refused once (guide gotcha 6)."""
        self.reject_on_token_change = True
        self.reject_status = status

    def fail_entity(
        self,
        set_name: str,
        n: int = 1,
        status: int = 500,
        code: str = "0x80040224",
        message: str = "Request header name and value is invalid.",
    ) -> None:
        """Next n requests to one entity set fail (msp_accountteams' recurring outage)."""
        self._entity[set_name] = _EntityFault(n, status, code, message)

    @property
    def hang(self) -> bool:
        return self._hang

    @hang.setter
    def hang(self, value: bool) -> None:
        self._hang = value
        if value:
            self._released.clear()
        else:
            self._released.set()

    def release(self) -> None:
        """Let every hanging request go on (and stop hanging new ones)."""
        self.hang = False

    def clear(self) -> None:
        """Every switch back to healthy (hanging requests are let go first)."""
        self._released.set()
        self.__init__()  # type: ignore[misc]

    # ---- applied by the app ----

    async def before(self, sleep: Callable[[float], Awaitable[None]]) -> None:
        """Delays, drops and network-level refusals, in the order a network would show them."""
        if self.latency:
            # Half the round trip on the way in: MSX works on a request as it arrives.
            await sleep(self.latency / 2)
        if self._hang:
            await self._released.wait()
        if self._fail_after is not None and self._fail_after <= 0:
            raise ConnectionDropped("connect")
        if self._drops:
            raise ConnectionDropped(self._drops.pop(0))
        if self.off_vpn:
            raise ODataError(
                403,
                CODE_BLOCKED_IP,
                "Access is denied: the IP address is blocked by the organization's network "
                "policy. Connect to the corporate network (VPN) and try again.",
            )
        if self._throttle:
            retry = self._throttle.pop(0)
            raise ODataError(
                429,
                CODE_THROTTLED,
                "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
                {"Retry-After": str(retry)},
            )
        if self._server_errors:
            status = self._server_errors.pop(0)
            raise ODataError(
                status,
                "0x80040216",
                "An unexpected error occurred." if status != 503 else "Service Unavailable",
            )

    async def after(self, sleep: Callable[[float], Awaitable[None]]) -> None:
        """The answer's way back: the other half of the round trip."""
        if self.latency:
            await sleep(self.latency / 2)

    def for_entity(self, set_name: str) -> None:
        fault = self._entity.get(set_name)
        if fault and fault.remaining > 0:
            fault.remaining -= 1
            raise ODataError(fault.status, fault.code, fault.message)

    def note_success(self) -> None:
        if self._fail_after is not None and self._fail_after > 0:
            self._fail_after -= 1
