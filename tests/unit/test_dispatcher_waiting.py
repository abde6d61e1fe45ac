"""The dispatcher's operations for a waiting caller's own choices: move to another queue
(keeping the wait so far), hold out of routing while a feature talks to the caller, and
back to the same place; none of them touches work that is being offered."""

from __future__ import annotations

import pytest

from ccengine.core.agent import AgentProfile
from ccengine.core.errors import UnknownInteraction, UnknownQueue
from ccengine.core.events import Event, InteractionUpdated
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from tests.unit.test_dispatcher import Clock, RecordingChannel


@pytest.fixture
async def setup():  # type: ignore[no-untyped-def]
    clock = Clock()
    queues = {name: QueueConfig(name, frozenset({Medium.VOICE}), {name: 1})
              for name in ("sales", "support")}
    agents = {"alice": AgentProfile("alice", "Alice", {"sales": 5}),
              "bob": AgentProfile("bob", "Bob", {"support": 5})}
    d = Dispatcher(MemoryState(), queues, agents, clock=clock, offer_timeout=20,
                   tick_seconds=3600)
    channel = RecordingChannel()
    d.register_channel(channel)
    events: list[Event] = []
    d.subscribe(events.append)
    await d.start()
    yield d, clock, channel, events
    await d.stop()


def call(iid: str, at: float) -> Interaction:
    return Interaction(iid, Medium.VOICE, queue="sales", created_at=at)


async def test_given_waiting_call_when_moved_then_new_queue_agent_offered_wait_kept(
        setup) -> None:  # type: ignore[no-untyped-def]
    d, clock, channel, events = setup
    await d.login("bob")
    await d.enqueue(call("c1", clock.now))
    queued_at = (await d.live_interaction("c1")).enqueued_at
    clock.now += 30
    moved = await d.move_waiting("c1", "support", kind="queue_changed",
                                 attributes={"moved_from": "sales"}, why="max_wait")
    assert moved is not None and moved.queue == "support"
    assert channel.offers == [("c1", "bob")]
    live = await d.live_interaction("c1")
    assert (live.enqueued_at, live.attributes["moved_from"]) == (queued_at, "sales")
    assert [(e.kind, e.data) for e in live.events if e.kind == "queue_changed"] == [
        ("queue_changed", {"why": "max_wait"})]
    assert any(isinstance(e, InteractionUpdated) and e.kind == "queue_changed"
               for e in events)


async def test_given_offered_call_when_moved_or_held_then_refused_and_unchanged(
        setup) -> None:  # type: ignore[no-untyped-def]
    d, clock, channel, _ = setup
    await d.login("alice")
    await d.enqueue(call("c1", clock.now))
    assert channel.offers == [("c1", "alice")]           # alice's phone is ringing
    assert await d.move_waiting("c1", "support", kind="queue_changed") is None
    assert await d.hold_waiting("c1") is False
    live = await d.live_interaction("c1")
    assert (live.queue, live.agent_id) == ("sales", "alice")
    with pytest.raises(UnknownQueue):
        await d.move_waiting("c1", "nowhere", kind="queue_changed")
    with pytest.raises(UnknownInteraction):
        await d.move_waiting("c9", "support", kind="queue_changed")


async def test_given_held_call_when_agent_frees_then_not_offered_until_unheld_same_place(
        setup) -> None:  # type: ignore[no-untyped-def]
    d, clock, channel, _ = setup
    await d.enqueue(call("first", clock.now))
    clock.now += 5
    await d.enqueue(call("second", clock.now))
    assert await d.hold_waiting("first") is True
    assert await d.hold_waiting("first") is False         # already held
    await d.login("alice")
    assert channel.offers == [("second", "alice")]       # the held call is skipped
    await d.offer_accepted("second", "alice")
    await d.unhold_waiting("first")
    assert (await d.live_interaction("first")).enqueued_at == 1000.0
    await d.interaction_ended("second", "alice")
    clock.now += 3600
    await d.tick()                                        # wrap-up over
    assert channel.offers[-1] == ("first", "alice")


async def test_given_held_call_when_feature_cancels_it_then_gone_and_unhold_refused(
        setup) -> None:  # type: ignore[no-untyped-def]
    d, clock, _, _ = setup
    await d.enqueue(call("c1", clock.now))
    assert await d.hold_waiting("c1") is True
    await d.cancel("c1", "voicemail")                     # what a voicemail executor does
    with pytest.raises(UnknownInteraction):
        await d.live_interaction("c1")
    with pytest.raises(UnknownInteraction):
        await d.unhold_waiting("c1")
