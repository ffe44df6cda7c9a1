"""The sandbox as a real HTTP server on localhost (aiohttp), for the CLI and for tests
that need real sockets: client timeouts, connection drops, concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass

from aiohttp import web

from bot.sandbox.app import SandboxMsx
from bot.sandbox.faults import ConnectionDropped

# Long OR-lists must reach the app's own 32 KB check instead of aiohttp's 8 KB limit.
_MAX_LINE = 70_000


@dataclass
class SandboxServer:
    sandbox: SandboxMsx
    url: str  # e.g. http://127.0.0.1:54321, the org root; the Web API is under /api/data/v9.2
    _runner: web.AppRunner

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/data/v9.2/"

    async def close(self) -> None:
        self.sandbox.faults.release()  # hanging requests would otherwise hold shutdown
        await self._runner.cleanup()


def _make_app(sandbox: SandboxMsx) -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        url = f"{request.scheme}://{request.host}{request.raw_path}"
        try:
            resp = await sandbox.handle(request.method, url, dict(request.headers), body)
        except ConnectionDropped:
            # No answer at all: the client sees a reset/closed connection.
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPInternalServerError() from None
        return web.Response(status=resp.status, headers=resp.headers, body=resp.body)

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


async def serve(sandbox: SandboxMsx, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Serve this sandbox (its switches, `guid_ranges` and `team_next_link`, are its own)."""
    runner = web.AppRunner(
        _make_app(sandbox),
        access_log=None,
        shutdown_timeout=0.5,
        max_line_size=_MAX_LINE,
        max_field_size=_MAX_LINE,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    return SandboxServer(sandbox, f"http://{bound_host}:{bound_port}", runner)


def run_forever(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    seed: int = 7,
    accounts: int = 30,
    tokens: tuple[str, ...] = ("sandbox",),
    guid_ranges: bool = False,
    team_next_link: bool = False,
) -> None:
    """Blocking: serve a sandbox until Ctrl-C (`msx-bot sandbox --port 8765`). The two
    switches are SandboxMsx's (what nobody can check from here; pessimistic defaults)."""

    async def main() -> None:
        sandbox = SandboxMsx(
            seed=seed,
            accounts=accounts,
            tokens=tokens,
            guid_ranges=guid_ranges,
            team_next_link=team_next_link,
        )
        server = await serve(sandbox, host, port)
        me = sandbox.dataset.me
        print(f"MSX sandbox: MSX_BASE_URL={server.url}  MSX_ACCESS_TOKEN={next(iter(tokens))}")
        print(
            f"signed in as {me.name} <{me.email}>, {accounts} accounts, seed {seed}; "
            f"guid_ranges={guid_ranges}, team_next_link={team_next_link}; Ctrl-C stops"
        )
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Graceful stop on Ctrl-C and on `kill`; not available on every platform.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
