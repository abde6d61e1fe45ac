"""Measured traffic: how many contacts reached a queue since a time, at what rate per
interval (on average, and in the busiest interval), and how long the handled ones took.
Pure: the caller gives the contacts and the times."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Contact:
    """One contact: when it reached the queue, when an agent answered it and when it
    ended (None: not yet, or never)."""

    arrived_at: float
    answered_at: float | None = None
    ended_at: float | None = None

    @property
    def handle_seconds(self) -> float | None:
        """Answered to ended, if both happened (in that order)."""
        if self.answered_at is None or self.ended_at is None \
                or self.ended_at < self.answered_at:
            return None
        return self.ended_at - self.answered_at


@dataclass(frozen=True)
class Traffic:
    """``contacts`` arrived from ``since`` to ``now``; ``handled`` of them were answered
    and ended, in ``handle_seconds`` on average (None if none were). Intervals start at
    ``since``: ``contacts_per_interval`` is the average over the elapsed ones (the one
    under way counted as its elapsed fraction, at least one interval in all), and the
    busiest interval is the one with the most arrivals (the earliest of equals)."""

    contacts: int
    handled: int
    handle_seconds: float | None
    elapsed_intervals: float
    contacts_per_interval: float
    busiest_start: float
    busiest_contacts: int


def elapsed_intervals(since: float, now: float, interval_seconds: float) -> float:
    """Intervals elapsed from ``since`` to ``now``, at least one."""
    return max(1.0, (now - since) / interval_seconds)


def measure(contacts: Iterable[Contact], since: float, now: float,
            interval_seconds: float) -> Traffic:
    """The traffic of ``contacts`` (those that arrived before ``since`` or after ``now``
    are left out) in intervals of ``interval_seconds`` starting at ``since``."""
    counts: dict[int, int] = {}
    handle: list[float] = []
    total = 0
    for c in contacts:
        if not since <= c.arrived_at <= now:
            continue
        total += 1
        slot = math.floor((c.arrived_at - since) / interval_seconds)
        counts[slot] = counts.get(slot, 0) + 1
        if (seconds := c.handle_seconds) is not None:
            handle.append(seconds)
    busiest = min(counts, key=lambda s: (-counts[s], s)) if counts else 0
    intervals = elapsed_intervals(since, now, interval_seconds)
    return Traffic(contacts=total, handled=len(handle),
                   handle_seconds=sum(handle) / len(handle) if handle else None,
                   elapsed_intervals=intervals, contacts_per_interval=total / intervals,
                   busiest_start=since + busiest * interval_seconds,
                   busiest_contacts=counts.get(busiest, 0))
