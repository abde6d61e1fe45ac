"""Ended work's report figures, summed per quarter hour, queue, medium and agent
(``work_intervals``), so reports need not read every interaction.

An interaction is counted once, by whichever save first finds it ended: an atomic claim
(``counted_at`` set where it was NULL, RETURNING the row) in the save's own transaction, so
two engine nodes saving it at once count it once. What the figures are is the reporting
layer's (``Counter``: the row in, its sums out, with the thresholds of the moment); the
store only adds them up. A wrap-up that ends later adds its seconds to the sums of the work
it followed (``wrapup_added``). Work not counted yet (live, or ended before this table
existed) stays in ``interactions`` with ``counted_at`` NULL: reports count it themselves.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from sqlalchemy import Float, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ccengine.store.db import Database
from ccengine.store.models import InteractionRecord, WorkIntervalRecord
from ccengine.store.sqlite_inline import DirectStatement

BUCKET_SECONDS = 900
SUMS = tuple(c.name for c in WorkIntervalRecord.__table__.columns
             if c.name not in ("bucket", "queue", "medium", "agent_id"))
ROW = ("id", "medium", "queue", "agent_id", "queued_at", "answered_at", "ended_at",
       "hung_up_by", "transfers", "callback_at", "first_response_at", "wrapup_seconds")


class EndedWork(NamedTuple):
    """An interaction as the claim returns it (the ``Work`` reports count)."""

    id: str
    medium: str
    queue: str
    agent_id: str | None
    queued_at: float
    answered_at: float | None
    ended_at: float | None
    hung_up_by: str | None
    transfers: int
    callback_at: float | None
    first_response_at: float | None
    wrapup_seconds: float

    @property
    def left_by_customer(self) -> bool:
        return self.answered_at is None and self.ended_at is not None \
            and self.hung_up_by == "caller"

    @property
    def callback_requested(self) -> bool:
        return self.callback_at is not None


# the reporting layer's count of one piece of work: its sums, named as SUMS
Counter = Callable[[EndedWork], Mapping[str, float]]


def _claim() -> Any:
    i = InteractionRecord.__table__
    return update(i).where(
        i.c.id == bindparam("iid"), i.c.counted_at.is_(None), i.c.ended_at.is_not(None),
        i.c.queued_at.is_not(None), i.c.queue.is_not(None)).values(
        counted_at=bindparam("now", type_=Float)).returning(*(i.c[n] for n in ROW))


@functools.cache
def _add(dialect: str) -> Any:
    """Add sums to a quarter hour's row (made if new)."""
    table = WorkIntervalRecord.__table__
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make(table).values({c.name: bindparam(c.name) for c in table.columns})
    return stmt.on_conflict_do_update(
        index_elements=["bucket", "queue", "medium", "agent_id"],
        set_={n: table.c[n] + stmt.excluded[n] for n in SUMS})


ALL_AGENTS = "*"   # the rows of every agent's work together (no agent id has a "*")


def _rows(bucket: int, queue: str, medium: str, agent: str | None,
          sums: Mapping[str, float]) -> list[dict[str, Any]]:
    """The sums for the agent's row ("" for work no agent took) and for the all-agents
    row (what reports by queue and medium read: a few thousand rows a month)."""
    values = {n: sums.get(n, 0) for n in SUMS}
    return [{"bucket": bucket, "queue": queue, "medium": medium, "agent_id": a, **values}
            for a in (agent or "", ALL_AGENTS)]


def _work_rows(work: EndedWork, sums: Mapping[str, float]) -> list[dict[str, Any]]:
    return _rows(int(work.queued_at // BUCKET_SECONDS), work.queue, work.medium,
                 work.agent_id, sums)


@functools.cache
def _direct() -> tuple[DirectStatement, DirectStatement]:
    return DirectStatement(_claim()), DirectStatement(_add("sqlite"))


def count_direct(conn: sqlite3.Connection, iid: str, now: float, counter: Counter) -> bool:
    """In a sqlite3 transaction (Database.direct): claim and count ``iid`` if it ended."""
    claim, add = _direct()
    found = conn.execute(claim.sql, claim.parameters({"iid": iid, "now": now})).fetchall()
    if not found:
        return False
    work = EndedWork(*found[0])
    conn.executemany(add.sql, [add.parameters(r) for r in _work_rows(work, counter(work))])
    return True


async def count(conn: AsyncConnection, dialect: str, iid: str, now: float,
                counter: Counter) -> bool:
    """In a SQLAlchemy transaction: claim and count ``iid`` if it ended."""
    found = (await conn.execute(_claim(), {"iid": iid, "now": now})).first()
    if found is None:
        return False
    work = EndedWork(*found)
    await conn.execute(_add(dialect), _work_rows(work, counter(work)))
    return True


def wrapup_rows(found: Any, seconds: float) -> list[dict[str, Any]]:
    """The sums a wrap-up of ``seconds`` adds to counted, handled work (``found``: its
    counted_at, queue, medium, agent_id, queued_at, answered_at, ended_at); none if the
    work is not counted yet (its count will read the wrap-up from its row)."""
    counted, queue, medium, agent, queued, answered, ended = found
    if counted is None or queued is None or queue is None or answered is None \
            or ended is None:
        return []
    return _rows(int(queued // BUCKET_SECONDS), queue, medium, agent,
                 {"wrapup_total": seconds})


WRAPUP_RETURNING = ("counted_at", "queue", "medium", "agent_id", "queued_at",
                    "answered_at", "ended_at")


def add_statement(dialect: str) -> Any:
    """The statement adding a row of sums (``wrapup_rows``') to work_intervals."""
    return _add(dialect)


async def counted_sums(db: Database, since: float, until: float, *, by: tuple[str, ...],
                       queue: str | None = None, medium: str | None = None,
                       agent_id: str | None = None
                       ) -> list[tuple[float, tuple[str, ...], dict[str, float]]]:
    """Per quarter hour starting in [since, until) (its start) and group (``by``: queue,
    medium, agent), the counted work's sums."""
    w = WorkIntervalRecord
    groups = [{"queue": w.queue, "medium": w.medium, "agent": w.agent_id}[g] for g in by]
    query = select(w.bucket, *groups, *(func.sum(w.__table__.c[n]).label(n) for n in SUMS)) \
        .where(w.bucket >= int(since // BUCKET_SECONDS), w.bucket * BUCKET_SECONDS < until)
    for column, value in ((w.queue, queue), (w.medium, medium)):
        if value is not None:
            query = query.where(column == value)
    if agent_id is not None:
        query = query.where(w.agent_id == agent_id)
    elif "agent" in by:
        query = query.where(w.agent_id.not_in(("", ALL_AGENTS)))
    else:
        query = query.where(w.agent_id == ALL_AGENTS)
    query = query.group_by(w.bucket, *groups)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    width = len(by)
    return [(row[0] * BUCKET_SECONDS, tuple(str(v) for v in row[1:1 + width]),
             {n: float(v or 0) for n, v in zip(SUMS, row[1 + width:], strict=True)})
            for row in rows]


async def uncounted(db: Database, since: float, until: float, *, queue: str | None = None,
                    medium: str | None = None, agent_id: str | None = None
                    ) -> list[EndedWork]:
    """The work queued in [since, until) not counted yet: live, just ended, or ended
    before work_intervals existed (``count_backlog`` counts those)."""
    return await queued_between(db, since, until, queue=queue, medium=medium,
                                agent_id=agent_id, only_uncounted=True)


async def queued_between(db: Database, since: float, until: float, *,
                         queue: str | None = None, medium: str | None = None,
                         agent_id: str | None = None, only_uncounted: bool = False
                         ) -> list[EndedWork]:
    """The interactions queued in [since, until) (first queued: a requeue keeps its
    time), one row each, filtered by queue, medium and agent (the wallboard's start reads
    today's)."""
    i = InteractionRecord
    query = select(*(i.__table__.c[n] for n in ROW)).where(
        i.queued_at >= since, i.queued_at < until, i.queue.is_not(None))
    if only_uncounted:
        query = query.where(i.counted_at.is_(None))
    for column, value in ((i.queue, queue), (i.medium, medium), (i.agent_id, agent_id)):
        if value is not None:
            query = query.where(column == value)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [EndedWork(*r[:8], r[8] or 0, r[9], r[10], r[11] or 0.0) for r in rows]
