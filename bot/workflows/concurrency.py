"""Fan-out that stops cleanly: the first failure cancels the siblings and is raised as is."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def all_of(*awaitables: Awaitable[Any]) -> list[Any]:
    """Like `asyncio.gather`, but a failure (or our own cancellation) cancels the others
    and waits for them, so no request goes on after the caller has given up; the original
    exception propagates (unlike TaskGroup's ExceptionGroup), for callers to explain."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
