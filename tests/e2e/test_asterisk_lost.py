"""Asterisk is supervised: SIGKILLed under a running engine with ten calls up (two talking
with agents on baresip phones, eight waiting), it is noticed at once; every one of those
interactions ends with reason asterisk_lost and no agent is left busy or offered; Asterisk
is started again and the engine reconnects (each outage logged once, not every second);
the health endpoints say degraded, then ok; a new call is answered by an agent."""

from __future__ import annotations

import logging
import os
import signal
import time

import aiohttp
import pytest

from tests.e2e.conftest import Rig
from tests.e2e.ports import free_port, free_range
from tests.polling import eventually
from tests.sip.sipp import CallerScript, SippCaller

pytestmark = pytest.mark.asterisk


async def healthz(rig: Rig) -> int:
    async with rig.http.get(f"{rig.api}/healthz") as r:
        return r.status


def waiting_callers(rig: Rig, count: int) -> SippCaller:
    callers = SippCaller.many(
        rig.workdir, "waiting", CallerScript(digits="1", audio=False, hold_ms=None,
                                             wait_bye_ms=120000),
        count=count, rate=20, caller="07700900777", service="5000",
        target_port=rig.engine.config.asterisk.sip_port, sip_port=free_port(),
        media_port=free_range(4), control_port=free_port())
    rig.callers.append(callers)
    return callers


async def test_given_calls_up_when_asterisk_is_killed_then_ended_restarted_and_working(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    engine = rig.engine
    for agent in ("alice", "bob"):
        await rig.start_phone(agent)
        await rig.login(agent)
    await rig.place_call(CallerScript(digits="1", audio_repeats=6, hold_ms=None,
                                      wait_bye_ms=120000))
    await rig.place_call(CallerScript(digits="2", audio_repeats=6, hold_ms=None,
                                      wait_bye_ms=120000), caller="07700900124")
    await eventually(lambda: _both_busy(rig), 30, "alice and bob talking")
    await waiting_callers(rig, 8).start()

    async def ten_live() -> list[str] | None:
        live = [i.id for i in await engine.state.interactions()]  # type: ignore[union-attr]
        return live if len(live) == 10 else None
    ten = await eventually(ten_live, 40, "ten calls up (two talking, eight waiting)")
    assert await healthz(rig) == 200
    old_pid = engine.asterisk.pid  # type: ignore[union-attr]
    assert old_pid is not None
    killed = time.time()
    os.kill(old_pid, signal.SIGKILL)

    supervisor = engine.supervisor
    assert supervisor is not None
    await eventually(lambda: supervisor.lost_at is not None, 5, "Asterisk noticed gone")
    print(f"noticed {supervisor.lost_at - killed:.2f} s after the kill")  # type: ignore[operator]
    assert supervisor.lost_at - killed < 2.0  # type: ignore[operator]

    async def all_ended() -> bool:
        for iid in ten:
            record = await rig.call_api("GET", f"/api/interactions/{iid}", "sam")
            reasons = [e["data"].get("reason") for e in record["events"]
                       if e["kind"] in ("ended", "cancelled")]
            if reasons != ["asterisk_lost"]:
                return False
        return True
    await eventually(all_ended, 10, "every call ended with reason asterisk_lost")
    for agent in ("alice", "bob"):
        assert await rig.agent_state(agent) in ("wrap_up", "available")

    await eventually(lambda: supervisor.up, 15, "Asterisk back")
    back = supervisor.last_outage
    assert back is not None and back["seconds"] < 10, back
    new_pid = engine.asterisk.pid  # type: ignore[union-attr]
    assert new_pid not in (None, old_pid) and engine.asterisk.alive()  # type: ignore[union-attr]
    await eventually(lambda: _ok(rig), 15, "/healthz ok again")
    health = await rig.call_api("GET", "/api/health", "sam")
    assert health["status"] == "ok" and health["parts"]["asterisk"]["outages"] == 1

    # a new call works: the phones registered before are known again (Asterisk kept them)
    await eventually(lambda: _available(rig, "alice"), 30, "alice free again")
    caller = await rig.place_call(CallerScript(digits="1", hold_ms=3000),
                                  caller="07700900999")
    await eventually(lambda: _busy(rig, "alice"), 30, "alice answering the new call")
    assert await caller.wait(60) == 0, caller.errors()

    logs = caplog.text
    assert logs.count("ARI events lost") == 1 and logs.count("AMI connection lost") == 1
    assert "Not able to reconnect" not in logs
    # panoramisk's own complaints ("Connection lost", a failed reconnect each second) are
    # kept quiet on both AMI sessions (contacts and the SIP guard's security events)
    loud = [r.getMessage() for r in caplog.records
            if r.name.startswith("panoramisk") and r.levelno >= logging.WARNING]
    assert loud == [], loud
    assert logs.count("Asterisk lost") == 1 and "Asterisk back after" in logs


async def _both_busy(rig: Rig) -> bool:
    return [await rig.agent_state(a) for a in ("alice", "bob")] == ["busy", "busy"]


async def _busy(rig: Rig, agent: str) -> bool:
    return await rig.agent_state(agent) == "busy"


async def _available(rig: Rig, agent: str) -> bool:
    return await rig.agent_state(agent) == "available"


async def _ok(rig: Rig) -> bool:
    try:
        return await healthz(rig) == 200
    except aiohttp.ClientError:
        return False
