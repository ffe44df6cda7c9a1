"""A territory's POD, as the guide derives it: "East.SMECC.MAA.0601" -> "East POD 06"."""

from __future__ import annotations

import pytest

from bot.domain import Territory, derive_pod


@pytest.mark.parametrize(
    ("territory", "pod"),
    [
        ("East.SMECC.MAA.0601", "East POD 06"),
        ("West.SMECC.NWA.0402", "West POD 04"),
        # Only the region and the code's first two digits count.
        ("Central.SMECC.TXA.12", "Central POD 12"),
        ("Central.1299", "Central POD 12"),
        # Spaces MSX may keep around a part are not part of the name.
        (" East .SMECC.MAA. 0601 ", "East POD 06"),
        ("East.SMECC.MAA.06xx", "East POD 06"),
    ],
)
def test_pod_from_region_and_code(territory: str, pod: str) -> None:
    assert derive_pod(territory) == pod
    assert Territory(id="t1", name=territory).pod == pod


@pytest.mark.parametrize(
    "territory",
    [
        None,
        "",
        "Unassigned",  # no dots
        ".SMECC.MAA.0601",  # no region
        "  .SMECC.MAA.0601",  # a blank region
        "East.SMECC.MAA.6",  # a one-digit code
        "East.SMECC.MAA.",  # no code
        "East.SMECC.MAA.x601",  # the code does not start with two digits
        "East.SMECC.MAA.0x01",
    ],
)
def test_no_pod_for_a_territory_not_of_that_shape(territory: str | None) -> None:
    assert derive_pod(territory) is None


def test_a_region_other_parts_leave_blank_still_names_the_pod() -> None:
    # The segment may be blank; the region and the code are what the POD is made of.
    assert derive_pod("East..MAA.0601") == "East POD 06"
    assert derive_pod("East. .MAA.0601") == "East POD 06"
