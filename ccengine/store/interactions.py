"""Interactions and their history in the SQL store. Saving the same interaction again
updates its row and appends only the events not stored yet (idempotent, also when two
engine nodes save it at once); notes and dispositions are kept apart from the saved record,
so a later save never overwrites them."""

from __future__ import annotations

import builtins
import functools
import logging
import sqlite3
import time
from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import JSON, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from ccengine.store.db import Database
from ccengine.store.errors import (
    CustomerLinked,
    InvalidRecord,
    UnknownCustomer,
    UnknownInteraction,
)
from ccengine.store.models import Customer, InteractionEventRecord, InteractionRecord, Note
from ccengine.store.records import (
    HUNG_UP_BY,
    MILESTONES,
    EventData,
    EventView,
    InteractionData,
    InteractionView,
    NoteView,
    text_field,
    timestamp_field,
    to_interaction,
)
from ccengine.store.sqlite_inline import DirectStatement
from ccengine.store.work_intervals import Counter, count, count_direct

__all__ = ["MILESTONES", "InteractionRepository", "load_views"]

log = logging.getLogger(__name__)

# the status an interaction is in after its latest event of these kinds
STATUS_AFTER = {"entered": "new", "ivr_done": "new", "queued": "queued",
                "offered": "offered", "answered": "answered", "ended": "ended",
                "cancelled": "ended"}
_HINTS = 10_000  # interactions whose stored-event count is remembered


class InteractionRepository:
    """Interactions of every medium, their events and notes."""

    def __init__(self, db: Database, counter: Counter | None = None) -> None:
        self.db = db
        # the report figures of one ended interaction (work_intervals.py); None: ended
        # work is left for reports to count from its row
        self.counter = counter
        # per interaction, how many of its events this repository has stored (a hint: the
        # events before it need not be sent again; the insert skips stored ones anyway)
        self._stored: dict[str, int] = {}

    async def save(self, record: InteractionData | Any) -> int:
        """Upsert the interaction (an InteractionData, a dict of its fields, or any object
        with those attributes) and append its events not stored yet; returns how many
        events were new. InvalidRecord names a missing or wrongly typed field.

        Two statements in one transaction, safe with other writers (engine nodes) saving the
        same interaction at once: an INSERT ... ON CONFLICT DO UPDATE of the row (its
        customer resolved to the merge survivor in the same statement) and an INSERT of the
        events that skips (interaction_id, seq) pairs already stored."""
        data = to_interaction(record)
        values = _row_values(data)
        stored = self._stored.get(data.id, 0)
        if stored > len(data.events):  # another record under this id: check every event
            stored = 0
        new = [{"interaction_id": data.id, "seq": seq, "kind": e.kind, "at": e.at,
                "agent_id": _agent_of(e), "data": dict(e.data)}
               for seq, e in enumerate(data.events[stored:], start=stored)]
        row = {**values, "id": data.id, "disposition": data.disposition,
               "customer_ref": data.customer_id}
        if self.db.direct is not None:
            added = await self.db.direct.write(
                lambda conn: _save_direct(conn, row, data.customer_id, new))
        else:
            async with self.db.engine.begin() as conn:
                customer_id = (await conn.execute(
                    _upsert(self.db.dialect, data.customer_id is not None), row)).scalar_one()
                if data.customer_id is not None and customer_id is None:
                    raise UnknownCustomer(data.customer_id)  # rolls the upsert back
                added = len((await conn.execute(_insert_events(self.db.dialect),
                                                new)).all()) if new else 0
        self._remember(data.id, len(data.events))
        if self.counter is not None and values["ended_at"] is not None:
            await self._count(data.id)
        return added

    async def _count(self, interaction_id: str) -> None:
        """An ended interaction's figures into work_intervals, once, in a transaction of
        their own: a failure there never costs the record its save (the work stays
        uncounted; reports count it from its row, the next start's backlog into the sums)."""
        counter = self.counter
        assert counter is not None
        try:
            if self.db.direct is not None:
                await self.db.direct.write(
                    lambda conn: count_direct(conn, interaction_id, time.time(), counter))
            else:
                async with self.db.engine.begin() as conn:
                    await count(conn, self.db.dialect, interaction_id, time.time(), counter)
        except Exception:
            log.exception("interaction %s: not counted into the reports' sums",
                          interaction_id)

    async def count_backlog(self, batch: int = 500) -> int:
        """Count into work_intervals the ended work not counted yet (stored before it
        existed, or by a recorder without a counter); how many were counted."""
        if self.counter is None:
            return 0
        i, total = InteractionRecord, 0
        while True:
            async with self.db.engine.connect() as conn:
                ids = (await conn.execute(select(i.id).where(
                    i.counted_at.is_(None), i.ended_at.is_not(None), i.queued_at.is_not(None),
                    i.queue.is_not(None)).limit(batch))).scalars().all()
            if not ids:
                return total
            async with self.db.engine.begin() as conn:
                for iid in ids:
                    total += await count(conn, self.db.dialect, iid, time.time(),
                                         self.counter)

    def _remember(self, interaction_id: str, stored: int) -> None:
        self._stored.pop(interaction_id, None)
        self._stored[interaction_id] = stored
        if len(self._stored) > _HINTS:
            del self._stored[next(iter(self._stored))]  # the longest unsaved

    async def on_event(self, event: Any) -> None:
        """Dispatcher subscriber: every event carrying an ``interaction`` (the core's
        interaction changes) is stored as it happens."""
        interaction = getattr(event, "interaction", None)
        if interaction is not None:
            await self.save(interaction)

    async def get(self, interaction_id: str) -> InteractionView | None:
        """The interaction with its events (in order) and notes, or None."""
        async with self.db.session() as s:
            row = await s.get(InteractionRecord, interaction_id)
            if row is None:
                return None
            return (await load_views(s, [row]))[0]

    async def list(self, *, customer_id: str | None = None, medium: str | None = None,
                   queue: str | None = None, agent_id: str | None = None,
                   status: str | None = None, since: float | None = None,
                   until: float | None = None, limit: int = 100,
                   offset: int = 0) -> builtins.list[InteractionView]:
        """Interactions matching every filter given, newest first by entered_at;
        ``since``/``until`` bound entered_at (epoch seconds, until exclusive)."""
        for name, value in (("limit", limit), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidRecord(f"{name} must be a non-negative integer, not {value!r}")
        query = select(InteractionRecord)
        for column, value in ((InteractionRecord.customer_id, customer_id),
                              (InteractionRecord.medium, medium),
                              (InteractionRecord.queue, queue),
                              (InteractionRecord.agent_id, agent_id),
                              (InteractionRecord.status, status)):
            if value is not None:
                query = query.where(column == text_field(value, column.key))
        if since is not None:
            query = query.where(InteractionRecord.entered_at >= timestamp_field(since, "since"))
        if until is not None:
            query = query.where(InteractionRecord.entered_at < timestamp_field(until, "until"))
        query = query.order_by(InteractionRecord.entered_at.desc().nulls_last(),
                               InteractionRecord.id).limit(limit).offset(offset)
        async with self.db.session() as s:
            rows = (await s.execute(query)).scalars().all()
            return await load_views(s, list(rows))

    async def add_note(self, interaction_id: str, author: str, text: str,
                       at: float | None = None) -> NoteView:
        """Attach a note by ``author`` to the interaction (UnknownInteraction if none)."""
        author_ = text_field(author, "author", required=True, max_length=100)
        if not isinstance(text, str) or not text.strip():
            raise InvalidRecord("note text must be non-empty text")
        when = time.time() if at is None else timestamp_field(at, "at")
        async with self.db.session.begin() as s:
            if await s.get(InteractionRecord, interaction_id) is None:
                raise UnknownInteraction(interaction_id)
            note = Note(interaction_id=interaction_id, author=author_, text=text, at=when)
            s.add(note)
            await s.flush()
            return _note_view(note)

    async def notes(self, interaction_id: str) -> builtins.list[NoteView]:
        """The interaction's notes, oldest first."""
        async with self.db.session() as s:
            rows = (await s.execute(select(Note).where(Note.interaction_id == interaction_id)
                                    .order_by(Note.at, Note.id))).scalars()
            return [_note_view(n) for n in rows]

    async def set_disposition(self, interaction_id: str, disposition: str) -> InteractionView:
        """Record the wrap-up outcome (e.g. "sale", "resolved"); later saves keep it."""
        value = text_field(disposition, "disposition", required=True, max_length=100)
        async with self.db.session.begin() as s:
            row = await s.get(InteractionRecord, interaction_id)
            if row is None:
                raise UnknownInteraction(interaction_id)
            row.disposition = value
            await s.flush()
            return (await load_views(s, [row]))[0]


    async def add_event(self, interaction_id: str, kind: str, at: float,
                        agent_id: str | None, data: Mapping[str, Any]) -> None:
        """Append an event to a stored interaction that is no longer live (live work's
        events come from the dispatcher: Dispatcher.record). UnknownInteraction."""
        async with self.db.session.begin() as s:
            if await s.get(InteractionRecord, interaction_id) is None:
                raise UnknownInteraction(interaction_id)
            last = (await s.execute(select(func.max(InteractionEventRecord.seq)).where(
                InteractionEventRecord.interaction_id == interaction_id))).scalar()
            s.add(InteractionEventRecord(interaction_id=interaction_id,
                                         seq=0 if last is None else last + 1, kind=kind,
                                         at=at, agent_id=agent_id, data=dict(data)))
        self._stored.pop(interaction_id, None)

    async def end_stale(self, live_ids: Collection[str], at: float, reason: str
                        ) -> list[str]:
        """Stored interactions that claim to be live (new, queued, offered, answered) but
        are not among ``live_ids`` end now with ``reason`` (an ``ended`` event); their ids.
        A restarted engine runs this once it has picked up what is still live."""
        live = set(live_ids)
        ended = []
        async with self.db.session.begin() as s:
            rows = (await s.execute(select(InteractionRecord).where(
                InteractionRecord.status.in_(("new", "queued", "offered", "answered")))
            )).scalars().all()
            for row in rows:
                if row.id in live:
                    continue
                last = (await s.execute(select(func.max(InteractionEventRecord.seq)).where(
                    InteractionEventRecord.interaction_id == row.id))).scalar()
                s.add(InteractionEventRecord(interaction_id=row.id,
                                             seq=0 if last is None else last + 1,
                                             kind="ended", at=at, agent_id=row.agent_id,
                                             data={"reason": reason}))
                row.status, row.ended_at = "ended", at
                ended.append(row.id)
        for interaction_id in ended:
            self._stored.pop(interaction_id, None)
        return ended

    async def link_customer(self, interaction_id: str, customer_id: str) -> InteractionView:
        """A stored interaction with no customer gets one (UnknownInteraction,
        UnknownCustomer; CustomerLinked if it already has another)."""
        async with self.db.session.begin() as s:
            row = await s.get(InteractionRecord, interaction_id)
            if row is None:
                raise UnknownInteraction(interaction_id)
            if await s.get(Customer, customer_id) is None:
                raise UnknownCustomer(customer_id)
            if row.customer_id not in (None, customer_id):
                raise CustomerLinked(f"interaction {interaction_id} belongs to customer "
                                     f"{row.customer_id}: merge the two instead")
            row.customer_id = customer_id
            await s.flush()
            return (await load_views(s, [row]))[0]


async def load_views(s: AsyncSession, rows: list[InteractionRecord]) -> list[InteractionView]:
    """Views of these interaction rows with their events and notes (two queries)."""
    ids = [r.id for r in rows]
    events: dict[str, list[EventView]] = defaultdict(list)
    notes: dict[str, list[NoteView]] = defaultdict(list)
    if ids:
        for e in (await s.execute(
                select(InteractionEventRecord)
                .where(InteractionEventRecord.interaction_id.in_(ids))
                .order_by(InteractionEventRecord.interaction_id,
                          InteractionEventRecord.seq))).scalars():
            events[e.interaction_id].append({"seq": e.seq, "kind": e.kind, "at": e.at,
                                             "agent_id": e.agent_id, "data": e.data})
        for n in (await s.execute(select(Note).where(Note.interaction_id.in_(ids))
                                  .order_by(Note.at, Note.id))).scalars():
            notes[n.interaction_id].append(_note_view(n))
    return [_view(r, events[r.id], notes[r.id]) for r in rows]


def _view(row: InteractionRecord, events: list[EventView],
          notes: list[NoteView]) -> InteractionView:
    attributes = row.attributes or {}
    return {
        "id": row.id, "medium": row.medium, "customer_id": row.customer_id,
        "queue": row.queue, "priority": row.priority, "status": row.status,
        "disposition": row.disposition, "agent_id": row.agent_id,
        "from_address": row.from_address, "caller_number": row.from_address,
        "hung_up_by": row.hung_up_by, "ivr_path": attributes.get("ivr_path", []),
        "attributes": attributes,
        "timestamps": {m: getattr(row, f"{m}_at") for m in MILESTONES},
        "events": events, "notes": notes,
    }


def _note_view(note: Note) -> NoteView:
    return {"id": note.id, "interaction_id": note.interaction_id, "author": note.author,
            "text": note.text, "at": note.at}


def _row_values(data: InteractionData) -> dict[str, Any]:
    """Column values derived from the record and its events (first time of each milestone;
    the agent of the latest answer or offer; who hung up, from the ending event)."""
    attrs = data.attributes
    events = data.events

    def first(*kinds: str) -> float | None:
        return next((e.at for e in events if e.kind in kinds), None)

    endings = [e for e in events if e.kind in ("ended", "cancelled")]
    hung_up_by = (endings[-1].data.get("hung_up_by") if endings else None) \
        or attrs.get("hung_up_by")
    if hung_up_by is not None and hung_up_by not in HUNG_UP_BY:
        raise InvalidRecord(f"hung_up_by must be one of {', '.join(HUNG_UP_BY)}, "
                            f"not {hung_up_by!r}")
    answered = [e for e in events if e.kind == "answered"]
    offered = [e for e in events if e.kind == "offered"]
    last = answered[-1] if answered else offered[-1] if offered else None
    agent_id = _agent_of(last) if last else None
    statuses = [STATUS_AFTER[e.kind] for e in events if e.kind in STATUS_AFTER]
    from_address = attrs.get("from_address") or attrs.get("caller_number") \
        or attrs.get("from")
    values: dict[str, Any] = {
        "medium": data.medium, "customer_id": data.customer_id, "queue": data.queue,
        "priority": data.priority,
        "status": data.status or (statuses[-1] if statuses else "new"),
        "agent_id": agent_id or data.agent_id,
        "from_address": text_field(from_address, "attributes.from_address", max_length=320),
        "hung_up_by": hung_up_by,
        "attributes": {k: v for k, v in attrs.items() if _jsonable(v)},
    }
    for m in MILESTONES:
        values[f"{m}_at"] = first("ended", "cancelled") if m == "ended" else first(m)
    values["first_response_at"] = first("first_response")
    values["callback_at"] = first("callback_requested")
    values["transfers"] = sum(e.kind == "transfer_completed" for e in events)
    values["wrapup_seconds"] = 0.0   # on insert; a later save keeps what was added
    values["counted_at"] = None      # on insert; set once, by the claim (work_intervals.py)
    return values


@functools.cache
def _upsert(dialect: str, with_customer: bool) -> Any:
    """INSERT ... ON CONFLICT (id) DO UPDATE of an interaction's row from bound parameters
    named after its columns, RETURNING the customer id it was stored with. With a customer
    (parameter ``customer_ref``) that is its survivor: merges repoint every merged-away
    customer at the final survivor, so one ``merged_into`` step is the whole chain; NULL
    when no such customer exists. A disposition is only ever set, never cleared, by a save.
    Built once per dialect (building a statement costs more than running it)."""
    table = InteractionRecord.__table__
    names = [c.name for c in table.columns]
    row: dict[str, Any] = {n: bindparam(n, type_=table.c[n].type) for n in names}
    if with_customer:
        row["customer_id"] = (select(func.coalesce(Customer.merged_into, Customer.id))
                              .where(Customer.id == bindparam("customer_ref"))
                              .scalar_subquery())
    stmt = _dialect_insert(dialect)(table).values(row)
    update = {n: stmt.excluded[n] for n in names
              if n not in ("id", "wrapup_seconds", "counted_at")}
    update["disposition"] = func.coalesce(stmt.excluded.disposition, table.c.disposition)
    return stmt.on_conflict_do_update(index_elements=["id"], set_=update) \
        .returning(table.c.customer_id)


@functools.cache
def _insert_events(dialect: str) -> Insert:
    """INSERT of event rows that skips (interaction_id, seq) pairs already stored,
    RETURNING the rows it did store."""
    table = InteractionEventRecord.__table__
    return _dialect_insert(dialect)(table).on_conflict_do_nothing(
        index_elements=["interaction_id", "seq"]).returning(table.c.seq)


def _save_direct(conn: sqlite3.Connection, row: dict[str, Any], customer: str | None,
                 new: builtins.list[dict[str, Any]]) -> int:
    """``save``'s two statements on a SQLite file, through ``Database.direct``."""
    upsert, insert = _direct_statements(customer is not None)
    customer_id = conn.execute(upsert.sql, upsert.parameters(row)).fetchall()[0][0]
    if customer is not None and customer_id is None:
        raise UnknownCustomer(customer)  # rolls the upsert back
    if not new:
        return 0
    # ON CONFLICT DO NOTHING: a row already stored changes nothing, so it is not counted
    return conn.executemany(insert.sql, [insert.parameters(e) for e in new]).rowcount


@functools.cache
def _direct_statements(with_customer: bool) -> tuple[DirectStatement, DirectStatement]:
    """``_upsert`` and ``_insert_events`` (without RETURNING) compiled for sqlite3."""
    events = InteractionEventRecord.__table__
    insert = sqlite.insert(events).on_conflict_do_nothing(
        index_elements=["interaction_id", "seq"])
    return (DirectStatement(_upsert("sqlite", with_customer), _json_columns(InteractionRecord)),
            DirectStatement(insert, _json_columns(InteractionEventRecord),
                            column_keys=[c.name for c in events.columns]))


def _json_columns(model: Any) -> frozenset[str]:
    return frozenset(c.name for c in model.__table__.columns if isinstance(c.type, JSON))


def _dialect_insert(dialect: str) -> Any:
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise InvalidRecord(f"no upsert for the {dialect} dialect")


def _agent_of(event: EventData) -> str | None:
    agent = event.data.get("agent_id")
    return agent if isinstance(agent, str) else None


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict, type(None)))
