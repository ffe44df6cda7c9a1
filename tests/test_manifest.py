"""The Slack app manifest: valid per Slack's manifest schema, and in step with the code.

The limits below are written out by hand from Slack's published JSON Schema
(github.com/slackapi/manifest-schema, `manifest.schema.json`, tag v0.5.0). A manifest
without `_metadata.major_version` is checked against `schemas/manifest.schema.1.0.0.json`,
whose `definitions` are cited as `schema: <definition>` next to each limit. Where the
schema says nothing and Slack's manifest reference does
(docs.slack.dev/reference/app-manifest), the comment says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

import bot.slack.app as slack_app

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_YAML = ROOT / "manifest" / "manifest.yaml"
MANIFEST_JSON = ROOT / "manifest" / "manifest.json"

# schema: top level, `additionalProperties: false`, `required: ["display_information"]`
# (the hosted-app keys it also allows, functions, workflows, datastores and the like, are left out).
TOP_LEVEL_KEYS = {
    "$schema",
    "_metadata",
    "app_directory",
    "display_information",
    "features",
    "oauth_config",
    "settings",
}
# schema: app-manifests.v1.display_information.schema
NAME_LEN = (1, 35)
DESCRIPTION_LEN = (1, 140)
LONG_DESCRIPTION_LEN = (175, 4000)
BACKGROUND_COLOR_LEN = (4, 7)
BACKGROUND_COLOR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
DISPLAY_INFORMATION_KEYS = {"name", "description", "background_color", "long_description"}
# schema: app-manifests.v1.features.schema (the keys of `features` this app may use)
FEATURE_KEYS = {
    "app_home",
    "bot_user",
    "functions",
    "shortcuts",
    "slash_commands",
    "workflow_steps",
    "unfurl_domains",
    "assistant_view",
    "agent_view",
}
# schema: app-manifests.v1.features.bot_user: display_name 1-80, required.
BOT_DISPLAY_NAME_LEN = (1, 80)
# Not in the schema; Slack's manifest reference: "Allowed characters: a-z, 0-9, -, _, and .".
BOT_DISPLAY_NAME = re.compile(r"^[a-z0-9._-]+$")
BOT_USER_KEYS = {"display_name", "always_online"}
# schema: app-manifests.v1.features.app_home
APP_HOME_KEYS = {"home_tab_enabled", "messages_tab_enabled", "messages_tab_read_only_enabled"}
# schema: app-manifests.v1.features.slash_commands: 1-50 items, each with
# command 2-32 chars matching ^\/, description 1-2000, usage_hint 1-1000, url ^https?:\/\/.
SLASH_COMMANDS_COUNT = (1, 50)
COMMAND_LEN = (2, 32)
COMMAND = re.compile(r"^\/")
COMMAND_DESCRIPTION_LEN = (1, 2000)
USAGE_HINT_LEN = (1, 1000)
SLASH_COMMAND_KEYS = {"command", "url", "description", "usage_hint", "should_escape"}
# schema: app-manifests.v1.oauth_config.schema and .scopes: at most 255 scopes of <= 50 chars.
OAUTH_KEYS = {"redirect_urls", "scopes", "token_management_enabled", "pkce_enabled"}
SCOPES_KEYS = {"user", "bot", "user_optional", "bot_optional"}
SCOPES_MAX = 255
SCOPE_LEN_MAX = 50
# schema: app-manifests.v1.settings.schema
SETTINGS_KEYS = {
    "allowed_ip_address_ranges",
    "event_subscriptions",
    "incoming_webhooks",
    "interactivity",
    "org_deploy_enabled",
    "socket_mode_enabled",
    "is_hosted",
    "token_rotation_enabled",
    "siws_links",
    "hermes_app_type",
    "function_runtime",
    "is_mcp_enabled",
}
# schema: app-manifests.v1.settings.event_subscriptions: bot_events <= 100 unique, <= 50 chars.
EVENT_SUBSCRIPTION_KEYS = {"request_url", "user_events", "bot_events", "metadata_subscriptions"}
BOT_EVENTS_MAX = 100
EVENT_LEN_MAX = 50
# schema: app-manifests.v1.settings.interactivity: `required: ["is_enabled"]`.
INTERACTIVITY_KEYS = {"is_enabled", "request_url", "message_menu_options_url"}

# The schema does not list scopes; these are bot scopes from Slack's scope reference
# (docs.slack.dev/reference/scopes), enough to catch a typo such as `user:read`.
KNOWN_BOT_SCOPES = {
    "app_mentions:read",
    "assistant:write",
    "bookmarks:read",
    "bookmarks:write",
    "calls:read",
    "calls:write",
    "canvases:read",
    "canvases:write",
    "channels:history",
    "channels:join",
    "channels:manage",
    "channels:read",
    "channels:write.invites",
    "channels:write.topic",
    "chat:write",
    "chat:write.customize",
    "chat:write.public",
    "commands",
    "dnd:read",
    "emoji:read",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "groups:write",
    "groups:write.invites",
    "groups:write.topic",
    "im:history",
    "im:read",
    "im:write",
    "im:write.topic",
    "incoming-webhook",
    "links.embed:write",
    "links:read",
    "links:write",
    "metadata.message:read",
    "mpim:history",
    "mpim:read",
    "mpim:write",
    "mpim:write.topic",
    "pins:read",
    "pins:write",
    "reactions:read",
    "reactions:write",
    "reminders:read",
    "reminders:write",
    "remote_files:read",
    "remote_files:share",
    "remote_files:write",
    "team.billing:read",
    "team.preferences:read",
    "team:read",
    "usergroups:read",
    "usergroups:write",
    "users.profile:read",
    "users:read",
    "users:read.email",
    "users:write",
    "workflow.steps:execute",
}

# What the bot does today, and the scope each piece needs: no more.
# Why each bot scope is there; README.md says the same to the person creating the app.
NEEDED_BOT_SCOPES = {
    "commands": "the /msx slash command",
    "chat:write": "chat.postMessage: the answer to a direct message",
    "im:history": "the message.im event: a direct message to the bot",
    "users:read": "users.info: who is asking",
    "users:read.email": "users.info's e-mail (who may use it) and users.lookupByEmail (@-mentions)",
    "links:read": "the link_shared event: an MSX link pasted in a conversation",
    "links:write": "chat.unfurl: that link's card",
}
# Every Slack Web API method the code calls, and the bot scopes it needs (docs.slack.dev,
# each method's "Required scopes"). apps.connections.open takes the app-level token, whose
# one scope (connections:write) is not a bot scope.
METHOD_SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    "apps_connections_open": set(),
    # Slack's method reference: views.* and chat.getPermalink need no scope.
    "views_open": set(),
    "views_update": set(),
    "chat_getPermalink": set(),
    "chat_postMessage": {"chat:write"},
    "users_info": {"users:read"},
    "users_lookupByEmail": {"users:read.email"},
    "views_publish": set(),
    "chat_unfurl": {"links:write"},
}
# The bot scopes a subscribed event needs (docs.slack.dev, each event's "Required scopes").
EVENT_SCOPES: dict[str, set[str]] = {
    "app_home_opened": set(),
    "message.im": {"im:history"},
    "link_shared": {"links:read"},
}
EVENT_NEEDS_FEATURE = {
    "app_home_opened": ("app_home", "home_tab_enabled"),
    "message.im": ("app_home", "messages_tab_enabled"),
}


def _load_yaml() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load(MANIFEST_YAML.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return _load_yaml()


def _within(value: str, bounds: tuple[int, int]) -> bool:
    low, high = bounds
    return low <= len(value) <= high


class _Recorder:
    """Stands in for AsyncApp in `build_app`: records what the bot registers."""

    def __init__(self, **_: Any) -> None:
        self.client = None
        self.commands: list[str] = []
        self.events: list[str] = []
        self.actions: list[Any] = []
        self.shortcuts: list[Any] = []
        self.views: list[Any] = []
        self.options_: list[Any] = []

    def _record(self, into: list[Any], key: Any) -> Any:
        into.append(key)
        return lambda listener: listener

    def command(self, name: str) -> Any:
        return self._record(self.commands, name)

    def event(self, name: str) -> Any:
        return self._record(self.events, name)

    def action(self, constraint: Any) -> Any:
        return self._record(self.actions, constraint)

    def shortcut(self, constraint: Any) -> Any:
        return self._record(self.shortcuts, constraint)

    def view(self, constraint: Any) -> Any:
        return self._record(self.views, constraint)

    def options(self, constraint: Any) -> Any:
        return self._record(self.options_, constraint)

    def use(self, middleware: Any) -> None:
        pass

    async def async_dispatch(self, request: Any) -> Any:
        raise AssertionError("registration dispatches nothing")


@pytest.fixture(scope="module")
def registered() -> _Recorder:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(slack_app, "AsyncApp", _Recorder)
        # Registration only defines closures over deps and client: neither is touched.
        app = slack_app.build_app(cast(Any, None), cast(Any, None))
    return cast(_Recorder, app)


# --- the file itself ---------------------------------------------------------------------


def test_yaml_and_json_say_the_same() -> None:
    assert _load_yaml() == json.loads(MANIFEST_JSON.read_text(encoding="utf-8"))


def test_top_level_keys(manifest: dict[str, Any]) -> None:
    assert "display_information" in manifest
    assert set(manifest) <= TOP_LEVEL_KEYS
    assert {"features", "oauth_config", "settings"} <= set(manifest)


def test_no_request_url_anywhere(manifest: dict[str, Any]) -> None:
    # Socket Mode: Slack reaches the bot over its websocket, never over HTTP.
    text = json.dumps(manifest)
    for key in ("request_url", "url", "message_menu_options_url", "redirect_urls"):
        assert f'"{key}"' not in text


# --- display_information -----------------------------------------------------------------


def test_display_information(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert set(info) <= DISPLAY_INFORMATION_KEYS
    assert info["name"] == "MSX Bot"
    assert _within(info["name"], NAME_LEN)
    assert _within(info["description"], DESCRIPTION_LEN)
    if "long_description" in info:
        assert _within(info["long_description"], LONG_DESCRIPTION_LEN)
    assert _within(info["background_color"], BACKGROUND_COLOR_LEN)
    assert BACKGROUND_COLOR.match(info["background_color"])


# --- features ----------------------------------------------------------------------------


def test_bot_user(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    assert set(features) <= FEATURE_KEYS
    bot_user = features["bot_user"]
    assert set(bot_user) <= BOT_USER_KEYS
    assert _within(bot_user["display_name"], BOT_DISPLAY_NAME_LEN)
    assert BOT_DISPLAY_NAME.match(bot_user["display_name"])
    assert bot_user["always_online"] is False


def test_app_home(manifest: dict[str, Any]) -> None:
    home = manifest["features"]["app_home"]
    assert set(home) <= APP_HOME_KEYS
    assert home == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }


def test_slash_command_within_schema(manifest: dict[str, Any]) -> None:
    commands = manifest["features"]["slash_commands"]
    assert SLASH_COMMANDS_COUNT[0] <= len(commands) <= SLASH_COMMANDS_COUNT[1]
    for entry in commands:
        assert set(entry) <= SLASH_COMMAND_KEYS
        assert {"command", "description"} <= set(entry)
        assert _within(entry["command"], COMMAND_LEN)
        assert COMMAND.match(entry["command"])
        assert _within(entry["description"], COMMAND_DESCRIPTION_LEN)
        assert _within(entry["usage_hint"], USAGE_HINT_LEN)
        assert entry["should_escape"] is False
        assert "url" not in entry  # Socket Mode


def test_usage_hint_names_every_subcommand(manifest: dict[str, Any]) -> None:
    from bot.slack.commands import SUBCOMMANDS

    (entry,) = manifest["features"]["slash_commands"]
    hint = (
        "accounts | team <account> | milestones <account> | log [account] | tasks | refresh "
        "| digest [on HH:MM, off, now] | help"
    )
    assert entry["usage_hint"] == hint
    hinted = [part.split()[0] for part in entry["usage_hint"].split("|")]
    assert hinted == list(SUBCOMMANDS)


# --- oauth_config ------------------------------------------------------------------------


def test_scopes_within_schema(manifest: dict[str, Any]) -> None:
    oauth = manifest["oauth_config"]
    assert set(oauth) <= OAUTH_KEYS
    scopes = oauth["scopes"]
    assert set(scopes) <= SCOPES_KEYS
    assert set(scopes) == {"bot"}  # no user token
    bot_scopes = scopes["bot"]
    assert len(bot_scopes) <= SCOPES_MAX
    assert all(len(scope) <= SCOPE_LEN_MAX for scope in bot_scopes)
    assert len(set(bot_scopes)) == len(bot_scopes)
    assert set(bot_scopes) <= KNOWN_BOT_SCOPES


def test_scopes_are_exactly_what_the_bot_needs(manifest: dict[str, Any]) -> None:
    bot_scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert bot_scopes == set(NEEDED_BOT_SCOPES)
    # Slack grants users:read.email only beside users:read.
    if "users:read.email" in bot_scopes:
        assert "users:read" in bot_scopes


def _web_api_methods_called() -> set[str]:
    """AsyncWebClient methods named anywhere in bot/ (called, or passed on to be called)."""
    from slack_sdk.web.async_client import AsyncWebClient

    api = {name for name in dir(AsyncWebClient) if not name.startswith("_")}
    api -= {"api_call", "headers", "token", "base_url", "timeout", "ssl", "proxy", "session"}
    named: set[str] = set()
    for source in (ROOT / "bot").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        named |= set(re.findall(r"client\.([A-Za-z_]+)\b", text))
        assert "api_call(" not in text, f"{source}: call Web API methods by name, not api_call"
    return named & api


def test_every_slack_method_the_code_calls_is_covered() -> None:
    called = _web_api_methods_called()
    assert {"users_info", "users_lookupByEmail", "views_publish", "auth_test"} <= called
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"say which scopes {sorted(unknown)} need in METHOD_SCOPES"
    stale = set(METHOD_SCOPES) - called
    assert not stale, f"METHOD_SCOPES lists {sorted(stale)}, which no code calls"


def test_scopes_are_what_the_code_calls_and_listens_to(manifest: dict[str, Any]) -> None:
    bot_scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    needed = {"commands"} if manifest["features"]["slash_commands"] else set()
    needed |= set().union(*(METHOD_SCOPES[m] for m in _web_api_methods_called()))
    needed |= set().union(*(EVENT_SCOPES[e] for e in events))
    assert bot_scopes == needed


def test_the_readme_says_why_each_scope_is_there(manifest: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Create the app") : readme.index("### Who may use it")]
    for scope in manifest["oauth_config"]["scopes"]["bot"]:
        line = next((ln for ln in section.splitlines() if f"`{scope}`" in ln), None)
        assert line is not None, f"README's Create the app does not name {scope}"
        assert ":" in line.split(f"`{scope}`", 1)[1], f"README does not say why {scope}"


# --- settings ----------------------------------------------------------------------------


def test_settings_for_socket_mode(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert set(settings) <= SETTINGS_KEYS
    assert settings["socket_mode_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    interactivity = settings["interactivity"]
    assert set(interactivity) <= INTERACTIVITY_KEYS
    assert interactivity == {"is_enabled": True}


def test_bot_events_within_schema(manifest: dict[str, Any]) -> None:
    subscriptions = manifest["settings"]["event_subscriptions"]
    assert set(subscriptions) <= EVENT_SUBSCRIPTION_KEYS
    assert set(subscriptions) == {"bot_events"}
    events = subscriptions["bot_events"]
    assert len(events) <= BOT_EVENTS_MAX
    assert len(set(events)) == len(events)
    assert all(len(event) <= EVENT_LEN_MAX for event in events)


def test_events_need_their_features(manifest: dict[str, Any]) -> None:
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        if event in EVENT_NEEDS_FEATURE:
            feature, switch = EVENT_NEEDS_FEATURE[event]
            assert manifest["features"][feature][switch] is True, event


# --- in step with the code ---------------------------------------------------------------


def test_the_command_the_bot_registers_is_the_manifests(
    manifest: dict[str, Any], registered: _Recorder
) -> None:
    declared = [entry["command"] for entry in manifest["features"]["slash_commands"]]
    assert registered.commands == ["/msx"]
    assert sorted(declared) == sorted(registered.commands)


def test_command_listener_source_says_msx() -> None:
    source = (ROOT / "bot/slack/listeners/command.py").read_text(encoding="utf-8")
    assert 'app.command("/msx")' in source


def test_subscribed_events_are_exactly_the_ones_listened_to(
    manifest: dict[str, Any], registered: _Recorder
) -> None:
    subscribed = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert "app_home_opened" in registered.events
    # "message.im" is the `message` event in a DM: the listener checks channel_type.
    assert {e.removesuffix(".im") for e in subscribed} == set(registered.events)


def test_buttons_need_interactivity(manifest: dict[str, Any], registered: _Recorder) -> None:
    assert registered.actions  # Refresh, pages, picking an account, Open in MSX
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


# --- shortcuts (issue 11) ----------------------------------------------------------------

# schema: app-manifests.v1.features.shortcuts: at most 10, each with name 1-24,
# callback_id 1-255, description 1-150, type global | message; all four required.
SHORTCUTS_MAX = 10
SHORTCUT_NAME_LEN = (1, 24)
SHORTCUT_CALLBACK_LEN = (1, 255)
SHORTCUT_DESCRIPTION_LEN = (1, 150)
SHORTCUT_KEYS = {"name", "type", "callback_id", "description"}


def test_shortcuts_within_schema(manifest: dict[str, Any]) -> None:
    shortcuts = manifest["features"]["shortcuts"]
    assert 1 <= len(shortcuts) <= SHORTCUTS_MAX
    for entry in shortcuts:
        assert set(entry) == SHORTCUT_KEYS
        assert _within(entry["name"], SHORTCUT_NAME_LEN), entry["name"]
        assert _within(entry["callback_id"], SHORTCUT_CALLBACK_LEN)
        assert _within(entry["description"], SHORTCUT_DESCRIPTION_LEN), entry["description"]
        assert entry["type"] in ("global", "message")
    assert len({e["callback_id"] for e in shortcuts}) == len(shortcuts)


def test_the_shortcuts_the_bot_listens_to_are_the_manifests(
    manifest: dict[str, Any], registered: _Recorder
) -> None:
    declared = {e["callback_id"]: e["type"] for e in manifest["features"]["shortcuts"]}
    assert declared == {"log_hok_task": "global", "log_hok_task_from_message": "message"}
    assert sorted(registered.shortcuts) == sorted(declared)
    # Shortcuts, the modal and its searchable selects all arrive as interactivity.
    assert registered.views and registered.options_
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_unfurl_domains_are_the_msx_host(manifest: dict[str, Any]) -> None:
    from urllib.parse import urlsplit

    from bot.config import Settings

    domains = manifest["features"]["unfurl_domains"]
    assert 1 <= len(domains) <= 5  # Slack's manifest schema
    host = urlsplit(Settings.model_fields["msx_base_url"].default).hostname
    assert domains == [host]
    assert "link_shared" in manifest["settings"]["event_subscriptions"]["bot_events"]
