"""Named-contact routing in the router (core/preferences.py): examples, and the router's
properties with preferences on: capacity, presence and skills still hold, a preferred agent
who is free is never passed over within the preference time, and nothing more urgent is
skipped but for work waiting for its own preferred agent."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from ccengine.core import agent_state as sm
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive, Presence
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.preferences import (
    PREFERRED,
    Preference,
    can_answer,
    gather,
    preferences_of,
    why,
)
from ccengine.core.queue import QueueConfig
from ccengine.core.router import RoutingSnapshot, effective_priority, order_waiting, route
from ccengine.core.router import required_skills as skills_for

SALES = QueueConfig("sales", frozenset({Medium.VOICE, Medium.CHAT}), {"sales": 1},
                    prefer=("owner", "last_agent", "open_work"), prefer_seconds=20)


def agent(agent_id: str, skills: dict[str, int], idle: float = 0.0, *,
          presence: str = "ready") -> tuple[AgentProfile, AgentLive]:
    profile = AgentProfile(agent_id, agent_id, skills, {Medium.VOICE: 1, Medium.CHAT: 2})
    live = sm.login(AgentLive(agent_id), idle)[0]
    if presence == "not_ready":
        live = sm.set_not_ready(live, idle, "break")[0]
    elif presence == "busy":
        live = sm.offer(live, profile, f"call-{agent_id}", Medium.VOICE, 0, 99)[0]
    elif presence == "logged_out":
        live = AgentLive(agent_id)
    return profile, live


def work(iid: str, at: float, *prefer: str, medium: Medium = Medium.VOICE) -> Interaction:
    i = Interaction(iid, medium, queue="sales", enqueued_at=at)
    if prefer:
        i.attributes[PREFERRED] = [Preference(a, "owner").to_dict() for a in prefer]
    return i


def snap(agents: list[tuple[AgentProfile, AgentLive]], waiting: list[Interaction],
         queue: QueueConfig = SALES) -> RoutingSnapshot:
    queues = {queue.name: queue}
    return RoutingSnapshot({p.id: p for p, _ in agents}, {p.id: live for p, live in agents},
                           queues, order_waiting(waiting, queues))


def routed(s: RoutingSnapshot, now: float) -> dict[str, str]:
    return {a.interaction_id: a.agent_id for a in route(s, now)}


# ---------------------------------------------------------------- examples
def test_given_owner_free_when_routing_then_owner_gets_it_not_the_longest_idle() -> None:
    agents = [agent("bob", {"sales": 1}, idle=1), agent("olga", {"sales": 1}, idle=50)]
    assert routed(snap(agents, [work("w", 100, "olga")]), now=101) == {"w": "olga"}


def test_given_owner_busy_when_within_preference_time_then_waits_and_after_goes_on() -> None:
    agents = [agent("bob", {"sales": 1}), agent("olga", {"sales": 1}, presence="busy")]
    s = snap(agents, [work("w", 100, "olga")])
    assert routed(s, now=119) == {}
    assert routed(s, now=120) == {"w": "bob"}


def test_given_owner_not_ready_or_logged_out_when_routing_then_colleague_at_once() -> None:
    for presence in ("not_ready", "logged_out"):
        agents = [agent("bob", {"sales": 1}), agent("olga", {"sales": 1}, presence=presence)]
        assert routed(snap(agents, [work("w", 100, "olga")]), now=100) == {"w": "bob"}


def test_given_owner_without_the_skills_when_routing_then_colleague_at_once() -> None:
    agents = [agent("bob", {"sales": 1}), agent("olga", {"support": 5})]
    assert routed(snap(agents, [work("w", 100, "olga")]), now=100) == {"w": "bob"}


def test_given_owner_busy_and_last_agent_free_when_routing_then_the_next_preference() -> None:
    agents = [agent("bob", {"sales": 1}), agent("olga", {"sales": 1}, presence="busy"),
              agent("lee", {"sales": 1}, idle=90)]
    assert routed(snap(agents, [work("w", 100, "olga", "lee")]), now=101) == {"w": "lee"}


def test_given_work_waiting_for_its_owner_when_routing_then_work_behind_it_goes_on() -> None:
    agents = [agent("bob", {"sales": 1}), agent("olga", {"sales": 1}, presence="busy")]
    s = snap(agents, [work("first", 100, "olga"), work("second", 101)])
    assert routed(s, now=102) == {"second": "bob"}


def test_given_queue_without_prefer_when_routing_then_preferences_ignored() -> None:
    agents = [agent("bob", {"sales": 1}, idle=1), agent("olga", {"sales": 1}, idle=50)]
    plain = replace(SALES, prefer=())
    assert routed(snap(agents, [work("w", 100, "olga")], plain), now=101) == {"w": "bob"}


def test_given_preferences_when_gathered_then_in_queue_order_each_agent_once() -> None:
    found = gather(("last_agent", "owner", "open_work"), "olga", ("lee", 5.0),
                   ["olga", "kim"])
    assert [(p.agent_id, p.reason) for p in found] == [("lee", "last_agent"),
                                                       ("olga", "owner"), ("kim", "open_work")]
    assert gather(("owner",), None, ("lee", 5.0), ["kim"]) == []


def test_given_malformed_preferences_when_read_then_ignored() -> None:
    i = work("w", 1)
    i.attributes[PREFERRED] = ["olga", {"agent": 7}, {"agent": "lee", "at": "x"}]
    assert preferences_of(i) == (Preference("lee", "", None),)


def test_given_reasons_when_explained_then_words_for_the_agent() -> None:
    assert why("owner", None, 0) == "you are this customer's account manager"
    assert why("last_agent", 0, 3600) == "you spoke to them today"
    assert why("last_agent", 0, 86400 * 1.5) == "you spoke to them yesterday"
    assert why("last_agent", 0, 86400 * 4) == "you spoke to them 4 days ago"
    assert "other conversation" in why("open_work", None, 0)


# ---------------------------------------------------------------- properties
agent_specs = st.lists(st.tuples(st.sampled_from(["ready", "not_ready", "busy",
                                                  "logged_out"]),
                                 st.integers(0, 3), st.integers(0, 60)),
                       min_size=1, max_size=6)
work_specs = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 60),
                                st.sampled_from([Medium.VOICE, Medium.CHAT]),
                                st.lists(st.integers(0, 5), max_size=3)), max_size=10)
NOW = 60.0


def build(agent_spec, work_spec):  # type: ignore[no-untyped-def]
    agents = [agent(f"a{n}", {"sales": level} if level else {}, idle, presence=presence)
              for n, (presence, level, idle) in enumerate(agent_spec)]
    waiting = []
    for n, (priority, at, medium, prefer) in enumerate(work_spec):
        i = work(f"w{n}", float(at), *[f"a{p}" for p in prefer], medium=medium)
        i.priority = priority
        waiting.append(i)
    return snap(agents, waiting)


def able(s: RoutingSnapshot, i: Interaction) -> list[str]:
    """The preferred agents who could answer, while the work's preference time lasts."""
    if NOW >= (i.enqueued_at or 0) + SALES.prefer_seconds:
        return []
    options = [skills_for(i, SALES)]
    return [p.agent_id for p in preferences_of(i)
            if can_answer(p.agent_id, s.agents, s.profiles, i.medium, options)]


@settings(max_examples=400, deadline=None)
@given(agent_specs, work_specs)
def test_property_with_preferences_capacity_presence_and_skills_hold(agent_spec, work_spec
                                                                     ) -> None:  # type: ignore[no-untyped-def]
    s = build(agent_spec, work_spec)
    out = route(s, NOW)
    by_id = {i.id: i for items in s.waiting.values() for i in items}
    assert len({a.interaction_id for a in out}) == len(out)
    for agent_id in {a.agent_id for a in out}:
        profile, live = s.profiles[agent_id], s.agents[agent_id]
        assert live.presence == Presence.AVAILABLE
        for medium in Medium:
            new = sum(1 for a in out if a.agent_id == agent_id
                      and by_id[a.interaction_id].medium == medium)
            assert live.load(medium) + new <= profile.capacity.get(medium, 0)
    for a in out:
        assert s.profiles[a.agent_id].has_skills(SALES.required_skills)


@settings(max_examples=400, deadline=None)
@given(agent_specs, work_specs)
def test_property_a_free_qualified_preferred_agent_is_never_passed_over(agent_spec, work_spec
                                                                       ) -> None:  # type: ignore[no-untyped-def]
    s = build(agent_spec, work_spec)
    out = route(s, NOW)
    given_to = {a.interaction_id: a.agent_id for a in out}
    got_work = {a.agent_id for a in out}
    for i in (i for items in s.waiting.values() for i in items):
        preferred = able(s, i)
        if not preferred:
            continue
        if i.id in given_to:   # within its preference time: only a preferred agent
            assert given_to[i.id] in preferred, (i.id, given_to[i.id], preferred)
            continue
        for p in preferred:    # left waiting: each preferred agent was full, or got work
            free_at_start = s.agents[p].can_take(s.profiles[p], i.medium)
            assert not free_at_start or p in got_work, (i.id, p)


@settings(max_examples=400, deadline=None)
@given(agent_specs, work_specs)
def test_property_nothing_more_urgent_is_skipped_but_for_its_own_preferred_agent(
        agent_spec, work_spec) -> None:  # type: ignore[no-untyped-def]
    s = build(agent_spec, work_spec)
    out = route(s, NOW)
    given_to = {a.interaction_id: a.agent_id for a in out}
    everything = [i for items in s.waiting.values() for i in items]

    def urgency(i: Interaction) -> tuple[float, float]:
        return (-round(effective_priority(i, SALES, NOW), 9), i.enqueued_at or 0)

    for left in (i for i in everything if i.id not in given_to):
        for taken in (i for i in everything if i.id in given_to):
            if taken.medium == left.medium and urgency(taken) > urgency(left):
                # the more urgent one waits for its own preferred agents, not this one
                preferred = able(s, left)
                assert preferred and given_to[taken.id] not in preferred, \
                    (left.id, taken.id, given_to[taken.id], preferred)
