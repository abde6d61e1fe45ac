"""Service level: the share of work responded to within a queue's target time (e.g. 90 %
of emails answered within 4 hours). Pure: the caller gives the items and the time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    """One piece of work: when it arrived in the queue, when it was first responded to
    (an agent's first reply, or the answer of a call), when it ended (None: not yet)."""

    arrived_at: float
    responded_at: float | None = None
    ended_at: float | None = None


@dataclass(frozen=True)
class ServiceLevel:
    target_seconds: float
    target_percent: float
    met: int            # responded within the target
    missed: int         # responded late, or still waiting (or ended unanswered) past it
    pending: int        # still waiting, within the target: not counted yet
    ended_early: int    # ended unanswered within the target (e.g. spam closed): not counted
    percent: float | None          # met / (met + missed); None when nothing counts yet
    meeting_target: bool | None
    average_response_seconds: float | None

    def to_dict(self) -> dict[str, float | int | bool | None]:
        return {"target_seconds": self.target_seconds, "target_percent": self.target_percent,
                "met": self.met, "missed": self.missed, "pending": self.pending,
                "ended_early": self.ended_early, "percent": self.percent,
                "meeting_target": self.meeting_target,
                "average_response_seconds": self.average_response_seconds}


def classify(item: Item, target_seconds: float, now: float) -> str:
    """"met", "missed", "pending" or "ended_early" for one item at ``now``."""
    if item.responded_at is not None:
        return "met" if item.responded_at - item.arrived_at <= target_seconds else "missed"
    end = item.ended_at if item.ended_at is not None else now
    if end - item.arrived_at > target_seconds:
        return "missed"
    return "pending" if item.ended_at is None else "ended_early"


def service_level(items: Iterable[Item], target_seconds: float, target_percent: float,
                  now: float) -> ServiceLevel:
    """The service level of ``items`` at ``now`` against the queue's target."""
    counts = {"met": 0, "missed": 0, "pending": 0, "ended_early": 0}
    waits: list[float] = []
    for item in items:
        counts[classify(item, target_seconds, now)] += 1
        if item.responded_at is not None:
            waits.append(max(0.0, item.responded_at - item.arrived_at))
    counted = counts["met"] + counts["missed"]
    percent = round(100.0 * counts["met"] / counted, 2) if counted else None
    return ServiceLevel(
        target_seconds=target_seconds, target_percent=target_percent, met=counts["met"],
        missed=counts["missed"], pending=counts["pending"], ended_early=counts["ended_early"],
        percent=percent, meeting_target=None if percent is None else percent >= target_percent,
        average_response_seconds=round(sum(waits) / len(waits), 3) if waits else None)
