"""The composition root: one gateway and one store per process, built from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

import httpx

from bot.config import Settings
from bot.msx.gateway import MsxGateway
from bot.store import SnapshotStore


@dataclass
class Runtime:
    settings: Settings
    gateway: MsxGateway
    store: SnapshotStore

    @classmethod
    def open(
        cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> Runtime:
        store = SnapshotStore(settings.msx_bot_db)
        return cls(settings, MsxGateway.from_settings(settings, transport=transport), store)

    async def aclose(self) -> None:
        await self.gateway.aclose()
        self.store.close()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
