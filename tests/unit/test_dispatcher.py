"""The dispatcher over memory state with a recording channel (the voice channel's real
behaviour is proven end to end against Asterisk in tests/e2e)."""

from __future__ import annotations

import pytest

from ccengine.core.agent import AgentProfile
from ccengine.core.errors import NoChannel, UnknownQueue
from ccengine.core.events import Event, InteractionOffered
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingChannel:
    medium = Medium.VOICE

    def __init__(self) -> None:
        self.offers: list[tuple[str, str]] = []

    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        self.offers.append((interaction.id, agent_id))


@pytest.fixture
async def setup():  # type: ignore[no-untyped-def]
    clock = Clock()
    queues = {"sales": QueueConfig("sales", frozenset({Medium.VOICE}), {"sales": 1},
                                   wrapup_seconds=5)}
    agents = {"alice": AgentProfile("alice", "Alice", {"sales": 5}),
              "bob": AgentProfile("bob", "Bob", {"sales": 2}),
              "carol": AgentProfile("carol", "Carol", {"support": 9})}
    d = Dispatcher(MemoryState(), queues, agents, clock=clock, offer_timeout=20,
                   tick_seconds=3600)
    channel = RecordingChannel()
    d.register_channel(channel)
    events: list[Event] = []
    d.subscribe(events.append)
    await d.start()
    yield d, clock, channel, events
    await d.stop()


def call(iid: str = "c1") -> Interaction:
    return Interaction(iid, Medium.VOICE, queue="sales", created_at=1000.0)


async def state(d: Dispatcher, agent: str) -> str:
    return (await d.agent_view(agent))["state"]


async def test_given_no_agent_when_call_queued_then_it_waits_until_login(setup) -> None:  # type: ignore[no-untyped-def]
    d, clock, channel, events = setup
    await d.enqueue(call())
    assert channel.offers == [] and (await d.queue_view("sales"))["waiting"] == 1
    clock.now += 30
    await d.login("alice")
    assert channel.offers == [("c1", "alice")]
    offered = [e for e in events if isinstance(e, InteractionOffered)]
    assert offered[0].at - offered[0].interaction.enqueued_at == 30
    assert await state(d, "alice") == "offered"


async def test_given_offer_when_accepted_and_ended_then_busy_wrap_up_available(setup) -> None:  # type: ignore[no-untyped-def]
    d, clock, channel, _ = setup
    await d.login("alice")
    await d.enqueue(call())
    await d.offer_accepted("c1", "alice")
    assert await state(d, "alice") == "busy"
    clock.now += 60
    await d.interaction_ended("c1", "alice", hung_up_by="caller")
    assert await state(d, "alice") == "wrap_up"
    clock.now += 4
    await d.tick()
    assert await state(d, "alice") == "wrap_up"
    clock.now += 1
    await d.tick()
    assert await state(d, "alice") == "available"


async def test_given_rejected_offer_when_failed_then_rona_and_next_agent_offered(setup) -> None:  # type: ignore[no-untyped-def]
    d, clock, channel, _ = setup
    await d.login("alice")
    await d.login("bob")
    await d.enqueue(call())
    first = channel.offers[0][1]
    await d.offer_failed("c1", first, "rejected")
    view = await d.agent_view(first)
    assert (view["state"], view["reason"]) == ("not_ready", "rona")
    other = "bob" if first == "alice" else "alice"
    assert channel.offers[1] == ("c1", other)


async def test_given_silent_channel_when_offer_times_out_then_rona(setup) -> None:  # type: ignore[no-untyped-def]
    d, clock, channel, _ = setup
    await d.login("alice")
    await d.enqueue(call())
    clock.now += 21
    await d.tick()
    assert (await d.agent_view("alice"))["reason"] == "rona"
    assert (await d.queue_view("sales"))["waiting"] == 1


class RingingChannel(RecordingChannel):
    """A channel whose offers end by themselves after ``offer_seconds`` (a phone's ring)."""

    offer_seconds = 10.0

    def __init__(self) -> None:
        super().__init__()
        self.taken_back: list[tuple[str, str]] = []

    async def take_back(self, interaction_id: str, agent_id: str) -> None:
        self.taken_back.append((interaction_id, agent_id))


async def test_given_a_self_timed_channel_late_when_the_deadline_passes_then_withdrawn_without_rona() -> None:  # noqa: E501
    clock = Clock()
    queues = {"sales": QueueConfig("sales", frozenset({Medium.VOICE}), {"sales": 1})}
    agents = {"alice": AgentProfile("alice", "Alice", {"sales": 5}),
              "bob": AgentProfile("bob", "Bob", {"sales": 5})}
    d = Dispatcher(MemoryState(), queues, agents, clock=clock, offer_timeout=20,
                   tick_seconds=3600)
    channel = RingingChannel()
    d.register_channel(channel)
    await d.start()
    try:
        await d.login("alice")
        await d.enqueue(call())
        await d.login("bob")
        assert channel.offers == [("c1", "alice")]
        clock.now += 19
        await d.tick()   # not overdue yet
        assert await state(d, "alice") == "offered" and channel.taken_back == []
        clock.now += 2   # the phone should have stopped ringing 11 s ago: the engine is late
        await d.tick()
        view = await d.agent_view("alice")
        assert (view["state"], view["reason"]) == ("available", "")
        assert channel.taken_back == [("c1", "alice")]
        assert await d.offered_at("c1", "alice") is None
        # withdrawn, recorded as such, and offered again at once (bob idle longer now)
        assert channel.offers[1] == ("c1", "bob")
        assert await d.offered_at("c1", "bob") == clock.now
        kinds = [e.kind for e in (await d.live_interaction("c1")).events]
        assert "offer_withdrawn" in kinds and "requeued" not in kinds
        # a late failure report from the withdrawn offer changes nothing
        await d.offer_failed("c1", "alice", "no_answer")
        assert (await d.agent_view("alice"))["state"] == "available"
        # nor does one from an earlier offer of the same work to the same agent
        first = clock.now
        clock.now += 1
        await d.set_not_ready("alice", "lunch")
        await d.withdraw("c1", "bob", "overdue")
        await d.tick()            # offered again to bob, the one agent ready
        assert await d.offered_at("c1", "bob") == clock.now != first
        await d.offer_failed("c1", "bob", "no_answer", offered_at=first)
        assert (await d.agent_view("bob"))["state"] == "offered"
        await d.offer_failed("c1", "bob", "no_answer", offered_at=clock.now)
        assert (await d.agent_view("bob"))["reason"] == "rona"
    finally:
        await d.stop()


async def test_given_caller_leaves_while_ringing_when_cancelled_then_agent_free(setup) -> None:  # type: ignore[no-untyped-def]
    d, clock, channel, _ = setup
    await d.login("alice")
    await d.enqueue(call())
    await d.cancel("c1", "abandoned")
    assert await state(d, "alice") == "available"
    assert (await d.queue_view("sales"))["waiting"] == 0


async def test_given_agent_without_skill_when_only_one_ready_then_never_offered(setup) -> None:  # type: ignore[no-untyped-def]
    d, _, channel, _ = setup
    await d.login("carol")
    await d.enqueue(call())
    assert channel.offers == []


async def test_given_unreachable_phone_when_call_waits_then_offered_once_reachable(setup) -> None:  # type: ignore[no-untyped-def]
    d, _, channel, _ = setup
    await d.set_device_reachable("alice", Medium.VOICE, False)
    await d.login("alice")
    await d.enqueue(call())
    assert channel.offers == []
    await d.set_device_reachable("alice", Medium.VOICE, True)
    assert channel.offers == [("c1", "alice")]


async def test_given_bad_requests_when_enqueueing_then_clear_errors(setup) -> None:  # type: ignore[no-untyped-def]
    d, _, _, _ = setup
    with pytest.raises(UnknownQueue):
        await d.enqueue(Interaction("x", Medium.VOICE, queue="nowhere"))
    with pytest.raises(NoChannel):
        await d.enqueue(Interaction("y", Medium.EMAIL, queue="sales"))


async def test_given_escalation_rules_when_wait_passes_agreed_time_then_applied_once() -> None:
    from ccengine.core.events import InteractionEscalated
    clock = Clock()
    queues = {
        "sales": QueueConfig.from_mapping({"name": "sales", "escalate_after_seconds": 30,
                                           "escalate_to": {"queue": "vip"}}, "test"),
        "vip": QueueConfig.from_mapping({"name": "vip", "escalate_after_seconds": 30,
                                         "escalate_to": "supervisor"}, "test"),
    }
    d = Dispatcher(MemoryState(), queues, {"alice": AgentProfile("alice", "A")}, clock=clock,
                   tick_seconds=3600)
    d.register_channel(RecordingChannel())
    seen: list[Event] = []
    d.subscribe(seen.append)
    await d.start()
    try:
        await d.enqueue(call())
        clock.now += 29
        await d.tick()
        assert not [e for e in seen if isinstance(e, InteractionEscalated)]
        clock.now += 1
        await d.tick()
        escalated = [e for e in seen if isinstance(e, InteractionEscalated)]
        assert [(e.queue, e.kind, e.detail) for e in escalated] == [("sales", "transfer", "vip")]
        assert (await d.queue_view("vip"))["waiting"] == 1
        await d.tick()  # already waited 30 s: vip's own rule alerts a supervisor, once
        alerts = [e for e in seen if isinstance(e, InteractionEscalated) and e.kind == "alert"]
        assert len(alerts) == 1 and alerts[0].queue == "vip"
        await d.tick()
        assert len([e for e in seen if isinstance(e, InteractionEscalated)]) == 2
    finally:
        await d.stop()
