"""The router: a pure function of the state it is given.

Interactions are taken in order of effective priority (priority + aging by wait time),
then by when they were queued, across all queues; each goes to the best eligible agent by
its queue's strategy. An agent assigned in this pass counts against its capacity, so one
pass never over-books anyone.

Speed: within one queue, aging adds the same amount to every interaction, so the order
``priority - aging * enqueued_at`` never changes while they wait. The snapshot therefore
carries each queue's waiting list already in that order (``order_waiting`` makes it), and a
pass only merges the heads of the queues that some free agent can serve.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive, Presence, Slot, SlotState
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig, Strategy


@dataclass(frozen=True)
class Assignment:
    interaction_id: str
    agent_id: str
    queue: str


@dataclass(frozen=True)
class RoutingSnapshot:
    profiles: Mapping[str, AgentProfile]
    agents: Mapping[str, AgentLive]
    queues: Mapping[str, QueueConfig]
    waiting: Mapping[str, Sequence[Interaction]]  # per queue, in queue order (order_waiting)
    round_robin: Mapping[str, str] | None = None  # queue -> the last agent id it served
    available: Sequence[str] | None = None        # agents that may have room; None: all


def effective_priority(interaction: Interaction, queue: QueueConfig, now: float) -> float:
    """Priority plus aging: low priority work gains ground as it waits, so it never starves."""
    queued = interaction.enqueued_at if interaction.enqueued_at is not None else now
    return interaction.priority + queue.aging_per_minute * max(0.0, now - queued) / 60.0


def queue_order(interaction: Interaction, queue: QueueConfig) -> tuple[float, float, str]:
    """The fixed order of an interaction within its queue (smaller first)."""
    queued = interaction.enqueued_at or 0.0
    return (-(interaction.priority - queue.aging_per_minute * queued / 60.0), queued,
            interaction.id)


def order_waiting(interactions: Iterable[Interaction], queues: Mapping[str, QueueConfig]
                  ) -> dict[str, list[Interaction]]:
    """Group waiting interactions by queue, each list in queue order."""
    out: dict[str, list[Interaction]] = {}
    for i in interactions:
        if i.queue in queues:
            out.setdefault(i.queue, []).append(i)
    for name, items in out.items():
        items.sort(key=lambda i, q=queues[name]: queue_order(i, q))  # type: ignore[misc]
    return out


def required_skills(interaction: Interaction, queue: QueueConfig) -> dict[str, int]:
    skills = dict(queue.required_skills)
    for name, level in interaction.required_skills.items():
        skills[name] = max(level, skills.get(name, 0))
    return skills


def _score(strategy: Strategy, agent: AgentLive, profile: AgentProfile,
           skills: Mapping[str, int], rr_last: str) -> tuple[float | bool | str, ...]:
    """Smaller is better; the agent id breaks ties so the result is deterministic."""
    if strategy == Strategy.LONGEST_IDLE:
        return (agent.idle_since,)
    if strategy == Strategy.LEAST_OCCUPIED:
        return (agent.occupancy(profile), agent.idle_since)
    if strategy == Strategy.HIGHEST_SKILL:
        return (-sum(profile.skills.get(s, 0) for s in skills), agent.idle_since)
    # round robin: the next agent id after the last one served, wrapping around
    return (agent.agent_id <= rr_last, agent.agent_id)


def route(snapshot: RoutingSnapshot, now: float) -> list[Assignment]:
    """Assign waiting interactions to eligible agents. Pure: no I/O, no clock, no mutation."""
    profiles, queues = snapshot.profiles, snapshot.queues
    candidates = snapshot.available if snapshot.available is not None else snapshot.agents
    free: dict[str, AgentLive] = {}
    for agent_id in candidates:
        live = snapshot.agents.get(agent_id)
        if live is not None and live.presence == Presence.AVAILABLE and agent_id in profiles:
            free[agent_id] = live
    if not free:
        return []
    rr = dict(snapshot.round_robin or {})
    # the heads of the queues some free agent is skilled for
    heap: list[tuple[float, float, str, str, int]] = []
    for name, items in snapshot.waiting.items():
        queue = queues.get(name)
        if queue is None or not items:
            continue
        if any(profiles[a].has_skills(queue.required_skills) for a in free):
            heap.append(_entry(items[0], queue, now, 0))
    heapq.heapify(heap)
    out: list[Assignment] = []
    stuck: set[tuple[str, Medium]] = set()  # (queue, medium) no free agent can take now
    while heap and free:
        _, _, _, name, index = heapq.heappop(heap)
        queue, items = queues[name], snapshot.waiting[name]
        if index + 1 < len(items):
            heapq.heappush(heap, _entry(items[index + 1], queue, now, index + 1))
        interaction = items[index]
        plain = not interaction.required_skills
        if interaction.medium not in queue.media or (plain and (name, interaction.medium)
                                                     in stuck):
            continue
        skills = required_skills(interaction, queue)
        best = _best(free, profiles, interaction.medium, skills, queue, rr.get(name, ""))
        if best is None:
            if plain:
                stuck.add((name, interaction.medium))
            continue
        live = free[best]
        live = replace(live, slots=(*live.slots, Slot(interaction.id, interaction.medium,
                                                      SlotState.OFFERED, now, None)))
        free[best] = live
        if not any(live.can_take(profiles[best], m) for m in profiles[best].capacity):
            del free[best]
        rr[name] = best
        out.append(Assignment(interaction.id, best, name))
    return out


def _entry(i: Interaction, queue: QueueConfig, now: float, index: int
           ) -> tuple[float, float, str, str, int]:
    queued = i.enqueued_at if i.enqueued_at is not None else now
    return (-effective_priority(i, queue, now), queued, i.id, queue.name, index)


def _best(free: Mapping[str, AgentLive], profiles: Mapping[str, AgentProfile], medium: Medium,
          skills: Mapping[str, int], queue: QueueConfig, rr_last: str) -> str | None:
    best: tuple[tuple[float | bool | str, ...], str] | None = None
    for agent_id, live in free.items():
        profile = profiles[agent_id]
        if not profile.has_skills(skills) or not live.can_take(profile, medium):
            continue
        key = (_score(queue.strategy, live, profile, skills, rr_last), agent_id)
        if best is None or key < best:
            best = key
    return best[1] if best else None
