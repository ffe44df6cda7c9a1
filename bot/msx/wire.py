"""How MsxClient's requests reach MSX: aiohttp for real, or any httpx transport.

For real, requests go straight through aiohttp: httpx's own layers (URL parsing, request
and response models, its connection pool) cost ~2 ms of CPU a request under 16 concurrent
requests, more than parsing a 100-row page, and an import makes ~100 requests. Tests and
the in-process sandbox hand MsxClient an httpx transport (respx, MockTransport), which
keeps going through httpx.

Either way failures surface as httpx's exception types, with one rule the client relies
on: only a failure before the request was sent (no connection) is a ConnectError or
ConnectTimeout, since a POST is re-sent only then.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx
import yarl


class Reply(Protocol):
    """What the client reads of an answer (an httpx.Response is one)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...  # case-insensitive
    @property
    def content(self) -> bytes: ...


class Wire(Protocol):
    async def request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Reply: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class AiohttpReply:
    status_code: int
    headers: Mapping[str, str]
    content: bytes


class AiohttpWire:
    def __init__(self, timeout: httpx.Timeout) -> None:
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout.connect, sock_read=timeout.read
        )
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use: a ClientSession belongs to the running event loop.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, skip_auto_headers=("User-Agent",)
            )
        return self._session

    def _proxy(self, url: yarl.URL) -> str | None:
        """HTTPS_PROXY / NO_PROXY, as httpx reads them, looked up once an origin. (aiohttp's
        trust_env looks them, and ~/.netrc, up again in a thread on every request.)"""
        origin = (url.scheme, url.host or "")
        if origin not in self._proxies:
            bypass = bool(url.host) and urllib.request.proxy_bypass(url.host or "")
            self._proxies[origin] = None if bypass else urllib.request.getproxies().get(url.scheme)
        return self._proxies[origin]

    async def request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> AiohttpReply:
        target = yarl.URL(url, encoded=True)  # already encoded: a nextLink goes verbatim
        with as_httpx_errors():
            async with self._client().request(
                method,
                target,
                headers=headers,
                data=body,
                allow_redirects=False,  # a redirect would carry the token elsewhere
                proxy=self._proxy(target),
            ) as response:
                return AiohttpReply(response.status, response.headers, await response.read())

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class HttpxWire:
    def __init__(self, transport: httpx.AsyncBaseTransport, timeout: httpx.Timeout) -> None:
        self.http = httpx.AsyncClient(transport=transport, timeout=timeout)

    async def request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> httpx.Response:
        return await self.http.request(method, url, headers=headers, content=body)

    async def aclose(self) -> None:
        await self.http.aclose()


@contextmanager
def as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc) or "connect timed out") from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc)) from exc
    except TimeoutError as exc:  # aiohttp.SocketTimeoutError is one too
        raise httpx.ReadTimeout(str(exc) or "read timed out") from exc
    except aiohttp.ServerDisconnectedError as exc:
        raise httpx.RemoteProtocolError(str(exc)) from exc
    except aiohttp.ClientError as exc:
        # Sent or not, we cannot tell: never a connect error.
        raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
