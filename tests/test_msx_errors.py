"""What a seller reads when MSX fails: one line saying what happened and what to do."""

from __future__ import annotations

import json

import pytest

from bot.msx.errors import (
    AzureCliMissing,
    AzureCliNotSignedIn,
    MsxError,
    MsxProblem,
    MsxUnreachable,
    OffVpn,
    Throttled,
    TokenRejected,
    is_off_vpn,
    parse_error_body,
)

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}})


@pytest.mark.parametrize(
    ("status", "code", "message", "expected"),
    [
        (
            403,
            "0x80040220",
            "Principal user is missing prvReadAccount privilege",
            "MSX answered 403 (0x80040220): Principal user is missing prvReadAccount privilege."
            " What to do: your MSX role lacks a privilege for this; ask your MSX admin",
        ),
        # The missing-privilege code means the same whatever the status.
        (
            400,
            "0x80040220",
            "",
            "MSX answered 400 (0x80040220). What to do: your MSX role lacks a privilege for"
            " this; ask your MSX admin",
        ),
        (
            403,
            "",
            "",
            "MSX answered 403. What to do: your MSX role lacks a privilege for this;"
            " ask your MSX admin",
        ),
        (
            404,
            "0x80040217",
            "account With Id = 1 Does Not Exist",
            "MSX answered 404 (0x80040217): account With Id = 1 Does Not Exist."
            " What to do: the record may have been deleted; run `/msx refresh`",
        ),
        (
            500,
            "0x80040216",
            "An unexpected error occurred.",
            "MSX answered 500 (0x80040216): An unexpected error occurred."
            " What to do: MSX is having trouble; try `/msx refresh` again in a few minutes",
        ),
        (
            503,
            "",
            "",
            "MSX answered 503. What to do: MSX is having trouble; try `/msx refresh` again"
            " in a few minutes",
        ),
        (
            499,
            "",
            "",
            "MSX answered 499. What to do: this is likely a bot bug; please report it with"
            " msx-bot.log",
        ),
        (
            400,
            "0x80060888",
            "Could not find a property named 'nme'.",
            "MSX answered 400 (0x80060888): Could not find a property named 'nme'."
            " What to do: this is likely a bot bug; please report it with msx-bot.log",
        ),
    ],
)
def test_an_msx_error_says_what_happened_and_what_to_do(
    status: int, code: str, message: str, expected: str
) -> None:
    error = MsxError.from_body(status, body(code, message))
    assert error.user_message == expected
    assert str(error) == expected
    assert (error.status, error.code, error.message) == (status, code, message)
    assert isinstance(error, MsxProblem)


def test_the_error_body_is_read_from_json_text_or_bytes() -> None:
    assert parse_error_body(body("0x80040217", "Not found")) == ("0x80040217", "Not found")
    assert parse_error_body(body("0x1", "Bad").encode()) == ("0x1", "Bad")
    # A body that is not Dataverse's error shape: its text, on one line.
    html = "<html>\n  Bad   gateway\n</html>"
    assert parse_error_body(html) == ("", "<html> Bad gateway </html>")
    assert parse_error_body(b"\xff\xfeoops") == ("", "\ufffd\ufffdoops")
    assert parse_error_body('{"message": "no error key"}') == ("", '{"message": "no error key"}')
    assert parse_error_body('["a list"]') == ("", '["a list"]')
    assert parse_error_body('{"error": "a string"}') == ("", '{"error": "a string"}')
    assert parse_error_body('{"error": {"code": null, "message": null}}') == ("", "")
    assert parse_error_body('{"error": {"code": 12}}') == ("12", "")


def test_a_long_message_is_cut_to_one_short_line() -> None:
    long = "word " * 100  # 500 characters
    message = parse_error_body(body("0x1", long))[1]
    assert len(message) == 300
    assert message == ("word " * 60)[:299] + "…"
    # 300 characters exactly are kept whole.
    exact = "x" * 300
    assert parse_error_body(body("0x1", exact))[1] == exact
    assert parse_error_body("y" * 301)[1] == "y" * 299 + "…"


@pytest.mark.parametrize(
    "text",
    [
        body("0x80095ffe", "Access denied"),
        "The IP address is blocked by policy",
        "IP ADDRESS IS BLOCKED",
    ],
)
def test_off_vpn_answers_are_recognised(text: str) -> None:
    assert is_off_vpn(text)
    assert is_off_vpn(text.encode())


def test_an_off_vpn_answer_in_bytes_that_are_not_utf8_is_still_recognised() -> None:
    assert is_off_vpn(b"\xff\xfe IP address is blocked")
    assert not is_off_vpn(b"\xff\xfe Forbidden")


def test_other_403s_are_not_off_vpn() -> None:
    assert not is_off_vpn(body("0x80040220", "Principal user is missing a privilege"))
    assert not is_off_vpn(b"")


def test_unreachable_tells_the_seller_to_connect() -> None:
    error = MsxUnreachable()
    assert error.user_message == "MSX is unreachable: connect to the VPN, then `/msx refresh`"
    assert not error.maybe_applied
    assert MsxUnreachable(maybe_applied=True).maybe_applied


def test_off_vpn_says_the_address_was_blocked() -> None:
    error = OffVpn()
    assert error.user_message == (
        "MSX blocked this network address (you seem to be off the VPN): "
        "connect to the VPN, then `/msx refresh`"
    )
    assert isinstance(error, MsxUnreachable)
    assert not error.maybe_applied


def test_sign_in_problems_name_the_tenant() -> None:
    assert AzureCliMissing(TENANT).user_message == (
        "The Azure CLI is not installed: install it from https://aka.ms/installazurecli, "
        f"then `az login --tenant {TENANT}`"
    )
    assert AzureCliNotSignedIn(TENANT).user_message == (
        f"The Azure CLI is not signed in: run `az login --tenant {TENANT}`"
    )
    assert TokenRejected(TENANT).user_message == (
        "MSX rejected the sign-in token even after a refresh: "
        f"run `az login --tenant {TENANT}` (or renew MSX_ACCESS_TOKEN), then `/msx refresh`"
    )
    assert TokenRejected().user_message == (
        "MSX rejected the sign-in token even after a refresh: "
        "run `az login` (or renew MSX_ACCESS_TOKEN), then `/msx refresh`"
    )


def test_throttled_says_how_long_we_waited_and_when_to_retry() -> None:
    assert Throttled(95.4, 20.0).user_message == (
        "MSX is throttling us (waited 95 s): try again in 20 s"
    )
    assert Throttled(100.0).user_message == (
        "MSX is throttling us (waited 100 s): try again in a few minutes"
    )
    assert Throttled(0.0, 0.0).user_message == (
        "MSX is throttling us (waited 0 s): try again in a few minutes"
    )
    assert Throttled(12.0, 30.0).waited_seconds == 12.0
