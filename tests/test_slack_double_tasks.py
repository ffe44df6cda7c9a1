"""What the Slack double gained for task logging: shortcuts, chat.getPermalink, a view's
state in block_actions and its initial values in submissions, and views.open's refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

try:  # importable both as tests.slack_double (rootdir on sys.path) and as slack_double
    from tests.slack_double import Clock, SlackDouble
except ImportError:
    from slack_double import Clock, SlackDouble  # type: ignore[no-redef]

BOT = "xoxb-test"
APP = "xapp-test"


def _options(n: int) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": f"o{i}"}, "value": f"v{i}"} for i in range(n)]


def _modal(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "form",
        "title": {"type": "plain_text", "text": "Form"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": blocks,
    }


def _input(block_id: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": block_id},
        "element": {"action_id": block_id, **element},
    }


FORM = _modal(
    [
        _input(
            "pick",
            {"type": "static_select", "options": _options(3), "initial_option": _options(3)[1]},
        ),
        _input("subject", {"type": "plain_text_input", "initial_value": "Prefilled"}),
        _input("when", {"type": "datepicker", "initial_date": "2026-05-04"}),
        _input(
            "done",
            {"type": "checkboxes", "options": _options(1), "initial_options": _options(1)},
            optional=True,
        ),
        _input("notes", {"type": "plain_text_input", "multiline": True}, optional=True),
    ]
)


@pytest.fixture
async def slack() -> AsyncIterator[SlackDouble]:
    async with SlackDouble(bot_token=BOT, app_token=APP, clock=Clock(frozen_at=1000.0)) as double:
        double.add_user("U1", "avery", "avery@example.com")
        yield double


@pytest.fixture
async def web(slack: SlackDouble) -> AsyncWebClient:
    return AsyncWebClient(token=BOT, base_url=slack.api_url)


@pytest.fixture
async def bolt(slack: SlackDouble) -> AsyncIterator[AsyncApp]:
    app = AsyncApp(client=AsyncWebClient(token=BOT, base_url=slack.api_url))
    handler = AsyncSocketModeHandler(app, APP)
    await handler.connect_async()
    await slack.wait_connected()
    try:
        yield app
    finally:
        await handler.close_async()


async def test_global_and_message_shortcuts_reach_bolt(slack: SlackDouble, bolt: AsyncApp) -> None:
    seen: list[dict[str, Any]] = []

    @bolt.shortcut("log_hok_task")
    async def global_shortcut(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        seen.append(shortcut)

    @bolt.shortcut("log_hok_task_from_message")
    async def message_shortcut(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        seen.append(shortcut)

    env = await slack.send_global_shortcut("U1", "log_hok_task")
    await slack.wait_ack(env)
    # A global shortcut: a trigger, but neither channel nor response_url.
    assert env.payload["type"] == "shortcut" and env.trigger_id
    assert "response_url" not in env.payload and "channel" not in env.payload

    message = slack.post_as_user("U2", "C5", "Workshop with Contoso\nDetails")
    env = await slack.send_message_shortcut("U1", "log_hok_task_from_message", message)
    await slack.wait_ack(env)
    await slack.wait_for(lambda: len(seen) == 2)
    payload = seen[1]
    assert payload["type"] == "message_action"
    assert payload["channel"]["id"] == "C5" and payload["message_ts"] == message.ts
    assert payload["message"]["text"].startswith("Workshop with Contoso")
    assert payload["message"]["user"] == "U2" and "bot_id" not in payload["message"]
    assert payload["response_url"].startswith(slack.base_url)
    slack.assert_no_problems()


async def test_a_message_shortcut_needs_a_message_the_user_sees(slack: SlackDouble) -> None:
    message = slack.post_as_user("U2", "C5", "hello")
    message.deleted = True
    with pytest.raises(ValueError, match="cannot see"):
        await slack.send_message_shortcut("U1", "log_hok_task_from_message", message)


async def test_get_permalink(slack: SlackDouble, web: AsyncWebClient) -> None:
    message = slack.post_as_user("U2", "C5", "hello")
    answer = await web.chat_getPermalink(channel="C5", message_ts=message.ts)
    assert answer["permalink"] == (
        f"https://msx-double.slack.com/archives/C5/p{message.ts.replace('.', '')}"
    )
    reply = slack.post_as_user("U2", "C5", "in thread", thread_ts=message.ts)
    threaded = await web.chat_getPermalink(channel="C5", message_ts=reply.ts)
    assert f"thread_ts={message.ts}" in threaded["permalink"]
    for channel, ts, error in [
        ("C404", message.ts, "channel_not_found"),
        ("C5", "1.000001", "message_not_found"),
    ]:
        with pytest.raises(SlackApiError) as raised:
            await web.chat_getPermalink(channel=channel, message_ts=ts)
        assert raised.value.response["error"] == error


async def test_an_untouched_input_submits_its_initial_value(
    slack: SlackDouble, web: AsyncWebClient, bolt: AsyncApp
) -> None:
    await web.views_open(trigger_id=slack.new_trigger("U1"), view=FORM)
    view = slack.top_view("U1")
    assert view is not None
    env = await slack.send_view_submission("U1", view, inputs={"notes": "typed"})
    values = env.payload["view"]["state"]["values"]
    assert values["pick"]["pick"]["selected_option"]["value"] == "v1"
    assert values["subject"]["subject"]["value"] == "Prefilled"
    assert values["when"]["when"]["selected_date"] == "2026-05-04"
    assert [o["value"] for o in values["done"]["done"]["selected_options"]] == ["v0"]
    assert values["notes"]["notes"]["value"] == "typed"
    # Clearing a prefilled required input is what Slack's client refuses to submit.
    with pytest.raises(ValueError, match="required input 'subject'"):
        await slack.send_view_submission("U1", view, inputs={"subject": None})


async def test_block_actions_in_a_view_carry_its_state(
    slack: SlackDouble, web: AsyncWebClient, bolt: AsyncApp
) -> None:
    await web.views_open(trigger_id=slack.new_trigger("U1"), view=FORM)
    view = slack.top_view("U1")
    assert view is not None
    env = await slack.send_block_action("U1", "pick", "v2", view=view, inputs={"notes": "so far"})
    state = env.payload["view"]["state"]["values"]
    assert state["pick"]["pick"]["selected_option"]["value"] == "v2"  # the new choice
    assert state["notes"]["notes"]["value"] == "so far"
    assert state["subject"]["subject"]["value"] == "Prefilled"
    assert env.payload["view"]["hash"] == view["hash"]


async def test_views_open_refuses_what_slack_refuses(
    slack: SlackDouble, web: AsyncWebClient
) -> None:
    async def error_of(view: dict[str, Any], trigger: str | None = None) -> str:
        with pytest.raises(SlackApiError) as raised:
            await web.views_open(trigger_id=trigger or slack.new_trigger("U1"), view=view)
        return str(raised.value.response["error"])

    too_many = _modal([_input("pick", {"type": "static_select", "options": _options(101)})])
    assert await error_of(too_many) == "invalid_blocks"
    long_modal = _modal([{"type": "divider"}] * 101)
    assert await error_of(long_modal) == "invalid_blocks"
    long_title = {**FORM, "title": {"type": "plain_text", "text": "x" * 25}}
    assert await error_of(long_title) == "invalid_arguments"

    trigger = slack.new_trigger("U1")
    await web.views_open(trigger_id=trigger, view=FORM)
    assert await error_of(FORM, trigger) == "trigger_exchanged"
    late = slack.new_trigger("U1")
    slack.clock.advance(3.1)
    assert await error_of(FORM, late) == "expired_trigger_id"


async def test_checkbox_initial_options_must_be_among_the_options(
    slack: SlackDouble, web: AsyncWebClient
) -> None:
    stray = {"text": {"type": "plain_text", "text": "other"}, "value": "v9"}
    view = _modal(
        [_input("done", {"type": "checkboxes", "options": _options(1), "initial_options": [stray]})]
    )
    with pytest.raises(SlackApiError) as raised:
        await web.views_open(trigger_id=slack.new_trigger("U1"), view=view)
    assert raised.value.response["error"] == "invalid_blocks"
