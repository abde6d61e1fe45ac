"""One contract, every live-state backend (memory and the real Redis)."""

from __future__ import annotations

import asyncio

import pytest

from ccengine.core import agent_state as sm
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive
from ccengine.core.errors import InvalidTransition
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.state.base import LiveState

PROFILE = AgentProfile("a", "A", {}, {Medium.VOICE: 1, Medium.CHAT: 3},
                       blocks={Medium.VOICE: frozenset({Medium.CHAT})})


async def logged_in(state: LiveState) -> None:
    await state.put_agent(sm.login(AgentLive("a"), 1.0)[0])


async def test_given_agent_when_put_then_read_back_equal(state: LiveState) -> None:
    live = sm.login(AgentLive("a"), 1.0)[0]
    await state.put_agent(live)
    assert await state.get_agent("a") == live
    assert await state.agents() == {"a": live}
    assert await state.get_agent("nobody") is None


async def test_given_interaction_when_stored_queued_claimed_then_exactly_once(
        state: LiveState) -> None:
    i = Interaction("i1", Medium.VOICE, queue="q", enqueued_at=5.0)
    i.record("queued", 5.0)
    await state.put_interaction(i)
    await state.enqueue("i1")
    waiting = await state.waiting()
    assert [w.id for w in waiting] == ["i1"] and waiting[0].events[0].kind == "queued"
    claims = await asyncio.gather(*(state.claim("i1") for _ in range(5)))
    assert claims.count(True) == 1
    assert await state.waiting() == []
    await state.remove_interaction("i1")
    assert await state.get_interaction("i1") is None


async def test_given_unknown_interaction_when_enqueued_then_keyerror(state: LiveState) -> None:
    with pytest.raises(KeyError):
        await state.enqueue("ghost")


async def test_given_capacity_when_reserving_concurrently_then_never_above_it(
        state: LiveState) -> None:
    await logged_in(state)
    results = await asyncio.gather(*(state.reserve(PROFILE, f"c{n}", Medium.CHAT, 2.0, 9.0)
                                     for n in range(10)))
    assert sum(r is not None for r in results) == 3
    live = await state.get_agent("a")
    assert live is not None and live.load(Medium.CHAT) == 3


async def test_given_blocking_rule_when_on_a_call_then_no_chat_reserved(
        state: LiveState) -> None:
    await logged_in(state)
    assert await state.reserve(PROFILE, "v1", Medium.VOICE, 2.0, 9.0) is not None
    assert await state.reserve(PROFILE, "c1", Medium.CHAT, 2.0, 9.0) is None
    assert await state.reserve(PROFILE, "v2", Medium.VOICE, 2.0, 9.0) is None


async def test_given_not_ready_or_unreachable_when_reserving_then_refused(
        state: LiveState) -> None:
    await state.put_agent(sm.set_not_ready(sm.login(AgentLive("a"), 1.0)[0], 1.0, "b")[0])
    assert await state.reserve(PROFILE, "x", Medium.VOICE, 2.0, 9.0) is None
    await state.put_agent(sm.set_reachable(sm.login(AgentLive("a"), 1.0)[0], Medium.VOICE,
                                           False))
    assert await state.reserve(PROFILE, "x", Medium.VOICE, 2.0, 9.0) is None


async def test_given_concurrent_updates_when_applied_then_none_is_lost(
        state: LiveState) -> None:
    await logged_in(state)
    for n in range(3):
        await state.reserve(PROFILE, f"c{n}", Medium.CHAT, 2.0, 9.0)
    await asyncio.gather(*(state.update_agent("a", lambda a, n=n: sm.accept(a, f"c{n}", 3.0))
                           for n in range(3)))
    live = await state.get_agent("a")
    assert live is not None and live.display() == "busy"
    assert {s.state.value for s in live.slots} == {"busy"}


async def test_given_refused_transition_when_updating_then_state_unchanged(
        state: LiveState) -> None:
    await logged_in(state)
    before = await state.get_agent("a")
    with pytest.raises(InvalidTransition):
        await state.update_agent("a", lambda a: sm.login(a, 2.0))
    assert await state.get_agent("a") == before


async def test_given_interactions_waiting_or_held_when_listed_then_every_live_one(
        state: LiveState) -> None:
    for iid in ("w1", "h1", "gone"):
        await state.put_interaction(Interaction(iid, Medium.VOICE, queue="q", enqueued_at=1.0))
    await state.enqueue("w1")
    await state.remove_interaction("gone")
    assert sorted(i.id for i in await state.interactions()) == ["h1", "w1"]
