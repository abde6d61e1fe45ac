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
from ccengine.core.preferences import can_answer, preferences_of, window_end
from ccengine.core.queue import QueueConfig, Strategy
from ccengine.core.rules import (
    fired,
    fixed_bonus,
    is_open,
    priority_bonus,
    priority_thresholds,
    skill_options,
    waited,
)


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
    queue_index: Mapping[str, Sequence[str]] | None = None  # index_queues(queues), for speed


ALWAYS = "*"  # queue_index key of queues every pass considers (rules, or no skills needed)


def index_queues(queues: Mapping[str, QueueConfig]) -> dict[str, tuple[str, ...]]:
    """Skill name -> the rule-free queues requiring it; ``ALWAYS`` -> every other queue.
    Lets a pass look only at queues the free agents could serve."""
    index: dict[str, list[str]] = {ALWAYS: []}
    for q in queues.values():
        if q.overflow or q.hours is not None or not q.required_skills:
            index[ALWAYS].append(q.name)
        else:
            for skill in q.required_skills:
                index.setdefault(skill, []).append(q.name)
    return {k: tuple(v) for k, v in index.items()}


def _relevant(snapshot: RoutingSnapshot, free: Mapping[str, AgentLive]
              ) -> Iterable[tuple[str, Sequence[Interaction]]]:
    """The waiting queues some free agent may serve (in name order): those the index puts
    under ``ALWAYS``, and those needing a skill that a free agent has. Asked per waiting
    queue, which stops at the first such agent, rather than per free agent and skill."""
    if snapshot.queue_index is None:
        return snapshot.waiting.items()
    always = set(snapshot.queue_index.get(ALWAYS, ()))
    out = []
    for name in sorted(snapshot.waiting):
        queue = snapshot.queues.get(name)
        if queue is None:
            continue
        if name in always or any(skill in snapshot.profiles[a].skills
                                 for a in free for skill in queue.required_skills):
            out.append((name, snapshot.waiting[name]))
    return out


def effective_priority(interaction: Interaction, queue: QueueConfig, now: float) -> float:
    """Priority plus aging plus rules (key account boost, fired overflow raise_priority)."""
    wait = waited(interaction, now)
    value = interaction.priority + queue.aging_per_minute * wait / 60.0
    if queue.overflow or queue.key_account_boost:
        value += priority_bonus(interaction, queue, wait)
    return value


def queue_order(interaction: Interaction, queue: QueueConfig) -> tuple[float, float, str]:
    """The fixed order of an interaction within its queue (smaller first).

    It includes fixed boosts (key accounts); overflow ``raise_priority`` depends on the
    wait, so ``route`` splits such queues at their thresholds instead.
    """
    queued = interaction.enqueued_at or 0.0
    priority = interaction.priority
    if queue.key_account_boost:
        priority += fixed_bonus(interaction, queue)
    return (-_tie(priority - queue.aging_per_minute * queued / 60.0), queued, interaction.id)


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


def eligible_skills(interaction: Interaction, queue: QueueConfig, now: float,
                    queues: Mapping[str, QueueConfig]) -> list[dict[str, int]]:
    """Skill sets, any one of which qualifies an agent for ``interaction`` at ``now``.

    Without rules: just ``required_skills``. With overflow or hours: see
    ``rules.skill_options`` (empty when nobody may take it, e.g. queue closed).
    """
    base = required_skills(interaction, queue)
    if not queue.overflow and queue.hours is None:
        return [base]
    return skill_options(base, interaction.required_skills, queue, waited(interaction, now),
                         queues, lambda q: is_open(q, now))


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


def free_agents(profiles: Mapping[str, AgentProfile], agents: Mapping[str, AgentLive],
                candidates: Iterable[str] | None = None) -> dict[str, AgentLive]:
    """The agents (of ``candidates``, or all) with room for more work: available, and
    able to take one more of some medium. Without any, no pass can place anything."""
    free: dict[str, AgentLive] = {}
    for agent_id in candidates if candidates is not None else agents:
        live = agents.get(agent_id)
        if live is None or live.presence != Presence.AVAILABLE or agent_id not in profiles:
            continue
        if live.slots and not any(live.can_take(profiles[agent_id], m)
                                  for m in profiles[agent_id].capacity):
            continue                  # busy to capacity: no work of this pass can go there
        free[agent_id] = live
    return free


def route(snapshot: RoutingSnapshot, now: float) -> list[Assignment]:
    """Assign waiting interactions to eligible agents. Pure: no I/O, no clock, no mutation.

    Queues without rules are merged by their heads (their order is fixed). A queue with
    overflow ``raise_priority`` rules is split, per pass, into runs by how many thresholds
    each interaction has crossed: within a run the order is still fixed, so the heap merges
    the runs' heads. A closed queue routes only through overflow to an open queue.
    """
    profiles, queues = snapshot.profiles, snapshot.queues
    free = free_agents(profiles, snapshot.agents, snapshot.available)
    if not free:
        return []
    rr = dict(snapshot.round_robin or {})
    opened: dict[str, bool] = {}

    def is_open_now(queue: QueueConfig) -> bool:
        if queue.hours is None:
            return True
        if queue.name not in opened:
            opened[queue.name] = is_open(queue, now)
        return opened[queue.name]

    # runs of interactions in a fixed order: the heads of those some free agent may take
    runs: list[tuple[QueueConfig, Sequence[Interaction]]] = []
    heap: list[tuple[float, float, str, int, int]] = []
    for name, items in _relevant(snapshot, free):
        queue = queues.get(name)
        if queue is None or not items:
            continue
        if not queue.overflow and queue.hours is None:  # the fast path: no rules
            if any(profiles[a].has_skills(queue.required_skills) for a in free):
                heap.append(_entry(items[0], queue, now, len(runs), 0))
                runs.append((queue, items))
            continue
        widest = skill_options(queue.required_skills, {}, queue, float("inf"), queues,
                               is_open_now)
        if not any(profiles[a].has_skills(o) for o in widest for a in free):
            continue
        for run in _runs(items, queue, now):
            heap.append(_entry(run[0], queue, now, len(runs), 0))
            runs.append((queue, run))
    heapq.heapify(heap)
    out: list[Assignment] = []
    stuck: set[tuple[str, Medium, int]] = set()  # (queue, medium, rules fired): nobody free
    while heap and free:
        _, _, _, source, index = heapq.heappop(heap)
        queue, items = runs[source]
        name = queue.name
        if index + 1 < len(items):
            heapq.heappush(heap, _entry(items[index + 1], queue, now, source, index + 1))
        interaction = items[index]
        plain = not interaction.required_skills
        if interaction.medium not in queue.media:
            continue
        if queue.overflow:
            step = len(fired(queue, waited(interaction, now)))
        else:
            step = 0
        if plain and (name, interaction.medium, step) in stuck:
            continue
        if not queue.overflow and queue.hours is None:
            options = [required_skills(interaction, queue)]
        else:
            options = skill_options(required_skills(interaction, queue),
                                    interaction.required_skills, queue,
                                    waited(interaction, now), queues, is_open_now)
        best: str | None
        preferred = _preferred(interaction, queue, now, snapshot, options)
        if preferred is not None:
            # within its preference time: the first preferred agent who is free, or wait
            best = next((a for a in preferred if a in free
                         and free[a].can_take(profiles[a], interaction.medium)), None)
            if best is None:
                continue
        else:
            best = _best(free, profiles, interaction.medium, options, queue, rr.get(name, ""))
        if best is None:
            if plain:
                stuck.add((name, interaction.medium, step))
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


def _preferred(interaction: Interaction, queue: QueueConfig, now: float,
               snapshot: RoutingSnapshot, options: Sequence[Mapping[str, int]]
               ) -> list[str] | None:
    """The preferred agents who could answer, in order, while the work's preference time
    lasts; None when it has none (or none can answer): route it as any other."""
    if not queue.prefer:
        return None
    end = window_end(interaction, queue)
    if end is None or now >= end:
        return None
    able = [p.agent_id for p in preferences_of(interaction)
            if can_answer(p.agent_id, snapshot.agents, snapshot.profiles, interaction.medium,
                          options)]
    return able or None


def _runs(items: Sequence[Interaction], queue: QueueConfig, now: float
          ) -> list[Sequence[Interaction]]:
    """Split a queue's ordered list by how many priority thresholds each item crossed."""
    thresholds = priority_thresholds(queue)
    if not thresholds:
        return [items]
    runs: list[list[Interaction]] = [[] for _ in range(len(thresholds) + 1)]
    for i in items:
        wait = waited(i, now)
        n = 0
        for t in thresholds:
            if wait < t:
                break
            n += 1
        runs[n].append(i)
    return [r for r in runs if r]


def _entry(i: Interaction, queue: QueueConfig, now: float, source: int, index: int
           ) -> tuple[float, float, str, int, int]:
    queued = i.enqueued_at if i.enqueued_at is not None else now
    return (-_tie(effective_priority(i, queue, now)), queued, i.id, source, index)


def _tie(value: float) -> float:
    """An effective priority rounded so that equal ones compare equal and the earlier
    queued goes first: priority 3 queued at 4 s and priority 4 queued at 64 s are equal
    with aging 1/min, but 3 - 4/60 and 4 - 64/60 differ in the last bit."""
    return round(value, 9)


def _best(free: Mapping[str, AgentLive], profiles: Mapping[str, AgentProfile], medium: Medium,
          options: Sequence[Mapping[str, int]], queue: QueueConfig, rr_last: str
          ) -> str | None:
    if not options:
        return None
    skills = options[0]
    if queue.strategy == Strategy.LONGEST_IDLE:
        # the score is fixed per agent (idle since, then id): the first able agent in that
        # order is the best, found without checking every free agent (with hundreds free,
        # checking each took milliseconds a pass, paid by every call routed)
        for agent_id in sorted(free, key=lambda a: (free[a].idle_since, a)):
            if _able(free[agent_id], profiles[agent_id], medium, options):
                return agent_id
        return None
    best: tuple[tuple[float | bool | str, ...], str] | None = None
    for agent_id, live in free.items():
        profile = profiles[agent_id]
        if not _able(live, profile, medium, options):
            continue
        key = (_score(queue.strategy, live, profile, skills, rr_last), agent_id)
        if best is None or key < best:
            best = key
    return best[1] if best else None


def _able(live: AgentLive, profile: AgentProfile, medium: Medium,
          options: Sequence[Mapping[str, int]]) -> bool:
    """Has the skills of one of the options, and room for one more of ``medium``."""
    return any(profile.has_skills(o) for o in options) and live.can_take(profile, medium)
