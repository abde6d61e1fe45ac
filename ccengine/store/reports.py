"""What reports read from the store: the interactions queued in a period, either one row
each (the wallboard's start: today's work) or summed per 15 minutes in the database (a
report: one aggregate query however many interactions there are). Every figure reports
count is a column of the interaction's row (``first_response_at``, ``callback_at``,
``transfers``, ``wrapup_seconds``): no history is read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import Float, Integer, and_, case, cast, func, literal, not_, select
from sqlalchemy.sql import ColumnElement

from ccengine.store.db import Database
from ccengine.store.models import InteractionRecord

BUCKET_SECONDS = 900   # every time zone's offset is a whole number of quarter hours


class QueuedWork(NamedTuple):
    """One interaction that reached a queue, as reports see it."""

    id: str
    medium: str
    queue: str
    agent_id: str | None      # the agent who holds (or held) it last
    queued_at: float
    answered_at: float | None
    ended_at: float | None
    left_by_customer: bool    # ended unanswered because the customer left (hung up)
    transfers: int            # completed transfers
    callback_requested: bool
    first_response_at: float | None
    wrapup_seconds: float     # its agents' wrap-up


def _filters(since: float, until: float, queue: str | None, medium: str | None,
             agent_id: str | None) -> list[ColumnElement[bool]]:
    i = InteractionRecord
    found = [i.queued_at >= since, i.queued_at < until, i.queue.is_not(None)]
    for column, value in ((i.queue, queue), (i.medium, medium), (i.agent_id, agent_id)):
        if value is not None:
            found.append(column == value)
    return found


async def queued_between(db: Database, since: float, until: float, *,
                         queue: str | None = None, medium: str | None = None,
                         agent_id: str | None = None) -> list[QueuedWork]:
    """Interactions queued in [since, until) (first queued: a requeue keeps its time),
    filtered by queue, medium and agent; one row each."""
    i = InteractionRecord
    query = select(i.id, i.medium, i.queue, i.agent_id, i.queued_at, i.answered_at,
                   i.ended_at, i.hung_up_by, i.transfers, i.callback_at,
                   i.first_response_at, i.wrapup_seconds).where(
        *_filters(since, until, queue, medium, agent_id))
    async with db.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [QueuedWork(iid, medium_, queue_, agent, queued, answered, ended,
                       answered is None and ended is not None and hung_up_by == "caller",
                       transfers or 0, callback is not None, first, wrapup or 0.0)
            for (iid, medium_, queue_, agent, queued, answered, ended, hung_up_by,
                 transfers, callback, first, wrapup) in rows]


async def tallies_between(db: Database, since: float, until: float, *,
                          by: tuple[str, ...], thresholds: Mapping[str, float],
                          short_abandon_seconds: float, queue: str | None = None,
                          medium: str | None = None, agent_id: str | None = None
                          ) -> list[tuple[float, tuple[str, ...], dict[str, float]]]:
    """Per quarter hour (of UTC: its start, epoch seconds) and group (``by``: queue,
    medium, agent), the sums ``ccengine.reporting.intervals.Tally`` holds, counted as
    ``count_work`` counts one interaction; computed by the database."""
    i = InteractionRecord
    if db.dialect == "postgresql":
        bucket: Any = cast(func.floor(i.queued_at / BUCKET_SECONDS), Integer)
    else:   # SQLite: a positive time truncated is its floor
        bucket = cast(i.queued_at / BUCKET_SECONDS, Integer)
    threshold = case({q: float(t) for q, t in thresholds.items()}, value=i.queue,
                     else_=None) if thresholds else literal(None, Float)
    responded = case((i.medium == "email", i.first_response_at), else_=i.answered_at)
    answered = i.answered_at.is_not(None)
    ended = i.ended_at.is_not(None)
    handled = and_(answered, ended)
    left = and_(i.answered_at.is_(None), ended, func.coalesce(i.hung_up_by, "") == "caller")
    unresponded = responded.is_(None)
    abandoned = and_(unresponded, left)
    waited = i.ended_at - i.queued_at

    def count(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, 1), else_=0))

    def total(condition: ColumnElement[bool], value: Any) -> Any:
        return func.sum(case((condition, value), else_=0.0))
    sums = {
        "offered": func.count(),
        "answered": count(answered),
        "responded": count(responded.is_not(None)),
        "met": count(and_(responded.is_not(None), responded - i.queued_at <= threshold)),
        "abandoned": count(abandoned),
        "abandoned_within": count(and_(abandoned, waited <= threshold)),
        "short_abandoned": count(and_(abandoned, waited <= short_abandon_seconds)),
        "other_exits": count(and_(unresponded, not_(left), ended, i.answered_at.is_(None))),
        "waiting": count(and_(unresponded, not_(left), i.ended_at.is_(None),
                              i.answered_at.is_(None))),
        "transfers": func.sum(i.transfers),
        "callbacks": count(i.callback_at.is_not(None)),
        "wait_total": total(and_(answered, i.answered_at > i.queued_at),
                            i.answered_at - i.queued_at),
        "handled": count(handled),
        "talk_total": total(and_(handled, i.ended_at > i.answered_at),
                            i.ended_at - i.answered_at),
        "wrapup_total": total(handled, i.wrapup_seconds),
        "first_responses": count(i.first_response_at.is_not(None)),
        "first_response_total": total(and_(i.first_response_at.is_not(None),
                                           i.first_response_at > i.queued_at),
                                      i.first_response_at - i.queued_at),
    }
    groups = [{"queue": i.queue, "medium": i.medium, "agent": i.agent_id}[g] for g in by]
    query = select(bucket.label("bucket"), *groups, *(v.label(k) for k, v in sums.items())) \
        .where(*_filters(since, until, queue, medium, agent_id))
    if "agent" in by:
        query = query.where(i.agent_id.is_not(None))
    query = query.group_by(bucket, *groups)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    width = len(by)
    return [(row[0] * BUCKET_SECONDS, tuple(str(v) for v in row[1:1 + width]),
             {k: float(v or 0) for k, v in zip(sums, row[1 + width:], strict=True)})
            for row in rows]
