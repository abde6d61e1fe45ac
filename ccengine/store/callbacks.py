"""Callback requests in the SQL store. A request moves ``scheduled`` (waiting for its time)
→ ``queued`` (in its queue, live) → ``in_progress`` (an attempt is being made) → ``done``
/ ``failed``, or back to ``scheduled`` for a retry; ``cancelled`` at any time before an
attempt. Changes of state are conditional updates (``WHERE state IN ...``), so two engine
nodes never both take the same due request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Sequence
from typing import Any, TypedDict

from sqlalchemy import select, update

from ccengine.store.db import Database
from ccengine.store.errors import InvalidRecord, NotFound
from ccengine.store.models import CallbackRecord

STATES = ("scheduled", "queued", "in_progress", "done", "failed", "cancelled")
OPEN_STATES = ("scheduled", "queued", "in_progress")


class UnknownCallback(NotFound):
    code = "callback_not_found"
    what = "callback"


class CallbackView(TypedDict):
    id: str
    interaction_id: str
    number: str
    queue: str
    priority: int
    due_at: float
    enqueued_at: float | None
    state: str
    attempts: int
    outcomes: list[Any]
    name: str | None
    note: str | None
    requested_via: str
    requested_by: str | None
    customer_id: str | None
    created_at: float
    updated_at: float


_UPDATABLE = frozenset({"state", "due_at", "enqueued_at", "attempts", "outcomes"})


class CallbackRepository:
    """Store, find and move callback requests."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, *, number: str, queue: str, due_at: float, interaction_id: str,
                  requested_via: str, requested_by: str | None = None,
                  name: str | None = None, note: str | None = None, priority: int = 0,
                  enqueued_at: float | None = None, customer_id: str | None = None,
                  callback_id: str | None = None) -> CallbackView:
        """Store a new request in state ``scheduled``."""
        now = time.time()
        row = CallbackRecord(
            id=callback_id or str(uuid.uuid4()), interaction_id=interaction_id,
            number=number, queue=queue, priority=priority, due_at=due_at,
            enqueued_at=enqueued_at, state="scheduled", attempts=0, outcomes=[], name=name,
            note=note, requested_via=requested_via, requested_by=requested_by,
            customer_id=customer_id, created_at=now, updated_at=now)
        async with self.db.session() as s, s.begin():
            s.add(row)
        return _view(row)

    async def get(self, callback_id: str) -> CallbackView | None:
        async with self.db.session() as s:
            row = await s.get(CallbackRecord, callback_id)
            return None if row is None else _view(row)

    async def list(self, *, states: Collection[str] = (), queue: str | None = None,
                   limit: int = 100) -> list[CallbackView]:
        """Requests in any of ``states`` (all if empty), soonest due first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= 1000:
            raise InvalidRecord("limit must be a whole number from 1 to 1000")
        query = select(CallbackRecord)
        if states:
            query = query.where(CallbackRecord.state.in_(list(states)))
        if queue is not None:
            query = query.where(CallbackRecord.queue == queue)
        query = query.order_by(CallbackRecord.due_at, CallbackRecord.id).limit(limit)
        async with self.db.session() as s:
            return [_view(r) for r in (await s.execute(query)).scalars()]

    async def due(self, now: float, limit: int = 50) -> list[CallbackView]:
        """Scheduled requests whose time has come, oldest first."""
        query = (select(CallbackRecord)
                 .where(CallbackRecord.state == "scheduled", CallbackRecord.due_at <= now)
                 .order_by(CallbackRecord.due_at, CallbackRecord.id).limit(limit))
        async with self.db.session() as s:
            return [_view(r) for r in (await s.execute(query)).scalars()]

    async def move(self, callback_id: str, from_states: Sequence[str],
                   **values: Any) -> bool:
        """Set ``values`` (state, due_at, enqueued_at, attempts, outcomes) if the request is
        in one of ``from_states``; False (nothing changed) otherwise."""
        unknown = set(values) - _UPDATABLE
        if unknown:
            raise InvalidRecord(f"cannot update callback fields {sorted(unknown)}")
        state = values.get("state")
        if state is not None and state not in STATES:
            raise InvalidRecord(f"callback state must be one of {', '.join(STATES)}")
        async with self.db.session() as s, s.begin():
            result = await s.execute(
                update(CallbackRecord)
                .where(CallbackRecord.id == callback_id,
                       CallbackRecord.state.in_(list(from_states)))
                .values(**values, updated_at=time.time()))
            return bool(result.rowcount)


def _view(row: CallbackRecord) -> CallbackView:
    return CallbackView(
        id=row.id, interaction_id=row.interaction_id, number=row.number, queue=row.queue,
        priority=row.priority, due_at=row.due_at, enqueued_at=row.enqueued_at,
        state=row.state, attempts=row.attempts, outcomes=list(row.outcomes or []),
        name=row.name, note=row.note, requested_via=row.requested_via,
        requested_by=row.requested_by, customer_id=row.customer_id,
        created_at=row.created_at, updated_at=row.updated_at)
