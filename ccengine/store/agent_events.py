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

from ccengine.store.db import Database
from ccengine.store.models import AgentEventRecord, InteractionRecord
from ccengine.store.sqlite_inline import DirectStatement

WRAP_ENDS = ("released", "wrap_up_ended")
_WRAPS_KEPT = 10_000


@functools.cache
def _direct_statements() -> tuple[DirectStatement, DirectStatement]:
    """The insert and the wrap-up addition, compiled for sqlite3 (Database.direct)."""
    return (DirectStatement(insert(AgentEventRecord), column_keys=list(AgentEvent._fields)),
            DirectStatement(_add_wrapup()))


def _add_wrapup() -> Any:
    i = InteractionRecord.__table__
    return update(i).where(i.c.id == bindparam("iid")).values(
        wrapup_seconds=i.c.wrapup_seconds + bindparam("seconds", type_=Float))


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
        # (agent, interaction) -> when that wrap-up began, until it ends
        self._wrapping: OrderedDict[tuple[str, str], float] = OrderedDict()

    async def add(self, event: AgentEvent) -> None:
        """Store the change; one that ends a wrap-up also adds the wrap-up's seconds to
        its interaction's row (``wrapup_seconds``), in the same transaction."""
        wrapup = await self._wrapup_of(event)
        row = event._asdict()
        if self.db.direct is not None:  # a SQLite file: straight to sqlite3, as saves are
            insert_event, add_wrapup = _direct_statements()

            def write(conn: sqlite3.Connection) -> None:
                conn.execute(insert_event.sql, insert_event.parameters(row))
                if wrapup is not None:
                    conn.execute(add_wrapup.sql, add_wrapup.parameters(wrapup))
            await self.db.direct.write(write)
            return
        async with self.db.engine.begin() as conn:
            await conn.execute(insert(AgentEventRecord), [row])
            if wrapup is not None:
                await conn.execute(_add_wrapup(), wrapup)

    async def _wrapup_of(self, event: AgentEvent) -> dict[str, Any] | None:
        """For a change that ends a wrap-up: its interaction and seconds."""
        if event.interaction_id is None:
            return None
        key = (event.agent_id, event.interaction_id)
        if event.cause == "wrap_up":
            self._wrapping[key] = event.at
            while len(self._wrapping) > _WRAPS_KEPT:
                self._wrapping.popitem(last=False)
            return None
        if event.cause not in WRAP_ENDS:
            return None
        began = self._wrapping.pop(key, None)
        if began is None:   # begun before this engine started: stored then
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

    async def between(self, since: float, until: float, *, agent_id: str | None = None,
                      with_last_before: bool = True) -> builtins.list[AgentEvent]:
        """The changes in [since, until), oldest first; with ``with_last_before`` each
        agent's last change before ``since`` too (the state the period starts in)."""
        t = AgentEventRecord
        columns = (t.agent_id, t.at, t.old, t.new, t.reason, t.cause, t.interaction_id)
        query = select(*columns).where(t.at >= since, t.at < until)
        if agent_id is not None:
            query = query.where(t.agent_id == agent_id)
        found: list[AgentEvent] = []
        async with self.db.engine.connect() as conn:
            if with_last_before:
                last = select(t.agent_id, func.max(t.at).label("at")).where(t.at < since)
                if agent_id is not None:
                    last = last.where(t.agent_id == agent_id)
                last_q = last.group_by(t.agent_id).subquery()
                before = select(*columns, t.id).join(
                    last_q, (t.agent_id == last_q.c.agent_id) & (t.at == last_q.c.at))
                latest: dict[str, tuple[int, AgentEvent]] = {}
                for row in (await conn.execute(before)).all():
                    event = AgentEvent(*row[:7])
                    if row[7] >= latest.get(event.agent_id, (-1, event))[0]:
                        latest[event.agent_id] = (row[7], event)
                found.extend(e for _, e in latest.values())
            rows = (await conn.execute(query.order_by(t.at, t.id))).all()
        found.sort(key=lambda e: e.at)
        found.extend(AgentEvent(*r) for r in rows)
        return found
