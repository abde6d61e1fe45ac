"""Core events across engine nodes: the JSON form of every event type, and two buses with
different node ids on one real Redis (a unique channel per test; pub/sub creates no keys)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from ccengine.core.events import (
    AgentStateChanged,
    Event,
    InteractionAnswered,
    InteractionCancelled,
    InteractionEnded,
    InteractionEscalated,
    InteractionOffered,
    InteractionQueued,
    InteractionRequeued,
)
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.state.bus import (
    EVENT_TYPES,
    EventBusError,
    InvalidEvent,
    RedisEventBus,
    event_from_dict,
    event_to_dict,
)
from tests.integration.state.conftest import REDIS_URL

pytestmark = pytest.mark.redis


def interaction() -> Interaction:
    ix = Interaction("ix-1", Medium.CHAT, queue="sales", priority=2,
                     required_skills={"fr": 3}, customer_id="c-9",
                     attributes={"from": "+447400000001", "vip": True}, created_at=10.0,
                     enqueued_at=11.5, sl_target_seconds=20.0, agent_id="a1")
    ix.record("queued", 11.5, queue="sales")
    ix.record("offered", 12.0, agent_id="a1")
    return ix


def every_event() -> list[Event]:
    ix = interaction()
    return [
        AgentStateChanged(1.0, "a1", "available", "busy", "offer", "dispatcher",
                          {"interaction_id": "ix-1"}),
        InteractionQueued(2.0, ix),
        InteractionOffered(3.0, ix, "a1"),
        InteractionAnswered(4.0, ix, "a1"),
        InteractionRequeued(5.0, ix, "a1", "no_answer"),
        InteractionEnded(6.0, ix, "a1"),
        InteractionCancelled(7.0, ix, "caller_hung_up"),
        InteractionEscalated(8.0, ix, "sales", "transfer", "vip"),
    ]


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.01)


@pytest.fixture
async def client() -> AsyncIterator[aioredis.Redis]:
    r = aioredis.from_url(REDIS_URL, decode_responses=True,
                          client_name=f"cctest-bus-{uuid.uuid4().hex[:8]}")
    try:
        yield r
    finally:
        await r.aclose()


@pytest.fixture
def channel() -> str:
    return f"cctest:{uuid.uuid4().hex[:8]}:events"


@pytest.fixture
async def nodes(client: aioredis.Redis,
                channel: str) -> AsyncIterator[tuple[RedisEventBus, RedisEventBus]]:
    a = RedisEventBus(client, channel, "node-a")
    b = RedisEventBus(client, channel, "node-b")
    await a.start()
    await b.start()
    try:
        yield a, b
    finally:
        await a.stop()
        await b.stop()


def test_given_every_event_type_when_round_tripped_through_json_then_equal() -> None:
    events = every_event()
    assert {type(e).__name__ for e in events} == set(EVENT_TYPES)
    for event in events:
        d = event_to_dict(event)
        assert d["type"] == type(event).__name__
        assert event_from_dict(json.loads(json.dumps(d))) == event


@pytest.mark.parametrize("bad", [
    {"type": "NoSuchEvent", "at": 1.0},
    {"type": "InteractionOffered", "at": 1.0, "agent_id": "a1"},       # no interaction
    {"type": "InteractionQueued", "at": 1.0, "interaction": {"medium": "voice"}},  # no id
    {"type": "InteractionQueued", "at": 1.0, "interaction": {"id": "x", "medium": "fax"}},
    ["not", "an", "object"],
])
def test_given_a_malformed_dict_when_decoded_then_invalid_event(bad: object) -> None:
    with pytest.raises(InvalidEvent):
        event_from_dict(bad)  # type: ignore[arg-type]


async def test_given_an_event_with_non_json_data_when_published_then_invalid_event(
        nodes: tuple[RedisEventBus, RedisEventBus]) -> None:
    a, _ = nodes
    with pytest.raises(InvalidEvent):
        await a.publish(AgentStateChanged(1.0, "a1", "x", "y", "", "", {"when": object()}))


async def test_given_two_nodes_when_a_publishes_then_b_receives_and_a_gets_no_echo(
        nodes: tuple[RedisEventBus, RedisEventBus]) -> None:
    a, b = nodes
    got_a: list[Event] = []
    got_b: list[Event] = []
    a.subscribe(got_a.append)

    async def on_b(event: Event) -> None:  # async callbacks are awaited
        got_b.append(event)
    b.subscribe(on_b)

    for event in every_event():
        await a.publish(event)
    await wait_for(lambda: len(got_b) == len(EVENT_TYPES))
    assert got_b == every_event()

    # a barrier: B's event reaches A after A's own ones would have (one channel, in order)
    marker = AgentStateChanged(99.0, "a2", "busy", "available", "done", "node-b")
    await b.publish(marker)
    await wait_for(lambda: marker in got_a)
    assert got_a == [marker]
    assert got_b == every_event()  # B did not get its own marker back


async def test_given_a_malformed_message_on_the_channel_then_it_is_skipped_and_reading_goes_on(
        nodes: tuple[RedisEventBus, RedisEventBus], client: aioredis.Redis,
        channel: str) -> None:
    a, b = nodes
    got_b: list[Event] = []
    b.subscribe(got_b.append)
    await client.publish(channel, "{not json")
    await client.publish(channel, json.dumps({"node": "x", "event": {"type": "Nope"}}))
    event = every_event()[1]
    await a.publish(event)
    await wait_for(lambda: got_b == [event])


async def test_given_a_failing_callback_then_other_callbacks_still_get_the_event(
        nodes: tuple[RedisEventBus, RedisEventBus]) -> None:
    a, b = nodes
    got: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("subscriber bug")
    b.subscribe(broken)
    b.subscribe(got.append)
    event = every_event()[0]
    await a.publish(event)
    await wait_for(lambda: got == [event])


async def test_given_an_unsubscribed_callback_then_it_gets_nothing_more(
        nodes: tuple[RedisEventBus, RedisEventBus]) -> None:
    a, b = nodes
    dropped: list[Event] = []
    kept: list[Event] = []
    unsubscribe = b.subscribe(dropped.append)
    b.subscribe(kept.append)
    first, second = every_event()[:2]
    await a.publish(first)
    await wait_for(lambda: kept == [first])
    unsubscribe()
    await a.publish(second)
    await wait_for(lambda: kept == [first, second])
    assert dropped == [first]


async def test_given_b_loses_its_redis_connection_then_it_resubscribes_and_receives_again(
        nodes: tuple[RedisEventBus, RedisEventBus], client: aioredis.Redis) -> None:
    a, b = nodes
    got: list[Event] = []
    b.subscribe(got.append)
    name = (await client.client_info())["name"]
    ours = [c for c in await client.client_list(_type="pubsub") if c["name"] == name]
    assert len(ours) == 2  # A's and B's subscriptions
    for c in ours:
        await client.client_kill_filter(_id=c["id"])

    # events published while a bus is disconnected are not replayed (pub/sub): keep
    # publishing until one arrives after the resubscription
    deadline = time.monotonic() + 15
    n = 0
    while not got:
        assert time.monotonic() < deadline, "B never received after reconnecting"
        n += 1
        await a.publish(AgentStateChanged(float(n), "a1", "available", "away", "", "test"))
        await asyncio.sleep(0.05)
    assert b.running and a.running
    assert b.reconnects >= 1  # the bus's own resubscription, not a lucky survivor


async def test_given_a_started_bus_when_stopped_then_the_reader_task_is_gone(
        client: aioredis.Redis, channel: str) -> None:
    bus = RedisEventBus(client, channel, "node-c")
    await bus.start()
    await bus.start()  # idempotent
    assert bus.running
    await bus.stop()
    assert not bus.running
    await bus.stop()  # idempotent
    assert not any(t.get_name().startswith("event-bus-reader") for t in asyncio.all_tasks())


async def test_given_redis_unreachable_when_starting_then_event_bus_error(channel: str) -> None:
    dead = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1,
                          retry=Retry(NoBackoff(), 0))  # fail at once, no client retries
    try:
        bus = RedisEventBus(dead, channel, "node-d")
        with pytest.raises(EventBusError):
            await bus.start()
        assert not bus.running
        with pytest.raises(EventBusError):
            await bus.publish(every_event()[0])
    finally:
        await dead.aclose()
