"""Callback requests: made by a caller in the IVR or through the API, kept in the SQL store
(the truth: a restart keeps them), and placed in their queue as a callback interaction when
they are due. The interaction keeps the request's place (``enqueued_at``: a caller who
was already waiting keeps their wait), and its history and attributes say what happened:
``callback_requested``, then per attempt ``callback_attempt`` with the outcome."""

from __future__ import annotations

import contextlib
import logging
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from ccengine.core.errors import CoreError, UnknownInteraction, UnknownQueue
from ccengine.core.interaction import Interaction, InteractionEvent
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher
from ccengine.store.callbacks import CallbackRepository, CallbackView, UnknownCallback
from ccengine.store.interactions import InteractionRepository
from ccengine.telephony.outbound.numbers import DialPolicy

log = logging.getLogger(__name__)

# links an interaction to its customer (by its caller_number; sets customer_id and tier)
Link = Callable[..., Awaitable[None]]


PAST_TOLERANCE = 60.0                 # seconds an "at" may lie in the past (clock skew)
MAX_AHEAD = 366 * 86400.0             # callbacks are booked at most a year ahead


class BadTime(ValueError):
    code = "bad_time"


def parse_at(value: Any, now: float) -> float | None:
    """When a callback is wanted: None (as soon as possible), epoch seconds, or an ISO 8601
    time with its UTC offset ("2026-05-01T14:30:00+01:00", "...Z"). BadTime otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadTime("at must be an ISO 8601 time with its offset, or epoch seconds")
    if isinstance(value, (int, float)):
        at = float(value)
        if not math.isfinite(at):
            raise BadTime("at must be a finite number of epoch seconds")
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError as e:
            raise BadTime(f"at {value!r} is not an ISO 8601 time") from e
        if parsed.tzinfo is None:
            raise BadTime(f"at {value!r} has no UTC offset: add one (e.g. +01:00 or Z)")
        at = parsed.timestamp()
    else:
        raise BadTime("at must be an ISO 8601 time with its offset, or epoch seconds")
    if at < now - PAST_TOLERANCE:
        raise BadTime(f"at {value!r} is in the past")
    if at > now + MAX_AHEAD:
        raise BadTime(f"at {value!r} is more than a year ahead")
    return at


class BadQueue(CoreError):
    """The queue does not exist or takes no callbacks."""

    code = "bad_queue"


class CallbackConflict(CoreError):
    """The request cannot change now (an attempt is under way, or it is over)."""

    code = "callback_conflict"


class CallbackRequests:
    """Creates, places, cancels and books the attempts of callback requests."""

    def __init__(self, repo: CallbackRepository, recorder: InteractionRepository,
                 dispatcher: Dispatcher, policy: DialPolicy, *, link: Link,
                 clock: Callable[[], float]) -> None:
        self.repo, self.recorder, self.dispatcher = repo, recorder, dispatcher
        self.policy, self.link, self.clock = policy, link, clock

    # ------------------------------------------------------------------ requests
    async def request(self, *, number: str, queue: str, due_at: float | None, via: str,
                      by: str | None, name: str | None = None, note: str | None = None,
                      priority: int = 0, enqueued_at: float | None = None,
                      from_interaction: str | None = None,
                      attributes: Mapping[str, Any] | None = None) -> CallbackView:
        """Store a request (BadNumber/NumberRefused/BadQueue if it cannot be called back)
        and place it in its queue at once if it is due. ``attributes``: more on its
        interaction (a campaign's call: ``campaign``)."""
        destination = self.policy.check(number)
        config = self.dispatcher.queues.get(queue)
        if config is None:
            raise BadQueue(f"no queue {queue!r}")
        if Medium.CALLBACK not in config.media:
            raise BadQueue(f"queue {queue!r} takes no callbacks (media: "
                           f"{', '.join(sorted(config.media))})")
        now = self.clock()
        due = now if due_at is None else due_at
        callback_id, iid = str(uuid.uuid4()), uuid.uuid4().hex
        interaction = Interaction(
            id=iid, medium=Medium.CALLBACK, queue=queue, priority=priority, created_at=now,
            attributes={**(attributes or {}), "caller_number": destination.e164,
                        "caller_name": name, "callback_id": callback_id,
                        "direction": "outbound"})
        await self.link(interaction, name=name)
        customer_id = interaction.customer_id
        interaction.record("entered", now, via=via, by=by)
        interaction.record("callback_requested", now, callback_id=callback_id,
                           number=destination.e164, due_at=due, via=via, by=by,
                           **({"from_interaction": from_interaction}
                              if from_interaction else {}))
        # stored before its request: a scheduler (of any node) may place a due request
        # the moment it exists, and takes its interaction from the store
        interaction.attributes.update(_attributes(
            {"id": callback_id, "number": destination.e164, "attempts": 0, "outcomes": [],
             "requested_via": via, "requested_by": by, "created_at": now, "due_at": due,
             "name": name, "note": note}, from_interaction, enqueued_at))
        await self.recorder.save(interaction)  # the customer's history shows it at once
        row = await self.repo.add(
            callback_id=callback_id, number=destination.e164, queue=queue, due_at=due,
            interaction_id=iid, requested_via=via, requested_by=by, name=name, note=note,
            priority=priority, enqueued_at=enqueued_at, customer_id=customer_id)
        if due <= now:
            await self.place(row)
        return await self.get(callback_id)

    async def get(self, callback_id: str) -> CallbackView:
        row = await self.repo.get(callback_id)
        if row is None:
            raise UnknownCallback(callback_id)
        return row

    async def cancel(self, callback_id: str, by: str) -> CallbackView:
        """Cancel a request that is not being attempted (CallbackConflict otherwise)."""
        row = await self.get(callback_id)
        live: Interaction | None = None
        with contextlib.suppress(UnknownInteraction):
            live = await self.dispatcher.live_interaction(row["interaction_id"])
        if row["state"] == "in_progress" or (row["state"] == "queued" and live is not None
                                             and live.agent_id is not None):
            raise CallbackConflict(f"callback {callback_id} is being attempted now")
        if not await self.repo.move(callback_id, ("scheduled", "queued"), state="cancelled"):
            raise CallbackConflict(f"callback {callback_id} is {row['state']}: only a "
                                   "scheduled or waiting callback can be cancelled")
        if live is not None:  # waiting in the queue, or live between two attempts
            await self.dispatcher.cancel(row["interaction_id"], "callback_cancelled", by=by)
        else:
            await self._record_stored(row["interaction_id"], "cancelled",
                                      reason="callback_cancelled", by=by)
        return await self.get(callback_id)

    # ------------------------------------------------------------------ placing
    async def place(self, row: CallbackView) -> bool:
        """Take a due request (scheduled → queued, atomically: one node wins) and put its
        interaction in the queue, keeping its place."""
        if not await self.repo.move(row["id"], ("scheduled",), state="queued"):
            return False
        try:
            interaction = await self._interaction_of(row)
            fresh = await self.get(row["id"])
        except Exception:
            await self.repo.move(row["id"], ("queued",), state="scheduled")
            raise
        if interaction.enqueued_at is None:  # its place: a caller's wait, or from now
            interaction.enqueued_at = fresh["enqueued_at"] or self.clock()
        interaction.agent_id = None
        came_from = (interaction.attributes.get("callback") or {}).get("from_interaction")
        interaction.attributes.update(_attributes(fresh, came_from, interaction.enqueued_at))
        try:
            await self.dispatcher.enqueue(interaction)
        except UnknownQueue:
            log.error("callback %s: queue %r no longer exists", row["id"], row["queue"])
            await self.repo.move(row["id"], ("queued",), state="failed")
            return False
        if fresh["enqueued_at"] is None:
            await self.repo.move(row["id"], ("queued", "in_progress"),
                                 enqueued_at=interaction.enqueued_at)
        return True

    async def _interaction_of(self, row: CallbackView) -> Interaction:
        """The live interaction, else the stored one made live again (after a restart)."""
        with contextlib.suppress(UnknownInteraction):
            return await self.dispatcher.live_interaction(row["interaction_id"])
        stored = await self.recorder.get(row["interaction_id"])
        attributes = dict(stored["attributes"]) if stored else {}
        events = [InteractionEvent(e["kind"], e["at"], dict(e["data"]))
                  for e in (stored["events"] if stored else [])]
        interaction = Interaction(
            id=row["interaction_id"], medium=Medium.CALLBACK, queue=row["queue"],
            priority=row["priority"], customer_id=row["customer_id"],
            attributes=attributes, created_at=row["created_at"],
            enqueued_at=row["enqueued_at"], events=events)
        if not events:
            interaction.record("entered", self.clock(), via=row["requested_via"])
        return interaction

    # ------------------------------------------------------------------ attempts
    async def attempt_started(self, row_id: str) -> None:
        await self.repo.move(row_id, ("queued", "in_progress"), state="in_progress")

    async def attempt_failed(self, row_id: str, attempt: int, outcome: str, *,
                             retry_at: float | None) -> None:
        """Book a failed attempt: scheduled again at ``retry_at``, or failed for good."""
        row = await self.get(row_id)
        outcomes = [*row["outcomes"], {"attempt": attempt, "outcome": outcome,
                                       "at": self.clock()}]
        if retry_at is None:
            await self.repo.move(row_id, ("queued", "in_progress"), state="failed",
                                 attempts=attempt, outcomes=outcomes)
        else:
            await self.repo.move(row_id, ("queued", "in_progress"), state="scheduled",
                                 due_at=retry_at, attempts=attempt, outcomes=outcomes)

    async def attempt_connected(self, row_id: str, attempt: int) -> None:
        row = await self.get(row_id)
        outcomes = [*row["outcomes"], {"attempt": attempt, "outcome": "answered",
                                       "at": self.clock()}]
        await self.repo.move(row_id, ("queued", "in_progress"), state="done",
                             attempts=attempt, outcomes=outcomes)

    async def _record_stored(self, iid: str, kind: str, **data: Any) -> None:
        """Append an event to an interaction that is not live (only stored)."""
        stored = await self.recorder.get(iid)
        if stored is None:
            return
        now = self.clock()
        stored["events"].append({"seq": len(stored["events"]), "kind": kind, "at": now,
                                 "agent_id": None, "data": data})
        await self.recorder.save({**stored, "status": None})


def _attributes(row: Mapping[str, Any], from_interaction: str | None,
                waiting_since: float | None) -> dict[str, Any]:
    """What the callback interaction carries about its request, and its screen pop
    (``waiting_since``: its place in the queue, e.g. when the caller started waiting)."""
    callback = {"id": row["id"], "number": row["number"], "attempts": row["attempts"],
                "outcomes": list(row["outcomes"]), "requested_via": row["requested_via"],
                "requested_by": row["requested_by"], "requested_at": row["created_at"],
                "due_at": row["due_at"], "name": row["name"], "note": row["note"],
                "from_interaction": from_interaction, "waiting_since": waiting_since}
    pop = {"callback_id": row["id"], "number": row["number"],
           "requested_via": row["requested_via"], "requested_by": row["requested_by"],
           "requested_at": row["created_at"], "scheduled_for": row["due_at"],
           "name": row["name"], "note": row["note"], "attempt": row["attempts"] + 1,
           "previous_outcomes": [o["outcome"] for o in row["outcomes"]],
           "waiting_since": waiting_since,
           "reason": _reason(row)}
    return {"callback": callback, "pop": pop}


def _reason(row: Mapping[str, Any]) -> str:
    """Why the engine calls this number, in words for the agent."""
    if row["requested_via"] == "ivr":
        return "the caller chose a callback in the IVR"
    if row["requested_via"] == "campaign":
        return "a campaign's call (the customer did not ask for it)"
    return f"requested by {row['requested_by'] or 'the API'}"
