"""The composition root: one gateway and one store per process, built from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx
from pydantic import SecretStr

from bot.config import Settings
from bot.msx.gateway import MsxGateway
from bot.store import SnapshotStore

# Requests never leave the process: `.invalid` keeps a mistake from reaching a real host.
SANDBOX_URL = "https://msx-sandbox.invalid"


def sandbox_db(settings: Settings) -> Path:
    """`msx-bot run --sandbox`'s database: beside the configured one, never the same file."""
    return settings.msx_bot_db.with_name("msx-bot-sandbox.db")


@dataclass
class Runtime:
    settings: Settings
    gateway: MsxGateway
    store: SnapshotStore

    @classmethod
    def open(
        cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> Runtime:
        # The store refuses to mix books from two MSXs (the sandbox and the real one, say).
        store = SnapshotStore(settings.msx_bot_db, source=settings.msx_base_url)
        return cls(settings, MsxGateway.from_settings(settings, transport=transport), store)

    @classmethod
    def sandboxed(cls, settings: Settings, *, db: Path) -> Runtime:
        """The same settings against the embedded MSX sandbox, with a database of its own."""
        from bot.sandbox import SandboxMsx

        sandbox_settings = settings.model_copy(
            update={
                "msx_base_url": SANDBOX_URL,
                "msx_access_token": SecretStr("sandbox"),
                "msx_bot_db": db,
            }
        )
        return cls.open(sandbox_settings, transport=SandboxMsx().transport())

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
