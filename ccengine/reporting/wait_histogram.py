"""How long work waited in a queue, counted in buckets (``ccengine_queue_wait_seconds``).

Every series shares one set of upper bounds: a fixed ladder plus every queue's service-level
threshold, so the share of work answered within a queue's threshold is one bucket divided by
the count, exactly. A reload that brings a threshold not yet among the bounds adds it; the
counts gathered so far cannot be split at the new bound, so every series starts again from
zero then (Prometheus treats it as a counter reset, as after a restart). Pure: no I/O.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

# seconds: short voice waits up to a day-long email backlog; the usual service-level
# thresholds (10, 15, 20, 30, 45, 60, 90, 120 s, 4 h, 8 h, 24 h) are already among them
LADDER = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0,
          600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0)

Labels = tuple[str, ...]


@dataclass
class _Series:
    counts: list[int]          # per bound, then one past the last bound (+Inf); not cumulative
    total: float = 0.0
    count: int = 0


@dataclass
class WaitHistogram:
    """Bucketed waits per label set; ``bounds`` are the buckets' upper bounds (inclusive)."""

    bounds: tuple[float, ...] = LADDER
    series: dict[Labels, _Series] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bounds = _clean(self.bounds)

    @classmethod
    def with_thresholds(cls, thresholds: Iterable[float]) -> WaitHistogram:
        """The ladder plus these service-level thresholds."""
        return cls(bounds=(*LADDER, *thresholds))

    def observe(self, labels: Labels, seconds: float) -> None:
        """One wait that ended (a negative one, from a clock step, counts as 0)."""
        seconds = max(0.0, seconds)
        s = self.series.get(labels)
        if s is None:
            s = self.series[labels] = _Series([0] * (len(self.bounds) + 1))
        s.counts[bisect.bisect_left(self.bounds, seconds)] += 1
        s.total += seconds
        s.count += 1

    def add_bounds(self, thresholds: Iterable[float]) -> bool:
        """Make every threshold a bound. True if one was new: every series was then
        cleared (counts before it cannot be split at the new bound)."""
        bounds = _clean((*self.bounds, *thresholds))
        if bounds == self.bounds:
            return False
        self.bounds = bounds
        self.series.clear()
        return True

    def buckets(self, labels: Labels) -> list[tuple[float, int]]:
        """The series' cumulative counts per upper bound, ``math.inf`` last."""
        s = self.series.get(labels)
        counts = s.counts if s is not None else [0] * (len(self.bounds) + 1)
        out, running = [], 0
        for bound, n in zip((*self.bounds, math.inf), counts, strict=True):
            running += n
            out.append((bound, running))
        return out

    def total(self, labels: Labels) -> float:
        s = self.series.get(labels)
        return s.total if s is not None else 0.0

    def count(self, labels: Labels) -> int:
        s = self.series.get(labels)
        return s.count if s is not None else 0

    def within(self, labels: Labels, seconds: float) -> int:
        """How many of the series' waits were at most ``seconds`` (a bound)."""
        return next((n for bound, n in self.buckets(labels) if bound == seconds), 0)


def _clean(bounds: Iterable[float]) -> tuple[float, ...]:
    """Sorted, distinct, finite and above zero."""
    return tuple(sorted({float(b) for b in bounds if 0 < float(b) < math.inf}))
