"""Transfers and conferences reserve a named agent through the same atomic reservation as
routing: on every backend (memory, the real Redis), two dispatchers racing to bring one
agent into two different calls get exactly one reservation."""

from __future__ import annotations

import asyncio

from ccengine.core.agent import AgentProfile
from ccengine.core.errors import AgentUnavailable
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.state.base import LiveState

QUEUES = {"sales": QueueConfig("sales", frozenset({Medium.VOICE}), {"sales": 1})}
AGENTS = {"alice": AgentProfile("alice", "Alice", {"sales": 5}),
          "dave": AgentProfile("dave", "Dave", {"sales": 5}),
          "bob": AgentProfile("bob", "Bob", {"support": 5})}


class Silent:
    medium = Medium.VOICE

    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        return None


async def test_given_two_live_calls_when_both_pull_bob_in_at_once_then_one_wins(
        state: LiveState) -> None:
    nodes = [Dispatcher(state, QUEUES, AGENTS, tick_seconds=3600) for _ in range(2)]
    for d in nodes:
        d.register_channel(Silent())
    first, second = nodes
    await first.start()
    for agent in ("alice", "dave"):
        await first.login(agent)
        await first.set_device_reachable(agent, Medium.VOICE, True)
    await first.login("bob")
    for iid in ("c1", "c2"):
        await first.enqueue(Interaction(iid, Medium.VOICE, queue="sales"))
    for iid in ("c1", "c2"):
        holder = (await state.get_interaction(iid)).agent_id  # type: ignore[union-attr]
        await first.offer_accepted(iid, holder or "")

    results = await asyncio.gather(first.reserve_agent("c1", "bob", take_over=False),
                                   second.reserve_agent("c2", "bob", take_over=False),
                                   return_exceptions=True)
    won = [r for r in results if isinstance(r, Interaction)]
    lost = [r for r in results if isinstance(r, AgentUnavailable)]
    assert len(won) == 1 and len(lost) == 1, results
    bob = await state.get_agent("bob")
    assert bob is not None and [s.interaction_id for s in bob.slots] == [won[0].id]
    await first.stop()


async def test_given_named_agent_reserved_then_the_state_change_says_offered_in_its_fields(
        state: LiveState) -> None:
    """The change a transfer's reservation emits has the agent's new state, their reason and
    the cause in their own fields (they were shifted by one: the cause carried the data,
    and storing the agent's events failed)."""
    from ccengine.core.events import AgentStateChanged
    d = Dispatcher(state, QUEUES, AGENTS, tick_seconds=3600)
    d.register_channel(Silent())
    seen: list[AgentStateChanged] = []
    d.subscribe(lambda e: seen.append(e) if isinstance(e, AgentStateChanged) else None)
    await d.start()
    await d.login("alice")
    await d.set_device_reachable("alice", Medium.VOICE, True)
    await d.login("bob")
    await d.set_device_reachable("bob", Medium.VOICE, True)
    await d.enqueue(Interaction("c1", Medium.VOICE, queue="sales"))
    await d.offer_accepted("c1", "alice")
    seen.clear()
    await d.reserve_agent("c1", "bob", take_over=False)
    (change,) = [e for e in seen if e.agent_id == "bob"]
    assert (change.old, change.new, change.reason, change.cause) == (
        "available", "offered", "", "offered")
    assert change.data == {"interaction_id": "c1"}
    await d.stop()
