"""A customer's timeline: every interaction on every medium (including those of customers
since merged into it), newest first, with its notes and a one-line summary, page by page.
Also who has worked with a customer or an interaction (the API's access rules)."""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ccengine.store.customers import family
from ccengine.store.db import Database
from ccengine.store.errors import InvalidRecord, UnknownCustomer
from ccengine.store.intent_labels import LabelView, effective, labels_of
from ccengine.store.interactions import load_views
from ccengine.store.merges import survivor
from ccengine.store.models import InteractionEventRecord, InteractionRecord, MessageRecord
from ccengine.store.records import InteractionView, NoteView
from ccengine.store.summaries import SNIPPET, FirstMessage, summarise

MAX_PAGE = 100
MEDIA = ("voice", "callback", "email", "chat")


class InvalidCursor(InvalidRecord):
    """``before`` names no interaction of this customer."""

    code = "bad_cursor"


class TimelineItem(TypedDict):
    id: str
    medium: str
    queue: str | None
    agent_id: str | None
    agents: list[str]
    status: str
    disposition: str | None
    from_address: str | None
    timestamps: dict[str, float | None]
    summary: str
    details: dict[str, Any]
    notes: list[NoteView]
    # {"name", "confidence", "confirmed_by"}: what it was about (the agent's label, else the
    # classifier's; docs/intents.md)
    intent: dict[str, Any] | None


class TimelinePage(TypedDict):
    customer_id: str
    items: list[TimelineItem]
    next_before: str | None  # pass as ``before`` for the next (older) page; None at the end


# newest first; an interaction with no entered time sorts as the oldest
_WHEN = func.coalesce(InteractionRecord.entered_at, 0.0)


def _checked_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidRecord(f"limit must be an integer from 1 to {MAX_PAGE}, not {limit!r}")
    return limit


def _checked_medium(medium: str | None) -> str | None:
    if medium is not None and medium not in MEDIA:
        raise InvalidRecord(f"medium must be one of {', '.join(MEDIA)}, not {medium!r}")
    return medium


def _agents(view: InteractionView) -> list[str]:
    """Every agent who was offered or took the interaction, in order."""
    seen = [e["agent_id"] for e in view["events"] if e["agent_id"]]
    if view["agent_id"]:
        seen.append(view["agent_id"])
    return list(dict.fromkeys(seen))


def timeline_item(view: InteractionView, first: FirstMessage | None,
                  label: LabelView | None = None) -> TimelineItem:
    summary, details = summarise(view, first)
    return {"id": view["id"], "medium": view["medium"], "queue": view["queue"],
            "agent_id": view["agent_id"], "agents": _agents(view), "status": view["status"],
            "disposition": view["disposition"], "from_address": view["from_address"],
            "timestamps": view["timestamps"], "summary": summary, "details": details,
            "notes": view["notes"], "intent": effective(view.get("attributes"), label)}


async def _first_messages(s: AsyncSession, ids: list[str]) -> dict[str, FirstMessage]:
    """The first stored message (subject, the start of its body) of each interaction."""
    if not ids:
        return {}
    firsts = (await s.execute(
        select(MessageRecord.interaction_id, func.min(MessageRecord.id), func.count())
        .where(MessageRecord.interaction_id.in_(ids))
        .group_by(MessageRecord.interaction_id))).all()
    counts = {iid: count for iid, _, count in firsts}
    rows = (await s.execute(
        select(MessageRecord.interaction_id, MessageRecord.subject, MessageRecord.sender,
               MessageRecord.direction, func.substr(MessageRecord.body, 1, SNIPPET))
        .where(MessageRecord.id.in_([first for _, first, _ in firsts])))).all()
    return {iid: {"subject": subject, "body": body or "", "sender": sender,
                  "direction": direction, "count": counts[iid]}
            for iid, subject, sender, direction, body in rows}


def _handled_by(agent_id: str, *kinds: str) -> ColumnElement[bool]:
    """The interaction is (or was last) the agent's, or has an event of the agent (of one
    of ``kinds`` if given: "answered" = the agent took it)."""
    event = exists().where(InteractionEventRecord.interaction_id == InteractionRecord.id,
                           InteractionEventRecord.agent_id == agent_id)
    if kinds:
        event = event.where(InteractionEventRecord.kind.in_(kinds))
    return or_(InteractionRecord.agent_id == agent_id, event)


class Timeline:
    """Reads of the customer's cross-channel history for the API and the screen pop."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def page(self, customer_id: str, *, limit: int = 20, before: str | None = None,
                   medium: str | None = None, excluding: str | None = None) -> TimelinePage:
        """One page of the timeline, newest first; ``before`` is the id of the last item
        of the previous page; ``excluding`` leaves one interaction out (the pop's own).
        UnknownCustomer if there is no such customer (an id merged away gives the
        survivor's timeline)."""
        limit = _checked_limit(limit)
        medium = _checked_medium(medium)
        async with self.db.session() as s:
            row = await survivor(s, customer_id)
            if row is None:
                raise UnknownCustomer(customer_id)
            ids = await family(s, row.id)
            query = select(InteractionRecord).where(InteractionRecord.customer_id.in_(ids))
            if medium is not None:
                query = query.where(InteractionRecord.medium == medium)
            if excluding is not None:
                query = query.where(InteractionRecord.id != excluding)
            if before is not None:
                cursor = await s.get(InteractionRecord, before)
                if cursor is None or cursor.customer_id not in ids:
                    raise InvalidCursor(f"before={before!r} is not an interaction of "
                                        f"customer {row.id}")
                when = cursor.entered_at or 0.0
                query = query.where(or_(_WHEN < when,
                                        and_(_WHEN == when, InteractionRecord.id > cursor.id)))
            rows = list((await s.execute(
                query.order_by(_WHEN.desc(), InteractionRecord.id).limit(limit + 1)))
                .scalars())
            more = len(rows) > limit
            rows = rows[:limit]
            views = await load_views(s, rows)
            firsts = await _first_messages(s, [v["id"] for v in views])
            labels = await labels_of(s, [v["id"] for v in views])
            items = [timeline_item(v, firsts.get(v["id"]), labels.get(v["id"]))
                     for v in views]
        return {"customer_id": row.id, "items": items,
                "next_before": items[-1]["id"] if more and items else None}

    async def worked_with(self, customer_id: str, agent_id: str) -> bool:
        """Whether the agent has handled (or is being offered, or holds) any interaction of
        this customer or of a customer merged into it."""
        async with self.db.session() as s:
            row = await survivor(s, customer_id)
            if row is None:
                return False
            ids = await family(s, row.id)
            found = (await s.execute(
                select(InteractionRecord.id)
                .where(InteractionRecord.customer_id.in_(ids), _handled_by(agent_id))
                .limit(1))).scalar()
            return found is not None

    async def handled(self, interaction_id: str, agent_id: str) -> bool:
        """Whether the interaction is the agent's (offered to or held by them now, or
        last) or the agent took it at some point (an ``answered`` event of theirs)."""
        async with self.db.session() as s:
            found = (await s.execute(
                select(InteractionRecord.id)
                .where(InteractionRecord.id == interaction_id,
                       _handled_by(agent_id, "answered"))))
            return found.scalar() is not None
