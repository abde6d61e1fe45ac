"""A seeded discrete-event simulation of an outbound campaign paced by
ccengine.campaigns.pacing (no I/O, no clock: heapq and random.Random(seed)).

Used by tests/unit/campaigns/test_pacing_simulation.py and bench/pacing_bench.py.

The model: ``agents`` agents; each dial is answered by a person with a chance that swings
between ``answer_low`` and ``answer_high`` over ``answer_period`` seconds (the time of
day), after 3-25 s of ringing; other dials end (no answer, busy, machine, failed) after
1-30 s. A live answer goes to a free agent at once, or waits for one; after
``abandon_seconds`` with none it is abandoned. Talk times are exponential (at least
``min_talk``) around ``mean_talk``, then 10-20 s of wrap-up.

The engine's side is played as the engine will: ``decide`` after every event and at least
once a second, with the snapshot the engine can know (the remaining wrap-up of agents in
wrap-up; nothing for talking agents, so the mean handle time is used), the last 300
dials' answer rate and the abandon tracker's rolling rate. Every decision is checked
against the pacing bounds, worked out here independently.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random

from ccengine.campaigns.pacing import (
    AbandonTracker,
    Decision,
    Mode,
    PacingSettings,
    RecentDials,
    Snapshot,
    decide,
)

RING_END, ABANDON, TALK_END, WRAP_END, TICK = range(5)
PRIOR_HANDLES = 100  # the mean handle time starts as if this many took the expected time
Pacer = Callable[[Snapshot, PacingSettings], Decision]


@dataclass(frozen=True)
class SimConfig:
    seed: int = 17
    agents: int = 30
    settings: PacingSettings = PacingSettings(mode=Mode.PREDICTIVE)
    live_answers: int = 10_000        # run until this many live answers
    answer_low: float = 0.25
    answer_high: float = 0.5
    answer_period: float = 2 * 3600.0
    mean_talk: float = 90.0
    min_talk: float = 5.0
    warm_up_answers: int = 500        # the rolling rate is checked from here on


@dataclass
class SimResult:
    config: SimConfig
    seconds: float = 0.0
    dials: int = 0
    live_answers: int = 0
    abandoned: int = 0
    talk_seconds: float = 0.0
    handle_seconds: float = 0.0
    decisions: int = 0
    predictive_decisions: int = 0
    max_dial_level: float = 0.0
    max_rolling_rate: float = 0.0     # after the warm-up, checked every 50 live answers
    final_rolling_rate: float = 0.0
    violations: list[str] = field(default_factory=list)

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.live_answers if self.live_answers else 0.0

    @property
    def utilisation(self) -> float:
        """The share of agents' logged-in time spent talking."""
        return self.talk_seconds / (self.config.agents * self.seconds) if self.seconds else 0.0

    @property
    def occupancy(self) -> float:
        """The share of agents' logged-in time spent talking or in wrap-up."""
        return self.handle_seconds / (self.config.agents * self.seconds) if self.seconds else 0.0

    @property
    def dials_per_answer(self) -> float:
        return self.dials / self.live_answers if self.live_answers else 0.0


def erlang2_by(mean: float, t: float) -> float:
    """P(T <= t) for T ~ Gamma(shape 2, scale mean / 2): the sum of two exponential
    halves, from their convolution (written apart from pacing.free_chance to check it)."""
    if mean <= 0:
        return 1.0
    if t <= 0:
        return 0.0
    rate = 2 / mean
    tail = math.exp(-rate * t)
    return 1 - tail - (rate * t * tail if tail else 0.0)


def answer_chance(config: SimConfig, t: float) -> float:
    middle = (config.answer_low + config.answer_high) / 2
    swing = (config.answer_high - config.answer_low) / 2
    return middle + swing * math.sin(2 * math.pi * t / config.answer_period)


def run(config: SimConfig, pacer: Pacer = decide) -> SimResult:
    """Run until ``config.live_answers`` live answers; ``pacer`` stands for ``decide``
    (tests give a broken one to show the checks catch it)."""
    rnd, settings, result = Random(config.seed), config.settings, SimResult(config)
    tracker, recent = AbandonTracker(settings.window), RecentDials(300)
    events: list[tuple[float, int, int, int]] = []   # (time, sequence, kind, id)
    sequence = 0

    def at(t: float, kind: int, ident: int) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(events, (t, sequence, kind, ident))

    free: deque[int] = deque(range(config.agents))
    wrap_end: dict[int, float] = {}          # agent in wrap-up -> when it ends
    talking: dict[int, float] = {}           # agent talking -> connected at
    ringing: dict[int, float] = {}           # call -> dialled at
    waiting: dict[int, float] = {}           # answered call -> answered at (oldest first)
    handle_start: dict[int, float] = {}      # agent in wrap-up -> its call connected at
    handled, handle_total = 0, 0.0           # finished handles (talk + wrap-up)
    next_call = 0
    now = last_pace = 0.0

    def connect(agent: int, call: int) -> None:
        del waiting[call]
        tracker.connected(now)
        note_answer()
        talking[agent] = now
        at(now + max(config.min_talk, rnd.expovariate(1 / config.mean_talk)), TALK_END, agent)

    def note_answer() -> None:
        result.live_answers += 1
        if (result.live_answers >= config.warm_up_answers
                and result.live_answers % 50 == 0):
            result.max_rolling_rate = max(result.max_rolling_rate, tracker.status(now).rate)

    def pace() -> None:
        nonlocal next_call, last_pace
        last_pace = now
        # the short handles finish first: a campaign's first handles alone would say 20 s;
        # the engine starts from a known figure too (the queue's past handle time)
        mean_handle = ((handle_total + PRIOR_HANDLES * (config.mean_talk + 15))
                       / (handled + PRIOR_HANDLES))
        snapshot = Snapshot(
            free_agents=len(free),
            busy_agents=[None] * len(talking) + [end - now for end in wrap_end.values()],
            ringing=len(ringing), answered_waiting=len(waiting),
            stats=recent.stats(mean_handle, tracker.status(now)))
        d = pacer(snapshot, settings)
        check(d, snapshot)
        for _ in range(d.dial):
            call, next_call = next_call, next_call + 1
            ringing[call] = now
            result.dials += 1
            if rnd.random() < answer_chance(config, now):
                at(now + rnd.uniform(3, 25), RING_END, call)   # answered by a person
            else:
                at(now + rnd.uniform(1, 30), RING_END, -1 - call)  # no person

    def check(d: Decision, s: Snapshot) -> None:
        result.decisions += 1
        result.predictive_decisions += d.mode is Mode.PREDICTIVE
        in_progress = s.ringing + s.answered_waiting
        horizon = s.stats.mean_answer_seconds + settings.abandon_seconds
        unknown = sum(r is None for r in s.busy_agents)
        soon = unknown * erlang2_by(s.stats.mean_handle_seconds, horizon) + sum(
            erlang2_by(r, horizon) for r in s.busy_agents if r is not None)
        bound = math.floor(settings.max_dial_ratio * (s.free_agents + soon) + 1e-6)
        progressive = max(0, s.free_agents - in_progress)
        if in_progress + d.dial > max(bound, in_progress):
            result.violations.append(f"t={now:.0f}: {d.dial} dials over the ratio bound")
        if settings.mode is not Mode.PREVIEW and d.dial < progressive:
            result.violations.append(f"t={now:.0f}: {d.dial} dials below progressive")
        if d.dial and d.dial_level > settings.max_dial_ratio + 1e-9:
            result.violations.append(f"t={now:.0f}: dial level {d.dial_level:.2f}")
        if d.dial:
            result.max_dial_level = max(result.max_dial_level, d.dial_level)

    at(1.0, TICK, 0)
    while result.live_answers < config.live_answers:
        now, _, kind, ident = heapq.heappop(events)
        if kind == TICK:
            at(now + 1.0, TICK, 0)
            if now - last_pace < 1.0:
                continue
        elif kind == RING_END:
            call = ident if ident >= 0 else -1 - ident
            dialled = ringing.pop(call)
            if ident < 0:
                recent.record(None)
            else:
                recent.record(now - dialled)
                waiting[call] = now
                if free:
                    connect(free.popleft(), call)
                else:
                    at(now + settings.abandon_seconds, ABANDON, call)
        elif kind == ABANDON:
            if ident in waiting:
                del waiting[ident]
                tracker.abandoned(now)
                result.abandoned += 1
                note_answer()
        elif kind == TALK_END:
            started = talking.pop(ident)
            result.talk_seconds += now - started
            handle_start[ident] = started
            wrap = rnd.uniform(10, 20)
            wrap_end[ident] = now + wrap
            at(now + wrap, WRAP_END, ident)
        elif kind == WRAP_END:
            del wrap_end[ident]
            handled += 1
            handle_total += now - handle_start.pop(ident)
            if waiting:
                connect(ident, next(iter(waiting)))
            else:
                free.append(ident)
        pace()
    result.seconds = now  # talk and handles still going on at the end are left out
    result.handle_seconds = handle_total
    result.final_rolling_rate = tracker.status(now).rate
    return result
