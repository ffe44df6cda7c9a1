"""The concurrency bound on requests to MSX, handing free places out by priority.

An import is a few chains of dependent requests (a team lane, accounts -> territories)
beside many independent ones (milestone pages). First come, first served lets the
independent ones hold up a chain; serving chains first lets the independent ones fill
the places the chains leave free, so the whole ends sooner. Priorities are set for a
block of code (and the tasks it starts) with `priority(n)`; lower goes first.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
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

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            self._release()

    async def _acquire(self) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (_priority.get(), next(self._order), turn))
        try:
            await turn
        except asyncio.CancelledError:
            # Handed a place just as we were cancelled: pass it on. (A cancelled
            # future left in the heap is skipped when its turn comes.)
            if turn.done() and not turn.cancelled():
                self._release()
            raise

    def _release(self) -> None:
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():
                turn.set_result(None)  # the place goes straight to the next in line
                return
        self._free += 1
