"""Which Slack answers mean a token must be fixed, and the one line that says how."""

from __future__ import annotations

from typing import Literal

Variable = Literal["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"]

# Slack's answers that no retry can change: a person must fix the token.
FATAL_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type"}
)

_WHERE: dict[str, str] = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-) from the app's Install App page",
    "SLACK_APP_TOKEN": (
        "an app-level token (xapp-) with connections:write, from the app's "
        "Basic Information → App-Level Tokens"
    ),
}


class SlackTokenRefused(Exception):
    """Slack refused one of our tokens for good; `user_message` names it and the fix."""

    def __init__(self, variable: Variable, error: str) -> None:
        self.variable = variable
        self.error = error
        what = {
            "not_allowed_token_type": "is the wrong kind of token",
            "token_revoked": "was revoked",
            "account_inactive": "belongs to a deactivated app or user",
        }.get(error, "is not valid")
        self.user_message = (
            f"Slack refused {variable} ({error}): it {what}; set it to {_WHERE[variable]}"
        )
        super().__init__(self.user_message)


def refused(variable: Variable, error: object) -> SlackTokenRefused | None:
    """The refusal for a Slack error code, or None when retrying may help."""
    return SlackTokenRefused(variable, str(error)) if error in FATAL_ERRORS else None
