"""The Slack double, exercised with the real slack_sdk and slack_bolt clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

try:  # importable both as tests.slack_double (rootdir on sys.path) and as slack_double
    from tests.slack_double import Clock, SlackDouble, payloads, validate_blocks
except ImportError:
    from slack_double import Clock, SlackDouble, payloads, validate_blocks  # type: ignore[no-redef]

BOT = "xoxb-test"
APP = "xapp-test"


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(action_id: str, text: str = "Go", value: str = "v") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def options(n: int) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": f"o{i}"}, "value": f"v{i}"} for i in range(n)]


MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "log_task",
    "title": {"type": "plain_text", "text": "Log a HoK task"},
    "submit": {"type": "plain_text", "text": "Log"},
    "blocks": [
        {
            "type": "input",
            "block_id": "category",
            "label": {"type": "plain_text", "text": "Category"},
            "element": {
                "type": "static_select",
                "action_id": "category",
                "options": options(3),
            },
        },
        {
            "type": "input",
            "block_id": "notes",
            "optional": True,
            "label": {"type": "plain_text", "text": "Notes"},
            "element": {"type": "plain_text_input", "action_id": "notes", "multiline": True},
        },
    ],
}


@pytest.fixture
async def slack() -> AsyncIterator[SlackDouble]:
    # A frozen clock: triggers and rate windows only move when a test advances them.
    async with SlackDouble(bot_token=BOT, app_token=APP, clock=Clock(frozen_at=1000.0)) as double:
        double.add_user("U1", "avery", "avery.quinn@microsoft.com", real_name="Avery Quinn")
        yield double


@pytest.fixture
async def web(slack: SlackDouble) -> AsyncWebClient:
    return AsyncWebClient(token=BOT, base_url=slack.api_url)


@pytest.fixture
async def bolt(slack: SlackDouble) -> AsyncIterator[AsyncApp]:
    """A real Bolt app connected to the double over Socket Mode."""
    app = AsyncApp(client=AsyncWebClient(token=BOT, base_url=slack.api_url))
    # No web_client given: the handler uses app.client, so apps.connections.open goes
    # to the double's base_url too.
    handler = AsyncSocketModeHandler(app, APP)
    await handler.connect_async()
    await slack.wait_connected()
    try:
        yield app
    finally:
        await handler.close_async()


# ----- Socket Mode with the real Bolt app


async def test_bolt_connects_with_app_token(slack: SlackDouble, bolt: AsyncApp) -> None:
    opens = slack.calls_to("apps.connections.open")
    assert [c.ok for c in opens] == [True]
    assert slack.connections_opened == 1 and slack.open_sockets == 1


async def test_slash_command_ack_then_respond(slack: SlackDouble, bolt: AsyncApp) -> None:
    @bolt.command("/msx")
    async def msx(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"You asked for {command['text']}", blocks=[section("*Contoso*")])

    envelope = await slack.send_slash_command("U1", "/msx", "accounts", channel_id="C1")
    ack = await slack.wait_ack(envelope)
    assert ack.payload is None and ack.latency_s < 3
    await slack.wait_for(lambda: slack.responses)
    rid, body = slack.responses[0]
    assert envelope.response_url is not None and envelope.response_url.endswith(rid)
    assert body["text"] == "You asked for accounts"
    [shown] = slack.seen_by("U1", "C1")
    assert shown.ephemeral_to == "U1" and shown.source == "response_url"
    assert slack.calls_to("auth.test")[0].ok  # Bolt's single-team authorization
    slack.assert_no_problems()


async def test_ack_with_text_and_ephemeral_message(slack: SlackDouble, bolt: AsyncApp) -> None:
    @bolt.command("/msx")
    async def msx(ack: AsyncAck, client: AsyncWebClient, command: dict[str, Any]) -> None:
        await ack(text="Looking that up…")
        await client.chat_postEphemeral(
            channel=command["channel_id"], user=command["user_id"], text="3 accounts"
        )

    envelope = await slack.send_slash_command("U1", text="accounts", channel_id="D1")
    ack = await slack.wait_ack(envelope)
    assert ack.payload == {"text": "Looking that up…"}
    await slack.wait_for(lambda: slack.calls_to("chat.postEphemeral"))
    # Bolt sends the ack and runs the rest of the listener concurrently: order may vary.
    assert sorted(m.text or "" for m in slack.seen_by("U1", "D1")) == [
        "3 accounts",
        "Looking that up…",
    ]
    assert slack.seen_by("U2", "D1") == []


async def test_modal_open_errors_then_submit(slack: SlackDouble, bolt: AsyncApp) -> None:
    @bolt.command("/msx")
    async def msx(ack: AsyncAck, client: AsyncWebClient, body: dict[str, Any]) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @bolt.view("log_task")
    async def submitted(ack: AsyncAck, view: dict[str, Any]) -> None:
        notes = view["state"]["values"]["notes"]["notes"]["value"]
        if not notes:
            await ack(response_action="errors", errors={"notes": "Say what you did"})
        else:
            await ack()

    await slack.send_slash_command("U1", text="log")
    view = await slack.wait_for(lambda: slack.top_view("U1"))
    assert view["blocks"][0]["element"]["action_id"] == "category"

    first = await slack.send_view_submission("U1", view, inputs={"category": "v1"})
    assert (await slack.wait_ack(first)).payload == {
        "response_action": "errors",
        "errors": {"notes": "Say what you did"},
    }
    assert slack.top_view("U1") is not None  # errors keep the modal open

    with pytest.raises(ValueError, match="required input"):
        await slack.send_view_submission("U1", view, inputs={"notes": "x"})
    second = await slack.send_view_submission("U1", view, inputs={"category": "v2", "notes": "x"})
    await slack.wait_ack(second)
    state = second.payload["view"]["state"]["values"]
    assert state["category"]["category"]["selected_option"]["value"] == "v2"
    assert slack.top_view("U1") is None  # a bare ack closes it
    with pytest.raises(ValueError, match="not the top modal"):
        await slack.send_view_submission("U1", view, inputs={"category": "v1"})
    slack.assert_no_problems()


async def test_button_click_replaces_original(
    slack: SlackDouble, bolt: AsyncApp, web: AsyncWebClient
) -> None:
    @bolt.action("refresh")
    async def refresh(ack: AsyncAck, respond: AsyncRespond, action: dict[str, Any]) -> None:
        await ack()
        await respond(replace_original=True, text=f"Refreshed {action['value']}")

    slack.add_channel("C1")
    blocks = [section("Snapshot is 3 h old"), {"type": "actions", "elements": [button("refresh")]}]
    posted = await web.chat_postMessage(channel="C1", text="Snapshot", blocks=blocks)
    message = slack.messages[-1]
    assert message.blocks is not None and message.blocks[1]["block_id"]  # Slack fills ids

    with pytest.raises(ValueError, match="carries value"):
        await slack.send_block_action("U1", "refresh", "other", message=message)
    envelope = await slack.send_block_action("U1", "refresh", message=message)
    action = envelope.payload["actions"][0]
    assert action["block_id"] == message.blocks[1]["block_id"] and action["value"] == "v"
    assert envelope.payload["container"]["message_ts"] == posted["ts"]
    await slack.wait_for(lambda: message.edits == 1)
    assert message.text == "Refreshed v" and slack.messages_in("C1") == [message]

    with pytest.raises(ValueError, match="no element"):
        await slack.send_block_action("U1", "not-there", message=message)
    # replace_original with text only drops the blocks, the button with them.


async def test_disconnect_then_reconnect(slack: SlackDouble, bolt: AsyncApp) -> None:
    seen: list[str] = []

    @bolt.command("/msx")
    async def msx(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        seen.append(command["text"])

    await slack.disconnect(reason="refresh_requested")
    await slack.wait_connected(count=2)
    await slack.wait_for(lambda: slack.open_sockets == 1)  # the client dropped the old one
    assert len(slack.calls_to("apps.connections.open")) == 2

    await slack.disconnect(reason="warning", close=True)  # Slack hangs up as well
    await slack.wait_connected(count=3)
    await slack.wait_ack(await slack.send_slash_command("U1", text="after"))
    assert seen == ["after"]


async def test_event_redelivery_carries_retry_headers(slack: SlackDouble, bolt: AsyncApp) -> None:
    retries: list[str | None] = []

    @bolt.event("app_home_opened")
    async def home(
        client: AsyncWebClient, event: dict[str, Any], request: AsyncBoltRequest
    ) -> None:
        retries.append(request.headers.get("x-slack-retry-num", [None])[0])
        view = {"type": "home", "blocks": [section("Your accounts")]}
        await client.views_publish(user_id=event["user"], view=view)

    first = await slack.send_event(payloads.app_home_opened("U1", "D1"))
    await slack.wait_ack(first)
    again = await slack.redeliver(first)
    assert again.retry_attempt == 1 and again.retry_reason == "timeout"
    assert again.payload["event_id"] == first.payload["event_id"]
    await slack.wait_ack(again)
    await slack.wait_for(lambda: len(slack.calls_to("views.publish")) == 2)
    assert retries == ["0", "1"]
    assert slack.home_views["U1"]["blocks"][0]["text"]["text"] == "Your accounts"


async def test_modal_select_and_options_load(
    slack: SlackDouble, bolt: AsyncApp, web: AsyncWebClient
) -> None:
    @bolt.action("category")
    async def picked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        chosen = body["actions"][0]["selected_option"]["text"]["text"]
        view = {k: v for k, v in MODAL.items() if k != "submit"}  # no inputs left
        view["blocks"] = [section(f"Picked {chosen}")]
        await client.views_update(view_id=body["view"]["id"], hash=body["view"]["hash"], view=view)

    @bolt.options("account")
    async def accounts(ack: AsyncAck) -> None:
        await ack(options=options(101))  # one too many: Slack would show nothing

    await web.views_open(trigger_id=slack.new_trigger("U1"), view=MODAL)
    view = slack.top_view("U1")
    assert view is not None
    with pytest.raises(ValueError, match="not an option"):
        await slack.send_block_action("U1", "category", "v9", view=view)
    clicked = await slack.send_block_action("U1", "category", "v2", view=view)
    assert clicked.payload["container"] == {"type": "view", "view_id": view["id"]}
    assert "response_url" not in clicked.payload  # modals have none
    await slack.wait_for(lambda: slack.calls_to("views.update"))
    assert slack.views[view["id"]]["blocks"][0]["text"]["text"] == "Picked o2"

    typed = await slack.send_block_suggestion("U1", "account", "con")
    await slack.wait_ack(typed)
    assert any("options" in p and "100" in p for p in slack.problems)


# ----- Web API strictness, with the real AsyncWebClient


async def test_tokens_are_checked(slack: SlackDouble, web: AsyncWebClient) -> None:
    assert (await web.auth_test())["user_id"] == slack.bot_user_id
    cases = [
        (AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test(), "invalid_auth"),
        (AsyncWebClient(base_url=slack.api_url).auth_test(), "not_authed"),
        (web.apps_connections_open(app_token=BOT), "not_allowed_token_type"),
        (web.apps_connections_open(app_token="xapp-wrong"), "invalid_auth"),
        (web.api_call("chat.fly"), "unknown_method"),
    ]
    for call, error in cases:
        with pytest.raises(SlackApiError) as info:
            await call
        assert info.value.response["error"] == error


async def test_form_body_with_token_field(slack: SlackDouble) -> None:
    slack.add_channel("C1")
    async with aiohttp.ClientSession() as http:
        form = {"token": BOT, "channel": "C1", "text": "hi"}
        async with http.post(f"{slack.api_url}chat.postMessage", data=form) as resp:
            assert (await resp.json())["ok"] is True
    assert slack.calls[-1].params == {"channel": "C1", "text": "hi"}  # token not recorded


async def test_block_limits_through_the_api(slack: SlackDouble, web: AsyncWebClient) -> None:
    slack.add_channel("C1")
    await web.chat_postMessage(channel="C1", text="ok", blocks=[section("x")] * 50)
    bad = {
        "51 blocks": [section("x")] * 51,
        "duplicate action_id": [
            {"type": "actions", "elements": [button("a")]},
            {"type": "actions", "elements": [button("a")]},
        ],
        "101 options": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "pick"},
                "accessory": {"type": "static_select", "action_id": "s", "options": options(101)},
            }
        ],
        "long text": [section("x" * 3001)],
    }
    for name, blocks in bad.items():
        with pytest.raises(SlackApiError) as info:
            await web.chat_postMessage(channel="C1", text=name, blocks=blocks)
        assert info.value.response["error"] == "invalid_blocks", name
        assert info.value.response["response_metadata"]["messages"], name
    with pytest.raises(SlackApiError, match="no_text"):
        await web.api_call("chat.postMessage", json={"channel": "C1"})
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await web.chat_postMessage(channel="C404", text="x")


@pytest.mark.parametrize(
    ("blocks", "needle"),
    [
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "150"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "fields"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "non-empty"),
        ([{"type": "section", "text": {"type": "markdown", "text": "x"}}], "text type"),
        ([{"type": "actions", "elements": [button("b", text="t" * 76)]}], "75"),
        ([{"type": "actions", "elements": [button("b", value="v" * 2001)]}], "2000"),
        ([{"type": "actions", "elements": [button(f"b{i}") for i in range(26)]}], "25"),
        ([{"type": "carousel"}], "unknown block type"),
        ([section("a", "same"), section("b", "same")], "duplicate block_id"),
        ([section("a", "b" * 256)], "255"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "static_select",
                            "action_id": "s",
                            "options": [
                                {"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}
                            ],
                        }
                    ],
                }
            ],
            "75",
        ),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "b",
                            "text": {"type": "mrkdwn", "text": "x"},
                        }
                    ],
                }
            ],
            "plain_text",
        ),
    ],
)
def test_validate_blocks_rejects(blocks: list[dict[str, Any]], needle: str) -> None:
    problems = validate_blocks(blocks)
    assert any(needle in p for p in problems), problems


async def test_modal_limits(slack: SlackDouble, web: AsyncWebClient) -> None:
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "t" * 25}}
    big_metadata = {**MODAL, "private_metadata": "m" * 3001}
    no_submit = {k: v for k, v in MODAL.items() if k != "submit"}
    too_many = {**MODAL, "blocks": [section("x")] * 101}
    for view, error in [
        (long_title, "invalid_arguments"),
        (big_metadata, "invalid_arguments"),
        (no_submit, "invalid_arguments"),
        (too_many, "invalid_blocks"),
    ]:
        with pytest.raises(SlackApiError) as info:
            await web.views_open(trigger_id=slack.new_trigger("U1"), view=view)
        assert info.value.response["error"] == error


async def test_trigger_ids_expire_and_are_single_use(
    slack: SlackDouble, web: AsyncWebClient
) -> None:
    trigger = slack.new_trigger("U1")
    opened = await web.views_open(trigger_id=trigger, view=MODAL)
    top = slack.top_view("U1")
    assert top is not None and top["id"] == opened["view"]["id"]
    with pytest.raises(SlackApiError, match="trigger_exchanged"):
        await web.views_open(trigger_id=trigger, view=MODAL)

    late = slack.new_trigger("U1")
    slack.clock.advance(3.01)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        await web.views_open(trigger_id=late, view=MODAL)
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await web.views_open(trigger_id="12345.made.up", view=MODAL)

    # views.update keyed by hash: a stale hash is a conflict.
    vid, stale = opened["view"]["id"], opened["view"]["hash"]
    updated = await web.views_update(view_id=vid, hash=stale, view=MODAL)
    assert updated["view"]["id"] == vid and updated["view"]["hash"] != stale
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await web.views_update(view_id=vid, hash=stale, view=MODAL)


async def test_post_message_burst_is_rate_limited(
    slack: SlackDouble, web: AsyncWebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack.add_channel("C1")
    for i in range(3):
        await web.chat_postMessage(channel="C1", text=f"m{i}")
    with pytest.raises(SlackApiError) as info:
        await web.chat_postMessage(channel="C1", text="m3")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "1"
    assert info.value.response["error"] == "ratelimited"
    slack.add_channel("C2")
    await web.chat_postMessage(channel="C2", text="other channels are unaffected")

    # slack_sdk's handler sleeps Retry-After (+ jitter); let that sleep move the double's
    # clock instead of the wall clock, so the test proves the retry without waiting.
    waits: list[float] = []

    async def clock_sleep(seconds: float) -> None:
        waits.append(seconds)
        slack.clock.advance(seconds)

    monkeypatch.setattr(builtin_async_handlers, "asyncio", SimpleNamespace(sleep=clock_sleep))
    patient = AsyncWebClient(
        token=BOT, base_url=slack.api_url, retry_handlers=[AsyncRateLimitErrorRetryHandler()]
    )
    sent = await patient.chat_postMessage(channel="C1", text="m3 again")
    assert sent["ok"] and len(waits) == 1 and waits[0] >= 1
    assert [c.status for c in slack.calls_to("chat.postMessage")][-2:] == [429, 200]


async def test_response_url_limits(slack: SlackDouble) -> None:
    slack.add_channel("C1")
    url = slack.new_response_url(slack.base_url, "U1", "C1")
    hook = AsyncWebhookClient(url)
    for i in range(5):
        assert (await hook.send(text=f"r{i}")).status_code == 200
    used = await hook.send(text="r5")
    assert used.status_code == 404 and "used_url" in used.body
    bad = await AsyncWebhookClient(slack.new_response_url(slack.base_url, "U1", "C1")).send(
        text="x", blocks=[section("x")] * 51
    )
    assert bad.status_code == 400 and "invalid_blocks" in bad.body

    old = AsyncWebhookClient(slack.new_response_url(slack.base_url, "U1", "C1"))
    slack.clock.advance(30 * 60 + 1)
    expired = await old.send(text="too late")
    assert expired.status_code == 404 and "expired_url" in expired.body
    assert len(slack.responses) == 5


async def test_users_and_conversations(slack: SlackDouble, web: AsyncWebClient) -> None:
    found = await web.users_lookupByEmail(email="Avery.Quinn@microsoft.com")
    assert found["user"]["id"] == "U1"
    assert found["user"]["profile"]["email"] == "avery.quinn@microsoft.com"
    with pytest.raises(SlackApiError, match="users_not_found"):
        await web.users_lookupByEmail(email="nobody@microsoft.com")
    assert (await web.users_info(user="U1"))["user"]["tz"] == "America/Los_Angeles"
    with pytest.raises(SlackApiError, match="user_not_found"):
        await web.users_info(user="U404")

    slack.add_user("U2", "blake", "blake@microsoft.com")
    page1 = await web.users_list(limit=2)
    cursor = page1["response_metadata"]["next_cursor"]
    page2 = await web.users_list(limit=2, cursor=cursor)
    ids = [m["id"] for m in page1["members"] + page2["members"]]
    assert sorted(ids) == sorted(slack.users) and page2["response_metadata"]["next_cursor"] == ""

    dm = (await web.conversations_open(users="U1"))["channel"]["id"]
    assert dm == slack.dm_channel("U1")
    await web.chat_postMessage(channel=dm, text="Your morning digest")
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await web.api_call("chat.postEphemeral", json={"channel": dm, "text": "x"})
    await web.chat_postEphemeral(channel=dm, user="U1", text="only you")
    assert [m.text for m in slack.seen_by("U1", dm)] == ["Your morning digest", "only you"]
    assert slack.failed_calls and not slack.problems


async def test_wait_for_times_out_with_context(slack: SlackDouble) -> None:
    with pytest.raises(TimeoutError, match="recent calls"):
        await slack.wait_for(lambda: slack.responses, timeout=0.05)


async def test_send_without_a_connection_times_out(slack: SlackDouble) -> None:
    slack.connect_timeout = 0.05
    with pytest.raises(TimeoutError):
        await slack.send_event(payloads.app_home_opened("U1", "D1"))
