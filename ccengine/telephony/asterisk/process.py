"""The project-private Asterisk: started as a process of its own session, or adopted.

Asterisk holds the calls, so it outlives the engine: an engine that stops (cleanly for an
upgrade, or killed) leaves it running with every call up, and the next ``ccengine run`` on
the same runtime directory adopts it instead of starting another: it checks that the
running Asterisk is ours (its pid file and command line name our asterisk.conf) and that it
answers ARI with our credentials. Only ``ccengine stop`` (or an Asterisk that does not
answer) stops it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

import aiohttp

from ccengine.config import EngineConfig
from ccengine.lifecycle import alive, terminate
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
        self.pid: int | None = None      # the running Asterisk's, started or adopted
        self.adopted = False             # found running (with its calls) at start

    @property
    def ari_url(self) -> str:
        return f"http://{self.config.asterisk.control_bind}:{self.config.asterisk.http_port}/ari"

    @property
    def pidfile(self) -> Path:
        return self.rendered.var_dir / "run" / "asterisk.pid"

    def running_pid(self) -> int | None:
        """The pid of an Asterisk running on this runtime directory's config, if any."""
        return _our_pid(self.pidfile, self.rendered.asterisk_conf)

    async def _ari_answers(self, timeout: float) -> bool:
        s = self.rendered.secrets
        headers = {"Authorization": basic_auth(s.ari_user, s.ari_password)}
        deadline = asyncio.get_running_loop().time() + timeout
        # each try short: a hung Asterisk accepts the connection and answers nothing
        each = aiohttp.ClientTimeout(total=1.0)
        async with aiohttp.ClientSession(headers=headers, timeout=each) as http:
            while True:
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with http.get(f"{self.ari_url}/asterisk/info") as r:
                        if r.status == 200:
                            return True
                if asyncio.get_running_loop().time() > deadline:
                    return False
                await asyncio.sleep(0.2)

    async def start(self, timeout: float = 30.0) -> None:
        """Adopt the Asterisk of this runtime directory if it runs and answers ARI with our
        credentials (its calls go on); else start one and wait until ARI answers."""
        pid = self.running_pid()
        if pid is not None:
            if await self._ari_answers(timeout=5.0):
                self.pid, self.adopted = pid, True
                log.info("adopting the running Asterisk (pid %s) of this runtime directory, "
                         "with its calls", pid)
                return
            log.warning("the Asterisk (pid %s) of this runtime directory does not answer "
                        "ARI: stopping it", pid)
            await terminate(pid, 3.0)   # hung: it will not stop by itself
        await self._spawn(timeout)

    async def _spawn(self, timeout: float) -> None:
        log_path = self.rendered.var_dir / "log" / "console.log"
        out = open(log_path, "ab")  # noqa: ASYNC230 - a log file handed to the child
        try:
            # a session of its own: a signal to the engine's process group never reaches it
            self.proc = await asyncio.create_subprocess_exec(
                self.config.asterisk.binary, "-f", "-n", "-C", str(self.rendered.asterisk_conf),
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
                start_new_session=True,
            )
        finally:
            out.close()
        self.pid, self.adopted = self.proc.pid, False
        proc = self.proc
        answered = asyncio.ensure_future(self._ari_answers(timeout))
        exited = asyncio.ensure_future(proc.wait())
        await asyncio.wait({answered, exited}, return_when=asyncio.FIRST_COMPLETED)
        if answered.done() and answered.result():
            exited.cancel()
            log.info("asterisk up (pid %s), ARI at %s", self.pid, self.ari_url)
            return
        answered.cancel()
        exited.cancel()
        if proc.returncode is not None:
            raise AsteriskStartError(
                f"asterisk exited with {proc.returncode}; see {log_path} and "
                f"{self.rendered.var_dir / 'log' / 'messages.log'}")
        await self.stop()
        raise AsteriskStartError(f"ARI did not answer at {self.ari_url} within "
                                 f"{timeout:.0f} s; see {log_path}")

    def alive(self) -> bool:
        """Whether the Asterisk started or adopted is still running."""
        if self.proc is not None:
            return self.proc.returncode is None
        return self.pid is not None and alive(self.pid)

    async def wait_exit(self) -> int | None:
        """Until the Asterisk started or adopted exits (its exit code when it was ours)."""
        if self.proc is not None:
            return await self.proc.wait()
        while self.pid is not None and alive(self.pid):  # noqa: ASYNC110 - not our child
            await asyncio.sleep(0.2)
        return None

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop Asterisk (every call with it): SIGTERM, then SIGKILL if it lingers."""
        proc, pid = self.proc, self.pid
        self.proc = self.pid = None
        if proc is not None:
            if proc.returncode is not None:
                return
            proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(timeout):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        elif pid is not None:
            await terminate(pid, timeout)


def running_asterisk(config: EngineConfig) -> int | None:
    """The pid of the Asterisk running on this config's runtime directory, if any."""
    base = config.runtime_dir / "asterisk"
    return _our_pid(base / "var" / "run" / "asterisk.pid", base / "etc" / "asterisk.conf")


async def stop_running(config: EngineConfig, timeout: float = 10.0) -> int | None:
    """Stop the Asterisk of this runtime directory if one runs; its pid, else None."""
    pid = running_asterisk(config)
    if pid is not None:
        await terminate(pid, timeout)
    return pid


def _our_pid(pidfile: Path, conf: Path) -> int | None:
    """The pid in ``pidfile`` if that process is an Asterisk running on ``conf``."""
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if str(conf).encode() in cmdline and alive(pid) else None
