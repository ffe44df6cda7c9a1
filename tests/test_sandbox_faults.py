"""Faults, statistics, and the real localhost server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.sandbox import SandboxMsx, build_dataset

API = "https://msx.test/api/data/v9.2/"
DS = build_dataset(accounts=10)
AUTH = {"Authorization": "Bearer sandbox"}


@pytest.fixture
def sb() -> SandboxMsx:
    return SandboxMsx(DS)


@pytest.fixture
async def client(sb: SandboxMsx) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sb.transport(), base_url=API, headers=AUTH) as c:
        yield c


async def until(condition: object, steps: int = 200) -> None:
    """Yield to the loop until a condition holds (no wall-clock sleeps)."""
    for _ in range(steps):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def test_throttle_next_n_requests(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    sb.faults.throttle(n=2, retry_after=7)
    for _ in range(2):
        r = await client.get("WhoAmI")
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "7"
        assert r.json()["error"]["code"] == "0x80072322"
    assert (await client.get("WhoAmI")).status_code == 200


@pytest.mark.parametrize("status", [500, 503])
async def test_server_error(client: httpx.AsyncClient, sb: SandboxMsx, status: int) -> None:
    sb.faults.server_error(status=status)
    r = await client.get("accounts")
    assert r.status_code == status and r.json()["error"]["code"].startswith("0x")
    assert (await client.get("accounts")).status_code == 200


async def test_default_server_error_is_503(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    sb.faults.server_error()
    assert (await client.get("WhoAmI")).status_code == 503


async def test_reject_first_request_after_token_change(
    client: httpx.AsyncClient, sb: SandboxMsx
) -> None:
    sb.tokens = {"one", "two"}
    sb.faults.reject_first_after_token_change()

    async def status(token: str) -> int:
        return (
            await client.get("WhoAmI", headers={"Authorization": f"Bearer {token}"})
        ).status_code

    assert [await status("one"), await status("one")] == [200, 200]
    assert [await status("two"), await status("two")] == [401, 200]
    assert [await status("one"), await status("one")] == [401, 200]


async def test_drop_fails_at_connection_level(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    sb.faults.drop()
    with pytest.raises(httpx.ConnectError):
        await client.get("WhoAmI")
    sb.faults.drop(kind="reset")
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get("WhoAmI")
    assert (await client.get("WhoAmI")).status_code == 200
    with pytest.raises(ValueError):
        sb.faults.drop(kind="sideways")


async def test_off_vpn_is_403_blocked_ip(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    sb.faults.off_vpn = True
    for headers in (AUTH, {"Authorization": ""}):
        r = await client.get("accounts", headers=headers)
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "0x80095ffe"
        assert "IP address is blocked" in r.json()["error"]["message"]
    sb.faults.off_vpn = False
    assert (await client.get("accounts")).status_code == 200


async def test_fail_after_n_successes(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    sb.faults.fail_after(2)
    assert (await client.get("WhoAmI")).status_code == 200
    assert (await client.get("Nope")).status_code == 404  # failures do not count
    assert (await client.get("accounts")).status_code == 200
    for _ in range(3):
        with pytest.raises(httpx.ConnectError):
            await client.get("WhoAmI")
    sb.faults.clear()
    assert (await client.get("WhoAmI")).status_code == 200


async def test_entity_fault_hits_only_that_set(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    sb.faults.fail_entity("msp_accountteams")
    assert (await client.get("accounts")).status_code == 200
    r = await client.get("msp_accountteams")
    assert r.status_code == 500 and r.json()["error"]["code"] == "0x80040224"
    assert (await client.get("msp_accountteams")).status_code == 200


async def test_latency_uses_the_injected_sleep() -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    sb = SandboxMsx(DS, sleep=fake_sleep)
    sb.faults.latency = 0.25
    async with httpx.AsyncClient(transport=sb.transport(), base_url=API, headers=AUTH) as c:
        await c.get("WhoAmI")
        await c.get("accounts")
    # Half on the way in, half on the way back, for each request.
    assert slept == [0.125, 0.125, 0.125, 0.125]


async def test_hang_until_released_and_max_in_flight(
    client: httpx.AsyncClient, sb: SandboxMsx
) -> None:
    sb.faults.hang = True
    tasks = [asyncio.create_task(client.get("WhoAmI")) for _ in range(5)]
    await until(lambda: sb.stats.in_flight == 5)
    assert not any(t.done() for t in tasks)
    sb.faults.release()
    responses = await asyncio.gather(*tasks)
    assert [r.status_code for r in responses] == [200] * 5
    assert sb.stats.max_in_flight == 5 and sb.stats.in_flight == 0


async def test_stats_count_log_and_reset(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    await client.get("WhoAmI")
    await client.get("accounts", params={"$select": "name", "$filter": "name eq 'O''Reilly Media'"})
    sb.faults.drop()
    with pytest.raises(httpx.ConnectError):
        await client.get("territories")
    assert sb.stats.requests == 3
    assert sb.stats.log == [
        ("GET", "/api/data/v9.2/WhoAmI"),
        ("GET", "/api/data/v9.2/accounts?$select=name&$filter=name eq 'O''Reilly Media'"),
        ("GET", "/api/data/v9.2/territories"),
    ]
    assert sb.stats.max_in_flight == 1
    sb.stats.reset()
    assert (sb.stats.requests, sb.stats.log, sb.stats.max_in_flight) == (0, [], 0)


async def test_faults_apply_in_order_and_clear(client: httpx.AsyncClient, sb: SandboxMsx) -> None:
    sb.faults.throttle()
    sb.faults.server_error()
    assert (await client.get("WhoAmI")).status_code == 429
    assert (await client.get("WhoAmI")).status_code == 503
    sb.faults.throttle(n=3)
    sb.faults.off_vpn = True
    sb.faults.clear()
    assert (await client.get("WhoAmI")).status_code == 200


# ---- the real server ----


async def test_real_server_end_to_end() -> None:
    sb = SandboxMsx(DS)
    server = await sb.serve()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=server.api_url, headers=AUTH) as c:
            assert (await c.get("WhoAmI")).json()["UserId"] == DS.me.user_id
            big = DS.special["big_milestones"]
            params = {"$filter": f"_msp_parentaccount_value eq {big}", "$select": "msp_name"}
            body = (await c.get("msp_engagementmilestones", params=params)).json()
            assert body["@odata.nextLink"].startswith(server.api_url)
            rest = (await c.get(body["@odata.nextLink"])).json()
            assert len(body["value"]) + len(rest["value"]) == len(DS.milestones_of[big])
            assert (
                await c.get("accounts", headers={"Authorization": "Bearer x"})
            ).status_code == 401
            long_filter = " or ".join(f"accountid eq {DS.me.user_id}" for _ in range(800))
            assert (await c.get("accounts", params={"$filter": long_filter})).status_code == 414
            r = await c.post("tasks", json={"subject": "Demo", "msp_taskcategory": 861980002})
            assert r.status_code == 204 and "tasks(" in r.headers["OData-EntityId"]
            assert r.headers["OData-EntityId"].startswith(server.api_url)

            sb.faults.drop()
            with pytest.raises(httpx.TransportError):
                await c.get("WhoAmI")
            assert (await c.get("WhoAmI")).status_code == 200

            sb.faults.hang = True
            with pytest.raises(httpx.ReadTimeout):
                await c.get("WhoAmI", timeout=0.2)
            sb.faults.release()
            assert (await c.get("WhoAmI")).status_code == 200
    finally:
        await server.close()
    # Closed means closed.
    async with httpx.AsyncClient() as c:
        with pytest.raises(httpx.ConnectError):
            await c.get(server.api_url + "WhoAmI", headers=AUTH)


async def test_server_close_releases_a_hanging_request() -> None:
    sb = SandboxMsx(DS)
    server = await sb.serve()
    sb.faults.hang = True
    async with httpx.AsyncClient(base_url=server.api_url, headers=AUTH) as c:
        pending = asyncio.create_task(c.get("WhoAmI"))
        await until(lambda: sb.stats.in_flight == 1, steps=2000)
        await server.close()
        result = await asyncio.gather(pending, return_exceptions=True)
    assert sb.stats.in_flight == 0
    assert isinstance(result[0], (httpx.Response, httpx.TransportError))
