"""The real `msx-bot run --sandbox` process against the Slack double: answers, then stops
cleanly on SIGTERM, and never prints a token."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot_harness import texts
from slack_double import SlackDouble

from bot.sandbox import build_dataset

USER = "UTRYOUT"


async def test_run_sandbox_answers_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with SlackDouble(bot_token="xoxb-proc-secret", app_token="xapp-proc-secret") as slack:
        slack.add_user(USER, "tryout", "tryout@example.com")
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-proc-secret",
            "SLACK_APP_TOKEN": "xapp-proc-secret",
            "SLACK_API_URL": slack.api_url,
            "MSX_BOT_DB": str(tmp_path / "msx-bot.db"),
            "MSX_BOT_ALLOWED_USERS": USER,
        }
        env.pop("MSX_ACCESS_TOKEN", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--sandbox",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await slack.wait_connected(timeout=30)
            envelope = await slack.send_slash_command(USER, "/msx", "accounts")
            await slack.wait_ack(envelope)

            def answered() -> dict | None:
                for _, body in slack.responses:
                    if "TPID" in texts(body) or "POD" in texts(body):
                        return body
                return None

            reply = await slack.wait_for(answered, timeout=30)
            book = build_dataset().expected_accounts(build_dataset().me.user_id)
            assert all(a.tpid and a.tpid in texts(reply) for a in book)

            proc.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(proc.communicate(), timeout=20)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert proc.returncode == 0, output.decode(errors="replace")[-2000:]
        await slack.wait_for(lambda: slack.open_sockets == 0, timeout=10)
        log = output.decode(errors="replace")
        assert "shutting down" in log
        assert "proc-secret" not in log  # tokens never reach the log
        # The sandbox keeps its own database beside the configured one.
        assert (tmp_path / "msx-bot-sandbox.db").exists()
        assert not (tmp_path / "msx-bot.db").exists()
