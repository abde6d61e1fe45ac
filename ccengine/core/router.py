"""The router: a pure function of the state it is given.

Interactions are taken in order of effective priority (priority + aging by wait time),
then by when they were queued, across all queues; each goes to the best eligible agent by
its queue's strategy. An agent assigned in this pass counts against its capacity, so one
pass never over-books anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive, Slot, SlotState
from ccengine.core.interaction import Interaction
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
    waiting: Sequence[Interaction]       # interactions waiting in any queue
    round_robin: Mapping[str, int] | None = None  # queue -> last position served


def effective_priority(interaction: Interaction, queue: QueueConfig, now: float) -> float:
    """Priority plus aging: low priority work gains ground as it waits, so it never starves."""
    queued = interaction.enqueued_at if interaction.enqueued_at is not None else now
    return interaction.priority + queue.aging_per_minute * max(0.0, now - queued) / 60.0


def required_skills(interaction: Interaction, queue: QueueConfig) -> dict[str, int]:
    skills = dict(queue.required_skills)
    for name, level in interaction.required_skills.items():
        skills[name] = max(level, skills.get(name, 0))
    return skills


def _score(strategy: Strategy, agent: AgentLive, profile: AgentProfile,
           skills: Mapping[str, int], order: int, rr_last: int) -> tuple[float, ...]:
    """Smaller is better; agent id breaks ties so the result is deterministic."""
    if strategy == Strategy.LONGEST_IDLE:
        return (agent.idle_since,)
    if strategy == Strategy.LEAST_OCCUPIED:
        return (agent.occupancy(profile), agent.idle_since)
    if strategy == Strategy.HIGHEST_SKILL:
        return (-sum(profile.skills.get(s, 0) for s in skills), agent.idle_since)
    return (((order - rr_last - 1) % 1_000_000),)  # round robin: next after the last served


def route(snapshot: RoutingSnapshot, now: float) -> list[Assignment]:
    """Assign waiting interactions to eligible agents. Pure: no I/O, no clock, no mutation."""
    agents = dict(snapshot.agents)  # tentative copies as this pass books agents
    order = {agent_id: i for i, agent_id in enumerate(sorted(snapshot.profiles))}
    rr = dict(snapshot.round_robin or {})
    candidates = sorted(
        (i for i in snapshot.waiting if i.queue in snapshot.queues),
        key=lambda i: (-effective_priority(i, snapshot.queues[i.queue or ""], now),
                       i.enqueued_at if i.enqueued_at is not None else now, i.id))
    out: list[Assignment] = []
    for interaction in candidates:
        queue = snapshot.queues[interaction.queue or ""]
        if interaction.medium not in queue.media:
            continue
        skills = required_skills(interaction, queue)
        best = _best(agents, _eligible(agents, snapshot.profiles, interaction, skills),
                     queue, snapshot.profiles, skills, order, rr.get(queue.name, -1))
        if best is None:
            continue
        live = agents[best]
        agents[best] = replace(live, slots=(*live.slots, Slot(
            interaction.id, interaction.medium, SlotState.OFFERED, now, None)))
        rr[queue.name] = order.get(best, 0)
        out.append(Assignment(interaction.id, best, queue.name))
    return out


def _eligible(agents: Mapping[str, AgentLive], profiles: Mapping[str, AgentProfile],
              interaction: Interaction, skills: Mapping[str, int]) -> Iterable[str]:
    for agent_id, live in agents.items():
        profile = profiles.get(agent_id)
        if profile is not None and profile.has_skills(skills) and live.can_take(
                profile, interaction.medium):
            yield agent_id


def _best(agents: Mapping[str, AgentLive], eligible: Iterable[str], queue: QueueConfig,
          profiles: Mapping[str, AgentProfile], skills: Mapping[str, int],
          order: Mapping[str, int], rr_last: int) -> str | None:
    best: tuple[tuple[float, ...], str] | None = None
    for agent_id in eligible:
        key = (_score(queue.strategy, agents[agent_id], profiles[agent_id], skills,
                      order[agent_id], rr_last), agent_id)
        if best is None or key < best:
            best = key
    return best[1] if best else None
