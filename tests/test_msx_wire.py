"""The aiohttp wire under MsxClient, over real localhost HTTP.

What the client's retry rules rely on: only a request that surely never left is reported
as a connect failure (a POST is re-sent only then); everything else that MSX sends back,
compressed or not, arrives as httpx would give it.
"""

from __future__ import annotations

import gzip
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.msx.wire import AiohttpWire, Reply
from bot.sandbox import SandboxMsx, SandboxServer

API = "/api/data/v9.2/"
AUTH = {"Authorization": "Bearer sandbox"}


@pytest.fixture
async def served() -> AsyncIterator[tuple[SandboxMsx, SandboxServer]]:
    sb = SandboxMsx(guid_ranges=True)
    server = await sb.serve()
    try:
        yield sb, server
    finally:
        sb.faults.release()
        await server.close()


class Http:
    """AiohttpWire with the few conveniences these tests want."""

    def __init__(self, timeout: float = 2.0) -> None:
        self.wire = AiohttpWire(httpx.Timeout(timeout))

    async def get(self, url: str, headers: dict[str, str] | None = None) -> Reply:
        return await self.wire.request("GET", url, headers or {}, None)

    async def post(self, url: str, headers: dict[str, str], json_body: object) -> Reply:
        body = json.dumps(json_body).encode()
        return await self.wire.request(
            "POST", url, {**headers, "Content-Type": "application/json"}, body
        )


def as_json(reply: Reply) -> Any:
    return json.loads(reply.content)


@pytest.fixture
async def http() -> AsyncIterator[Http]:
    client = Http()
    try:
        yield client
    finally:
        await client.wire.aclose()


async def test_reads_and_writes_reach_msx_whole(
    served: tuple[SandboxMsx, SandboxServer], http: Http
) -> None:
    sb, server = served
    me = await http.get(f"{server.url}{API}WhoAmI", headers=AUTH)
    assert me.status_code == 200 and as_json(me)["UserId"] == sb.dataset.me.user_id
    # Query options go as encoded (a nextLink must go verbatim), and the Prefer header.
    paged = {**AUTH, "Prefer": "odata.maxpagesize=2"}
    accounts = await http.get(
        f"{server.url}{API}accounts?$select=name&$filter=name%20ne%20%27x%27", headers=paged
    )
    assert len(as_json(accounts)["value"]) == 2
    assert accounts.headers["preference-applied"] == "odata.maxpagesize=2"  # any case
    next_link = as_json(accounts)["@odata.nextLink"]
    assert len(as_json(await http.get(next_link, headers=paged))["value"]) == 2
    milestone = sb.dataset.tables["msp_engagementmilestones"][0]["msp_engagementmilestoneid"]
    created = await http.post(
        f"{server.url}{API}tasks",
        AUTH,
        {
            "subject": "Architecture review",
            "msp_taskcategory": 861980004,
            "regardingobjectid_msp_engagementmilestone@odata.bind": (
                f"/msp_engagementmilestones({milestone})"
            ),
        },
    )
    assert created.status_code == 204, created.content
    assert [t["subject"] for t in sb.created_tasks] == ["Architecture review"]


async def test_an_error_answer_is_an_answer(
    served: tuple[SandboxMsx, SandboxServer], http: Http
) -> None:
    _, server = served
    answer = await http.get(f"{server.url}{API}accounts?$skip=1", headers=AUTH)
    assert answer.status_code == 400
    assert "Skip Clause" in as_json(answer)["error"]["message"]


async def test_nobody_listening_is_a_connect_error(http: Http) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the request: nobody listens
    with pytest.raises(httpx.ConnectError):
        await http.get(f"http://127.0.0.1:{port}{API}WhoAmI")


async def test_a_connection_dropped_after_sending_is_not_a_connect_error(
    served: tuple[SandboxMsx, SandboxServer], http: Http
) -> None:
    sb, server = served
    sb.faults.drop(kind="reset")
    with pytest.raises(httpx.TransportError) as caught:
        await http.post(f"{server.url}{API}tasks", AUTH, {"subject": "x"})
    # The request may have been applied: the client must not treat it as never sent.
    assert not isinstance(caught.value, httpx.ConnectError | httpx.ConnectTimeout)


async def test_a_hanging_msx_is_a_read_timeout(
    served: tuple[SandboxMsx, SandboxServer],
) -> None:
    sb, server = served
    sb.faults.hang = True
    http = Http(timeout=0.2)
    try:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"{server.url}{API}WhoAmI", headers=AUTH)
    finally:
        await http.wire.aclose()


async def test_a_compressed_answer_is_decoded(http: Http) -> None:
    # MSX compresses JSON when asked to (httpx asks); the body must come out decoded.
    payload = {"value": [{"name": "Café Nordström AB"}]}

    async def answer(request: web.Request) -> web.Response:
        assert "gzip" in request.headers["Accept-Encoding"]
        return web.Response(
            body=gzip.compress(json.dumps(payload).encode()),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    app = web.Application()
    app.router.add_get("/data", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        got = await http.get(f"http://127.0.0.1:{port}/data")
        assert as_json(got) == payload
    finally:
        await runner.cleanup()


async def test_requests_go_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch, http: Http
) -> None:
    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        seen.append(str(request.url))  # a proxy is asked for the absolute URL
        return web.json_response({"UserId": "someone"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1")
    try:
        # No DNS here: the proxy is asked, not msx.proxied.test.
        reply = await http.get("http://msx.proxied.test/api/data/v9.2/WhoAmI", AUTH)
        assert reply.status_code == 200
        assert seen == ["http://msx.proxied.test/api/data/v9.2/WhoAmI"]
        # NO_PROXY's hosts are asked directly: here, a port nobody listens on.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{closed}/api/data/v9.2/WhoAmI", AUTH)
        assert len(seen) == 1
    finally:
        await runner.cleanup()
