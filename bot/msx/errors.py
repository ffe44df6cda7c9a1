"""What can go wrong talking to MSX, each with one line a seller can act on.

`user_message` says what happened and what to do. Nothing here ever holds a token:
messages are built from status codes and Dataverse's own error text only.
"""

from __future__ import annotations

import json

REFRESH_HINT = "`/msx refresh`"
_MAX_DETAIL = 300  # Dataverse messages can be long; a Slack line should not be.

# 0x80095ffe / "IP address is blocked": the caller is off corpnet (msx-field-notes.md).
OFF_VPN_MARKERS = ("0x80095ffe", "ip address is blocked")
MISSING_PRIVILEGE = "0x80040220"


class MsxProblem(Exception):
    """Base of every MSX failure; `user_message` is safe to show to a person."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class MsxError(MsxProblem):
    """Dataverse answered with an error (`status` is HTTP, `code` is Dataverse's hex code)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(_describe(status, code, message))

    @classmethod
    def from_body(cls, status: int, body: str | bytes) -> MsxError:
        code, message = parse_error_body(body)
        return cls(status, code, message)


class MsxUnreachable(MsxProblem):
    """No answer from MSX: refused, DNS, TLS, reset or timed out, after retries.

    `maybe_applied` is True when a write may have reached MSX before the answer was
    lost, so blindly re-sending it could create a duplicate.
    """

    def __init__(self, *, maybe_applied: bool = False, user_message: str | None = None) -> None:
        self.maybe_applied = maybe_applied
        super().__init__(
            user_message or f"MSX is unreachable: connect to the VPN, then {REFRESH_HINT}"
        )


class OffVpn(MsxUnreachable):
    """MSX refused our network address: off corpnet, so a new token cannot help."""

    def __init__(self) -> None:
        super().__init__(
            user_message=(
                "MSX blocked this network address (you seem to be off the VPN): "
                f"connect to the VPN, then {REFRESH_HINT}"
            ),
        )


class AuthProblem(MsxProblem):
    """Could not get, or MSX would not take, a sign-in token."""


class AzureCliMissing(AuthProblem):
    def __init__(self, tenant_id: str) -> None:
        super().__init__(
            "The Azure CLI is not installed: install it from https://aka.ms/installazurecli, "
            f"then `az login --tenant {tenant_id}`"
        )


class AzureCliNotSignedIn(AuthProblem):
    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"The Azure CLI is not signed in: run `az login --tenant {tenant_id}`")


class TokenRejected(AuthProblem):
    """401 again after a fresh token: the sign-in itself is no good."""

    def __init__(self, tenant_id: str | None = None) -> None:
        login = f"`az login --tenant {tenant_id}`" if tenant_id else "`az login`"
        super().__init__(
            "MSX rejected the sign-in token even after a refresh: "
            f"run {login} (or renew MSX_ACCESS_TOKEN), then {REFRESH_HINT}"
        )


class Throttled(MsxProblem):
    """MSX kept answering 429 after we had waited as long as we are willing to."""

    def __init__(self, waited_seconds: float, retry_after: float | None = None) -> None:
        self.waited_seconds = waited_seconds
        self.retry_after = retry_after
        later = f"in {retry_after:.0f} s" if retry_after else "in a few minutes"
        super().__init__(f"MSX is throttling us (waited {waited_seconds:.0f} s): try again {later}")


def _text(body: str | bytes) -> str:
    return body.decode(errors="replace") if isinstance(body, bytes) else body


def parse_error_body(body: str | bytes) -> tuple[str, str]:
    """`{"error":{"code","message"}}` -> (code, message); anything else -> ("", short text)."""
    text = _text(body)
    try:
        data = json.loads(text)
    except ValueError:
        return "", _one_line(text)
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or ""), _one_line(str(error.get("message") or ""))
    return "", _one_line(text)


def is_off_vpn(body: str | bytes) -> bool:
    lowered = _text(body).lower()
    return any(marker in lowered for marker in OFF_VPN_MARKERS)


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_DETAIL else flat[: _MAX_DETAIL - 1] + "…"


def _describe(status: int, code: str, message: str) -> str:
    what = f"MSX answered {status}" + (f" ({code})" if code else "")
    if message:
        # Dataverse's messages end with a full stop; ours follows.
        what += f": {message.removesuffix('.')}"
    if status == 403 or code == MISSING_PRIVILEGE:
        todo = "your MSX role lacks a privilege for this; ask your MSX admin"
    elif status == 404:
        todo = f"the record may have been deleted; run {REFRESH_HINT}"
    elif status >= 500:
        todo = f"MSX is having trouble; try {REFRESH_HINT} again in a few minutes"
    else:
        # Said in Slack and in a terminal alike: the log beside the database has the details.
        todo = "this is likely a bot bug; please report it with msx-bot.log"
    return f"{what}. What to do: {todo}"
