"""The task categories and which count for HoK, against the integration guide's table.

The table below is copied from msx-integration-guide.md ("HoK Task Categories") and
msx-field-notes.md ("Tasks"), not from bot.domain: a wrong code would log a seller's work
under the wrong category, or without HoK credit.
"""

from __future__ import annotations

from bot.domain import CATEGORY_BY_CODE, TASK_CATEGORIES

GUIDE_HOK = {
    861980004: "Architecture Design Session",
    861980006: "Blocker Escalation",
    861980008: "Briefing",
    861980007: "Consumption Plan",
    861980002: "Demo",
    861980005: "PoC/Pilot",
    606820005: "Technical Close/Win Plan",
    861980001: "Workshop",
}
GUIDE_NOT_HOK = {
    606820000: "ACE",
    861980010: "Call Back Requested",
    606820001: "Cross Segment",
    606820002: "Cross Workload",
    861980000: "Customer Engagement",
    861980013: "External (Co-creation of Value)",
    861980012: "Internal",
    861980003: "Negotiate Pricing",
    861980011: "New Partner Request",
    606820003: "Post Sales",
    861980009: "RFP/RFI",
    606820004: "Tech Support",
}
# Reported in use beyond the guide (field notes); the first four counted as HoK.
NOTES_HOK = {
    606820009: "L300+ Demo",
    606820006: "Rapid Prototyping",
    606820008: "Solution Whiteboarding",
    606820007: "Technical Workshop",
}
NOTES_NOT_HOK = {861980014: "Assessment"}


def test_every_category_has_the_guides_code_label_and_hok_credit() -> None:
    table = {c.code: (c.label, c.hok) for c in TASK_CATEGORIES}
    expected = {
        **{code: (label, True) for code, label in {**GUIDE_HOK, **NOTES_HOK}.items()},
        **{code: (label, False) for code, label in {**GUIDE_NOT_HOK, **NOTES_NOT_HOK}.items()},
    }
    assert table == expected
    assert len(TASK_CATEGORIES) == len(expected)  # each once


def test_categories_by_code() -> None:
    assert CATEGORY_BY_CODE[861980004].label == "Architecture Design Session"
    assert CATEGORY_BY_CODE[861980004].hok
    assert not CATEGORY_BY_CODE[861980000].hok
    assert set(CATEGORY_BY_CODE) == {c.code for c in TASK_CATEGORIES}
    assert all(CATEGORY_BY_CODE[c.code] == c for c in TASK_CATEGORIES)
