"""Counts and waits from the dispatcher's events: what ``/metrics`` exposes as the
``ccengine_interactions_*_total`` counters and the ``ccengine_queue_wait_seconds`` histogram.

Each interaction is counted once per milestone, from its own history, the way the
service-level report reads it (``api/service_level.py``): its wait runs from its first
``queued`` event to its first response (the answer; for email the first reply) and, if it
never had one, to its end (outcome ``abandoned``). Labels are the queue, the medium, the
outcome and, for requeues, a reason from a fixed set: never a number, an address or an id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Final

from ccengine.core.events import (
    Event,
    InteractionAnswered,
    InteractionCancelled,
    InteractionChange,
    InteractionEnded,
    InteractionOffered,
    InteractionQueued,
    InteractionRequeued,
    InteractionUpdated,
)
from ccengine.core.interaction import Interaction, InteractionEvent
from ccengine.core.media import Medium
from ccengine.reporting.intervals import LiveWork
from ccengine.reporting.wait_histogram import Labels, WaitHistogram

# abandoned: the customer left unanswered; exited: ended unanswered otherwise (a callback or
# voicemail instead, the maximum wait, the engine ending it), as the reports tell them apart
KINDS = ("queued", "offered", "answered", "abandoned", "exited")
# why work went back to its queue; anything else counts as "other"
REQUEUE_REASONS = ("no_answer", "rejected", "unreachable", "transfer_failed",
                   "disconnected", "withdrawn")
OTHER = "other"
ANSWERED, ABANDONED = "answered", "abandoned"   # the wait histogram's outcomes
OUTCOMES = (ANSWERED, ABANDONED)
REMEMBERED: Final = 100_000   # live interactions whose counted milestones are remembered


def response_kind(medium: Medium) -> str:
    """The event that ends a wait as a response: an email's first reply, else the answer
    (as the service-level report counts it)."""
    return "first_response" if medium == Medium.EMAIL else "answered"


class InteractionCounts:
    """Dispatcher subscriber: per (queue, medium) counters and the wait histogram."""

    def __init__(self, thresholds: Iterable[float] = ()) -> None:
        self.counts: dict[str, Counter[Labels]] = {kind: Counter() for kind in KINDS}
        self.requeued: Counter[Labels] = Counter()      # (queue, medium, reason)
        self.waits = WaitHistogram.with_thresholds(thresholds)
        # per live interaction, the milestones counted already (a transfer's second answer
        # may come at the same clock time as the first); dropped when it ends
        self._counted: dict[str, set[str]] = {}

    def on_event(self, event: Event) -> None:
        if not isinstance(event, InteractionChange):
            return
        i = event.interaction
        where = (i.queue or "", i.medium.value)
        if isinstance(event, InteractionQueued):
            if self._first_time(i, "queued", event.at):
                self.counts["queued"][where] += 1
        elif isinstance(event, InteractionOffered):
            self.counts["offered"][where] += 1
        elif isinstance(event, InteractionAnswered):
            if self._first_time(i, "answered", event.at):
                self.counts["answered"][where] += 1
                self._responded(i, "answered", event.at)
        elif isinstance(event, InteractionRequeued):
            reason = event.reason if event.reason in REQUEUE_REASONS else OTHER
            self.requeued[(*where, reason)] += 1
        elif isinstance(event, InteractionUpdated):
            if event.kind == "offer_withdrawn":
                self.requeued[(*where, "withdrawn")] += 1
            elif event.kind == "first_response":
                self._responded(i, "first_response", event.at)
        elif isinstance(event, InteractionCancelled | InteractionEnded):
            self._ended(i, event.at)
            self._counted.pop(i.id, None)

    def _first_time(self, i: Interaction, kind: str, at: float, mark: str = "") -> bool:
        """Is this event of ``kind`` the interaction's first, not counted yet as ``mark``
        (default: the kind)? Its history says which is first, also for work an engine
        before this one queued."""
        mark = mark or kind
        counted = self._counted.get(i.id)
        if counted is not None and mark in counted:
            return False
        first = _first(i, kind)
        if first is None or first.at != at:
            return False
        if counted is None:
            if len(self._counted) >= REMEMBERED:   # work that never ended: forget the oldest
                del self._counted[next(iter(self._counted))]
            counted = self._counted[i.id] = set()
        counted.add(mark)
        return True

    def _responded(self, i: Interaction, kind: str, at: float) -> None:
        queued = _first(i, "queued")
        if kind == response_kind(i.medium) and queued is not None \
                and self._first_time(i, kind, at, mark="wait"):
            self.waits.observe((i.queue or "", i.medium.value, ANSWERED), at - queued.at)

    def _ended(self, i: Interaction, at: float) -> None:
        queued = _first(i, "queued")
        if queued is None:
            return   # never waited in a queue (an agent's outbound call)
        where = (i.queue or "", i.medium.value)
        if _first(i, "answered") is None:
            work = LiveWork.of(i)
            left = work is not None and work.left_by_customer
            self.counts["abandoned" if left else "exited"][where] += 1
        if _first(i, response_kind(i.medium)) is None:
            self.waits.observe((*where, ABANDONED), at - queued.at)


def _first(i: Interaction, kind: str) -> InteractionEvent | None:
    return next((e for e in i.events if e.kind == kind), None)
