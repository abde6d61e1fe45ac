"""Erlang C staffing: how many agents a workload needs to meet a service-level target.

Pure (no I/O, no clock). The model is M/M/N: contacts arrive at random (Poisson) at a
steady rate through the interval, handle times are exponential with mean AHT, nobody
abandons, and every contact waits until an agent takes it. With those assumptions:

- traffic ``A = contacts * AHT / interval / concurrency`` in Erlangs (busy agents);
- P(wait) ``C(N, A)`` is Erlang C, computed from Erlang B by its recursion
  ``B(0) = 1; B(n) = A·B(n-1) / (n + A·B(n-1))`` and ``C = N·B / (N - A·(1 - B))``;
  every term stays within [0, 1], so hundreds or thousands of agents never overflow;
- service level ``SL = 1 - C·exp(-(N - A)·T / h)`` for a target of T seconds;
- average speed of answer ``ASA = C·h / (N - A)``; occupancy ``A / N``;

where ``h = AHT / concurrency``: an agent working ``concurrency`` chats at once is taken
as one server that finishes work that many times as fast. Shrinkage (breaks, training,
absence) only scales the result: ``scheduled = ceil(N / (1 - shrinkage))``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ccengine.core.errors import CoreError

# Beyond these the calculator refuses rather than loops for long (a few hundred ms).
MAX_TRAFFIC_ERLANGS = 20_000.0
MAX_AGENTS = 100_000
_EPSILON = 1e-9  # float slack: 14 / (1 - 0.3) is 20.000000000000004, not 21 agents


class StaffingInputError(CoreError, ValueError):
    """A staffing input out of its domain; ``field`` names the input."""

    code = "bad_staffing_input"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Workload:
    """What an interval brings and the target it must meet.

    ``contacts`` arrive in ``interval_seconds`` and take ``aht_seconds`` each (talk or
    chat time plus wrap-up); ``sl_percent`` of them should be answered within
    ``sl_seconds``. ``shrinkage`` (0 <= s < 1) is the share of paid time agents are not
    available to take work; ``concurrency`` (>= 1) how many contacts an agent works at
    once (chat); ``max_occupancy`` (0.5 to 1, optional) caps the share of time agents
    are kept busy. Raises StaffingInputError naming the first bad field.
    """

    contacts: float
    interval_seconds: float
    aht_seconds: float
    sl_percent: float
    sl_seconds: float
    shrinkage: float = 0.0
    concurrency: float = 1.0
    max_occupancy: float | None = None

    def __post_init__(self) -> None:
        _check(self.contacts, "contacts", "a number >= 0", lambda v: v >= 0)
        _check(self.interval_seconds, "interval_seconds", "a number above 0", lambda v: v > 0)
        _check(self.aht_seconds, "aht_seconds", "a number above 0", lambda v: v > 0)
        _check(self.sl_percent, "sl_percent", "above 0 and below 100 (100 % is never "
                                              "reached: some contact always waits)",
               lambda v: 0 < v < 100)
        _check(self.sl_seconds, "sl_seconds", "a number >= 0", lambda v: v >= 0)
        _check(self.shrinkage, "shrinkage", "at least 0 and below 1", lambda v: 0 <= v < 1)
        _check(self.concurrency, "concurrency", "a number >= 1", lambda v: v >= 1)
        if self.max_occupancy is not None:
            _check(self.max_occupancy, "max_occupancy", "from 0.5 to 1",
                   lambda v: 0.5 <= v <= 1)
        if self.traffic > MAX_TRAFFIC_ERLANGS:
            raise StaffingInputError(
                "contacts", f"the traffic ({self.traffic:.0f} Erlangs) is above the "
                            f"{MAX_TRAFFIC_ERLANGS:.0f} this calculator handles")

    @property
    def traffic(self) -> float:
        """Offered traffic in Erlangs, chat work divided by concurrency."""
        return self.contacts * self.aht_seconds / self.interval_seconds / self.concurrency

    @property
    def work_seconds(self) -> float:
        """The time one agent-server spends per contact: AHT over concurrency."""
        return self.aht_seconds / self.concurrency

    def to_dict(self) -> dict[str, float | None]:
        return asdict(self)


@dataclass(frozen=True)
class Staffing:
    """A workload served by ``agents``: the service level (0..1) within the target
    time, the average speed of answer (``inf`` when the agents cannot keep up), the
    probability of waiting, occupancy (0..1) and the agents to schedule for shrinkage."""

    traffic_erlangs: float
    agents: int
    service_level: float
    asa_seconds: float
    wait_probability: float
    occupancy: float
    agents_scheduled: int
    meets_target: bool

    @property
    def stable(self) -> bool:
        """Do the agents keep up (more agents than Erlangs)? If not the queue grows."""
        return math.isfinite(self.asa_seconds)

    def to_dict(self) -> dict[str, float | int | bool | None]:
        """JSON-ready, unrounded (rounding is the reader's); an unbounded ASA is None."""
        return {"traffic_erlangs": self.traffic_erlangs, "agents": self.agents,
                "service_level": self.service_level,
                "asa_seconds": self.asa_seconds if self.stable else None,
                "wait_probability": self.wait_probability, "occupancy": self.occupancy,
                "agents_scheduled": self.agents_scheduled, "meets_target": self.meets_target,
                "stable": self.stable}


def scheduled(agents: int, shrinkage: float) -> int:
    """Agents to schedule so ``agents`` are on the phones after ``shrinkage``."""
    return math.ceil(agents / (1.0 - shrinkage) - _EPSILON) if agents else 0


def erlang_b(agents: int, traffic: float) -> float:
    """Erlang B, the blocking probability of ``agents`` servers offered ``traffic``."""
    if isinstance(agents, bool) or not isinstance(agents, int) or agents < 0:
        raise StaffingInputError("agents", "must be a whole number >= 0")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def evaluate(workload: Workload, agents: int) -> Staffing:
    """The service ``agents`` give ``workload`` (StaffingInputError if agents is not a
    whole number between 0 and MAX_AGENTS)."""
    if isinstance(agents, bool) or not isinstance(agents, int) or not 0 <= agents <= MAX_AGENTS:
        raise StaffingInputError("agents", f"must be a whole number from 0 to {MAX_AGENTS}")
    return _staffing(workload, agents, erlang_b(agents, workload.traffic))


def agents_needed(workload: Workload) -> Staffing:
    """The fewest agents that meet the workload's service level (and keep occupancy at
    or below ``max_occupancy`` if given), with the service they give. No contacts need
    no agents. StaffingInputError if the target needs more than MAX_AGENTS."""
    traffic = workload.traffic
    if traffic == 0:
        return evaluate(workload, 0)
    b, n = 1.0, 0
    while n < MAX_AGENTS:
        n += 1
        b = traffic * b / (n + traffic * b)
        if n <= traffic:
            continue
        result = _staffing(workload, n, b)
        if result.meets_target:
            return result
    raise StaffingInputError("sl_percent", f"the target needs more than {MAX_AGENTS} agents")


def _staffing(workload: Workload, agents: int, b: float) -> Staffing:
    """The figures for ``agents`` given Erlang B ``b`` of (agents, traffic)."""
    traffic, target = workload.traffic, workload.sl_percent / 100.0
    to_schedule = scheduled(agents, workload.shrinkage)
    if traffic == 0:
        return Staffing(0.0, agents, 1.0, 0.0, 0.0, 0.0, to_schedule, True)
    if agents <= traffic:  # the queue grows without bound: everyone waits, for ever
        return Staffing(traffic, agents, 0.0, math.inf, 1.0, 1.0, to_schedule, False)
    spare = agents - traffic
    wait = min(1.0, agents * b / (agents - traffic * (1.0 - b)))
    level = max(0.0, 1.0 - wait * math.exp(-spare * workload.sl_seconds
                                           / workload.work_seconds))
    occupancy = traffic / agents
    meets = level >= target - _EPSILON and (
        workload.max_occupancy is None or occupancy <= workload.max_occupancy + _EPSILON)
    return Staffing(traffic, agents, level, wait * workload.work_seconds / spare, wait,
                    occupancy, to_schedule, meets)


def _check(value: float, field: str, expected: str, ok: Callable[[float], bool]) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not ok(value):
        raise StaffingInputError(field, f"must be {expected}, not {value!r}")
