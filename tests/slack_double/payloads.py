"""Real-shaped Socket Mode messages and payloads (as Slack sends them, per slack_bolt's parsers)."""

from __future__ import annotations

import time
from typing import Any

from .state import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, VERIFICATION_TOKEN, SlackUser


def hello(num_connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {
            "host": "applink-double-1",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": APP_ID},
    }


def disconnect(reason: str) -> dict[str, Any]:
    return {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-double-1"}}


def user_ref(user: SlackUser) -> dict[str, Any]:
    """The `user` object of interactive payloads."""
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID}


def team_ref() -> dict[str, Any]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def slash_command(
    *,
    user: SlackUser,
    command: str,
    text: str,
    channel_id: str,
    channel_name: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, Any]:
    # Slack sends slash command fields as strings, booleans included.
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def find_element(
    blocks: list[dict[str, Any]] | None, action_id: str
) -> tuple[str, dict[str, Any]] | None:
    """(block_id, element) of the interactive element with this action_id, if any."""
    for block in blocks or []:
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                elements.append(block[key])
        for el in elements:
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return block.get("block_id", ""), el
    return None


def _all_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def action(
    *, action_id: str, block_id: str, value: Any, element: dict[str, Any] | None
) -> dict[str, Any]:
    """One entry of `actions` in a block_actions payload, shaped by the element's type."""
    kind = (element or {}).get("type", "button")
    out: dict[str, Any] = {
        "type": kind,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    options = _all_options(element or {})
    picked = next((o for o in options if o.get("value") == value), None)
    if kind == "button":
        out["text"] = (element or {}).get("text", {"type": "plain_text", "text": "button"})
        own = (element or {}).get("value")
        if element is not None and value is not None and value != own:
            raise ValueError(f"button {action_id!r} carries value {own!r}, not {value!r}")
        value = own if element is not None else value
        if value is not None:
            out["value"] = value
    elif kind in ("static_select", "overflow", "radio_buttons"):
        if options and picked is None:
            raise ValueError(f"{value!r} is not an option of {action_id!r}")
        out["selected_option"] = picked
    elif kind == "external_select":
        # The chosen option came from the options handler, so the caller passes it whole.
        out["selected_option"] = value
    elif kind in ("checkboxes", "multi_static_select"):
        wanted = list(value or [])
        out["selected_options"] = [o for o in options if o.get("value") in wanted]
    elif kind == "users_select":
        out["selected_user"] = value
    elif kind == "conversations_select":
        out["selected_conversation"] = value
    elif kind == "channels_select":
        out["selected_channel"] = value
    elif kind == "datepicker":
        out["selected_date"] = value
    elif kind == "timepicker":
        out["selected_time"] = value
    else:
        out["value"] = value
    return out


def block_actions(
    *,
    user: SlackUser,
    actions: list[dict[str, Any]],
    container: dict[str, Any],
    trigger_id: str,
    response_url: str | None,
    channel: dict[str, Any] | None,
    message: dict[str, Any] | None,
    view: dict[str, Any] | None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_ref(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": team_ref(),
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": actions,
    }
    if response_url is not None:
        payload["response_url"] = response_url
    if channel is not None:
        payload["channel"] = channel
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
    return payload


def block_suggestion(
    *, user: SlackUser, action_id: str, block_id: str, value: str, view: dict[str, Any] | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_suggestion",
        "user": user_ref(user),
        "container": {"type": "view", "view_id": view["id"]} if view else {"type": "message"},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": team_ref(),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["view"] = view
    return payload


def view_submission(
    *, user: SlackUser, view: dict[str, Any], values: dict[str, Any], trigger_id: str
) -> dict[str, Any]:
    submitted = dict(view)
    submitted["state"] = {"values": values}
    return {
        "type": "view_submission",
        "team": team_ref(),
        "user": user_ref(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event_callback(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-double-{event_id}",
    }


# ----- common events, for send_event()


def app_home_opened(user_id: str, channel_id: str, *, tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id,
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def message_im(user_id: str, channel_id: str, text: str) -> dict[str, Any]:
    ts = f"{time.time():.6f}"
    return {
        "type": "message",
        "channel_type": "im",
        "user": user_id,
        "channel": channel_id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": TEAM_ID,
    }


def link_shared(user_id: str, channel_id: str, message_ts: str, urls: list[str]) -> dict[str, Any]:
    return {
        "type": "link_shared",
        "user": user_id,
        "channel": channel_id,
        "message_ts": message_ts,
        "unfurl_id": f"unfurl-{message_ts}",
        "source": "conversations_history",
        "links": [{"url": u, "domain": u.split("/")[2] if "//" in u else u} for u in urls],
        "event_ts": f"{time.time():.6f}",
    }


# ----- view state for view_submission

_STATE_KEY = {
    "plain_text_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "number_input": "value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}


def state_entry(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element.get("type", "")
    key = _STATE_KEY.get(kind, "value")
    options = _all_options(element)
    if value is not None and key == "selected_option" and options:
        picked = next((o for o in options if o.get("value") == value), None)
        if picked is None:
            raise ValueError(f"{value!r} is not an option of {element.get('action_id')!r}")
        value = picked
    elif value is not None and key == "selected_options" and options:
        value = [o for o in options if o.get("value") in list(value)]
    elif value is not None and key == "value":
        value = str(value)  # Slack sends number_input values as strings too
    if value is None and key.endswith("s") and key.startswith("selected_"):
        value = []
    return {"type": kind, key: value}


_INITIAL = {
    "value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
}


def initial_entry(element: dict[str, Any]) -> dict[str, Any]:
    """An untouched input's state: its initial value (what the person sees in it)."""
    kind = element.get("type", "")
    key = _STATE_KEY.get(kind, "value")
    value = element.get(_INITIAL.get(key, ""))
    if value is None and key.startswith("selected_") and key.endswith("s"):
        value = []
    return {"type": kind, key: value}


def view_state_values(view: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """state.values for a view: every input block, as given in `inputs` or else as it
    was initially filled in (Slack reports an untouched input's initial value)."""
    values: dict[str, Any] = {}
    remaining = dict(inputs)
    for block in view.get("blocks") or []:
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        element = block["element"]
        action_id = element.get("action_id", "")
        entry = (
            state_entry(element, remaining.pop(action_id))
            if action_id in remaining
            else initial_entry(element)
        )
        values[block["block_id"]] = {action_id: entry}
    for action_id, value in remaining.items():
        found = find_element(view.get("blocks"), action_id)
        if found is None:
            raise ValueError(f"no element with action_id {action_id!r} in the view")
        values.setdefault(found[0], {})[action_id] = state_entry(found[1], value)
    return values


def check_required_inputs(view: dict[str, Any], values: dict[str, Any]) -> None:
    """Slack's client refuses to submit a modal with an empty required input."""
    for block in view.get("blocks") or []:
        if block.get("type") != "input" or block.get("optional"):
            continue
        entries = values.get(block["block_id"], {})
        if not any(
            v not in (None, "", [])
            for entry in entries.values()
            for k, v in entry.items()
            if k != "type"
        ):
            raise ValueError(f"required input {block['block_id']!r} is empty")


# ----- shortcuts (Slack's "shortcut" and "message_action" interaction payloads)


def global_shortcut(*, user: SlackUser, callback_id: str, trigger_id: str) -> dict[str, Any]:
    # A global shortcut comes from the composer or search: no channel, no response_url.
    return {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": team_ref(),
        "user": user_ref(user),
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
    }


def message_shortcut(
    *,
    user: SlackUser,
    callback_id: str,
    trigger_id: str,
    channel: dict[str, Any],
    message: dict[str, Any],
    response_url: str,
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": team_ref(),
        "user": user_ref(user),
        "channel": channel,
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message.get("ts"),
        "message": message,
    }
