"""An engine restart keeps every call. The engine runs as its own process (``ccengine run``)
with its private Asterisk; five agents on baresip phones talk with five callers (sipp, audio
both ways) while fifty more callers wait in the queue. The engine is SIGKILLed (and, in the
other run, stopped cleanly with SIGTERM) and started again: it adopts the running Asterisk;
the fifty are queued again in their original order with their original wait, the five
talking calls go on with RTP and end with complete records, the agents keep their state,
and once the agents are free the fifty are served in their original order."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from ccengine.telephony.ari.client import basic_auth
from tests.e2e.conftest import REPO
from tests.e2e.engine_process import EngineProcess, secrets_of, stop_leftover_asterisk
from tests.e2e.ports import free_port, free_range
from tests.polling import eventually
from tests.sip.baresip import Baresip
from tests.sip.sipp import CallerScript, SippCaller

pytestmark = pytest.mark.asterisk

AGENTS = [f"a{n}" for n in range(1, 6)]
WAITING = 50


def engine_config(tmp: Path) -> tuple[Path, dict[str, Any]]:
    rtp = free_range(300)
    doc: dict[str, Any] = {
        "runtime_dir": str(tmp / "var"), "ivr": {"dir": str(REPO / "ivr")},
        "api": {"port": free_port()}, "offer_timeout": 10,
        "asterisk": {"sip_port": free_port(), "phone_sip_port": free_port(),
                     "http_port": free_port(),
                     "ami_port": free_port(), "rtp_start": rtp, "rtp_end": rtp + 299},
        "agents": [{"id": a, "name": a.upper(), "skills": {"sales": 5}, "phone": "sip"}
                   for a in AGENTS],
        "supervisors": [],
        "queues": [{"name": "sales", "media": ["voice"], "required_skills": {"sales": 1},
                    "wrapup_seconds": 1},
                   {"name": "support", "media": ["voice"], "required_skills": {"sales": 1}}],
    }
    path = tmp / "engine.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path, doc


class Site:
    """The engine process, its API, the agents' phones and the callers."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.config, self.doc = engine_config(tmp)
        self.engine = EngineProcess(self.config, tmp / "engine.log")
        self.api = f"http://127.0.0.1:{self.doc['api']['port']}"
        self.phones: dict[str, Baresip] = {}
        self.callers: list[SippCaller] = []
        self.http = aiohttp.ClientSession()
        self.tokens: dict[str, str] = {}

    async def call(self, method: str, path: str, user: str = "admin", **kw: Any) -> Any:
        async with self.http.request(method, f"{self.api}{path}", **kw, headers={
                "Authorization": f"Bearer {self.tokens[user]}"}) as r:
            body = await r.json()
            assert r.status < 400, (method, path, r.status, body)
            return body

    async def ari(self, path: str) -> Any:
        secrets = secrets_of(Path(self.doc["runtime_dir"]))
        auth = basic_auth(secrets["ari_user"], secrets["ari_password"])
        url = f"http://127.0.0.1:{self.doc['asterisk']['http_port']}/ari{path}"
        async with self.http.get(url, headers={"Authorization": auth}) as r:
            return await r.json() if r.status == 200 else None

    async def start_engine(self) -> float:
        self.engine.start()
        took = await self.engine.api_up(self.api)
        self.tokens = secrets_of(Path(self.doc["runtime_dir"]))["api_tokens"]
        return took

    async def state(self, agent: str) -> str:
        return (await self.call("GET", f"/api/agents/{agent}"))["state"]

    def place(self, script: CallerScript, name: str, count: int = 1) -> SippCaller:
        callers = SippCaller.many(
            self.tmp, name, script, count=count, rate=25, caller="07700900123",
            service="5000", target_port=self.doc["asterisk"]["sip_port"],
            sip_port=free_port(), media_port=free_range(4), control_port=free_port())
        self.callers.append(callers)
        return callers

    async def queue(self) -> list[dict[str, Any]]:
        return (await self.call("GET", "/api/queues/sales"))["interactions"]

    async def talking(self) -> dict[str, list[str]]:
        """The calls' bridges with a caller and an agent in them."""
        bridges = await self.ari("/bridges") or []
        return {b["id"]: b["channels"] for b in bridges if b["id"].startswith("bridge-")
                and len(b["channels"]) == 2}

    async def rtp(self, channel: str) -> tuple[int, int]:
        values = []
        for var in ("CHANNEL(rtcp,rxcount)", "CHANNEL(rtcp,txcount)"):
            found = await self.ari(f"/channels/{channel}/variable?variable={var}")
            values.append(int((found or {}).get("value") or 0))
        return values[0], values[1]

    async def close(self) -> None:
        for caller in self.callers:
            await caller.stop()
        for phone in self.phones.values():
            phone.stop()
        await self.engine.stop()
        stop_leftover_asterisk(Path(self.doc["runtime_dir"]))
        await self.http.close()


async def five_talking_and_fifty_waiting(site: Site) -> tuple[list[str], dict[str, Any]]:
    secrets = secrets_of(Path(site.doc["runtime_dir"]))
    for agent in AGENTS:
        phone = Baresip(site.tmp, agent, secrets["sip_passwords"][agent],
                        site.doc["asterisk"]["phone_sip_port"], free_port(2), free_port(),
                        free_range(20))
        phone.start()
        site.phones[agent] = phone
    for agent in AGENTS:
        await eventually(lambda a=agent: _reachable(site, a), 20, f"{agent}'s phone")
        await site.call("POST", f"/api/agents/{agent}/login", agent)
    # about 3.5 min of audio: on a loaded machine queuing the fifty and the restart took
    # longer than 12 repeats (84 s) lasted, and the callers' RTP stopped before the check
    talking = site.place(CallerScript(digits="1", audio_repeats=30, hold_ms=None,
                                      wait_bye_ms=240000), "talking", count=len(AGENTS))
    await talking.start()
    await eventually(lambda: _count(site.talking(), len(AGENTS)), 40, "five calls talking")
    waiting = site.place(CallerScript(digits="1", audio=False, hold_ms=None,
                                      wait_bye_ms=240000), "waiting", count=WAITING)
    await waiting.start()
    queued = await eventually(lambda: _queued(site, WAITING), 60, "fifty callers queued")
    return [i["id"] for i in queued], await site.talking()


async def _reachable(site: Site, agent: str) -> bool:
    reachable = (await site.call("GET", f"/api/agents/{agent}"))["reachable"]
    return "voice" in reachable


async def _count(talking: Any, n: int) -> bool:
    return len(await talking) >= n


async def _queued(site: Site, n: int) -> list[dict[str, Any]] | None:
    queued = await site.queue()
    return queued if len(queued) == n else None


@pytest.mark.parametrize("how", ["kill", "clean_stop"])
async def test_given_talking_and_waiting_calls_when_engine_restarts_then_none_lost(
        tmp_path: Path, how: str) -> None:
    site = Site(tmp_path)
    try:
        await site.start_engine()
        order, bridges = await five_talking_and_fifty_waiting(site)
        waited = {i["id"]: i["wait_seconds"] for i in await site.queue()}
        rtp_before = {c: await site.rtp(c) for chans in bridges.values() for c in chans}
        if how == "kill":
            site.engine.kill()
        else:
            await site.engine.stop()
        stopped = time.monotonic()
        await site.start_engine()
        back = await eventually(lambda: _queued(site, WAITING), 30, "fifty queued again")
        print(f"{how}: fifty queued again {time.monotonic() - stopped:.1f} s after the stop")
        assert [i["id"] for i in back] == order               # their original order
        for item in back:                                     # their original wait
            assert item["wait_seconds"] >= waited[item["id"]]
        assert "adopting the running Asterisk" in site.engine.tail(200000)
        assert await site.talking() == bridges                 # the same calls, still up
        for agent in AGENTS:
            assert await site.state(agent) == "busy"           # agents keep their state

        async def more_rtp() -> bool:
            for channel, (rx, tx) in rtp_before.items():
                now_rx, now_tx = await site.rtp(channel)
                if now_rx <= rx or now_tx <= tx:
                    return False
            return True
        await eventually(more_rtp, 20, "RTP going on both ways on every talking leg")

        talking_ids = [b.removeprefix("bridge-") for b in bridges]
        served = await serve_everyone(site)
        for iid in talking_ids:
            record = await site.call("GET", f"/api/interactions/{iid}")
            assert record["status"] == "ended" and record["hung_up_by"] == "agent", record
            assert record["timestamps"]["answered"] and record["timestamps"]["ended"]
        assert set(order) <= set(served)
        offered = [await _offered(site, iid) for iid in order]
        assert offered == sorted(offered)   # served in their original order
    finally:
        await site.close()


async def serve_everyone(site: Site) -> list[str]:
    """The agents hang up their calls, then take the waiting callers one after another
    (each hangs up as soon as it is connected); the ids they took, in order (the talking
    calls first)."""
    served: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        queue = await site.queue()
        busy = []
        for agent in AGENTS:
            view = await site.call("GET", f"/api/agents/{agent}")
            busy += [(agent, s["interaction_id"]) for s in view["slots"]
                     if s["state"] == "busy"]
        for agent, iid in busy:
            if iid not in served:
                served.append(iid)
            await site.phones[agent].hangup()
        if not queue and not busy and len(served) >= WAITING + len(AGENTS):
            break
        await asyncio.sleep(0.3)
    return served


async def _offered(site: Site, iid: str) -> float:
    record = await site.call("GET", f"/api/interactions/{iid}")
    offers = [e["at"] for e in record["events"] if e["kind"] == "offered"]
    assert offers, f"{iid} was never offered"
    return offers[-1]
