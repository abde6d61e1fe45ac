"""The waiting room's figures over a real dispatcher and memory state: the caller's place
in the router's order, agents staffed, and the expected wait from recent handle times
(answered to ended plus the queue's wrap-up), learnt from the dispatcher's events. What
callers hear is proven on a real Asterisk in tests/e2e/test_waiting.py."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from ccengine.core.agent import AgentProfile
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.core.waiting import WaitingConfig
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.telephony.waiting import WaitingRoom
from tests.unit.test_dispatcher import Clock, RecordingChannel


@pytest.fixture
async def room():  # type: ignore[no-untyped-def]
    clock = Clock()
    queues = {"sales": QueueConfig("sales", frozenset({Medium.VOICE}), {"sales": 1},
                                   wrapup_seconds=10)}
    agents = {"alice": AgentProfile("alice", "Alice", {"sales": 5}),
              "bob": AgentProfile("bob", "Bob", {"sales": 5})}
    d = Dispatcher(MemoryState(), queues, agents, clock=clock, offer_timeout=20,
                   tick_seconds=3600)
    d.register_channel(RecordingChannel())
    await d.start()
    # the voice channel's hook points only: nothing here talks to Asterisk
    voice: Any = SimpleNamespace(ari=None, ivr_actions={}, caller_waiting=None,
                                 on_answering=[])
    waiting = WaitingRoom(voice, d, {"sales": WaitingConfig("sales", handle_seconds=180)},
                          clock=clock)
    assert voice.caller_waiting == waiting.wait and voice.on_answering == [waiting._answering]
    yield waiting, d, clock
    await d.stop()


def call(iid: str, at: float, priority: int = 0) -> Interaction:
    return Interaction(iid, Medium.VOICE, queue="sales", priority=priority, created_at=at)


async def test_given_busy_agent_and_two_waiting_when_figured_then_place_and_wait_by_default(
        room) -> None:  # type: ignore[no-untyped-def]
    waiting, d, clock = room
    await d.login("alice")
    await d.enqueue(call("c1", clock.now))
    await d.offer_accepted("c1", "alice")            # alice busy on c1
    await d.enqueue(call("c2", clock.now))
    clock.now += 1
    await d.enqueue(call("c3", clock.now))
    assert await waiting.figures("c2", "sales", 180) == ("sales", 1, 180.0)
    assert await waiting.figures("c3", "sales", 180) == ("sales", 2, 360.0)
    assert await waiting.figures("c1", "sales", 180) is None   # being handled
    await d.login("bob")                             # takes c2; two agents staffed now
    await d.offer_accepted("c2", "bob")
    assert await waiting.figures("c3", "sales", 180) == ("sales", 1, 90.0)


async def test_given_handled_calls_when_figured_then_recent_handle_time_is_used(
        room) -> None:  # type: ignore[no-untyped-def]
    waiting, d, clock = room
    await d.login("alice")
    await d.enqueue(call("c1", clock.now))
    await d.offer_accepted("c1", "alice")
    clock.now += 50
    await d.interaction_ended("c1", "alice")         # 50 s talk + 10 s wrap-up
    assert waiting.handle_times.average("sales", 180) == 60.0
    await d.enqueue(call("gone", clock.now))         # waits: alice is in wrap-up
    await d.cancel("gone", "abandoned")              # abandoned work teaches nothing
    clock.now += 20
    await d.tick()                                    # alice's wrap-up is over
    await d.enqueue(call("c2", clock.now))
    await d.offer_accepted("c2", "alice")
    await d.enqueue(call("c3", clock.now))
    assert await waiting.figures("c3", "sales", 180) == ("sales", 1, 60.0)
    clock.now += 110
    await d.interaction_ended("c2", "alice")         # 110 s + 10 s
    assert waiting.handle_times.average("sales", 180) == 90.0
