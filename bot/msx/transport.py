"""An httpx transport that sends over aiohttp.

httpx's own pool (httpcore on anyio) costs ~2–3 ms of CPU a request under 16 concurrent
requests, more than parsing a 100-row page; aiohttp's costs a fifth of that. An import
makes ~100 requests, so this is a large part of its CPU. The client keeps httpx's API
(and respx / MockTransport in tests); only the wire changes.

Failures are mapped onto httpx's exception types with one rule the client relies on:
only a failure before the request was sent (no connection) becomes ConnectError or
ConnectTimeout, since a POST is re-sent only then. (httpx-aiohttp maps every
ClientConnectionError, a dropped connection after sending included, to ConnectTimeout,
which would create a task twice.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import httpx


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_connections: int = 100) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use: a ClientSession belongs to the running event loop.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                auto_decompress=False,  # httpx decodes Content-Encoding itself
                skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
                trust_env=True,  # HTTPS_PROXY / NO_PROXY, as httpx's own transport
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        limits = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=limits.get("connect"), sock_read=limits.get("read")
        )
        content = request.content  # our requests are small and already read
        with _as_httpx_errors(request):
            async with self._client().request(
                request.method,
                str(request.url),
                headers=list(request.headers.multi_items()),
                data=content or None,
                allow_redirects=False,
                timeout=timeout,
            ) as response:
                body = await response.read()
        return httpx.Response(
            response.status,
            headers=list(response.raw_headers),
            content=body,
            request=request,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc), request=request) from exc
    except TimeoutError as exc:  # aiohttp.SocketTimeoutError is one too
        raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
    except aiohttp.ServerDisconnectedError as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    except aiohttp.ClientError as exc:
        # Sent or not, we cannot tell: never a connect error.
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
