"""Processes of a runtime directory: the running engine's pid file (``runtime_dir/engine.pid``:
one engine per runtime directory, and ``ccengine stop`` finds it there), and stopping a
process that is not our child (an adopted Asterisk, an engine)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

KILL_SECONDS = 5.0  # how long a SIGKILLed process may take to be gone


class EnginePidFile:
    def __init__(self, runtime_dir: Path) -> None:
        self.path = runtime_dir / "engine.pid"

    def running(self) -> int | None:
        """The pid of an engine running on this runtime directory, if any."""
        try:
            pid = int(self.path.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        return pid if b"ccengine" in cmdline and pid != os.getpid() else None

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{os.getpid()}\n")

    def remove(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if int(self.path.read_text().strip()) == os.getpid():
                self.path.unlink()

    async def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM the running engine and wait for it to exit; its pid, else None."""
        pid = self.running()
        if pid is None:
            return None
        await terminate(pid, timeout, kill=False)
        return pid


async def terminate(pid: int, timeout: float, *, kill: bool = True) -> None:
    """SIGTERM a process that is not our child and wait for it to go; with ``kill``,
    SIGKILL it if it lingers past ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while alive(pid) and loop.time() < deadline:  # noqa: ASYNC110 - not our child
        await asyncio.sleep(0.1)
    if kill and alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        # gone for good before anything takes its place: a killed Asterisk holds its
        # control socket and ports until the kernel has torn down all its threads
        deadline = loop.time() + KILL_SECONDS
        while alive(pid) and loop.time() < deadline:  # noqa: ASYNC110 - not our child
            await asyncio.sleep(0.02)


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie does not). Every thread counts: a killed
    process's main thread may be a zombie while its other threads still tear down (and
    still hold its sockets)."""
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for thread in threads:
        try:
            if (thread / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                return True
        except (OSError, IndexError):
            continue
    return False
