"""Offering calls to real phones: an agent whose phone rejects the call (a baresip
softphone answering 486 Busy Here, a sipp phone answering 603 Decline) goes not ready (RONA,
reason ``rejected``) and the call is offered to the next agent without losing its place;
an agent whose phone unregisters mid-shift gets no calls until it registers again."""

from __future__ import annotations

import asyncio

import pytest

from ccengine.telephony.voice import VoiceCall
from tests.e2e.conftest import Rig, eventually
from tests.e2e.ports import free_port, free_range
from tests.e2e.test_first_journey import bridged_legs_with_audio, stored
from tests.sip.sipp import CallerScript, SippCaller
from tests.sip.sipp_agent import SippAgentPhone

pytestmark = pytest.mark.asterisk

TWO_SALES_AGENTS = {"overrides": [
    "agents=[{id: alice, name: Alice, skills: {sales: 5}, phone: sip}, "
    "{id: carol, name: Carol, skills: {sales: 3}, phone: sip}]",
]}


async def alice_rung_first(rig: Rig, hold_ms: int, carol_answers: str = "auto"
                           ) -> tuple[SippCaller, dict]:
    """alice and carol (TWO_SALES_AGENTS) on baresip, signed in and ready, alice the longer
    idle; a caller presses 1: alice's phone rings (it answers only when told). The caller
    and alice's offer."""
    await rig.start_phone("alice", answer="manual")    # rings until alice decides
    await rig.start_phone("carol", answer=carol_answers)
    for agent in ("alice", "carol"):
        await rig.open_feed(agent)
    await rig.login("alice")        # idle longest: offered first
    await rig.login("carol")
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=hold_ms))
    first = (await eventually(rig.feeds["alice"].offers, 20, "offer to alice"))[0]
    await eventually(lambda: "Incoming call" in rig.phones["alice"].log_text(), 10,
                     "alice's phone ringing")
    return caller, first


@pytest.mark.parametrize("rig", [TWO_SALES_AGENTS], indirect=True)
async def test_given_agent_rejects_ringing_call_when_busy_here_then_rona_and_next_agent(
        rig: Rig) -> None:
    caller, first = await alice_rung_first(rig, hold_ms=10000)
    await rig.phones["alice"].hangup()                  # baresip rejects: 486 Busy Here
    second = (await eventually(rig.feeds["carol"].offers, 20, "re-offer to carol"))[0]
    assert second["interaction_id"] == first["interaction_id"]
    view = await rig.call_api("GET", "/api/agents/alice", "alice")
    assert (view["state"], view["reason"]) == ("not_ready", "rona")
    await bridged_legs_with_audio(rig)
    assert await caller.wait(40) == 0, caller.errors()

    record = await stored(rig, first["interaction_id"], "admin")
    requeued = [e for e in record["events"] if e["kind"] == "requeued"]
    assert [(e["data"]["agent_id"], e["data"]["reason"]) for e in requeued] == [
        ("alice", "rejected")]                          # Q.850 17 (user busy) -> rejected
    queued = record["timestamps"]["queued"]
    assert record["agent_id"] == "carol"
    # it kept its place: still the one queued interaction, never queued again
    assert [e["at"] for e in record["events"] if e["kind"] == "queued"] == [queued]


@pytest.mark.parametrize("rig", [TWO_SALES_AGENTS], indirect=True)
async def test_given_agent_phone_declines_when_603_then_rona_rejected_and_next_agent(
        rig: Rig) -> None:
    secrets = rig.engine.rendered.secrets  # type: ignore[union-attr]
    carol = SippAgentPhone(rig.workdir, "carol", secrets.sip_passwords["carol"],
                           rig.engine.config.asterisk.phone_sip_port, free_port(),
                           free_range(4),
                           free_port(), status="603 Decline")
    await carol.start()
    try:
        ami = rig.engine.ami
        assert ami is not None
        await eventually(lambda: ami.contacts.get("carol"), 20, "carol's phone registered")
        await rig.start_phone("alice")
        for agent in ("carol", "alice"):
            await rig.open_feed(agent)
        await rig.login("carol")    # idle longest: offered first
        await rig.login("alice")
        caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=8000))

        first = (await eventually(rig.feeds["carol"].offers, 20, "offer to carol"))[0]
        second = (await eventually(rig.feeds["alice"].offers, 20, "re-offer to alice"))[0]
        assert second["interaction_id"] == first["interaction_id"]
        assert "SIP/2.0 603 Decline" in carol.messages()
        view = await rig.call_api("GET", "/api/agents/carol", "carol")
        assert (view["state"], view["reason"]) == ("not_ready", "rona")
        await bridged_legs_with_audio(rig)
        assert await caller.wait(40) == 0, caller.errors()
        record = await stored(rig, first["interaction_id"], "admin")
        assert [(e["data"]["agent_id"], e["data"]["reason"]) for e in record["events"]
                if e["kind"] == "requeued"] == [("carol", "rejected")]  # Q.850 21
        assert record["agent_id"] == "alice"
    finally:
        await carol.stop()


async def test_given_phone_unregistered_mid_shift_when_call_waits_then_offered_after_reregister(
        rig: Rig) -> None:
    await rig.start_phone("alice")
    feed = await rig.open_feed("alice")
    await rig.login("alice")
    ami = rig.engine.ami
    assert ami is not None
    rig.phones.pop("alice").stop()                     # baresip unregisters on the way out
    await eventually(lambda: ami.contacts.get("alice") is False, 20,
                     "alice's phone reported unreachable")
    assert await rig.agent_state("alice") == "available"   # still logged in and ready

    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=30000))

    async def waiting() -> bool:
        return (await rig.call_api("GET", "/api/queues/sales", "admin"))["waiting"] == 1
    await eventually(waiting, 20, "the caller waiting in sales")
    await asyncio.sleep(5)                             # a routing pass runs every 0.25 s
    assert feed.offers() == []
    assert await waiting()

    await rig.start_phone("alice")                     # registers again
    offer = (await eventually(feed.offers, 20, "the call offered once registered"))[0]
    assert offer["queue"] == "sales"
    await bridged_legs_with_audio(rig)
    assert await caller.wait(60) == 0, caller.errors()


async def test_given_caller_hangs_up_while_the_answered_agent_is_bridged_then_offer_withdrawn(
        rig: Rig) -> None:
    """The caller leaves between the agent's answer and the bridge (a race under load):
    the offer was never accepted, so it is withdrawn and the agent is free again at once,
    not stuck with an offered slot."""
    await rig.start_phone("alice")
    await rig.open_feed("alice")
    await rig.login("alice")
    voice = rig.engine.voice
    assert voice is not None

    async def caller_leaves(call: VoiceCall) -> None:   # runs once alice's leg answered
        await voice.ari.hangup(call.caller_channel)
        await call.done.wait()          # the call ends around this hook, which is cancelled
    voice.on_answering.append(caller_leaves)
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=10000))
    offer = (await eventually(rig.feeds["alice"].offers, 20, "offer to alice"))[0]

    record = await stored(rig, offer["interaction_id"], "admin")
    kinds = [e["kind"] for e in record["events"]]
    assert "answered" not in kinds and kinds[-1] == "cancelled", kinds
    assert record["events"][-1]["data"]["reason"] == "abandoned"
    view = await rig.call_api("GET", "/api/agents/alice", "alice")
    assert view["state"] == "available", view
    await caller.wait(20)  # sipp ends (its call was hung up under it): only cleanup here


@pytest.mark.parametrize("rig", [TWO_SALES_AGENTS], indirect=True)
async def test_given_agent_hangs_up_as_soon_as_answering_then_requeued_to_next_agent(
        rig: Rig) -> None:
    """The first agent's leg answers and is gone before it can be bridged: the caller is
    not left in silence; the call goes back to the head of the queue (alice: RONA,
    ``rejected``) and carol takes it."""
    await rig.start_phone("alice")
    await rig.start_phone("carol")
    for agent in ("alice", "carol"):
        await rig.open_feed(agent)
    await rig.login("alice")        # idle longest: offered first
    await rig.login("carol")
    voice = rig.engine.voice
    assert voice is not None

    async def alice_leaves(call: VoiceCall) -> None:    # runs once an agent's leg answered
        if call.agent_id == "alice" and call.agent_channel:
            leg = call.agent_channel
            await voice.ari.hangup(leg)

            async def gone() -> bool:
                return not await voice.ari.channel_exists(leg)
            await eventually(gone, 10, "alice's leg gone")
    voice.on_answering.append(alice_leaves)
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=8000))

    first = (await eventually(rig.feeds["alice"].offers, 20, "offer to alice"))[0]
    second = (await eventually(rig.feeds["carol"].offers, 20, "re-offer to carol"))[0]
    assert second["interaction_id"] == first["interaction_id"]
    await bridged_legs_with_audio(rig)
    assert await caller.wait(40) == 0, caller.errors()
    record = await stored(rig, first["interaction_id"], "admin")
    assert record["agent_id"] == "carol"
    requeued = [(e["data"]["agent_id"], e["data"]["reason"])
                for e in record["events"] if e["kind"] == "requeued"]
    assert requeued == [("alice", "rejected")]
    view = await rig.call_api("GET", "/api/agents/alice", "alice")
    assert (view["state"], view["reason"]) == ("not_ready", "rona")
