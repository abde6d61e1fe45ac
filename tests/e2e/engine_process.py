"""The engine as a process of its own (``ccengine --config FILE run``), for tests that kill
or stop it and start it again: its private Asterisk outlives it, as in production."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.conftest import REPO


class EngineProcess:
    """``ccengine --config FILE run`` as a child process."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ccengine.cli", "--config", str(self.config), "run"],
                cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the engine alone (its Asterisk lives on, as after a real crash)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    async def stop(self) -> None:
        """SIGTERM: a clean stop (its Asterisk and calls go on)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.to_thread(self.proc.wait, 30)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    async def api_up(self, base: str, timeout: float = 60) -> float:
        """Until the API answers (401 without a token is an answer); the seconds it took."""
        started = time.monotonic()
        async with aiohttp.ClientSession() as http:
            while time.monotonic() - started < timeout:
                if self.proc is not None and self.proc.poll() is not None:
                    raise AssertionError(f"the engine exited ({self.proc.returncode}):\n"
                                         f"{self.tail()}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"{base}/api/me") as r:
                        if r.status in (200, 401):
                            return time.monotonic() - started
                await asyncio.sleep(0.05)
        raise AssertionError(f"the API did not answer within {timeout} s:\n{self.tail()}")


def secrets_of(runtime_dir: Path) -> dict[str, Any]:
    return json.loads((runtime_dir / "secrets.json").read_text())


def stop_leftover_asterisk(var: Path) -> None:
    pidfile = var / "asterisk" / "var" / "run" / "asterisk.pid"
    with contextlib.suppress(OSError, ValueError):
        pid = int(pidfile.read_text().strip())
        if str(var).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)
