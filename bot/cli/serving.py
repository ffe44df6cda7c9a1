"""`msx-bot sandbox`: the embedded MSX over HTTP, with a hint that keeps its book apart."""

from __future__ import annotations

import errno
import socket
import tempfile
from pathlib import Path

from rich.console import Console

from bot.cli.failures import Failure


def sandbox_db() -> Path:
    """Where the sandbox's book goes in the hints: never the real snapshot."""
    return Path(tempfile.gettempdir()) / "msx-sandbox.db"


def env_hint(url: str, indent: str = "  ") -> str:
    """The variables for the sandbox at `url`, as a shell `export` over two lines."""
    return (
        f"export MSX_BASE_URL={url} MSX_ACCESS_TOKEN=sandbox \\\n"
        f"{indent}       MSX_BOT_DB={sandbox_db()}"
    )


def serve_sandbox(
    console: Console,
    *,
    port: int,
    accounts: int,
    guid_ranges: bool = False,
    team_next_link: bool = False,
) -> None:
    from bot.sandbox import run_forever

    _check_free(port)
    url = f"http://127.0.0.1:{port}"
    console.print(
        f"MSX sandbox on {url}; in another terminal:\n"
        f"  {env_hint(url)}\n"
        "  msx-bot refresh && msx-bot accounts\n"
        "(MSX_BOT_DB keeps the sandbox's book out of your real snapshot.)",
        highlight=False,
        soft_wrap=True,
    )
    try:
        run_forever(
            host="127.0.0.1",
            port=port,
            accounts=accounts,
            guid_ranges=guid_ranges,
            team_next_link=team_next_link,
        )
    except OSError as exc:
        raise _port_problem(port, exc) from None


def _check_free(port: int) -> None:
    """Fail before the banner when the port is taken: the sandbox binds it the same way."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise _port_problem(port, exc) from None


def _port_problem(port: int, exc: OSError) -> Failure:
    if exc.errno == errno.EADDRINUSE:
        return Failure(
            f"Port {port} is already in use (another sandbox?): stop that, "
            f"or pick another with `msx-bot sandbox --port {port + 1 if port < 65535 else 8765}`"
        )
    if exc.errno == errno.EACCES:
        return Failure(f"Port {port} needs privileges: pick one above 1024 with --port")
    return Failure(f"Cannot listen on 127.0.0.1:{port} ({exc.strerror}): pick another --port")
