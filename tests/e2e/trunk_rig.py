"""Shared pieces of the trunk, outbound and callback end-to-end tests: a sipp carrier on
free loopback ports, the engine config that points a trunk at it, and small checks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Rig, eventually
from tests.e2e.ports import free_port, free_range
from tests.sip.carrier import Carrier, Invite
from tests.sip.refused import RefusedCall

CARRIER_USER, CARRIER_PASSWORD = "acme", "carrier-secret"
CALLER_ID, CALLER_NAME = "+442079460000", "ACME Support"
DID = "442079460100"   # the carrier sends callers to this number; it is service number 5000

# agents who take calls and callbacks, one at a time
AGENTS = [
    {"id": "alice", "name": "Alice", "skills": {"sales": 5},
     "capacity": {"voice": 1, "callback": 1},
     "blocks": {"voice": ["callback"], "callback": ["voice"]}, "phone": "sip"},
    {"id": "bob", "name": "Bob", "skills": {"support": 5},
     "capacity": {"voice": 1, "callback": 1},
     "blocks": {"voice": ["callback"], "callback": ["voice"]}, "phone": "sip"},
]
QUEUES = [
    {"name": "sales", "media": ["voice", "callback"], "required_skills": {"sales": 1},
     "wrapup_seconds": 3},
    {"name": "support", "media": ["voice", "callback"], "required_skills": {"support": 1},
     "wrapup_seconds": 3},
]
OUTBOUND = {"trunk": "carrier", "caller_id": CALLER_ID, "caller_name": CALLER_NAME,
            "format": "national", "allow": ["fixed", "mobile", "toll_free"],
            "ring_seconds": 20}
CALLBACKS = {"attempts": 2, "interval_seconds": 3, "ring_seconds": 5, "digit_timeout": 6,
             "poll_seconds": 0.3}


async def start_carrier(workdir: Path) -> Carrier:
    carrier = Carrier(workdir, port=free_port(), media_port=free_range(4),
                      control_port=free_port(), user=CARRIER_USER, password=CARRIER_PASSWORD)
    await carrier.start()
    return carrier


def overrides(carrier: Carrier, *, kind: str = "registration", inbound_port: int | None = None,
              outbound: dict[str, Any] | None = None, callbacks: dict[str, Any] | None = None,
              ivr_dir: Path | None = None, password: str = CARRIER_PASSWORD) -> list[str]:
    """Engine config: a trunk of ``kind`` to the carrier (calls from ``inbound_port`` count
    as the carrier's too), outbound through it, callbacks, agents and queues for both."""
    trunk: dict[str, Any] = {
        "name": "carrier", "type": kind, "host": "127.0.0.1", "port": carrier.port,
        "match": [f"127.0.0.1:{carrier.port}"] +
                 ([f"127.0.0.1:{inbound_port}"] if inbound_port else []),
        "dids": {DID: "5000"}, "retry_seconds": 2}
    if kind == "registration":
        trunk.update(username=CARRIER_USER, password=password)
    out = [f"trunks={json.dumps([trunk])}",
           f"outbound={json.dumps(outbound or OUTBOUND)}",
           f"callbacks={json.dumps(callbacks or CALLBACKS)}",
           f"agents={json.dumps(AGENTS)}", f"queues={json.dumps(QUEUES)}"]
    if ivr_dir is not None:
        out.append(f"ivr.dir={ivr_dir}")
    return out


async def absent(check: Callable[[], Any], seconds: float, what: str) -> None:
    """Fail if ``check`` becomes truthy within ``seconds`` (something must NOT happen)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        assert not found, f"{what}: {found!r}"
        await asyncio.sleep(0.1)


async def refused_call(rig: Rig, number: str, *, caller: str = "02079460999",
                       sip_port: int | None = None) -> None:
    """Call ``number`` at the engine's Asterisk from ``sip_port``; it must be refused."""
    call = RefusedCall(rig.workdir, f"{number}-{sip_port or 'anon'}", number=number,
                       caller=caller, target_port=rig.engine.config.asterisk.sip_port,
                       sip_port=sip_port or free_port(), media_port=free_range(4),
                       control_port=free_port())
    assert await call.run() == 0, f"{number} was not refused: {call.errors()}"


async def invites(carrier: Carrier, count: int = 1, timeout: float = 30) -> list[Invite]:
    return await eventually(lambda: (lambda got: got if len(got) >= count else None)(
        carrier.invites()), timeout, f"{count} INVITE(s) at the carrier")


async def dial_from_phone(rig: Rig, agent: str, number: str) -> str:
    """The agent's baresip phone dials ``number`` (at the engine's Asterisk, on the phones'
    port)."""
    port = rig.engine.config.asterisk.phone_sip_port
    return await rig.phones[agent].command("dial", f"sip:{number}@127.0.0.1:{port}")


async def bridge_with_carrier(rig: Rig, iid: str) -> list[str]:
    """Wait until the call's bridge holds exactly one carrier leg and one other leg."""
    async def members() -> list[str] | None:
        bridge = await rig.ari("GET", f"/bridges/bridge-{iid}")
        names = []
        for channel_id in (bridge or {}).get("channels", []):
            channel = await rig.ari("GET", f"/channels/{channel_id}")
            if channel:
                names.append(channel["name"].split("/", 1)[1].rsplit("-", 1)[0])
        return names if len(names) == 2 and "carrier" in names else None
    return await eventually(members, 30, f"bridge-{iid} with the carrier")


async def rtp_both_ways(rig: Rig, iid: str) -> None:
    """Every leg of the call's bridge receives and sends RTP."""
    bridge = await rig.ari("GET", f"/bridges/bridge-{iid}")
    await rig.rtp_both_ways(bridge["channels"], 20)


async def record(rig: Rig, iid: str, *, ended: bool = True) -> dict[str, Any]:
    async def get() -> dict[str, Any] | None:
        r = await rig.call_api("GET", f"/api/interactions/{iid}", "admin")
        return r if (r["timestamps"].get("ended") or not ended) else None
    return await eventually(get, 30, f"interaction {iid} stored")


def kinds(record: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in record["events"]]


def events_of(record: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in record["events"] if e["kind"] == kind]


async def state_is(rig: Rig, agent: str, state: str, timeout: float = 30) -> None:
    async def check() -> bool:
        return await rig.agent_state(agent) == state
    await eventually(check, timeout, f"{agent} {state}")


async def agent_hears_ringing(rig: Rig, channel_prefix: str) -> None:
    """The agent's leg (channel id starting ``channel_prefix``), alone while the number
    rings, keeps receiving audio from Asterisk: the ringing tone."""
    async def leg() -> str | None:
        channels = await rig.ari("GET", "/channels") or []
        found = [c["id"] for c in channels if c["id"].startswith(channel_prefix)]
        return found[0] if found else None
    channel = await eventually(leg, 20, "the agent's leg")

    async def sent() -> int:
        value = await rig.ari("GET", f"/channels/{channel}/variable",
                              variable="CHANNEL(rtcp,txcount)")
        return int(value["value"] or 0) if value else 0
    before = await sent()

    async def more() -> bool:
        return await sent() > before + 25
    await eventually(more, 5, "RTP (the ringing tone) to the agent's leg")
