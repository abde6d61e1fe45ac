"""Transfers and three-way conferences on real calls: a sipp caller reaches alice (sales),
who hands the call to bob by the API; baresip phones auto-answer. The proof is Asterisk's
own view (who is in the call's bridge, RTP counters of the legs), the agents' states and
the stored history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Rig, eventually
from tests.e2e.test_first_journey import bridged_legs_with_audio, ready_agents
from tests.sip.sipp import CallerScript, SippCaller

pytestmark = pytest.mark.asterisk

# long wrap-ups so the first agent's wrap-up is seen for sure
LONG_WRAPUP = {"overrides": [
    "queues=[{name: sales, media: [voice], required_skills: {sales: 1}, "
    "wrapup_seconds: 60}, {name: support, media: [voice], required_skills: {support: 1}, "
    "wrapup_seconds: 60}]",
]}
CALLER = CallerScript(digits="1", dtmf="info", hold_ms=None, wait_bye_ms=120000)


async def call_with_alice(rig: Rig) -> tuple[SippCaller, str]:
    """alice and bob ready; a caller presses 1 (sales) and is bridged with alice."""
    await ready_agents(rig, "alice", "bob")
    caller = await rig.place_call(CALLER)
    offer = (await eventually(rig.feeds["alice"].offers, 20, "alice's screen pop"))[0]
    await bridged_legs_with_audio(rig)
    return caller, offer["interaction_id"]


async def post(rig: Rig, path: str, user: str, body: dict[str, Any] | None = None
               ) -> tuple[int, dict[str, Any]]:
    async with rig.http.post(f"{rig.api}{path}", headers=rig.auth(user), json=body) as r:
        return r.status, await r.json()


async def members(rig: Rig, bridge_id: str) -> list[str]:
    """Names of the channels in a bridge (PJSIP/bob-00000003 ...); [] if no such bridge."""
    bridge = await rig.ari("GET", f"/bridges/{bridge_id}")
    names = []
    for channel_id in (bridge or {}).get("channels", []):
        channel = await rig.ari("GET", f"/channels/{channel_id}")
        if channel:
            names.append(channel["name"])
    return sorted(names)


def who(names: list[str]) -> list[str]:
    """bridge members as people: "alice", "bob", or "caller" (the anonymous endpoint)."""
    out = []
    for name in names:
        endpoint = name.split("/", 1)[1].rsplit("-", 1)[0]
        out.append(endpoint if endpoint in ("alice", "bob", "carol") else "caller")
    return sorted(out)


async def in_bridge(rig: Rig, bridge_id: str, people: list[str], timeout: float = 20) -> None:
    async def check() -> list[str] | None:
        now = who(await members(rig, bridge_id))
        return now if now == sorted(people) else None
    await eventually(check, timeout, f"{bridge_id} holding exactly {people}")


async def rtcp(rig: Rig, channel_id: str, direction: str) -> int:
    value = await rig.ari("GET", f"/channels/{channel_id}/variable",
                          variable=f"CHANNEL(rtcp,{direction}count)")
    return int(value["value"] or 0) if value else 0


async def audio_flows(rig: Rig, bridge_id: str, person: str) -> None:
    """``person``'s leg in the bridge sends and receives RTP, and the caller keeps
    receiving (the bridge mixes ``person``'s audio to the caller)."""
    bridge = await rig.ari("GET", f"/bridges/{bridge_id}")
    legs = {who([(await rig.ari("GET", f"/channels/{c}"))["name"]])[0]: c
            for c in bridge["channels"]}
    leg, caller = legs[person], legs["caller"]
    before = await rtcp(rig, caller, "tx")

    async def flowing() -> bool:
        return (await rtcp(rig, leg, "rx") > 0 and await rtcp(rig, leg, "tx") > 0
                and await rtcp(rig, caller, "tx") > before + 20)
    await eventually(flowing, 20, f"RTP between the caller and {person}")


async def state_is(rig: Rig, agent: str, state: str) -> None:
    async def check() -> bool:
        return await rig.agent_state(agent) == state
    await eventually(check, 20, f"{agent} {state}")


async def history(rig: Rig, interaction_id: str, *, ended: bool = True) -> dict[str, Any]:
    async def get() -> dict[str, Any] | None:
        record = await rig.call_api("GET", f"/api/interactions/{interaction_id}", "admin")
        return record if record["timestamps"].get("ended") or not ended else None
    return await eventually(get, 20, f"interaction {interaction_id} stored")


def events_of(record: dict[str, Any], *kinds: str) -> list[dict[str, Any]]:
    return [e for e in record["events"] if e["kind"] in kinds]


@pytest.mark.parametrize("rig", [LONG_WRAPUP], indirect=True)
async def test_given_call_with_alice_when_blind_transfer_to_bob_then_caller_talks_to_bob(
        rig: Rig) -> None:
    caller, iid = await call_with_alice(rig)

    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"agent": "bob"}, "mode": "blind"})
    assert status == 202, body

    pop = (await eventually(rig.feeds["bob"].offers, 20, "bob's screen pop"))[0]
    assert pop["interaction_id"] == iid and pop["caller_number"] == "07700900123"
    await in_bridge(rig, f"bridge-{iid}", ["bob", "caller"])
    await audio_flows(rig, f"bridge-{iid}", "bob")
    await state_is(rig, "alice", "wrap_up")
    await state_is(rig, "bob", "busy")
    call = await rig.call_api("GET", f"/api/calls/{iid}", "bob")
    assert call["agent_id"] == "bob" and call["transfer"] is None

    await rig.phones["bob"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    record = await history(rig, iid)
    assert record["agent_id"] == "bob" and record["hung_up_by"] == "agent"
    started, completed = events_of(record, "transfer_started", "transfer_completed")
    assert started["data"] == {"by": "alice", "agent_id": "alice", "to": {"agent": "bob"},
                               "mode": "blind"}
    assert completed["data"]["to"] == {"agent": "bob"}
    assert started["at"] <= completed["at"]
    await state_is(rig, "bob", "wrap_up")
