"""Start and stop the project-private Asterisk as a child process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from pathlib import Path

import aiohttp

from ccengine.config import EngineConfig
from ccengine.telephony.ari.client import basic_auth
from ccengine.telephony.asterisk.render import Rendered

log = logging.getLogger(__name__)


class AsteriskStartError(Exception):
    code = "asterisk_start_failed"


class AsteriskProcess:
    """One private Asterisk (``asterisk -f -C <runtime>/asterisk.conf``)."""

    def __init__(self, config: EngineConfig, rendered: Rendered) -> None:
        self.config, self.rendered = config, rendered
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def ari_url(self) -> str:
        return f"http://{self.config.asterisk.control_bind}:{self.config.asterisk.http_port}/ari"

    async def stop_leftover(self, timeout: float = 10.0) -> None:
        """Stop an Asterisk left running on this runtime directory by an engine that was
        killed (it would hold our ports). Only a process whose command line names our own
        asterisk.conf is touched."""
        pid = _leftover_pid(self.rendered.var_dir / "run" / "asterisk.pid",
                            self.rendered.asterisk_conf)
        if pid is None:
            return
        log.warning("stopping a leftover Asterisk (pid %s) of this runtime directory", pid)
        os.kill(pid, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while _alive(pid) and loop.time() < deadline:  # noqa: ASYNC110 - not our child
            await asyncio.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)

    async def start(self, timeout: float = 30.0) -> None:
        """Start Asterisk (after stopping a leftover one) and wait until ARI answers."""
        await self.stop_leftover()
        log_path = self.rendered.var_dir / "log" / "console.log"
        out = open(log_path, "ab")  # noqa: ASYNC230 - a log file handed to the child
        try:
            self.proc = await asyncio.create_subprocess_exec(
                self.config.asterisk.binary, "-f", "-n", "-C", str(self.rendered.asterisk_conf),
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
                start_new_session=True,
            )
        finally:
            out.close()
        s = self.rendered.secrets
        headers = {"Authorization": basic_auth(s.ari_user, s.ari_password)}
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession(headers=headers) as http:
            while True:
                if self.proc.returncode is not None:
                    raise AsteriskStartError(
                        f"asterisk exited with {self.proc.returncode}; see {log_path} and "
                        f"{self.rendered.var_dir / 'log' / 'messages.log'}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"{self.ari_url}/asterisk/info") as r:
                        if r.status == 200:
                            log.info("asterisk up, ARI at %s", self.ari_url)
                            return
                if asyncio.get_running_loop().time() > deadline:
                    await self.stop()
                    raise AsteriskStartError(f"ARI did not answer at {self.ari_url} "
                                             f"within {timeout:.0f} s; see {log_path}")
                await asyncio.sleep(0.2)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop Asterisk: SIGTERM, then SIGKILL if it lingers."""
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()


def _leftover_pid(pidfile: Path, conf: Path) -> int | None:
    """The pid in ``pidfile`` if that process is an Asterisk running on ``conf``."""
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if str(conf).encode() in cmdline else None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (OSError, IndexError):
        return False
    return state != "Z"
