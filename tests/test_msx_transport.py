"""The aiohttp transport under MsxClient, over real localhost HTTP.

What the client's retry rules rely on: only a request that surely never left is reported
as a connect failure (a POST is re-sent only then); everything else that MSX sends back,
compressed or not, arrives as httpx would give it.
"""

from __future__ import annotations

import gzip
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from bot.msx.transport import AiohttpTransport
from bot.sandbox import SandboxMsx, SandboxServer

API = "/api/data/v9.2/"
AUTH = {"Authorization": "Bearer sandbox"}


@pytest.fixture
async def served() -> AsyncIterator[tuple[SandboxMsx, SandboxServer]]:
    sb = SandboxMsx()
    server = await sb.serve()
    try:
        yield sb, server
    finally:
        sb.faults.release()
        await server.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=2.0) as client:
        yield client


async def test_reads_and_writes_reach_msx_whole(
    served: tuple[SandboxMsx, SandboxServer], http: httpx.AsyncClient
) -> None:
    sb, server = served
    me = await http.get(f"{server.url}{API}WhoAmI", headers=AUTH)
    assert me.status_code == 200 and me.json()["UserId"] == sb.dataset.me.user_id
    # Query options, the Prefer header and a JSON body all get through.
    accounts = await http.get(
        f"{server.url}{API}accounts",
        params={"$select": "name", "$filter": "name ne 'x'"},
        headers={**AUTH, "Prefer": "odata.maxpagesize=2"},
    )
    assert len(accounts.json()["value"]) == 2
    assert accounts.headers["Preference-Applied"] == "odata.maxpagesize=2"
    milestone = sb.dataset.tables["msp_engagementmilestones"][0]["msp_engagementmilestoneid"]
    created = await http.post(
        f"{server.url}{API}tasks",
        headers=AUTH,
        json={
            "subject": "Architecture review",
            "msp_taskcategory": 861980004,
            "regardingobjectid_msp_engagementmilestone@odata.bind": (
                f"/msp_engagementmilestones({milestone})"
            ),
        },
    )
    assert created.status_code == 204, created.text
    assert [t["subject"] for t in sb.created_tasks] == ["Architecture review"]


async def test_an_error_answer_is_an_answer(
    served: tuple[SandboxMsx, SandboxServer], http: httpx.AsyncClient
) -> None:
    _, server = served
    answer = await http.get(f"{server.url}{API}accounts?$skip=1", headers=AUTH)
    assert answer.status_code == 400
    assert "Skip Clause" in answer.json()["error"]["message"]


async def test_nobody_listening_is_a_connect_error(http: httpx.AsyncClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the request: nobody listens
    with pytest.raises(httpx.ConnectError):
        await http.get(f"http://127.0.0.1:{port}{API}WhoAmI")


async def test_a_connection_dropped_after_sending_is_not_a_connect_error(
    served: tuple[SandboxMsx, SandboxServer], http: httpx.AsyncClient
) -> None:
    sb, server = served
    sb.faults.drop(kind="reset")
    with pytest.raises(httpx.TransportError) as caught:
        await http.post(f"{server.url}{API}tasks", headers=AUTH, json={"subject": "x"})
    # The request may have been applied: the client must not treat it as never sent.
    assert not isinstance(caught.value, httpx.ConnectError | httpx.ConnectTimeout)


async def test_a_hanging_msx_is_a_read_timeout(
    served: tuple[SandboxMsx, SandboxServer],
) -> None:
    sb, server = served
    sb.faults.hang = True
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"{server.url}{API}WhoAmI", headers=AUTH)


async def test_a_compressed_answer_is_decoded(http: httpx.AsyncClient) -> None:
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
        assert got.json() == payload
    finally:
        await runner.cleanup()
