"""A baresip softphone acting as an agent's (or supervisor's) phone: registers,
auto-answers, sends a sine tone as its microphone, and takes commands (hangup) over
ctrl_tcp. With ``record`` it also writes what it receives (and sends) to WAV files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from pathlib import Path

CONFIG = """\
poll_method epoll
sip_listen 127.0.0.1:{sip_port}
net_interface 127.0.0.1
audio_player aubridge,nil
audio_source ausine,{tone}
ausrc_srate 48000
ausrc_channels 2
auplay_srate 48000
audio_alert aubridge,nil
rtp_ports {rtp_start}-{rtp_end}
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aubridge.so
module_app account.so
module_app menu.so
module ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{ctrl_port}
"""
# sndfile: dump-<time>-dec.wav is what the phone received, -enc.wav what it sent
RECORD = """module sndfile.so
snd_path {dir}
"""


class Baresip:
    """One baresip process registered as ``user`` on the engine's Asterisk."""

    def __init__(self, workdir: Path, user: str, password: str, registrar_port: int,
                 sip_port: int, ctrl_port: int, rtp_start: int,
                 answer: str = "auto", tone: int = 440, record: bool = False) -> None:
        self.dir = workdir / f"baresip-{user}"
        self.user, self.ctrl_port = user, ctrl_port
        self.dir.mkdir(parents=True, exist_ok=True)
        config = CONFIG.format(sip_port=sip_port, ctrl_port=ctrl_port, rtp_start=rtp_start,
                               rtp_end=rtp_start + 19, tone=tone)
        if record:
            config += RECORD.format(dir=self.dir)
        (self.dir / "config").write_text(config)
        (self.dir / "accounts").write_text(
            f"<sip:{user}@127.0.0.1:{registrar_port}>;auth_pass={password};"
            f"answermode={answer};regint=60;ptime=20;audio_codecs=PCMA,PCMU\n")
        (self.dir / "contacts").write_text("")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.dir / "baresip.log", "wb")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(["baresip", "-f", str(self.dir)], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()

    async def command(self, command: str, params: str = "") -> str:
        """Send a ctrl_tcp command (netstring-framed JSON) and return its response text."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.ctrl_port)
        try:
            body = json.dumps({"command": command, "params": params, "token": "t"}).encode()
            writer.write(f"{len(body)}:".encode() + body + b",")
            await writer.drain()
            data = await asyncio.wait_for(reader.read(65536), 5)
            return data.decode(errors="replace")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def hangup(self) -> None:
        await self.command("hangup")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def received_audio(self) -> list[Path]:
        """The WAV files of what the phone received, one per call, oldest first."""
        return sorted(self.dir.glob("dump-*-dec.wav"), key=lambda p: p.stat().st_mtime_ns)

    def log_text(self) -> str:
        path = self.dir / "baresip.log"
        return path.read_text(errors="replace") if path.exists() else ""
