"""The gateway's retry and error paths against the sandbox's faults (respx covers the rest)."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.msx.client import MsxClient, MsxEvent, RetryPolicy
from bot.msx.errors import MsxError, MsxUnreachable, OffVpn, Throttled, TokenRejected
from bot.msx.gateway import MsxGateway
from bot.sandbox import SandboxMsx
from bot.sandbox.milestones import milestone_row

BASE = "https://msx.sandbox.test"


class RotatingToken:
    """Hands out a new token on every forced refresh, as the Azure CLI does after expiry."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.index = 0
        self.refreshes = 0

    async def token(self, *, force_refresh: bool = False) -> str:
        if force_refresh:
            self.refreshes += 1
            self.index = min(self.index + 1, len(self.tokens) - 1)
        return self.tokens[self.index]


class Waits:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
def sb() -> SandboxMsx:
    return SandboxMsx()


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def gw(sb: SandboxMsx, waits: Waits) -> AsyncIterator[MsxGateway]:
    client = MsxClient(BASE, RotatingToken(["sandbox"]), transport=sb.transport(), sleep=waits)
    async with MsxGateway(client) as gateway:
        yield gateway


async def test_a_throttled_request_waits_retry_after_then_succeeds(
    sb: SandboxMsx, waits: Waits
) -> None:
    events: list[MsxEvent] = []
    client = MsxClient(
        BASE,
        RotatingToken(["sandbox"]),
        transport=sb.transport(),
        sleep=waits,
        on_event=events.append,
    )
    sb.faults.throttle(n=2, retry_after=7)
    async with MsxGateway(client) as gw:
        assert await gw.whoami() == sb.dataset.me.user_id
    assert waits.seconds == [7, 7]
    assert [e.message for e in events] == ["MSX is throttling us; retrying in 7 s"] * 2


async def test_throttling_beyond_the_budget_is_reported_not_retried_forever(
    sb: SandboxMsx, waits: Waits
) -> None:
    client = MsxClient(
        BASE,
        RotatingToken(["sandbox"]),
        transport=sb.transport(),
        sleep=waits,
        retry=RetryPolicy(throttle_budget=30),
    )
    sb.faults.throttle(n=10, retry_after=20)
    async with MsxGateway(client) as gw:
        with pytest.raises(Throttled) as caught:
            await gw.whoami()
    assert waits.seconds == [20.0]  # a second 20 s would pass the 30 s budget
    assert caught.value.user_message == "MSX is throttling us (waited 20 s): try again in 20 s"


async def test_401_after_a_token_change_is_retried_once_with_a_fresh_token(sb: SandboxMsx) -> None:
    # The guide's gotcha: the first request with a renewed (valid) token may get a 401.
    sb.tokens = ("old", "new")
    tokens = RotatingToken(["old", "new"])
    client = MsxClient(BASE, tokens, transport=sb.transport())
    async with MsxGateway(client) as gw:
        await gw.whoami()  # MSX has seen "old"
        tokens.index = 1  # the cached token was renewed before it expired
        sb.faults.reject_first_after_token_change()
        assert await gw.whoami() == sb.dataset.me.user_id
    assert tokens.refreshes == 1


async def test_a_token_msx_keeps_refusing_says_how_to_sign_in(sb: SandboxMsx) -> None:
    sb.tokens = ("something-else",)
    client = MsxClient(BASE, RotatingToken(["stale", "still-stale"]), transport=sb.transport())
    async with MsxGateway(client) as gw:
        with pytest.raises(TokenRejected) as caught:
            await gw.whoami()
    assert "still-stale" not in repr(caught.value) and "still-stale" not in str(caught.value)


async def test_off_vpn_is_reported_at_once_without_a_token_refresh(sb: SandboxMsx) -> None:
    tokens = RotatingToken(["sandbox"])
    client = MsxClient(BASE, tokens, transport=sb.transport())
    sb.faults.off_vpn = True
    async with MsxGateway(client) as gw:
        with pytest.raises(OffVpn) as caught:
            await gw.whoami()
    assert tokens.refreshes == 0
    assert sb.stats.requests == 1
    assert caught.value.user_message == (
        "MSX blocked this network address (you seem to be off the VPN): "
        "connect to the VPN, then `/msx refresh`"
    )


async def test_5xx_and_dropped_connections_are_retried(gw: MsxGateway, sb: SandboxMsx) -> None:
    sb.faults.server_error(n=2, status=503)
    assert await gw.whoami() == sb.dataset.me.user_id
    sb.faults.drop(n=2, kind="reset")
    assert await gw.whoami() == sb.dataset.me.user_id


async def test_msx_gone_for_good_says_connect_the_vpn(gw: MsxGateway, sb: SandboxMsx) -> None:
    sb.faults.fail_after(0)
    with pytest.raises(MsxUnreachable) as caught:
        await gw.whoami()
    assert type(caught.value) is MsxUnreachable
    assert caught.value.user_message == (
        "MSX is unreachable: connect to the VPN, then `/msx refresh`"
    )


async def test_a_hanging_msx_times_out_into_unreachable(sb: SandboxMsx) -> None:
    server = await sb.serve()
    try:
        client = MsxClient(
            server.url,
            RotatingToken(["sandbox"]),
            timeout=httpx.Timeout(0.2),
            retry=RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01),
        )
        sb.faults.hang = True
        async with MsxGateway(client) as gw:
            with pytest.raises(MsxUnreachable):
                await gw.whoami()
    finally:
        sb.faults.release()
        await server.close()


async def test_dataverse_errors_carry_code_and_message(gw: MsxGateway) -> None:
    with pytest.raises(MsxError) as caught:
        await gw.client.get_collection("accounts", {"$select": "name,msp_nosuchfield"})
    assert caught.value.status == 400
    assert "msp_nosuchfield" in caught.value.message


async def test_two_teams_over_a_page_come_whole(gw: MsxGateway, sb: SandboxMsx) -> None:
    big = sb.dataset.special["big_team"]
    others = [a for a in sb.dataset.accounts_of[sb.dataset.me.user_id] if a != big]
    other = max(others, key=lambda a: len(sb.dataset.team_of.get(a, [])))
    assert len(sb.dataset.team_of[big]) + len(sb.dataset.team_of[other]) > 100
    teams = await gw.teams([big, other], sizes={big: 20, other: 20})  # guessed too small
    found = [(m.account_id, m.user_id, m.role) for m in teams.members]
    assert len(found) == len(set(found))
    expected = {
        (m.account_id, m.user_id, m.role) for a in (big, other) for m in sb.dataset.team_of[a]
    }
    assert set(found) == expected
    assert teams.requests == 2 and teams.incomplete == []  # a page, then read on by name


async def test_milestones_follow_nextlink_past_100(gw: MsxGateway, sb: SandboxMsx) -> None:
    big = sb.dataset.special["big_milestones"]
    found = (await gw.milestones([big])).items
    assert len(found) == len(sb.dataset.milestones_of[big]) > 100
    assert {m.id for m in found} == set(sb.dataset.milestones_of[big])
    assert any("$skiptoken" in p for p in sb.stats.paths())  # read page after page


async def test_a_milestone_page_exactly_full_is_the_end_of_them(
    gw: MsxGateway, sb: SandboxMsx
) -> None:
    # Milestones page with nextLinks, so 100 rows and no nextLink are all there is (unlike
    # msp_accountteams, where a full page may have been cut short).
    account = {"accountid": str(uuid.uuid4()), "name": "Exactly Hundred GmbH"}
    sb.dataset.insert("accounts", account)
    rng = random.Random(3)
    for n in range(100):
        row = milestone_row(rng, str(uuid.uuid4()), 'W/"1"', account, n, (str(uuid.uuid4()), "Opp"))
        sb.dataset.insert("msp_engagementmilestones", row)
    found = await gw.milestones([account["accountid"]])
    assert len(found.items) == 100 and not found.may_be_truncated


async def test_user_text_with_quotes_reaches_the_filter_as_one_literal(
    gw: MsxGateway, sb: SandboxMsx
) -> None:
    assert await gw.user_by_email("o'brien&co#1%@example.com") is None
    me = sb.dataset.me
    assert me.email is not None
    found = await gw.user_by_email(me.email.upper())
    assert found is not None and found.user_id == me.user_id


@pytest.mark.parametrize("supported", [True, False])
async def test_who_am_i_in_one_request_where_msx_knows_equal_user_id(
    sb: SandboxMsx, gw: MsxGateway, supported: bool
) -> None:
    sb.supports_equal_user_id = supported
    me = await gw.me()
    ds = sb.dataset
    assert (me.user_id, me.name, me.email) == (ds.me.user_id, ds.me.name, ds.me.email)
    asked = [p.split("?")[0].rsplit("/", 1)[-1] for p in sb.stats.paths()]
    if supported:
        assert asked == ["systemusers"]
    else:  # refused with 400: WhoAmI, then my row by id
        assert asked == ["systemusers", "WhoAmI", f"systemusers({ds.me.user_id})"]
