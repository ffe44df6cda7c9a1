"""The concurrency bound on requests to MSX, handing free places out by priority.

An import is a few chains of dependent requests (a team lane, accounts -> territories)
beside many independent ones (milestone pages). First come, first served lets the
independent ones hold up a chain; serving chains first lets the independent ones fill
the places the chains leave free, so the whole ends sooner. Priorities are set for a
block of code (and the tasks it starts) with `priority(n)`; lower goes first.

A freed place is handed on at the next turn of the event loop, not at once: a chain that
reads an answer and asks again without pausing (a team lane) keeps its place unless
someone more urgent is waiting, instead of losing it to an independent request that
would then hold it a whole round trip.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar

URGENT, NORMAL, BACKGROUND = 0, 1, 2
_priority: ContextVar[int] = ContextVar("msx_priority", default=NORMAL)


@contextmanager
def priority(level: int) -> Iterator[None]:
    """Requests made in this block, and in tasks it starts, wait their turn at `level`."""
    token = _priority.set(level)
    try:
        yield
    finally:
        _priority.reset(token)


class PrioritySlots:
    """Like asyncio.Semaphore(n), but waiters are served by priority, then in order."""

    def __init__(self, n: int) -> None:
        self._free = n
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._handing_on = False

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            self._release()

    async def _acquire(self) -> None:
        level = _priority.get()
        if self._free > 0 and level < self._first_waiting():
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (level, next(self._order), turn))
        self._hand_on_soon()
        try:
            await turn
        except asyncio.CancelledError:
            # Handed a place just as we were cancelled: pass it on. (A cancelled
            # future left in the heap is skipped when its turn comes.)
            if turn.done() and not turn.cancelled():
                self._release()
            raise

    def _release(self) -> None:
        self._free += 1
        self._hand_on_soon()

    def _first_waiting(self) -> float:
        """The priority of the first in line (skipping the cancelled), or infinity."""
        while self._waiting and self._waiting[0][2].done():
            heapq.heappop(self._waiting)
        return self._waiting[0][0] if self._waiting else math.inf

    def _hand_on_soon(self) -> None:
        if self._waiting and self._free > 0 and not self._handing_on:
            self._handing_on = True
            asyncio.get_running_loop().call_soon(self._hand_on)

    def _hand_on(self) -> None:
        self._handing_on = False
        while self._free > 0 and self._first_waiting() < math.inf:
            _, _, turn = heapq.heappop(self._waiting)
            self._free -= 1
            turn.set_result(None)
