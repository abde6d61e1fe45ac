"""Agents' state changes in the SQL store, for reports (time in state, occupancy, wrap-up).

The dispatcher's ``AgentStateChanged`` events are appended as they happen, by the node
that made them (``on_event`` is one of its subscribers), so each change is kept once also
with several engine nodes."""

from __future__ import annotations

import builtins
import functools
import sqlite3
from collections import OrderedDict
from typing import Any, NamedTuple

from sqlalchemy import Float, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ccengine.store.db import Database
from ccengine.store.models import AgentEventRecord, AgentTimeRecord, InteractionRecord
from ccengine.store.sqlite_inline import DirectStatement
from ccengine.store.work_intervals import WRAPUP_RETURNING, add_statement, wrapup_rows

WRAP_ENDS = ("released", "wrap_up_ended")
# agents' display states: time in these is staffed; in the second, occupied too
STAFFED = frozenset({"available", "offered", "busy", "wrap_up"})
OCCUPIED = frozenset({"busy", "wrap_up"})
BUCKET_SECONDS = 900
_WRAPS_KEPT = 10_000
_UNKNOWN = object()   # a wrap-up's start this engine did not see


@functools.cache
def _direct_statements() -> tuple[DirectStatement, ...]:
    """The insert, the wrap-up addition, the time addition and the work_intervals
    addition, compiled for sqlite3 (Database.direct)."""
    return (DirectStatement(insert(AgentEventRecord), column_keys=list(AgentEvent._fields)),
            DirectStatement(_add_wrapup()), DirectStatement(_add_time("sqlite")),
            DirectStatement(add_statement("sqlite")))


@functools.cache
def _add_time(dialect: str) -> Any:
    """Add seconds to an agent's quarter hour (made if new)."""
    table = AgentTimeRecord.__table__
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make(table).values(agent_id=bindparam("agent_id"), bucket=bindparam("bucket"),
                              staffed_seconds=bindparam("staffed", type_=Float),
                              occupied_seconds=bindparam("occupied", type_=Float))
    return stmt.on_conflict_do_update(index_elements=["agent_id", "bucket"], set_={
        "staffed_seconds": table.c.staffed_seconds + stmt.excluded.staffed_seconds,
        "occupied_seconds": table.c.occupied_seconds + stmt.excluded.occupied_seconds})


def time_pieces(agent_id: str, state: str, start: float, end: float
                ) -> list[dict[str, Any]]:
    """The quarter hours of a state held from ``start`` to ``end``: staffed and occupied
    seconds in each (nothing for a state that is not staffed)."""
    if state not in STAFFED or end <= start:
        return []
    pieces = []
    t = start
    while t < end:
        bucket = int(t // BUCKET_SECONDS)
        stop = min(end, (bucket + 1) * BUCKET_SECONDS)
        pieces.append({"agent_id": agent_id, "bucket": bucket, "staffed": stop - t,
                       "occupied": stop - t if state in OCCUPIED else 0.0})
        t = stop
    return pieces


def _add_wrapup() -> Any:
    """Add a wrap-up's seconds to its interaction, returning what says whether (and where)
    they go into work_intervals too."""
    i = InteractionRecord.__table__
    return update(i).where(i.c.id == bindparam("iid")).values(
        wrapup_seconds=i.c.wrapup_seconds + bindparam("seconds", type_=Float)).returning(
        *(i.c[n] for n in WRAPUP_RETURNING))


class AgentEvent(NamedTuple):
    agent_id: str
    at: float
    old: str
    new: str
    reason: str
    cause: str
    interaction_id: str | None


class AgentEventRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        # (agent, interaction) -> when that wrap-up began, until it ends (None: answered
        # here, no wrap-up begun yet)
        self._wrapping: OrderedDict[tuple[str, str], float | None] = OrderedDict()
        # agent -> their last change's time and state (the state now held)
        self._last: dict[str, tuple[float, str]] = {}

    async def add(self, event: AgentEvent) -> None:
        """Store the change, in one transaction with what it ends: the state held until
        now adds its time to the agent's quarter hours (``agent_time``), and a wrap-up
        adds its seconds to its interaction's row (``wrapup_seconds``)."""
        wrapup = await self._wrapup_of(event)
        pieces = await self._time_of(event)
        row = event._asdict()
        if self.db.direct is not None:  # a SQLite file: straight to sqlite3, as saves are
            insert_event, add_wrapup, add_time, add_sums = _direct_statements()

            def write(conn: sqlite3.Connection) -> None:
                conn.execute(insert_event.sql, insert_event.parameters(row))
                if wrapup is not None:
                    found = conn.execute(add_wrapup.sql,
                                         add_wrapup.parameters(wrapup)).fetchall()
                    rows = wrapup_rows(found[0], wrapup["seconds"]) if found else []
                    if rows:
                        conn.executemany(add_sums.sql, [add_sums.parameters(r) for r in rows])
                if pieces:
                    conn.executemany(add_time.sql, [add_time.parameters(p) for p in pieces])
            await self.db.direct.write(write)
            return
        async with self.db.engine.begin() as conn:
            await conn.execute(insert(AgentEventRecord), [row])
            if wrapup is not None:
                found = (await conn.execute(_add_wrapup(), wrapup)).first()
                rows = wrapup_rows(found, wrapup["seconds"]) if found else []
                if rows:
                    await conn.execute(add_statement(self.db.dialect), rows)
            if pieces:
                await conn.execute(_add_time(self.db.dialect), pieces)

    async def _time_of(self, event: AgentEvent) -> list[dict[str, Any]]:
        """The time of the state this change ends, per quarter hour."""
        last = self._last.get(event.agent_id)
        if last is None:   # this engine's first change of the agent: the stored one before
            t = AgentEventRecord
            async with self.db.engine.connect() as conn:
                found = (await conn.execute(
                    select(t.at, t.new).where(t.agent_id == event.agent_id)
                    .order_by(t.at.desc(), t.id.desc()).limit(1))).first()
            last = (found[0], found[1]) if found else None
        self._last[event.agent_id] = (event.at, event.new)
        if last is None:
            return []
        return time_pieces(event.agent_id, last[1], last[0], event.at)

    async def _wrapup_of(self, event: AgentEvent) -> dict[str, Any] | None:
        """For a change that ends a wrap-up: its interaction and seconds."""
        if event.interaction_id is None:
            return None
        key = (event.agent_id, event.interaction_id)
        if event.cause in ("answered", "wrap_up"):
            # answered: this engine follows the work, and knows when no wrap-up came
            self._wrapping[key] = event.at if event.cause == "wrap_up" else None
            while len(self._wrapping) > _WRAPS_KEPT:
                self._wrapping.popitem(last=False)
            return None
        if event.cause not in WRAP_ENDS:
            return None
        known = self._wrapping.pop(key, _UNKNOWN)
        if known is None:   # answered here, released with no wrap-up (wrapup_seconds: 0)
            return None
        began = known if isinstance(known, float) else None
        if known is _UNKNOWN:   # begun before this engine started: stored then
            t = AgentEventRecord
            async with self.db.engine.connect() as conn:
                began = (await conn.execute(select(func.max(t.at)).where(
                    t.agent_id == event.agent_id, t.interaction_id == event.interaction_id,
                    t.cause == "wrap_up"))).scalar()
        if began is None:
            return None
        return {"iid": event.interaction_id, "seconds": max(0.0, event.at - began)}

    async def on_event(self, event: Any) -> None:
        """Dispatcher subscriber: every agent state change (an event with ``agent_id``,
        ``old``, ``new`` and ``cause``) is stored."""
        if not hasattr(event, "cause") or not hasattr(event, "new"):
            return
        iid = event.data.get("interaction_id") if isinstance(event.data, dict) else None
        await self.add(AgentEvent(event.agent_id, event.at, event.old, event.new,
                                  event.reason or "", event.cause or "",
                                  iid if isinstance(iid, str) else None))

    async def time_between(self, since: float, until: float, *,
                           agent_id: str | None = None
                           ) -> builtins.list[tuple[float, str, float, float]]:
        """Per quarter hour starting in [since, until) and agent: (its start, the agent,
        staffed seconds, occupied seconds), for the states that have ended. The states
        held now: ``held_at``."""
        t = AgentTimeRecord
        query = select(t.bucket, t.agent_id, t.staffed_seconds, t.occupied_seconds).where(
            t.bucket >= int(since // BUCKET_SECONDS), t.bucket * BUCKET_SECONDS < until)
        if agent_id is not None:
            query = query.where(t.agent_id == agent_id)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [(b * BUCKET_SECONDS, a, s, o) for b, a, s, o in rows]

    async def held_at(self, until: float, *, agent_id: str | None = None
                      ) -> builtins.list[AgentEvent]:
        """Each agent's last change before ``until``: the state they hold from then on."""
        t = AgentEventRecord
        columns = (t.agent_id, t.at, t.old, t.new, t.reason, t.cause, t.interaction_id)
        last = select(t.agent_id, func.max(t.at).label("at")).where(t.at < until)
        if agent_id is not None:
            last = last.where(t.agent_id == agent_id)
        last_q = last.group_by(t.agent_id).subquery()
        query = select(*columns, t.id).join(
            last_q, (t.agent_id == last_q.c.agent_id) & (t.at == last_q.c.at))
        latest: dict[str, tuple[int, AgentEvent]] = {}
        async with self.db.engine.connect() as conn:
            for row in (await conn.execute(query)).all():
                event = AgentEvent(*row[:7])
                if row[7] >= latest.get(event.agent_id, (-1, event))[0]:
                    latest[event.agent_id] = (row[7], event)
        return [e for _, e in latest.values()]
