"""Ring no answer on real phones: the agent whose softphone rings out goes not ready (RONA)
and the call is offered to the next agent with the skill, keeping its place."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Rig, eventually
from tests.e2e.test_first_journey import bridged_legs_with_audio
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

TWO_SALES_AGENTS = {"overrides": [
    "offer_timeout=5",
    "agents=[{id: alice, name: Alice, skills: {sales: 5}, phone: sip}, "
    "{id: carol, name: Carol, skills: {sales: 3}, phone: sip}]",
]}


@pytest.mark.parametrize("rig", [TWO_SALES_AGENTS], indirect=True)
async def test_given_agent_phone_not_answering_when_ring_times_out_then_rona_and_next_agent(
        rig: Rig) -> None:
    await rig.start_phone("alice", answer="manual")   # rings, nobody picks up
    await rig.start_phone("carol")
    for agent in ("alice", "carol"):
        await rig.open_feed(agent)
    await rig.login("alice")        # alice has been idle longest: offered first
    await rig.login("carol")
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=12000))

    first = (await eventually(rig.feeds["alice"].offers, 20, "offer to alice"))[0]
    second = (await eventually(rig.feeds["carol"].offers, 20, "re-offer to carol"))[0]
    assert second["interaction_id"] == first["interaction_id"]
    assert second["wait_seconds"] >= 5             # it kept its place: the wait goes on
    view = await rig.call_api("GET", "/api/agents/alice", "alice")
    assert (view["state"], view["reason"]) == ("not_ready", "rona")
    await bridged_legs_with_audio(rig)
    assert await caller.wait(40) == 0, caller.errors()
