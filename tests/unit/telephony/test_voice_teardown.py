"""The end of a call frees its agent at once, and a failed bridge blames the agent only when
their own leg is gone (issue 15, part 5: past capacity Asterisk took seconds over each
request, and agents were held busy, or sent not ready, for its slowness)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.telephony.ari.errors import error_for
from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.ari.router import AriEventRouter, ChannelEvents
from ccengine.telephony.voice import VoiceCall, VoiceChannel


class _Ari:
    """Records every request; hang-ups wait for ``answer_hangups``; a bridge join fails with
    422 when ``join_fails``; ``gone`` lists channels that no longer exist."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, ...]] = []
        self.answer_hangups = asyncio.Event()
        self.join_fails = False
        self.gone: set[str] = set()
        self.legs = 0

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        self.asked.append(("hangup", channel_id))
        await self.answer_hangups.wait()

    async def destroy_bridge(self, bridge_id: str) -> None:
        self.asked.append(("destroy_bridge", bridge_id))

    async def originate(self, endpoint: str, channel_id: str | None, app_args: list[str],
                        **_: Any) -> dict[str, Any]:
        self.legs += 1
        self.asked.append(("originate", endpoint))
        return {"id": f"leg-{self.legs}"}

    async def stop_moh(self, channel_id: str) -> None:
        self.asked.append(("stop_moh", channel_id))

    async def start_moh(self, channel_id: str, moh_class: str = "default") -> None:
        self.asked.append(("start_moh", channel_id))

    async def create_bridge(self, bridge_id: str, kind: str = "mixing") -> None:
        self.asked.append(("create_bridge", bridge_id))

    async def add_to_bridge(self, bridge_id: str, channel_ids: list[str]) -> None:
        self.asked.append(("add_to_bridge", *channel_ids))
        if self.join_fails:
            raise error_for("POST", f"/bridges/{bridge_id}/addChannel", 422,
                            "Channel not in Stasis application")

    async def channel_exists(self, channel_id: str) -> bool:
        return channel_id not in self.gone


class _Dispatcher:
    def __init__(self, ari: _Ari) -> None:
        self.ari = ari
        self.told: list[tuple[Any, ...]] = []

    async def interaction_ended(self, interaction_id: str, agent_id: str,
                                **why: Any) -> None:
        # whether Asterisk had answered the hang-ups when the agent was freed
        self.told.append(("ended", interaction_id, agent_id, why,
                          self.ari.answer_hangups.is_set()))

    async def offered_at(self, interaction_id: str, agent_id: str) -> float:
        return 1.0

    async def offer_accepted(self, interaction_id: str, agent_id: str) -> None:
        self.told.append(("accepted", interaction_id, agent_id))

    async def offer_failed(self, interaction_id: str, agent_id: str, reason: str,
                           offered_at: float | None = None) -> None:
        self.told.append(("failed", interaction_id, agent_id, reason))

    async def withdraw(self, interaction_id: str, agent_id: str, reason: str) -> None:
        self.told.append(("withdraw", interaction_id, agent_id, reason))


def _voice() -> tuple[VoiceChannel, _Ari, _Dispatcher]:
    ari = _Ari()
    dispatcher = _Dispatcher(ari)
    voice = VoiceChannel(ari, AriEventRouter(ari), dispatcher, None,  # type: ignore[arg-type]
                         persist=None, ring_timeout=10, clock=lambda: 0.0)  # type: ignore[arg-type]
    return voice, ari, dispatcher


def _talking_call(iid: str = "i1") -> VoiceCall:
    call = VoiceCall(Interaction(iid, Medium.VOICE, queue="sales"), f"caller-{iid}",
                     ChannelEvents(f"caller-{iid}"), agent_id="alice",
                     agent_channel=f"agent-{iid}", bridge_id=f"bridge-{iid}")
    call.hung_up_by = "caller"
    return call


async def test_given_a_talking_call_when_it_ends_then_its_agent_is_freed_before_asterisk_answers(
        ) -> None:
    voice, ari, dispatcher = _voice()
    finishing = asyncio.create_task(voice._finish(_talking_call()))
    for _ in range(20):
        await asyncio.sleep(0)
    # the agent is free already, Asterisk not done; the legs and the bridge were asked for
    # all at once, none waiting for another's answer
    assert [t[:3] + t[4:] for t in dispatcher.told] == [("ended", "i1", "alice", False)]
    assert ari.asked == [
        ("hangup", "agent-i1"), ("hangup", "caller-i1"), ("destroy_bridge", "bridge-i1")]
    assert not finishing.done()   # the call's end still waits for Asterisk's answers
    ari.answer_hangups.set()
    await asyncio.wait_for(finishing, 1)
    assert voice._leaving == {}


async def test_given_an_agent_whose_last_leg_is_hanging_up_when_rung_again_then_after_it(
        ) -> None:
    voice, ari, dispatcher = _voice()
    finishing = asyncio.create_task(voice._finish(_talking_call("i1")))
    for _ in range(20):
        await asyncio.sleep(0)
    next_call = VoiceCall(Interaction("i2", Medium.VOICE, queue="sales"), "caller-i2",
                          ChannelEvents("caller-i2"))
    ringing = asyncio.create_task(voice._originate_agent(next_call, "alice"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert ("originate", "PJSIP/alice") not in ari.asked   # the old leg's end goes first
    ari.answer_hangups.set()
    assert await asyncio.wait_for(ringing, 1) == "leg-1"
    assert ari.asked[-1] == ("originate", "PJSIP/alice")
    await asyncio.wait_for(finishing, 1)
    # another agent's ring never waits for alice's leg, still being hung up
    ari.answer_hangups.clear()
    other = asyncio.create_task(voice._finish(_talking_call("i3")))
    for _ in range(20):
        await asyncio.sleep(0)
    assert "alice" in voice._leaving
    assert await asyncio.wait_for(voice._originate_agent(next_call, "bob"), 1) == "leg-2"
    assert not other.done()
    ari.answer_hangups.set()
    await asyncio.wait_for(other, 1)


@pytest.mark.parametrize("agent_leg_gone, told", [
    (False, ("withdraw", "i1", "alice", "not_bridged")),   # the caller's leg was leaving
    (True, ("failed", "i1", "alice", "rejected")),         # the agent's phone hung up
])
async def test_given_an_answered_leg_not_bridged_then_the_agent_blamed_only_if_their_leg_is_gone(
        agent_leg_gone: bool, told: tuple[str, ...]) -> None:
    voice, ari, dispatcher = _voice()
    ari.answer_hangups.set()
    ari.join_fails = True
    if agent_leg_gone:
        ari.gone.add("leg-1")
    call = VoiceCall(Interaction("i1", Medium.VOICE, queue="sales"), "caller-i1",
                     ChannelEvents("caller-i1"))
    offer = asyncio.create_task(voice._ring_agent(call, "alice"))
    for _ in range(50):
        await asyncio.sleep(0)
    assert ari.asked == [("originate", "PJSIP/alice")]
    voice.router.dispatch(AriEvent.from_json({
        "type": "StasisStart", "args": ["agent", "i1"],
        "channel": {"id": "leg-1", "name": "PJSIP/alice-1", "state": "Up"}}))
    await asyncio.wait_for(offer, 1)
    assert ("add_to_bridge", "caller-i1", "leg-1") in ari.asked
    assert ("hangup", "leg-1") in ari.asked and ("start_moh", "caller-i1") in ari.asked
    assert dispatcher.told == [told]
    assert call.agent_id is None and call.agent_channel is None
