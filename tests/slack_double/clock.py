"""The double's sense of time, injectable so tests can expire things without sleeping."""

from __future__ import annotations

import time


class Clock:
    """Monotonic seconds: real time plus an offset, or frozen when `frozen_at` is given.

    Trigger ids, response_url lifetimes and chat.postMessage rate windows are measured
    with this clock; `advance()` moves it forward instantly. Ack latency is *not*: it is
    always real time, because it measures the bot.
    """

    def __init__(self, *, frozen_at: float | None = None) -> None:
        self._frozen = frozen_at
        self._offset = 0.0

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def now(self) -> float:
        if self._frozen is not None:
            return self._frozen + self._offset
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._offset += seconds
