"""The sandbox over real localhost HTTP, for tests of commands that run their own loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bot.sandbox import SandboxMsx, SandboxServer


class Served:
    """A sandbox served on 127.0.0.1 from a thread with its own event loop, so the CLI's
    own `asyncio.run` talks to it over real sockets."""

    def __init__(self, **switches: Any) -> None:
        self.sandbox = SandboxMsx(**switches)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: SandboxServer = self._call(self.sandbox.serve())

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def close(self) -> None:
        self._call(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
