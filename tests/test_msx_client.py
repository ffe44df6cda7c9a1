"""MsxClient: headers, retries, throttling, errors, paging, concurrency, POST ids."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from msx_fixtures import (
    API,
    API_PATH,
    BASE,
    SECRET,
    Harness,
    dataverse_error,
    make_harness,
    page,
    query,
)

from bot.config import Settings
from bot.msx.client import MAX_GET_URL, MsxClient, MsxEvent, RetryPolicy, _retry_after
from bot.msx.errors import (
    MsxError,
    MsxProblem,
    MsxUnreachable,
    OffVpn,
    Throttled,
    TokenRejected,
)

WHOAMI = {"UserId": "8c05af24-749d-e811-a848-000d3a1bbc2c"}


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    harness = make_harness()
    yield harness
    await harness.client.aclose()


def assert_no_token(exc: BaseException) -> None:
    for text in (str(exc), repr(exc), getattr(exc, "user_message", "")):
        assert SECRET not in text
        assert "Bearer" not in text


# -- headers and URLs --------------------------------------------------------------------


async def test_headers_and_url(h: Harness) -> None:
    route = h.router.get(path=API_PATH + "WhoAmI").respond(json=WHOAMI)
    assert await h.client.get_json("WhoAmI") == WHOAMI
    request = route.calls.last.request
    assert str(request.url) == API + "WhoAmI"
    assert request.headers["Authorization"] == f"Bearer {SECRET}-1"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["OData-MaxVersion"] == "4.0"
    assert request.headers["OData-Version"] == "4.0"
    prefer = request.headers["Prefer"]
    assert 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"' in prefer
    assert "odata.maxpagesize=100" in prefer
    assert h.client.requests_sent == 1


async def test_params_are_percent_encoded(h: Harness) -> None:
    route = h.router.get(path=API_PATH + "accounts").respond(json={"value": []})
    flt = "name eq 'A&B #1 100% + ''x'' café'"
    await h.client.get_collection("accounts", {"$filter": flt, "$select": "accountid,name"})
    request = route.calls.last.request
    raw = request.url.query.decode("ascii")
    for char in " &#'+é":
        assert char not in raw.split("&", 1)[0].split("=", 1)[1]
    assert query(request) == {"$filter": flt, "$select": "accountid,name"}


async def test_settings_target_sets_base_and_tenant() -> None:
    settings = Settings(msx_base_url="https://org.example.test/", msx_tenant_id="t-1")
    router = respx.MockRouter()
    route = router.get(path=API_PATH + "WhoAmI").respond(401)
    client = MsxClient(settings, _Static(), transport=httpx.MockTransport(router.async_handler))
    assert client.url("WhoAmI") == "https://org.example.test/api/data/v9.2/WhoAmI"
    # A rejected sign-in names the tenant to sign in to.
    with pytest.raises(TokenRejected, match=r"`az login --tenant t-1`"):
        await client.get_json("WhoAmI")
    assert route.call_count == 2
    await client.aclose()


async def test_an_org_url_with_a_trailing_slash() -> None:
    client = MsxClient("https://org.example.test/", _Static())
    assert client.url("WhoAmI") == "https://org.example.test/api/data/v9.2/WhoAmI"
    await client.aclose()


async def test_a_url_at_dataverses_limit_is_sent_one_over_is_refused(h: Harness) -> None:
    h.router.get(path__startswith=API_PATH).respond(json={"value": []})
    path = "x" * (MAX_GET_URL - len(API))
    await h.client.get_collection(path)
    with pytest.raises(ValueError, match="over Dataverse's limit"):
        await h.client.get_collection(path + "x")
    assert h.client.requests_sent == 1


class _Static:
    async def token(self, *, force_refresh: bool = False) -> str:
        return SECRET


# -- 401 / 403 ---------------------------------------------------------------------------


async def test_401_then_success_after_refresh(h: Harness) -> None:
    route = h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=[httpx.Response(401), httpx.Response(200, json=WHOAMI)]
    )
    assert await h.client.get_json("WhoAmI") == WHOAMI
    assert h.tokens.forced == 1
    first, second = (call.request for call in route.calls)
    assert first.headers["Authorization"] == f"Bearer {SECRET}-1"
    assert second.headers["Authorization"] == f"Bearer {SECRET}-2"


async def test_401_twice_is_token_rejected(h: Harness) -> None:
    route = h.router.get(path=API_PATH + "WhoAmI").respond(401)
    with pytest.raises(TokenRejected) as caught:
        await h.client.get_json("WhoAmI")
    assert route.call_count == 2
    assert h.tokens.forced == 1
    assert caught.value.user_message == (
        "MSX rejected the sign-in token even after a refresh: "
        "run `az login` (or renew MSX_ACCESS_TOKEN), then `/msx refresh`"
    )
    assert_no_token(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": "0x80095ffe", "message": "Forbidden"}},
        {"error": {"code": "", "message": "The IP address is blocked by policy."}},
    ],
)
async def test_off_vpn_403_reported_at_once(h: Harness, body: dict[str, object]) -> None:
    route = h.router.get(path=API_PATH + "WhoAmI").respond(403, json=body)
    with pytest.raises(OffVpn) as caught:
        await h.client.get_json("WhoAmI")
    assert route.call_count == 1
    assert h.tokens.forced == 0
    assert isinstance(caught.value, MsxUnreachable)
    assert caught.value.user_message == (
        "MSX blocked this network address (you seem to be off the VPN): "
        "connect to the VPN, then `/msx refresh`"
    )
    assert_no_token(caught.value)


async def test_403_missing_privilege_after_retry_is_msx_error(h: Harness) -> None:
    route = h.router.get(path=API_PATH + "accounts").mock(
        return_value=dataverse_error(
            403, "0x80040220", "Principal user is missing prvReadAccount privilege"
        )
    )
    with pytest.raises(MsxError) as caught:
        await h.client.get_collection("accounts")
    assert route.call_count == 2
    assert h.tokens.forced == 1
    err = caught.value
    assert (err.status, err.code) == (403, "0x80040220")
    assert err.message == "Principal user is missing prvReadAccount privilege"
    assert err.user_message == (
        "MSX answered 403 (0x80040220): Principal user is missing prvReadAccount privilege."
        " What to do: your MSX role lacks a privilege for this; ask your MSX admin"
    )


async def test_403_once_then_success(h: Harness) -> None:
    h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=[httpx.Response(403), httpx.Response(200, json=WHOAMI)]
    )
    assert await h.client.get_json("WhoAmI") == WHOAMI
    assert h.tokens.forced == 1


# -- 429 ---------------------------------------------------------------------------------


async def test_429_honours_retry_after_then_succeeds(h: Harness) -> None:
    h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=[
            dataverse_error(429, "0x80072322", "Too many", headers={"Retry-After": "7"}),
            httpx.Response(200, json=WHOAMI),
        ]
    )
    assert await h.client.get_json("WhoAmI") == WHOAMI
    assert h.sleep.waits == [7.0]
    assert all(w >= 7 for w in h.sleep.waits)
    assert [(e.kind, e.wait_seconds) for e in h.events] == [("throttled", 7.0)]
    assert h.events[0].message == "MSX is throttling us; retrying in 7 s"
    assert h.tokens.forced == 0


async def test_429_without_retry_after_waits_default(h: Harness) -> None:
    h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=[httpx.Response(429), httpx.Response(200, json=WHOAMI)]
    )
    await h.client.get_json("WhoAmI")
    assert h.sleep.waits == [RetryPolicy().throttle_default_wait]


@pytest.mark.parametrize("retry_after", ["0", "-3", "Wed, 21 Oct 2015 07:28:00 GMT"])
async def test_429_with_no_wait_left_still_waits_the_minimum(h: Harness, retry_after: str) -> None:
    # "Retry-After: 0" or a date already past: wait a little rather than spin on MSX.
    h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": retry_after}),
            httpx.Response(200, json=WHOAMI),
        ]
    )
    await h.client.get_json("WhoAmI")
    assert h.sleep.waits == [RetryPolicy().throttle_min_wait]


async def test_a_requests_listener_hears_its_throttling_and_retries(h: Harness) -> None:
    # One person's refresh shows its own waits: the listener given with the request.
    h.router.get(path=API_PATH + "accounts").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(503),
            page([{"n": 1}]),
        ]
    )
    heard: list[MsxEvent] = []
    await h.client.get_collection("accounts", listener=heard.append)
    assert [(e.kind, e.wait_seconds, e.reason) for e in heard] == [
        ("throttled", 3.0, ""),
        ("retrying", 0.5, "HTTP 503"),
    ]
    assert heard == h.events  # the client's own listener hears the same


async def test_429_waits_up_to_the_whole_budget(h: Harness) -> None:
    h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "60"}),
            httpx.Response(429, headers={"Retry-After": "60"}),
            httpx.Response(200, json=WHOAMI),
        ]
    )
    assert await h.client.get_json("WhoAmI") == WHOAMI
    assert h.sleep.waits == [60.0, 60.0]  # 120 s: the budget, not over it


async def test_429_beyond_budget_is_throttled(h: Harness) -> None:
    route = h.router.get(path=API_PATH + "WhoAmI").respond(429, headers={"Retry-After": "50"})
    with pytest.raises(Throttled) as caught:
        await h.client.get_json("WhoAmI")
    # 50 + 50 fit the 120 s budget; a third 50 would not.
    assert h.sleep.waits == [50.0, 50.0]
    assert route.call_count == 3
    assert caught.value.waited_seconds == 100.0
    assert caught.value.user_message == "MSX is throttling us (waited 100 s): try again in 50 s"
    assert_no_token(caught.value)


# -- 5xx and connection failures -----------------------------------------------------------


async def test_503_then_success(h: Harness) -> None:
    h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=WHOAMI)]
    )
    assert await h.client.get_json("WhoAmI") == WHOAMI
    assert [e.kind for e in h.events] == ["retrying"]
    assert h.sleep.waits == [0.5]


async def test_5xx_exhausted_is_msx_error_with_backoff(h: Harness) -> None:
    route = h.router.get(path=API_PATH + "WhoAmI").mock(
        return_value=dataverse_error(500, "0x80040216", "Generic SQL error")
    )
    with pytest.raises(MsxError) as caught:
        await h.client.get_json("WhoAmI")
    assert route.call_count == 4
    # jitter fixed at 1.0: the full exponential ceiling, 0.5 * 2^n.
    assert h.sleep.waits == [0.5, 1.0, 2.0]
    assert caught.value.status == 500 and caught.value.code == "0x80040216"


async def test_backoff_is_capped_and_jittered() -> None:
    h = make_harness(retry=RetryPolicy(max_attempts=8, backoff_cap=3.0))
    h.client._jitter = lambda: 0.5
    h.router.get(path=API_PATH + "WhoAmI").respond(502)
    with pytest.raises(MsxError):
        await h.client.get_json("WhoAmI")
    assert h.sleep.waits == [0.25, 0.5, 1.0, 1.5, 1.5, 1.5, 1.5]
    await h.client.aclose()


async def test_connect_error_is_unreachable(h: Harness) -> None:
    route = h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=httpx.ConnectError("Name or service not known")
    )
    with pytest.raises(MsxUnreachable) as caught:
        await h.client.get_json("WhoAmI")
    assert route.call_count == 4
    assert caught.value.user_message == (
        "MSX is unreachable: connect to the VPN, then `/msx refresh`"
    )
    assert not caught.value.maybe_applied
    assert len(h.sleep.waits) == 3
    assert_no_token(caught.value)


async def test_read_timeout_is_retried(h: Harness) -> None:
    h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json=WHOAMI)]
    )
    assert await h.client.get_json("WhoAmI") == WHOAMI
    assert [(e.kind, e.reason) for e in h.events] == [("retrying", "ReadTimeout")]


async def test_connection_reset_exhausted_is_unreachable(h: Harness) -> None:
    h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=httpx.RemoteProtocolError("Server disconnected")
    )
    with pytest.raises(MsxUnreachable):
        await h.client.get_json("WhoAmI")
    assert h.client.requests_sent == 4


async def test_broken_event_callback_does_not_break_requests() -> None:
    def explode(event: object) -> None:
        raise RuntimeError("progress bar bug")

    h = make_harness()
    h.client._on_event = explode
    h.router.get(path=API_PATH + "WhoAmI").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=WHOAMI)]
    )
    assert await h.client.get_json("WhoAmI") == WHOAMI
    await h.client.aclose()


# -- error bodies ------------------------------------------------------------------------


async def test_dataverse_error_body_parsed_and_not_retried(h: Harness) -> None:
    route = h.router.get(path=API_PATH + "accounts").mock(
        return_value=dataverse_error(
            400, "0x80060888", "Could not find a property named 'nope' on type 'account'."
        )
    )
    with pytest.raises(MsxError) as caught:
        await h.client.get_collection("accounts", {"$select": "nope"})
    assert route.call_count == 1
    err = caught.value
    assert (err.status, err.code) == (400, "0x80060888")
    assert err.message.startswith("Could not find a property named 'nope'")
    assert "\n" not in err.user_message
    assert_no_token(err)


async def test_non_json_error_body(h: Harness) -> None:
    h.router.get(path=API_PATH + "nope").respond(
        404, text="<html><body>\n  Not   Found\n</body></html>"
    )
    with pytest.raises(MsxError) as caught:
        await h.client.get_json("nope")
    err = caught.value
    assert (err.status, err.code) == (404, "")
    assert err.message == "<html><body> Not Found </body></html>"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>login</html>", "MSX answered with something not JSON"),
        (b"[1, 2]", "MSX answered with unexpected JSON"),
    ],
)
async def test_a_success_body_that_is_no_json_object_is_an_error(
    h: Harness, body: bytes, problem: str
) -> None:
    h.router.get(path=API_PATH + "WhoAmI").respond(200, content=body)
    with pytest.raises(MsxError) as caught:
        await h.client.get_json("WhoAmI")
    assert caught.value.user_message == (
        f"MSX answered 200: {problem}."
        " What to do: this is likely a bot bug; please report it with msx-bot.log"
    )


async def test_a_redirect_is_not_followed(h: Harness) -> None:
    # Following it would carry the token to wherever it points.
    h.router.get(path=API_PATH + "WhoAmI").respond(302, headers={"Location": "https://evil.test/"})
    with pytest.raises(MsxError):
        await h.client.get_json("WhoAmI")
    assert h.client.requests_sent == 1


async def test_every_problem_is_an_msx_problem() -> None:
    for cls in (MsxError, MsxUnreachable, OffVpn, Throttled, TokenRejected):
        assert issubclass(cls, MsxProblem)


# -- paging ------------------------------------------------------------------------------


async def test_next_link_followed_verbatim(h: Harness) -> None:
    next_link = (
        API + "accounts?$select=name&$skiptoken=%3Ccookie%20pagenumber=%222%22%20"
        "pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%22%20/%3E"
    )
    route = h.router.get(path=API_PATH + "accounts").mock(
        side_effect=[page([{"n": 1}], next_link), page([{"n": 2}])]
    )
    result = await h.client.get_collection("accounts", {"$select": "name"})
    assert [r["n"] for r in result.items] == [1, 2]
    assert not result.may_be_truncated
    second = route.calls[1].request
    assert str(second.url) == next_link
    assert second.url.raw_path.decode("ascii") == next_link[len(BASE) :]
    assert "odata.maxpagesize=100" in second.headers["Prefer"]
    assert second.headers["Authorization"].startswith("Bearer ")


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example.test/steal?x=1",
        "http://msx.example.test/api/data/v9.2/accounts?$skiptoken=2",  # not TLS
        "https://msx.example.test:8443/api/data/v9.2/accounts?$skiptoken=2",
    ],
)
async def test_next_link_to_another_host_is_refused(h: Harness, link: str) -> None:
    # The token goes with every request: never to anywhere but MSX itself.
    h.router.get(path=API_PATH + "accounts").mock(return_value=page([{"n": 1}], link))
    with pytest.raises(MsxError) as caught:
        await h.client.get_collection("accounts")
    assert h.client.requests_sent == 1
    assert caught.value.user_message == (
        "MSX answered 200: MSX sent a nextLink to another host; not followed."
        " What to do: this is likely a bot bug; please report it with msx-bot.log"
    )


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"value": [], "@odata.nextLink": 7}, "MSX sent a malformed nextLink"),
        ({"value": {"n": 1}}, "expected a collection from accounts"),
    ],
)
async def test_a_page_not_shaped_as_a_collection_is_an_error(
    h: Harness, answer: dict[str, object], problem: str
) -> None:
    h.router.get(path=API_PATH + "accounts").respond(json=answer)
    with pytest.raises(MsxError) as caught:
        await h.client.get_collection("accounts")
    assert caught.value.user_message == (
        f"MSX answered 200: {problem}."
        " What to do: this is likely a bot bug; please report it with msx-bot.log"
    )


async def test_a_next_link_chain_stops_at_max_pages(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every page links to a new one: stop after MAX_PAGES (3 here) and say it may be cut.
    monkeypatch.setattr("bot.msx.client.MAX_PAGES", 3)

    def answer(request: httpx.Request) -> httpx.Response:
        n = int(query(request).get("$skiptoken", "0"))
        return page([{"n": n}], f"{API}accounts?$skiptoken={n + 1}")

    h.router.get(path=API_PATH + "accounts").mock(side_effect=answer)
    result = await h.client.get_collection("accounts")
    assert [r["n"] for r in result.items] == [0, 1, 2] and result.may_be_truncated
    assert h.client.requests_sent == 3


async def test_full_page_without_next_link_may_be_truncated(h: Harness) -> None:
    h.router.get(path=API_PATH + "full").respond(json={"value": [{}] * 100})
    h.router.get(path=API_PATH + "short").respond(json={"value": [{}] * 99})
    assert (await h.client.get_collection("full")).may_be_truncated
    assert not (await h.client.get_collection("short")).may_be_truncated


async def test_a_full_last_page_after_paging_is_the_end(h: Harness) -> None:
    # An entity that served a nextLink pages: no nextLink on a full page means the end.
    h.router.get(path=API_PATH + "p1").respond(json=page([{}] * 100, API + "p2").json())
    h.router.get(path=API_PATH + "p2").respond(json={"value": [{}] * 100})
    result = await h.client.get_collection("p1")
    assert len(result) == 200 and not result.may_be_truncated


@pytest.mark.parametrize("key", ["$skip", "$SKIP", "skip"])
async def test_skip_is_refused(h: Harness, key: str) -> None:
    with pytest.raises(ValueError, match="skip"):
        await h.client.get_collection("accounts", {key: "100"})
    with pytest.raises(ValueError, match="skip"):
        await h.client.get_json("accounts", {key: "100"})
    assert h.client.requests_sent == 0


async def test_collection_map_keeps_flag(h: Harness) -> None:
    h.router.get(path=API_PATH + "full").respond(json={"value": [{"n": i} for i in range(100)]})
    result = (await h.client.get_collection("full")).map(lambda r: r["n"] * 2)
    assert result.items[:3] == [0, 2, 4]
    assert result.may_be_truncated


# -- concurrency -------------------------------------------------------------------------


async def test_concurrency_is_bounded() -> None:
    h = make_harness(max_concurrency=3)
    in_flight = 0
    peak = 0
    three_in = asyncio.Event()
    release = asyncio.Event()

    async def hold(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 3:
            three_in.set()
        await release.wait()
        in_flight -= 1
        return httpx.Response(200, json=WHOAMI)

    h.router.get(path=API_PATH + "WhoAmI").mock(side_effect=hold)
    tasks = [asyncio.create_task(h.client.get_json("WhoAmI")) for _ in range(12)]
    await three_in.wait()
    for _ in range(20):  # let every other task reach the semaphore
        await asyncio.sleep(0)
    assert in_flight == 3
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 3
    assert h.client.requests_sent == 12
    await h.client.aclose()


async def test_back_off_sleep_does_not_hold_a_slot() -> None:
    h = make_harness(max_concurrency=1)
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await gate.wait()

    h.client._sleep = sleep
    h.router.get(path=API_PATH + "flaky").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={})]
    )
    h.router.get(path=API_PATH + "WhoAmI").respond(json=WHOAMI)
    flaky = asyncio.create_task(h.client.get_json("flaky"))
    for _ in range(5):
        await asyncio.sleep(0)
    # The flaky request is sleeping; the only slot is free for another request.
    assert await h.client.get_json("WhoAmI") == WHOAMI
    gate.set()
    assert await flaky == {}
    await h.client.aclose()


# -- POST --------------------------------------------------------------------------------

TASK_ID = "12345678-1234-1234-1234-123456789ABC"


async def test_post_returns_id_from_odata_entity_id(h: Harness) -> None:
    route = h.router.post(path=API_PATH + "tasks").respond(
        204, headers={"OData-EntityId": f"{API}tasks({TASK_ID})"}
    )
    assert await h.client.post("tasks", {"subject": "x"}) == TASK_ID.lower()
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"subject": "x"}


async def test_post_falls_back_to_location(h: Harness) -> None:
    h.router.post(path=API_PATH + "tasks").respond(
        204, headers={"Location": f"{API}tasks({TASK_ID})"}
    )
    assert await h.client.post("tasks", {"subject": "x"}) == TASK_ID.lower()


async def test_post_without_id_is_an_error(h: Harness) -> None:
    h.router.post(path=API_PATH + "tasks").respond(204, headers={"Location": "elsewhere"})
    with pytest.raises(MsxError) as caught:
        await h.client.post("tasks", {"subject": "x"})
    assert caught.value.user_message == (
        "MSX answered 204: MSX created the tasks record but did not return its id."
        " What to do: this is likely a bot bug; please report it with msx-bot.log"
    )


async def test_patch_only_updates_a_record_that_exists(h: Harness) -> None:
    # PATCH is an upsert in Dataverse: `If-Match: *` turns a missing record into a 404.
    route = h.router.patch(path=API_PATH + f"tasks({TASK_ID})").respond(204)
    await h.client.patch(f"tasks({TASK_ID})", {"statecode": 1})
    request = route.calls.last.request
    assert request.headers["If-Match"] == "*"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"statecode": 1}


async def test_post_is_not_resent_after_a_lost_answer(h: Harness) -> None:
    route = h.router.post(path=API_PATH + "tasks").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(MsxUnreachable) as caught:
        await h.client.post("tasks", {"subject": "x"})
    assert route.call_count == 1
    assert caught.value.maybe_applied


async def test_post_not_retried_on_5xx(h: Harness) -> None:
    route = h.router.post(path=API_PATH + "tasks").respond(502)
    with pytest.raises(MsxError):
        await h.client.post("tasks", {"subject": "x"})
    assert route.call_count == 1


async def test_post_retried_when_never_sent(h: Harness) -> None:
    h.router.post(path=API_PATH + "tasks").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(204, headers={"OData-EntityId": f"{API}tasks({TASK_ID})"}),
        ]
    )
    assert await h.client.post("tasks", {"subject": "x"}) == TASK_ID.lower()
    assert h.sleep.waits == [0.5, 2.0]


# -- lifecycle ---------------------------------------------------------------------------


async def test_context_manager_closes() -> None:
    h = make_harness()
    async with h.client as client:
        assert client is h.client
    assert h.client._http.is_closed
    assert SECRET not in repr(h.client)


async def test_a_next_link_loop_stops(h: Harness) -> None:
    loop = API + "accounts?$skiptoken=same"
    h.router.get(path=API_PATH + "accounts").respond(json=page([{"n": 1}], loop).json())
    result = await h.client.get_collection("accounts")
    assert result.may_be_truncated
    assert h.client.requests_sent == 2


def test_retry_after_forms() -> None:
    assert _retry_after("20") == 20.0
    assert _retry_after("1.5") == 1.5
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    later = email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90), usegmt=True
    )
    wait = _retry_after(later)
    assert wait is not None and 80 < wait <= 90
