"""Which MSX record a pasted link names, and the links that name none."""

from __future__ import annotations

import pytest

from bot.msx.links import RecordLink, record_link

BASE = "https://msx.example.test"
ID = "8c05af24-749d-e811-a848-000d3a1bbc2c"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{BASE}/main.aspx?etn=account&id={ID}", RecordLink("account", ID)),
        # As MSX's address bar shows it: app id first, the GUID braced and upper case.
        (
            f"{BASE}/main.aspx?appid=x&pagetype=entityrecord&etn=msp_engagementmilestone"
            f"&id=%7B{ID.upper()}%7D",
            RecordLink("milestone", ID),
        ),
        # Pasted by hand: http, a host in capitals, spaces around it.
        (f"  http://MSX.Example.TEST/main.aspx?ETN=Account&ID={ID} ", RecordLink("account", ID)),
    ],
)
def test_a_record_link_names_its_kind_and_id(url: str, expected: RecordLink) -> None:
    assert record_link(url, BASE) == expected


@pytest.mark.parametrize(
    "url",
    [
        f"ftp://msx.example.test/main.aspx?etn=account&id={ID}",
        f"https://other.example.test/main.aspx?etn=account&id={ID}",
        f"https://msx.example.test/other.aspx?etn=account&id={ID}",
        f"https://msx.example.test/main.aspx?etn=contact&id={ID}",
        f"https://msx.example.test/main.aspx?id={ID}",
        "https://msx.example.test/main.aspx?etn=account&id=not-a-guid",
        "https://msx.example.test/main.aspx?etn=account",
        "https://[::1/main.aspx",
    ],
)
def test_any_other_link_names_nothing(url: str) -> None:
    assert record_link(url, BASE) is None
