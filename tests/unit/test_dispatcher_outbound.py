"""The dispatcher's parts for outbound work: a phone's media (calls and callbacks) become
reachable together, and work assigned to a named agent outside routing."""

from __future__ import annotations

import pytest

from ccengine.core.agent import AgentProfile
from ccengine.core.errors import AgentUnavailable
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState

PHONE = (Medium.VOICE, Medium.CALLBACK)


class Offers:
    def __init__(self, medium: Medium, log: list[tuple[str, str]]) -> None:
        self.medium, self.log = medium, log

    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        self.log.append((interaction.id, agent_id))


@pytest.fixture
async def dispatcher():  # type: ignore[no-untyped-def]
    queues = {"sales": QueueConfig("sales", frozenset(PHONE), wrapup_seconds=5)}
    agents = {"alice": AgentProfile("alice", "Alice",
                                    capacity={Medium.VOICE: 1, Medium.CALLBACK: 1},
                                    blocks={Medium.VOICE: frozenset({Medium.CALLBACK}),
                                            Medium.CALLBACK: frozenset({Medium.VOICE})})}
    d = Dispatcher(MemoryState(), queues, agents, clock=lambda: 1000.0, tick_seconds=3600)
    log: list[tuple[str, str]] = []
    for medium in PHONE:
        d.register_channel(Offers(medium, log))
    await d.start()
    yield d, log
    await d.stop()


async def test_given_a_callback_waiting_before_a_call_when_the_phone_comes_back_then_the_callback_first(  # noqa: E501
        dispatcher) -> None:  # type: ignore[no-untyped-def]
    d, log = dispatcher
    await d.set_device_reachable("alice", PHONE, False)
    await d.login("alice")
    await d.enqueue(Interaction("cb", Medium.CALLBACK, queue="sales", enqueued_at=900.0))
    await d.enqueue(Interaction("call", Medium.VOICE, queue="sales", enqueued_at=950.0))
    assert log == []
    await d.set_device_reachable("alice", PHONE, True)   # both media at once
    assert log == [("cb", "alice")]                      # the older one, and only one
    live = (await d.agent_view("alice"))["reachable"]
    assert sorted(live) == sorted(m.value for m in Medium)


async def test_given_an_agent_when_work_is_assigned_then_reserved_and_not_queued(
        dispatcher) -> None:  # type: ignore[no-untyped-def]
    d, log = dispatcher
    await d.login("alice")
    out = Interaction("out", Medium.VOICE, queue="sales")
    await d.assign(out, "alice")
    assert (await d.agent_view("alice"))["state"] == "offered"
    assert (await d.queue_view("sales"))["waiting"] == 0 and log == []
    with pytest.raises(AgentUnavailable):                # one call at a time
        await d.assign(Interaction("again", Medium.VOICE, queue="sales"), "alice")
    with pytest.raises(KeyError):
        await d.live_interaction("again")                # nothing kept of the refused one
    await d.offer_accepted("out", "alice")
    await d.interaction_ended("out", "alice")
    assert (await d.agent_view("alice"))["state"] == "wrap_up"
