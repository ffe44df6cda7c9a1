"""The request bound: never more than n at once, free places to the most urgent first."""

from __future__ import annotations

import asyncio

import pytest

from bot.msx.slots import BACKGROUND, NORMAL, URGENT, PrioritySlots, priority


async def test_free_places_go_by_priority_then_order() -> None:
    slots = PrioritySlots(1)
    served: list[str] = []
    gate = asyncio.Event()

    async def holder() -> None:
        async with slots.slot():
            await gate.wait()

    async def ask(name: str, level: int) -> None:
        with priority(level):
            async with slots.slot():
                served.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = [
        asyncio.create_task(ask(name, level))
        for name, level in [
            ("milestones 1", BACKGROUND),
            ("team 1", NORMAL),
            ("milestones 2", BACKGROUND),
            ("accounts", URGENT),
            ("team 2", NORMAL),
        ]
    ]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, *waiting)
    assert served == ["accounts", "team 1", "team 2", "milestones 1", "milestones 2"]


async def test_never_more_than_n_at_once_and_every_place_comes_back() -> None:
    slots = PrioritySlots(3)
    inside = most = 0

    async def work(i: int) -> None:
        nonlocal inside, most
        with priority(i % 3):
            async with slots.slot():
                inside += 1
                most = max(most, inside)
                await asyncio.sleep(0)
                inside -= 1

    await asyncio.gather(*(work(i) for i in range(40)))
    assert most == 3
    # All three places are free again: three more go in without waiting.
    for _ in range(3):
        await asyncio.wait_for(slots._acquire(), 0.1)


async def test_a_cancelled_waiter_does_not_lose_a_place() -> None:
    slots = PrioritySlots(1)
    gate = asyncio.Event()

    async def holder() -> None:
        async with slots.slot():
            await gate.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    quitter = asyncio.create_task(slots._acquire())
    await asyncio.sleep(0)
    quitter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await quitter
    gate.set()
    await first
    await asyncio.wait_for(slots._acquire(), 0.1)  # the place came back


async def test_a_waiter_cancelled_as_its_turn_comes_passes_the_place_on() -> None:
    slots = PrioritySlots(1)
    await slots._acquire()
    unlucky = asyncio.create_task(slots._acquire())
    await asyncio.sleep(0)
    after = asyncio.create_task(slots._acquire())
    await asyncio.sleep(0)
    slots._release()  # the place is handed to `unlucky`...
    unlucky.cancel()  # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    await asyncio.wait_for(after, 0.1)  # so the next in line gets it


async def test_a_chain_that_asks_again_at_once_keeps_its_place() -> None:
    """A team lane reads its answer and asks again without pausing: a background request
    waiting meanwhile does not take its place, an urgent one does."""

    async def order(other: str, level: int) -> list[str]:
        slots = PrioritySlots(1)
        served: list[str] = []
        answer = asyncio.Event()

        async def lane() -> None:
            for page in (1, 2):
                async with slots.slot():
                    served.append(f"lane {page}")
                    await answer.wait()  # the round trip

        async def ask() -> None:
            with priority(level):
                async with slots.slot():
                    served.append(other)

        tasks = [asyncio.create_task(lane())]
        await asyncio.sleep(0)  # the lane holds the place
        tasks.append(asyncio.create_task(ask()))
        await asyncio.sleep(0)  # the other waits for it
        answer.set()
        await asyncio.gather(*tasks)
        return served

    assert await order("milestones", BACKGROUND) == ["lane 1", "lane 2", "milestones"]
    assert await order("accounts", URGENT) == ["lane 1", "accounts", "lane 2"]
