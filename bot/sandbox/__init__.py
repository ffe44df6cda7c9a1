"""An embedded, deterministic, strict stand-in for MSX's Dataverse Web API.

sb = SandboxMsx()                                   # seed 7, 30 accounts for "me"
async with httpx.AsyncClient(transport=sb.transport(), base_url="https://msx.test") as c:
    await c.get("/api/data/v9.2/WhoAmI", headers={"Authorization": "Bearer sandbox"})
server = await sb.serve()                           # real HTTP on 127.0.0.1, server.url
"""

from bot.sandbox.app import API_PREFIX, SandboxMsx, SandboxResponse
from bot.sandbox.data import Dataset, build_dataset
from bot.sandbox.faults import ConnectionDropped, Faults, Stats
from bot.sandbox.server import SandboxServer, run_forever, serve

__all__ = [
    "API_PREFIX",
    "ConnectionDropped",
    "Dataset",
    "Faults",
    "SandboxMsx",
    "SandboxResponse",
    "SandboxServer",
    "Stats",
    "build_dataset",
    "run_forever",
    "serve",
]
