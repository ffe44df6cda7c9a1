"""all_of: results in order; a failure stops the siblings before it is raised as is."""

from __future__ import annotations

import asyncio

import pytest

from bot.workflows.concurrency import all_of


async def test_results_come_in_the_order_asked() -> None:
    async def value(v: int) -> int:
        await asyncio.sleep(0)
        return v

    assert await all_of(value(1), value(2), value(3)) == [1, 2, 3]


async def test_a_failure_cancels_the_others_and_waits_for_them_before_raising() -> None:
    finished: list[str] = []

    async def never_done(name: str) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            for _ in range(3):  # winding down (closing a connection) takes a few turns
                await asyncio.sleep(0)
            finished.append(name)

    async def fails() -> None:
        raise ValueError("MSX said no")

    with pytest.raises(ValueError, match="MSX said no"):  # the error itself, not a group
        await all_of(never_done("teams"), fails(), never_done("milestones"))
    # Nothing is left running once the caller hears of the failure.
    assert sorted(finished) == ["milestones", "teams"]
