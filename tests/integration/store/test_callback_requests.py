"""Callback requests kept in the SQL store (SQLite and PostgreSQL) and placed by the
scheduler: at their time and not before, again after a restart (nothing in process memory
is the only copy), once even with two engine nodes, never once cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from ccengine.core.agent import AgentProfile
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.customers import CustomerContext
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.callbacks import CallbackRepository
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.telephony.outbound.numbers import DialPolicy, NumberRefused
from ccengine.telephony.outbound.requests import BadQueue, CallbackConflict, CallbackRequests
from ccengine.telephony.outbound.scheduler import CallbackScheduler

QUEUES = {"sales": QueueConfig("sales", frozenset({Medium.VOICE, Medium.CALLBACK}),
                               wrapup_seconds=0),
          "voice_only": QueueConfig("voice_only", frozenset({Medium.VOICE}))}
AGENTS = {"alice": AgentProfile("alice", "Alice", capacity={Medium.CALLBACK: 1})}


@dataclass
class Clock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class OfferLog:
    """A callback channel that only writes down what it was asked to offer."""

    medium: Medium = Medium.CALLBACK
    offers: list[tuple[Interaction, str]] = field(default_factory=list)

    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        self.offers.append((interaction, agent_id))


@dataclass
class Node:
    """One engine node's view: its own live state, dispatcher and scheduler; the store is
    shared (the SQL database)."""

    dispatcher: Dispatcher
    channel: OfferLog
    requests: CallbackRequests
    scheduler: CallbackScheduler
    recorder: InteractionRepository


async def start_node(db: Database, clock: Clock, *, login: bool = True) -> Node:
    dispatcher = Dispatcher(MemoryState(), QUEUES, AGENTS, clock=clock)
    channel = OfferLog()
    dispatcher.register_channel(channel)
    recorder = InteractionRepository(db)
    dispatcher.subscribe(recorder.on_event)
    await dispatcher.start()
    if login:
        await dispatcher.login("alice")
    link = CustomerContext(CustomerRepository(db, "GB")).link
    requests = CallbackRequests(CallbackRepository(db), recorder, dispatcher,
                                DialPolicy(region="GB"), link=link, clock=clock)
    scheduler = CallbackScheduler(CallbackRepository(db), requests, dispatcher, clock=clock)
    await scheduler.recover()
    return Node(dispatcher, channel, requests, scheduler, recorder)


@pytest.fixture
async def clock() -> Clock:
    return Clock()


@pytest.fixture
async def node(db: Database, clock: Clock) -> AsyncIterator[Node]:
    n = await start_node(db, clock)
    yield n
    await n.dispatcher.stop()


async def test_given_a_request_for_later_when_its_time_comes_then_placed_and_offered(
        node: Node, clock: Clock) -> None:
    row = await node.requests.request(number="020 7946 0123", queue="sales",
                                      due_at=clock.now + 60, via="api", by="sam",
                                      note="about the invoice")
    assert row["state"] == "scheduled" and row["number"] == "+442079460123"
    assert await node.scheduler.tick() == 0
    assert node.channel.offers == []
    clock.now += 60
    assert await node.scheduler.tick() == 1
    ((interaction, agent),) = node.channel.offers
    assert agent == "alice" and interaction.medium == Medium.CALLBACK
    assert interaction.attributes["pop"]["note"] == "about the invoice"
    assert interaction.attributes["pop"]["scheduled_for"] == row["due_at"]
    assert interaction.customer_id is not None
    assert (await node.requests.get(row["id"]))["state"] == "queued"
    stored = await node.recorder.get(row["interaction_id"])
    assert stored is not None
    assert [e["kind"] for e in stored["events"]] == ["entered", "callback_requested",
                                                     "queued", "offered"]
    assert await node.scheduler.tick() == 0            # placed once


async def test_given_a_scheduled_request_when_the_engine_restarts_then_the_new_one_places_it(
        db: Database, node: Node, clock: Clock) -> None:
    row = await node.requests.request(number="02079460123", queue="sales",
                                      due_at=clock.now + 30, via="api", by="sam")
    await node.dispatcher.stop()                       # the process goes away
    clock.now += 30
    restarted = await start_node(db, clock)
    try:
        assert await restarted.scheduler.tick() == 1
        ((interaction, _),) = restarted.channel.offers
        assert interaction.id == row["interaction_id"]
    finally:
        await restarted.dispatcher.stop()


async def test_given_a_queued_request_whose_live_copy_died_when_restarted_then_queued_again_keeping_history_and_place(  # noqa: E501
        db: Database, clock: Clock) -> None:
    first = await start_node(db, clock, login=False)   # nobody to offer it to: it waits
    row = await first.requests.request(number="02079460123", queue="sales", due_at=None,
                                       via="ivr", by="caller", enqueued_at=clock.now - 120)
    assert (await first.requests.get(row["id"]))["state"] == "queued"
    await first.dispatcher.stop()
    clock.now += 10
    second = await start_node(db, clock)               # recover() at start
    try:
        assert (await second.requests.get(row["id"]))["state"] == "scheduled"
        assert await second.scheduler.tick() == 1
        ((interaction, _),) = second.channel.offers
        assert interaction.enqueued_at == clock.now - 130    # the caller's place, kept
        stored = await second.recorder.get(row["interaction_id"])
        assert stored is not None
        assert [e["kind"] for e in stored["events"]] == [
            "entered", "callback_requested", "queued", "queued", "offered"]
    finally:
        await second.dispatcher.stop()


async def test_given_two_nodes_when_a_request_falls_due_then_only_one_places_it(
        db: Database, node: Node, clock: Clock) -> None:
    other = await start_node(db, clock)
    try:
        row = await node.requests.request(number="02079460123", queue="sales",
                                          due_at=clock.now + 5, via="api", by="sam")
        clock.now += 5
        placed = await asyncio.gather(node.scheduler.tick(), other.scheduler.tick())
        assert sorted(placed) == [0, 1]
        offers = node.channel.offers + other.channel.offers
        assert [i.id for i, _ in offers] == [row["interaction_id"]]
    finally:
        await other.dispatcher.stop()


async def test_given_another_node_places_a_due_request_the_moment_it_exists_then_whole(
        db: Database, node: Node, clock: Clock) -> None:
    """A request due at once may be placed by another node's scheduler as soon as its row
    is stored: the interaction it queues is the one asked for (its campaign, number and
    name), never a bare one made up from the row."""
    other = await start_node(db, clock)
    repo = node.requests.repo
    add = repo.add
    placed: list[int] = []

    async def add_then_race(**kw: object) -> object:
        row = await add(**kw)   # type: ignore[arg-type]
        placed.append(await other.scheduler.tick())   # the other node is quicker
        return row
    repo.add = add_then_race  # type: ignore[method-assign]
    try:
        row = await node.requests.request(
            number="02079460123", queue="sales", due_at=None, via="campaign", by=None,
            name="Ann", attributes={"campaign": {"id": 7, "name": "spring", "step": 0}})
        assert placed == [1]
        ((interaction, _),) = other.channel.offers
        assert interaction.id == row["interaction_id"]
        assert interaction.attributes["campaign"] == {"id": 7, "name": "spring", "step": 0}
        assert (interaction.attributes["caller_number"], interaction.attributes["caller_name"],
                interaction.attributes["direction"]) == ("+442079460123", "Ann", "outbound")
        assert [e.kind for e in interaction.events][:2] == ["entered", "callback_requested"]
    finally:
        await other.dispatcher.stop()


async def test_given_a_cancelled_request_when_due_then_never_placed_and_its_record_ended(
        node: Node, clock: Clock) -> None:
    row = await node.requests.request(number="02079460123", queue="sales",
                                      due_at=clock.now + 5, via="api", by="sam")
    cancelled = await node.requests.cancel(row["id"], by="sam")
    assert cancelled["state"] == "cancelled"
    with pytest.raises(CallbackConflict):
        await node.requests.cancel(row["id"], by="sam")
    clock.now += 5
    assert await node.scheduler.tick() == 0 and node.channel.offers == []
    stored = await node.recorder.get(row["interaction_id"])
    assert stored is not None and stored["status"] == "ended"
    assert stored["events"][-1]["data"] == {"reason": "callback_cancelled", "by": "sam"}


async def test_given_failed_attempts_when_booked_then_retried_at_the_time_and_failed_at_the_end(  # noqa: E501
        node: Node, clock: Clock) -> None:
    row = await node.requests.request(number="02079460123", queue="sales", due_at=None,
                                      via="api", by="sam")
    iid = row["interaction_id"]
    # what the callback channel does when the customer is busy: the agent took the
    # attempt, it failed, the agent wraps up and the request waits for its retry
    await node.dispatcher.offer_accepted(iid, "alice")
    await node.requests.attempt_started(row["id"])
    await node.requests.attempt_failed(row["id"], 1, "busy", retry_at=clock.now + 300)
    await node.dispatcher.agent_left(iid, "alice")
    retry = await node.requests.get(row["id"])
    assert (retry["state"], retry["attempts"], retry["due_at"]) == \
        ("scheduled", 1, clock.now + 300)
    assert await node.scheduler.tick() == 0               # not before its time
    clock.now += 300
    assert await node.scheduler.tick() == 1
    assert len(node.channel.offers) == 2
    second = node.channel.offers[1][0]
    assert second.attributes["pop"]["attempt"] == 2
    assert second.attributes["pop"]["previous_outcomes"] == ["busy"]
    await node.requests.attempt_failed(row["id"], 2, "no_answer", retry_at=None)
    done = await node.requests.get(row["id"])
    assert done["state"] == "failed"
    assert [o["outcome"] for o in done["outcomes"]] == ["busy", "no_answer"]


async def test_given_bad_requests_when_made_then_refused_and_nothing_stored(
        node: Node, clock: Clock) -> None:
    with pytest.raises(NumberRefused):
        await node.requests.request(number="09098790123", queue="sales", due_at=None,
                                    via="api", by="sam")
    with pytest.raises(BadQueue, match="takes no callbacks"):
        await node.requests.request(number="02079460123", queue="voice_only", due_at=None,
                                    via="api", by="sam")
    with pytest.raises(BadQueue, match="no queue"):
        await node.requests.request(number="02079460123", queue="nowhere", due_at=None,
                                    via="api", by="sam")
    assert await node.requests.repo.list() == []
