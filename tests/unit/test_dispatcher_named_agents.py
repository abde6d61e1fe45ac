"""The dispatcher's named-agent operations used by transfers and conferences: reserve a
named agent for live work, join, take over, leave, requeue (over memory state; the same
atomic reservation on Redis is in tests/integration/state/test_named_agents.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ccengine.core.agent import AgentProfile
from ccengine.core.errors import AgentUnavailable, UnknownAgent
from ccengine.core.events import Event, InteractionOffered, InteractionUpdated
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from tests.unit.test_dispatcher import Clock, RecordingChannel, call, state

Setup = tuple[Dispatcher, Clock, RecordingChannel, list[Event]]


@pytest.fixture
async def on_call() -> AsyncIterator[Setup]:
    """alice is busy on call c1 (sales, 5 s wrap-up); bob and carol are logged in."""
    clock = Clock()
    queues = {"sales": QueueConfig("sales", frozenset({Medium.VOICE}), {"sales": 1},
                                   wrapup_seconds=5)}
    agents = {"alice": AgentProfile("alice", "Alice", {"sales": 5}),
              "bob": AgentProfile("bob", "Bob", {"support": 2}),
              "carol": AgentProfile("carol", "Carol", {"support": 9})}
    d = Dispatcher(MemoryState(), queues, agents, clock=clock, offer_timeout=20,
                   tick_seconds=3600)
    channel = RecordingChannel()
    d.register_channel(channel)
    events: list[Event] = []
    d.subscribe(events.append)
    await d.start()
    await d.login("alice")
    await d.enqueue(call())
    await d.offer_accepted("c1", "alice")
    await d.login("bob")
    await d.login("carol")
    yield d, clock, channel, events
    await d.stop()


async def live(d: Dispatcher, iid: str = "c1"):  # type: ignore[no-untyped-def]
    interaction = await d.state.get_interaction(iid)
    assert interaction is not None
    return interaction


async def test_given_busy_alice_when_bob_reserved_to_join_then_offered_and_popped(
        on_call: Setup) -> None:
    d, _, _, events = on_call
    await d.reserve_agent("c1", "bob", take_over=False)
    assert await state(d, "bob") == "offered"
    assert (await live(d)).agent_id == "alice"          # still alice's call
    pops = [e for e in events if isinstance(e, InteractionOffered)]
    assert [p.agent_id for p in pops] == ["alice", "bob"]
    await d.agent_joined("c1", "bob")
    assert await state(d, "bob") == "busy"


async def test_given_agent_that_cannot_take_it_when_reserved_then_unavailable_and_no_change(
        on_call: Setup) -> None:
    d, _, _, _ = on_call
    await d.set_not_ready("bob", "break")
    with pytest.raises(AgentUnavailable):
        await d.reserve_agent("c1", "bob", take_over=False)
    assert await state(d, "bob") == "not_ready"
    with pytest.raises(AgentUnavailable):              # alice holds it already
        await d.reserve_agent("c1", "alice", take_over=False)
    with pytest.raises(UnknownAgent):
        await d.reserve_agent("c1", "nobody", take_over=False)
    await d.reserve_agent("c1", "carol", take_over=False)
    await d.enqueue(call("c2"))                        # waits: nobody else has sales
    with pytest.raises(AgentUnavailable):              # carol's one voice slot is taken
        await d.reserve_agent("c2", "carol", take_over=False)


async def test_given_joiner_not_answering_when_offer_fails_then_rona_and_call_stays(
        on_call: Setup) -> None:
    d, _, channel, _ = on_call
    await d.reserve_agent("c1", "bob", take_over=False)
    await d.offer_failed("c1", "bob", "no_answer")
    view = await d.agent_view("bob")
    assert (view["state"], view["reason"]) == ("not_ready", "rona")
    interaction = await live(d)
    assert interaction.agent_id == "alice"
    assert interaction.events[-1].kind == "join_failed"
    assert (await d.queue_view("sales"))["waiting"] == 0
    assert channel.offers == [("c1", "alice")]        # not requeued, not re-offered


async def test_given_blind_transfer_reservation_when_target_fails_then_call_requeued(
        on_call: Setup) -> None:
    d, _, _, _ = on_call
    await d.reserve_agent("c1", "bob", take_over=True)
    assert (await live(d)).agent_id == "bob"
    await d.agent_left("c1", "alice")
    assert await state(d, "alice") == "wrap_up"
    await d.offer_failed("c1", "bob", "no_answer")
    assert (await d.queue_view("sales"))["waiting"] == 1


async def test_given_joined_bob_when_he_takes_over_and_alice_leaves_then_record_names_bob(
        on_call: Setup) -> None:
    d, clock, _, _ = on_call
    await d.reserve_agent("c1", "bob", take_over=False)
    await d.agent_joined("c1", "bob")
    clock.now += 10
    await d.take_over("c1", "bob", via="transfer", from_agent="alice")
    await d.agent_left("c1", "alice")
    assert await state(d, "alice") == "wrap_up"
    assert await state(d, "bob") == "busy"
    interaction = await live(d)
    assert interaction.agent_id == "bob"
    answered = [e for e in interaction.events if e.kind == "answered"]
    assert [e.data["agent_id"] for e in answered] == ["alice", "bob"]
    await d.interaction_ended("c1", "bob", hung_up_by="agent")
    assert await state(d, "bob") == "wrap_up"
    clock.now += 6
    await d.tick()
    assert await state(d, "alice") == "available" and await state(d, "bob") == "available"


async def test_given_interaction_over_when_party_leaves_then_wrap_up_of_named_queue(
        on_call: Setup) -> None:
    d, clock, _, _ = on_call
    await d.reserve_agent("c1", "bob", take_over=False)
    await d.agent_joined("c1", "bob")
    await d.interaction_ended("c1", "alice", hung_up_by="caller")
    await d.agent_left("c1", "bob", queue="sales")
    assert (await d.agent_view("bob"))["slots"][0]["until"] == clock.now + 5
    await d.agent_left("c1", "bob", queue="sales")   # twice: no change, no error
    assert await state(d, "bob") == "wrap_up"


async def test_given_ringing_joiner_when_left_then_offer_withdrawn_without_penalty(
        on_call: Setup) -> None:
    d, _, _, _ = on_call
    await d.reserve_agent("c1", "bob", take_over=False)
    await d.agent_left("c1", "bob")
    assert await state(d, "bob") == "available"


async def test_given_agent_gone_when_requeued_then_waits_again_and_event_recorded(
        on_call: Setup) -> None:
    d, _, _, events = on_call
    await d.record("c1", "transfer_started", attributes={"note": "x"}, by="alice")
    assert isinstance(events[-1], InteractionUpdated) and events[-1].kind == "transfer_started"
    await d.requeue("c1", "alice", "transfer_failed")
    assert await state(d, "alice") == "wrap_up"
    interaction = await live(d)
    assert interaction.agent_id is None and interaction.attributes["note"] == "x"
    assert [e.kind for e in interaction.events][-2:] == ["transfer_started", "requeued"]
    assert (await d.queue_view("sales"))["waiting"] == 1
