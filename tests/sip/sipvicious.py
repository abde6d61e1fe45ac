"""sipvicious' ``svwar`` (finds user names) and ``svcrack`` (guesses passwords), Debian's
0.3.3, run as an attacker from an address of its own and watched packet by packet.

Both tools parse ``-b ADDRESS`` but never hand it to the code that binds their socket (a
bug of 0.3.3), so on one machine they would always come from 127.0.0.1, like everybody
else. The tests run them through a few lines (``WRAPPER``) that bind their socket to the
attacker's address (any of 127.0.0.0/8: Linux routes them all to the loopback interface,
and Asterisk bound to 127.0.0.1 sees each as a host of its own) and write down the first
line and the CSeq of every SIP message they send and receive. Nothing else of the tools
is changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

SIPVICIOUS = Path("/usr/share/sipvicious")

WRAPPER = r'''
import socket, sys, time
sys.path.insert(0, {path!r})
BIND, TRACE = {bind!r}, open({trace!r}, "w", buffering=1)

def _head(data):
    lines = data.split(b"\r\n")
    cseq = next((l for l in lines if l.lower().startswith(b"cseq:")), b"")
    return (lines[0] + b" | " + cseq).decode(errors="replace")

class TracedSocket(socket.socket):
    def bind(self, address):
        return super().bind((BIND, address[1]))
    def sendto(self, data, *args):
        TRACE.write(f"> {{time.time():.6f}} | " + _head(data)
                    + (" | auth" if b"Authorization:" in data else "") + "\n")
        return super().sendto(data, *args)
    def recvfrom(self, size, *args):
        data, peer = super().recvfrom(size, *args)
        TRACE.write(f"< {{time.time():.6f}} | " + _head(data) + "\n")
        return data, peer

socket.socket = TracedSocket
from sipvicious import {tool} as tool
sys.argv[0] = {tool!r}
tool.main()
'''


@dataclass(frozen=True)
class Packet:
    sent: bool      # by the tool (a request) or to it (a response)
    at: float       # when (epoch seconds)
    first_line: str
    cseq: str
    with_credentials: bool

    @property
    def status(self) -> int | None:
        parts = self.first_line.split()
        return int(parts[1]) if not self.sent and len(parts) > 1 and parts[1].isdigit() \
            else None


class Sipvicious:
    """One run of ``tool`` (``svwar`` or ``svcrack``) from ``address``."""

    def __init__(self, workdir: Path, tool: str, address: str, args: list[str],
                 name: str = "") -> None:
        self.dir = workdir / f"{tool}-{name or address}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.trace_path = self.dir / "trace.txt"
        script = self.dir / "run.py"
        script.write_text(WRAPPER.format(path=str(SIPVICIOUS), bind=address,
                                         trace=str(self.trace_path), tool=tool))
        self.args = [sys.executable, str(script), *args]
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = open(self.dir / "output.txt", "wb")  # noqa: ASYNC230 - handed to the child
        self.proc = await asyncio.create_subprocess_exec(
            *self.args, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            cwd=self.dir)
        log.close()

    async def wait(self, timeout: float) -> int:
        assert self.proc is not None
        async with asyncio.timeout(timeout):
            return await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)   # both tools end cleanly on ^C
            try:
                async with asyncio.timeout(5):
                    await self.proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()

    def output(self) -> str:
        path = self.dir / "output.txt"
        return path.read_text(errors="replace") if path.exists() else ""

    def trace(self) -> list[Packet]:
        packets = []
        text = self.trace_path.read_text(errors="replace") if self.trace_path.exists() else ""
        for line in text.splitlines():
            if line[:2] not in ("> ", "< "):
                continue
            fields = line[2:].split(" | ")
            if len(fields) < 3:
                continue   # the tool was stopped while writing
            packets.append(Packet(line.startswith(">"), float(fields[0]), fields[1], fields[2],
                                  "auth" in fields[3:]))
        return packets

    def responses(self) -> list[Packet]:
        return [p for p in self.trace() if not p.sent]
