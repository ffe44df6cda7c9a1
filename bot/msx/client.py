"""HTTP to the Dataverse Web API: headers, paging, retries, throttling, bounded concurrency.

One httpx.AsyncClient a process; tests and the in-process sandbox hand it a transport
(respx, MockTransport, the sandbox's), so they run the very code that talks to MSX. Every
wait goes through the injected `sleep` so tests take no real time. Tokens go only into the
Authorization header.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from bot.config import Settings
from bot.msx.auth import TokenProvider
from bot.msx.collection import Collection
from bot.msx.errors import (
    MsxError,
    MsxUnreachable,
    OffVpn,
    Throttled,
    TokenRejected,
    is_off_vpn,
)
from bot.msx.mapping import FORMATTED_TERM
from bot.msx.odata import encode_query

log = logging.getLogger(__name__)

API_PATH = "/api/data/v9.2/"
MAX_GET_URL = 32_768  # Dataverse's limit for a plain GET
MAX_PAGES = 1_000  # a runaway nextLink chain is a bug, not data
# Requests in flight at once: well under Dataverse's 52 concurrent per user.
MAX_IN_FLIGHT = 16
_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
# Long enough for a page of a big entity set; a hung MSX must still end in MsxUnreachable.
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_ENTITY_ID = re.compile(r"\(([0-9a-fA-F-]{36})\)")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # for 5xx and connection failures, first try included
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    throttle_default_wait: float = 5.0  # a 429 without Retry-After
    throttle_min_wait: float = 1.0  # never spin on "Retry-After: 0"
    throttle_budget: float = 120.0  # total 429 waiting per request


@dataclass(frozen=True)
class MsxEvent:
    """Progress news for a person waiting: MSX throttles us, or we retry a failure."""

    kind: Literal["throttled", "retrying"]
    wait_seconds: float
    reason: str = ""

    @property
    def message(self) -> str:
        if self.kind == "throttled":
            return f"MSX is throttling us; retrying in {self.wait_seconds:.0f} s"
        return f"MSX did not answer ({self.reason}); retrying in {self.wait_seconds:.0f} s"


Listener = Callable[[MsxEvent], None]


class MsxClient:
    """A Dataverse Web API client for one MSX organisation.

    `target` is the Settings or the org root URL (`https://<org>.crm.dynamics.com`).
    """

    tenant_id: str | None  # set in __init__ together with the base URL

    def __init__(
        self,
        target: Settings | str,
        token_provider: TokenProvider,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = MAX_IN_FLIGHT,
        page_size: int = 100,
        retry: RetryPolicy = RetryPolicy(),  # frozen, so one shared default is safe
        on_event: Listener | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        if isinstance(target, Settings):
            base, self.tenant_id = target.msx_base_url, target.msx_tenant_id
        else:
            base, self.tenant_id = target, None
        self.base_url = base.rstrip("/")
        self.api_url = self.base_url + API_PATH
        self.page_size = page_size
        self.retry = retry
        self._tokens = token_provider
        self._on_event = on_event
        self._sleep = sleep
        self._jitter = jitter
        self.bound = max_concurrency
        self._slots = asyncio.Semaphore(max_concurrency)
        self._origin = httpx.URL(self.base_url)
        self._headers = {
            "Accept": "application/json",
            "OData-MaxVersion": "4.0",
            "OData-Version": "4.0",
            # Only the labels we show: "*" would add two more annotations to every lookup
            # in every row, a third of a team page's bytes.
            "Prefer": (
                f'odata.include-annotations="{FORMATTED_TERM}",odata.maxpagesize={page_size}'
            ),
        }
        # No redirects: one would carry the token to another host.
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
        self.requests_sent = 0

    # -- URLs --------------------------------------------------------------------------

    def url(self, path: str, params: dict[str, str] | None = None) -> str:
        """The absolute URL for an API path (e.g. "accounts") and query options."""
        url = self.api_url + path
        if params:
            url += "?" + encode_query(params)
        return url

    # -- reads -------------------------------------------------------------------------

    async def get_json(
        self,
        path: str,
        params: dict[str, str] | None = None,
        *,
        listener: Listener | None = None,
    ) -> dict[str, Any]:
        _refuse_skip(params)
        return await self._get_url(self.url(path, params), listener)

    async def get_collection(
        self,
        path: str,
        params: dict[str, str] | None = None,
        *,
        pages: bool = False,
        listener: Listener | None = None,
    ) -> Collection[dict[str, Any]]:
        """All rows, following `@odata.nextLink` verbatim until there is none. `pages`: the
        entity set is known to give nextLinks, so a full page without one is the end.
        `listener` hears of this request's retries and throttling."""
        _refuse_skip(params)
        rows: list[dict[str, Any]] = []
        url: str | None = self.url(path, params)
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= MAX_PAGES:
                # pragma: no mutate start
                log.warning("Stopped following nextLink for %s after %d pages", path, len(seen))
                # pragma: no mutate end
                truncated = True
                break
            seen.add(url)
            page = await self._get_url(url, listener)
            value = page.get("value") or []
            if not isinstance(value, list):
                raise MsxError(200, "", f"expected a collection from {path}")
            rows.extend(value)
            last_page = len(value)
            next_link = page.get("@odata.nextLink")
            url = self._check_next_link(next_link) if next_link else None
        else:
            # No nextLink, yet a page as full as the cap: MSX may have stopped short. Once
            # it has paged, though, the entity pages: no nextLink then means the end.
            truncated = not pages and len(seen) == 1 and last_page >= self.page_size
        return Collection(rows, truncated)

    def _check_next_link(self, link: object) -> str:
        # Our token goes with the request: never to a host other than MSX's.
        if not isinstance(link, str):
            raise MsxError(200, "", "MSX sent a malformed nextLink")
        target = httpx.URL(link)
        if (target.scheme, target.host, target.port) != (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        ):
            raise MsxError(200, "", "MSX sent a nextLink to another host; not followed")
        return link

    async def _get_url(self, url: str, listener: Listener | None) -> dict[str, Any]:
        response = await self._send("GET", url, listener=listener)
        try:
            data = json.loads(response.content)
        except ValueError:
            raise MsxError(
                response.status_code, "", "MSX answered with something not JSON"
            ) from None
        if not isinstance(data, dict):
            raise MsxError(response.status_code, "", "MSX answered with unexpected JSON")
        return data

    # -- writes ------------------------------------------------------------------------

    async def post(self, path: str, body: dict[str, Any]) -> str:
        """Create a record; its GUID from `OData-EntityId` (or `Location`)."""
        response = await self._send("POST", self.url(path), body=body)
        headers = response.headers
        for value in headers.get_list("OData-EntityId") + headers.get_list("Location"):
            match = _ENTITY_ID.search(value)
            if match:
                return match.group(1).lower()
        raise MsxError(
            response.status_code, "", f"MSX created the {path} record but did not return its id"
        )

    async def patch(self, path: str, body: dict[str, Any]) -> None:
        """Update a record. PATCH is an upsert in Dataverse: `If-Match: *` makes a missing
        record answer 404 instead of being created."""
        await self._send("PATCH", self.url(path), body=body, headers={"If-Match": "*"})

    # -- the request loop --------------------------------------------------------------

    async def _send(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        listener: Listener | None = None,
    ) -> httpx.Response:
        if len(url) > MAX_GET_URL:
            raise ValueError(f"URL of {len(url)} characters is over Dataverse's limit")
        idempotent = method == "GET"
        force_refresh = False
        auth_retried = False
        throttled_for = 0.0
        failures = 0
        while True:
            token = await self._tokens.token(force_refresh=force_refresh)
            force_refresh = False
            try:
                response = await self._attempt(method, url, token, body, headers)
            except httpx.TransportError as exc:
                reason = type(exc).__name__
                # A POST whose answer was lost may have been applied: only re-send it when
                # the connection was never made.
                sure_unsent = isinstance(
                    exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
                )
                failures += 1
                if failures >= self.retry.max_attempts or not (idempotent or sure_unsent):
                    # pragma: no mutate start
                    log.warning("MSX %s %s failed: %s", method, _path_of(url), reason)
                    # pragma: no mutate end
                    raise MsxUnreachable(maybe_applied=not sure_unsent) from exc
                await self._back_off(failures, reason, listener)
                continue

            status = response.status_code
            if status < 400:
                return response
            content = response.content
            if status in (401, 403):
                if status == 403 and is_off_vpn(content):
                    raise OffVpn()
                if not auth_retried:
                    # The guide: the first request after a token refresh sometimes fails.
                    auth_retried = True
                    force_refresh = True
                    continue
                if status == 401:
                    raise TokenRejected(self.tenant_id)
                raise MsxError.from_body(status, content)
            if status == 429:
                wait = self._throttle_wait(response)
                if throttled_for + wait > self.retry.throttle_budget:
                    raise Throttled(throttled_for, wait)
                throttled_for += wait
                self._emit(MsxEvent("throttled", wait), listener)
                await self._sleep(wait)
                continue
            if status in _RETRYABLE_STATUS and idempotent:
                failures += 1
                if failures < self.retry.max_attempts:
                    await self._back_off(failures, f"HTTP {status}", listener)
                    continue
            raise MsxError.from_body(status, content)

    async def _attempt(
        self, method: str, url: str, token: str, body: Any, extra: dict[str, str] | None
    ) -> httpx.Response:
        # The bound covers the request only, never a back-off sleep.
        async with self._slots:
            self.requests_sent += 1
            headers = {**self._headers, **(extra or {}), "Authorization": f"Bearer {token}"}
            # The URL is already encoded (a nextLink goes verbatim): httpx keeps it so.
            return await self._http.request(method, url, headers=headers, json=body)

    async def _back_off(self, failures: int, reason: str, listener: Listener | None) -> None:
        # Full jitter: uniform in [0, min(cap, base * 2^n)).
        ceiling = min(self.retry.backoff_cap, self.retry.backoff_base * 2 ** (failures - 1))
        wait = self._jitter() * ceiling
        self._emit(MsxEvent("retrying", wait, reason=reason), listener)
        await self._sleep(wait)

    def _throttle_wait(self, response: httpx.Response) -> float:
        wait = _retry_after(response.headers.get("Retry-After"))
        if wait is None:
            wait = self.retry.throttle_default_wait
        return max(wait, self.retry.throttle_min_wait)

    def _emit(self, event: MsxEvent, listener: Listener | None) -> None:
        log.info("%s", event.message)  # pragma: no mutate
        for hears in (self._on_event, listener):
            if hears is None:
                continue
            try:
                hears(event)
            except Exception:  # a broken progress bar must not break the request
                log.exception("on_event callback failed")  # pragma: no mutate

    # -- lifecycle ---------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> MsxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"MsxClient({self.base_url!r})"


def _refuse_skip(params: dict[str, str] | None) -> None:
    if params and any(key.lower().removeprefix("$") == "skip" for key in params):
        raise ValueError("MSX does not support $skip; follow @odata.nextLink instead")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (below zero for a
    date past; the caller waits at least throttle_min_wait)."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


def _path_of(url: str) -> str:
    # For logs: the path without the query, which may hold names or emails.
    return httpx.URL(url).path
