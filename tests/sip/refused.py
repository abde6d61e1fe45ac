"""A sipp UAC placing one call that must be refused: it sends an INVITE to a number and
succeeds (exit code 0) only if Asterisk answers it with a final refusal (403, 404, 484 or
603), which it acknowledges."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.sip.sipp import INVITE, REFUSAL_ACK

SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="ccengine refused call">
""" + INVITE + """  <recv response="100" optional="true"/>
  <recv response="403" optional="true" next="ack"/>
  <recv response="484" optional="true" next="ack"/>
  <recv response="603" optional="true" next="ack"/>
  <recv response="404" next="ack"/>
  <label id="ack"/>
""" + REFUSAL_ACK


class RefusedCall:
    """One sipp process calling ``number`` from ``caller`` on 127.0.0.1:``sip_port``."""

    def __init__(self, workdir: Path, name: str, *, number: str, caller: str,
                 target_port: int, sip_port: int, media_port: int, control_port: int) -> None:
        self.dir = workdir / f"refused-{name}"
        self.dir.mkdir(parents=True, exist_ok=True)
        scenario = self.dir / "refused.xml"
        scenario.write_text(SCENARIO)
        self.args = [
            "sipp", f"127.0.0.1:{target_port}", "-sf", str(scenario), "-i", "127.0.0.1",
            "-mi", "127.0.0.1", "-p", str(sip_port), "-mp", str(media_port),
            "-cp", str(control_port), "-key", "caller", caller, "-s", number,
            "-m", "1", "-l", "1", "-nostdin", "-timeout", "30s", "-timeout_error",
            "-trace_err", "-error_file", str(self.dir / "errors.log"),
        ]

    async def run(self, timeout: float = 40) -> int:
        """Place the call; 0 when it was refused as expected."""
        log = open(self.dir / "sipp.log", "wb")  # noqa: ASYNC230 - a log file handed to the child
        proc = await asyncio.create_subprocess_exec(
            *self.args, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            cwd=self.dir)
        log.close()
        try:
            return await asyncio.wait_for(proc.wait(), timeout)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    def errors(self) -> str:
        path = self.dir / "errors.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""
