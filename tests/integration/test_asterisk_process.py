"""The private Asterisk: rendered config starts it on the configured loopback ports, and a
leftover one from a killed engine is stopped before a new one starts."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from ccengine.config import load_config
from ccengine.telephony.asterisk.process import AsteriskProcess
from ccengine.telephony.asterisk.render import render
from tests.e2e.ports import free_port, free_range

pytestmark = [pytest.mark.asterisk,
              pytest.mark.skipif(not shutil.which("asterisk"), reason="needs asterisk")]


async def test_given_leftover_asterisk_when_starting_again_then_old_one_is_stopped(
        tmp_path: Path) -> None:
    rtp = free_range(20)
    config = load_config(None, env={}, overrides=[
        f"runtime_dir={tmp_path}", f"asterisk.sip_port={free_port()}",
        f"asterisk.phone_sip_port={free_port()}",
        f"asterisk.http_port={free_port()}", f"asterisk.ami_port={free_port()}",
        f"asterisk.rtp_start={rtp}", f"asterisk.rtp_end={rtp + 19}"])
    rendered = render(config)
    assert "bindaddr = 127.0.0.1" in (rendered.etc_dir / "http.conf").read_text()
    first = AsteriskProcess(config, rendered)
    await first.start()
    assert first.proc is not None
    old = first.proc
    first.proc = None  # the engine that owned it was killed
    second = AsteriskProcess(config, rendered)
    await second.start()
    try:
        assert await asyncio.wait_for(old.wait(), 5) is not None  # it has exited
        assert second.proc is not None and second.proc.returncode is None
    finally:
        await second.stop()
