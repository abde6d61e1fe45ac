"""The private Asterisk: rendered config starts it on the configured loopback ports; one
left running by an engine that stopped (or was killed) is adopted by the next start, with
its calls; one that no longer answers ARI is stopped and a new one started; ``stop`` stops
an adopted one too."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path

import pytest

from ccengine.config import EngineConfig, load_config
from ccengine.telephony.asterisk.process import AsteriskProcess, running_asterisk
from ccengine.telephony.asterisk.render import Rendered, render
from tests.e2e.ports import free_port, free_range

pytestmark = [pytest.mark.asterisk,
              pytest.mark.skipif(not shutil.which("asterisk"), reason="needs asterisk")]


def rendered_config(tmp_path: Path) -> tuple[EngineConfig, Rendered]:
    rtp = free_range(20)
    config = load_config(None, env={}, overrides=[
        f"runtime_dir={tmp_path}", f"asterisk.sip_port={free_port()}",
        f"asterisk.phone_sip_port={free_port()}",
        f"asterisk.http_port={free_port()}", f"asterisk.ami_port={free_port()}",
        f"asterisk.rtp_start={rtp}", f"asterisk.rtp_end={rtp + 19}"])
    return config, render(config)


async def test_given_asterisk_left_running_when_starting_again_then_it_is_adopted(
        tmp_path: Path) -> None:
    config, rendered = rendered_config(tmp_path)
    assert "bindaddr = 127.0.0.1" in (rendered.etc_dir / "http.conf").read_text()
    first = AsteriskProcess(config, rendered)
    await first.start()
    assert first.proc is not None and not first.adopted
    old = first.proc
    first.proc = None  # the engine that owned it went away; Asterisk did not
    second = AsteriskProcess(config, rendered)
    try:
        await second.start()
        assert second.adopted and second.pid == old.pid == running_asterisk(config)
        assert old.returncode is None and second.alive()
    finally:
        await second.stop()
    assert await asyncio.wait_for(old.wait(), 15) is not None   # stop stops an adopted one
    assert running_asterisk(config) is None


async def test_given_asterisk_that_does_not_answer_when_starting_then_replaced(
        tmp_path: Path) -> None:
    config, rendered = rendered_config(tmp_path)
    first = AsteriskProcess(config, rendered)
    await first.start()
    assert first.proc is not None
    old = first.proc
    first.proc = None
    os.kill(old.pid, signal.SIGSTOP)   # hung: it answers nothing
    second = AsteriskProcess(config, rendered)
    try:
        await second.start()
        assert not second.adopted and second.pid != old.pid
        assert await asyncio.wait_for(old.wait(), 15) is not None
    finally:
        await second.stop()
