"""The outbound dialer's pacing: how many calls to dial now (pure: no I/O, no clock reads).

Modes:

- ``preview``: the agent starts each call; pacing dials nothing by itself.
- ``progressive``: at most one call in progress per free agent: dial the free agents less
  the calls already dialling, ringing or answered and waiting, never fewer than 0.
- ``predictive``: more calls than free agents, paced so that the share of live answers
  that find no agent within ``abandon_seconds`` (abandoned calls) stays under
  ``abandon_limit`` over the rolling window (24 hours or 30 days).

``decide(snapshot, settings)`` answers for one moment; the engine calls it whenever
something changes (an agent frees up, a call is answered or fails) and once a second.

The predictive algorithm (docs: campaigns, "Pacing"):

1. Horizon ``H`` = mean time from dial to live answer + ``abandon_seconds``: a call
   dialled now is answered in about that time, and its person waits at most
   ``abandon_seconds`` for an agent.
2. Agents available within ``H``: the free agents (certain) plus, for each busy agent
   with expected remaining talk + wrap-up time ``r`` (the mean handle time when not
   known), the chance ``q`` that it is free by then, the remaining time taken as Erlang-2
   with mean ``r``: ``q = 1 - exp(-x) (1 + x)`` with ``x = 2 H / r``. Their number ``A``
   has mean ``free + sum(q)`` and variance ``sum(q (1 - q))``.
3. Live answers within ``H`` if ``n`` more calls are dialled: the answered calls waiting
   for an agent (certain) plus each ringing and new call with the recent answer rate
   ``p`` (live answers / dials): ``X`` has mean ``waiting + p c`` with ``c = ringing + n``,
   and variance ``p (1 - p) c (1 + c / dials)``: each call is answered or not, and ``p``
   is itself estimated from ``dials`` recent dials.
4. Expected abandoned calls = ``E[max(0, X - A)]``, with ``X - A`` taken as normal
   (closed form). Dial the largest ``n`` whose expected abandoned share
   ``E[max(0, X - A)] / E[X]`` is at most the target ``abandon_limit * (1 - rate /
   abandon_limit) ** 2``: the full limit when nothing was abandoned, less and less as the
   window's rate nears the limit. This feedback settles at 38 % of the limit when the
   model is right, and stays under the limit when it is not (the simulation's rate is
   about half the limit). ``rate`` here counts the window as if it began with
   ``PRIOR_ANSWERS`` live answers at half the limit, so that the few answers at the start
   of a window (0 % or 10 %) do not swing the dialling.
5. Bounds: never more than ``max_dial_ratio`` calls in progress per available agent
   (``free + sum(q)``), never fewer than progressive would dial. While the window's
   abandon rate is at or above the limit, or before ``MIN_DIALS`` recent dials give an
   answer rate, predictive dials as progressive and says why.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ccengine.core.validate import Fields

# predictive dials as progressive until this many recent dials give an answer rate
MIN_DIALS = 30
# the tempering takes the window's abandon rate as if it began with this many live answers
# at half the limit (so the first few answers of a window do not look like 0 %)
PRIOR_ANSWERS = 200
# the lowest answer rate the model uses (a campaign nobody answers would dial at the cap)
MIN_ANSWER_RATE = 0.02


class Mode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


class Window(StrEnum):
    """The rolling window of the abandon rate: 24 hours (UK Ofcom) or 30 days (US TSR)."""

    DAY = "24h"
    MONTH = "30d"

    @property
    def seconds(self) -> float:
        return 86_400.0 if self is Window.DAY else 30 * 86_400.0

    @property
    def bucket_seconds(self) -> float:
        """The tracker's resolution: a minute for 24 hours, an hour for 30 days."""
        return 60.0 if self is Window.DAY else 3_600.0


@dataclass(frozen=True)
class PacingSettings:
    mode: Mode = Mode.PROGRESSIVE   # predictive is chosen, never assumed
    max_dial_ratio: float = 3.0     # calls in progress per available agent, at most
    abandon_limit: float = 0.03     # abandoned share of live answers over the window
    abandon_seconds: float = 2.0    # a live answer with no agent within this is abandoned
    window: Window = Window.DAY

    FIELDS = frozenset({"mode", "max_dial_ratio", "abandon_limit", "abandon_seconds",
                        "window"})

    def __post_init__(self) -> None:
        if self.max_dial_ratio < 1:
            raise ValueError("max_dial_ratio must be >= 1")
        if not 0 < self.abandon_limit <= 1:
            raise ValueError("abandon_limit must be > 0 and <= 1")
        if self.abandon_seconds < 0:
            raise ValueError("abandon_seconds must be >= 0")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str,
                     other_keys: Iterable[str] = ()) -> PacingSettings:
        """The pacing keys of a campaign's ``dialer:`` block (``other_keys``: the block's
        keys read elsewhere); errors name ``where`` and the key."""
        f = Fields(data, where, set(cls.FIELDS) | set(other_keys))
        limit = f.number("abandon_limit", 0.03)
        if not 0 < limit <= 1:
            raise f.error("abandon_limit", "must be a fraction > 0 and <= 1 (0.03 is 3 %)")
        return cls(mode=Mode(f.choice("mode", tuple(Mode), Mode.PROGRESSIVE.value)),
                   max_dial_ratio=f.number("max_dial_ratio", 3.0, minimum=1),
                   abandon_limit=limit,
                   abandon_seconds=f.number("abandon_seconds", 2.0),
                   window=Window(f.choice("window", tuple(Window), Window.DAY.value)))


@dataclass(frozen=True)
class AbandonStatus:
    """The abandon tracker's figures over its window at one moment."""

    live_answers: int = 0     # connected to an agent in time, or abandoned
    abandoned: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.abandoned <= self.live_answers:
            raise ValueError("abandoned must be >= 0 and <= live_answers")

    @property
    def rate(self) -> float:
        return self.abandoned / self.live_answers if self.live_answers else 0.0


@dataclass(frozen=True)
class DialStats:
    """Rolling statistics of the campaign's recent dials."""

    dials: int = 0                    # recent dials whose outcome is known
    live_answers: int = 0             # of which a person answered
    mean_answer_seconds: float = 15.0  # from dial to live answer
    mean_handle_seconds: float = 120.0  # talk + wrap-up
    abandon: AbandonStatus = AbandonStatus()
    handle_shape: int = 2              # the Erlang shape of handle times (handle_shape())

    def __post_init__(self) -> None:
        if not 0 <= self.live_answers <= self.dials:
            raise ValueError("live_answers must be >= 0 and <= dials")
        if self.mean_answer_seconds < 0 or self.mean_handle_seconds < 0:
            raise ValueError("mean times must be >= 0")

    @property
    def answer_rate(self) -> float:
        return self.live_answers / self.dials if self.dials else 0.0


@dataclass(frozen=True)
class Snapshot:
    """What the engine knows at one moment about a campaign's agents and calls."""

    free_agents: int                          # logged in, ready and idle
    # one per busy agent (talking or in wrap-up): the expected remaining talk + wrap-up
    # seconds, or None when not known (the mean handle time is used)
    busy_agents: Sequence[float | None] = ()
    ringing: int = 0                          # calls being dialled or ringing
    answered_waiting: int = 0                 # answered, waiting (<= abandon_seconds)
    stats: DialStats = DialStats()

    def __post_init__(self) -> None:
        if min(self.free_agents, self.ringing, self.answered_waiting) < 0:
            raise ValueError("agent and call counts must be >= 0")

    @property
    def calls_in_progress(self) -> int:
        return self.ringing + self.answered_waiting


@dataclass(frozen=True)
class Decision:
    dial: int                  # new calls to dial now
    mode: Mode                 # the mode used (predictive may drop to progressive)
    reason: str                # why this mode and number, for logs and supervisors
    dial_level: float          # calls in progress after dialling per available agent
    agents_available: float    # free agents + busy agents expected free within the horizon
    ceiling: int               # the most new calls max_dial_ratio allows now
    progressive: int           # what progressive dials now (predictive never dials fewer)


def _poisson_terms(x: float, shape: int) -> list[float]:
    """``e^-x x^n / n!`` for n below ``shape``: the chances that n of an Erlang's phases
    are over after a time where ``x`` of them are expected."""
    terms, term = [], math.exp(-x)
    for n in range(shape):
        terms.append(term)
        term *= x / (n + 1)
    return terms


def free_chance(remaining: float, horizon: float, shape: int = 2) -> float:
    """The chance a busy agent with ``remaining`` expected seconds is free within
    ``horizon`` seconds. The remaining time is taken as Erlang (gamma) with that mean and
    ``shape`` (2 unless the campaign's handle times say otherwise: ``handle_shape``): talk
    then wrap-up rarely ends at once; an exponential (shape 1) would count too many
    talking agents as about to free up (in the simulation: 2.1 % abandoned, not 1.5 %),
    and calls that all last about as long have a large shape."""
    x = shape * horizon / remaining if remaining > 0 else math.inf
    if x > 100 + 2 * shape:
        return 1.0  # (the float gets no closer)
    return max(0.0, 1.0 - sum(_poisson_terms(x, shape)))


def expected_remaining(elapsed: float, mean: float, shape: int = 2) -> float:
    """The expected time left of a talk that has lasted ``elapsed`` seconds, its length
    taken as Erlang with mean ``mean`` and ``shape`` (as ``free_chance`` does): the whole
    mean at the start, falling towards ``mean / shape`` as the talk goes on (a long talk
    is not about to end: its remaining time has a floor)."""
    if mean <= 0:
        return 0.0
    rate = shape / mean
    terms = _poisson_terms(rate * max(0.0, elapsed), shape)
    alive = sum(terms)
    if alive <= 1e-300:
        return 1.0 / rate
    return sum(p * (shape - n) for n, p in enumerate(terms)) / (rate * alive)


MAX_SHAPE = 30


def handle_shape(handle_seconds: Sequence[float]) -> int:
    """The Erlang shape that fits handle times: ``1 / CV²`` (the squared coefficient of
    variation), from 1 to MAX_SHAPE; 2 with fewer than 10 to go by."""
    if len(handle_seconds) < 10:
        return 2
    mean = sum(handle_seconds) / len(handle_seconds)
    if mean <= 0:
        return 2
    variance = sum((h - mean) ** 2 for h in handle_seconds) / (len(handle_seconds) - 1)
    if variance <= 0:
        return MAX_SHAPE
    return max(1, min(MAX_SHAPE, round(mean * mean / variance)))


def busy_free_within(busy: Sequence[float | None], mean_handle: float, horizon: float,
                     shape: int = 2) -> tuple[float, float]:
    """How many busy agents are expected free within ``horizon`` seconds: the mean and
    variance of the sum of their chances (each agent frees up or not on its own)."""
    unknown, mean, variance = 0, 0.0, 0.0
    for remaining in busy:
        if remaining is None:
            unknown += 1
        else:
            q = free_chance(remaining, horizon, shape)
            mean += q
            variance += q * (1 - q)
    if unknown:
        q = free_chance(mean_handle, horizon, shape)
        mean += unknown * q
        variance += unknown * q * (1 - q)
    return mean, variance


def expected_excess(mean: float, variance: float) -> float:
    """``E[max(0, D)]`` for a normal ``D`` with this mean and variance."""
    if variance <= 0:
        return max(0.0, mean)
    sd = math.sqrt(variance)
    z = mean / sd
    density = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    below = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return mean * below + sd * density


def decide(snapshot: Snapshot, settings: PacingSettings) -> Decision:
    """How many calls to dial now, in which mode, and why."""
    free, stats = snapshot.free_agents, snapshot.stats
    in_progress = snapshot.calls_in_progress
    progressive = max(0, free - in_progress)
    if free == 0 and not snapshot.busy_agents:
        return Decision(0, settings.mode, "no agents logged in", 0.0, 0.0, 0, 0)
    horizon = stats.mean_answer_seconds + settings.abandon_seconds
    soon, agents_variance = busy_free_within(snapshot.busy_agents, stats.mean_handle_seconds,
                                             horizon, stats.handle_shape)
    available = free + soon
    ceiling = max(0, math.floor(settings.max_dial_ratio * available + 1e-9) - in_progress)

    def decision(dial: int, mode: Mode, reason: str) -> Decision:
        level = (in_progress + dial) / available if available > 0 else 0.0
        return Decision(dial, mode, reason, level, available, ceiling, progressive)

    if settings.mode is Mode.PREVIEW:
        return decision(0, Mode.PREVIEW, "preview: agents start each call")
    if settings.mode is Mode.PROGRESSIVE:
        return decision(progressive, Mode.PROGRESSIVE, "progressive: one call per free agent")
    rate, limit = stats.abandon.rate, settings.abandon_limit
    if rate >= limit:
        return decision(progressive, Mode.PROGRESSIVE,
                        f"abandon rate {rate:.2%} over {settings.window.value} is at or above "
                        f"the limit {limit:.2%} ({stats.abandon.abandoned} of "
                        f"{stats.abandon.live_answers} live answers): progressive until it "
                        "falls")
    if stats.dials < MIN_DIALS or stats.live_answers == 0:
        return decision(progressive, Mode.PROGRESSIVE,
                        f"learning the answer rate ({stats.dials} of {MIN_DIALS} dials, "
                        f"{stats.live_answers} answered): progressive until then")
    p = max(MIN_ANSWER_RATE, min(1.0, stats.answer_rate))
    # few live answers in the window: their rate is pulled toward half the limit (a handful
    # of abandoned calls early in the window must not overshoot it)
    a = stats.abandon
    settled = (a.abandoned + PRIOR_ANSWERS * limit / 2) / (a.live_answers + PRIOR_ANSWERS)
    target = limit * max(0.0, 1 - settled / limit) ** 2

    def acceptable(n: int) -> bool:
        calls = snapshot.ringing + n
        answers = snapshot.answered_waiting + p * calls
        # each call is answered or not (binomial), and p itself is estimated from
        # ``dials`` recent dials (its sampling variance, times calls squared)
        calls_variance = p * (1 - p) * calls * (1 + calls / stats.dials)
        excess = expected_excess(answers - available, calls_variance + agents_variance)
        return excess <= target * answers

    low, high = progressive, max(progressive, ceiling)  # low is always dialled
    while low < high:  # the largest acceptable n (the abandoned share grows with n)
        middle = (low + high + 1) // 2
        if acceptable(middle):
            low = middle
        else:
            high = middle - 1
    return decision(low, Mode.PREDICTIVE,
                    f"predictive: answer rate {p:.0%}, {available:.1f} agents available "
                    f"within {horizon:.0f} s, abandon target {target:.2%} (rate "
                    f"{rate:.2%} over {settings.window.value})")


class AbandonTracker:
    """Live answers and abandoned calls over a rolling window (24 hours or 30 days).

    The caller passes the time (``now``, seconds on any steady clock) to every method;
    nothing here reads a clock. Counts are kept per bucket (a minute for 24 hours, an
    hour for 30 days) so a month of a large campaign stays small: an event leaves the
    window when its whole bucket is older than the window, so it counts for the window's
    length and at most one bucket more.
    """

    def __init__(self, window: Window = Window.DAY) -> None:
        self.window = window
        self._buckets: deque[list[int]] = deque()  # [bucket number, answers, abandoned]
        self._answers = self._abandoned = 0

    def connected(self, now: float) -> None:
        """A live answer put through to an agent within ``abandon_seconds``."""
        self._record(now, abandoned=False)

    def abandoned(self, now: float) -> None:
        """A live answer that found no agent within ``abandon_seconds``."""
        self._record(now, abandoned=True)

    def status(self, now: float) -> AbandonStatus:
        self._expire(now)
        return AbandonStatus(self._answers, self._abandoned)

    def _bucket(self, t: float) -> int:
        return math.floor(t / self.window.bucket_seconds)

    def _oldest_kept(self, now: float) -> int:
        """The first bucket that still ends inside the window (ends after now - window)."""
        return math.floor((now - self.window.seconds) / self.window.bucket_seconds)

    def _expire(self, now: float) -> None:
        oldest = self._oldest_kept(now)
        while self._buckets and self._buckets[0][0] < oldest:
            _, answers, abandoned = self._buckets.popleft()
            self._answers -= answers
            self._abandoned -= abandoned

    def _record(self, now: float, *, abandoned: bool) -> None:
        self._expire(now)
        number = self._bucket(now)
        if number < self._oldest_kept(now):
            return
        self._answers += 1
        self._abandoned += abandoned
        buckets = self._buckets
        if not buckets or buckets[-1][0] < number:
            buckets.append([number, 1, int(abandoned)])
            return
        for i in range(len(buckets) - 1, -1, -1):  # the newest bucket, or an earlier one
            if buckets[i][0] == number:
                buckets[i][1] += 1
                buckets[i][2] += abandoned
                return
            if buckets[i][0] < number:
                buckets.insert(i + 1, [number, 1, int(abandoned)])
                return
        buckets.appendleft([number, 1, int(abandoned)])


class RecentDials:
    """The outcomes of the last ``size`` dials: the answer rate and the mean time from
    dial to live answer that ``DialStats`` wants (the rate follows the time of day)."""

    def __init__(self, size: int = 300) -> None:
        self._outcomes: deque[float | None] = deque(maxlen=size)  # seconds to answer
        self._answers = 0
        self._answer_seconds = 0.0

    def record(self, answer_seconds: float | None) -> None:
        """One dial's outcome: the seconds from dial to live answer, or None (no answer,
        busy, machine, failed)."""
        outcomes = self._outcomes
        if outcomes.maxlen is not None and len(outcomes) == outcomes.maxlen:
            dropped = outcomes[0]
            if dropped is not None:
                self._answers -= 1
                self._answer_seconds -= dropped
        outcomes.append(answer_seconds)
        if answer_seconds is not None:
            self._answers += 1
            self._answer_seconds += answer_seconds

    def stats(self, mean_handle_seconds: float, abandon: AbandonStatus,
              default_answer_seconds: float = 15.0, handle_shape: int = 2) -> DialStats:
        mean = (self._answer_seconds / self._answers if self._answers
                else default_answer_seconds)
        return DialStats(len(self._outcomes), self._answers, max(0.0, mean),
                         mean_handle_seconds, abandon, handle_shape)
