"""Intent labels: what agents say a piece of work was about, confirmed or corrected in
wrap-up (docs/intents.md "How it learns"). One label per interaction; a later one replaces
it. Labels are what the classifier learns from besides the admins' phrases, and they win
over the classifier's guess wherever an intent is shown or counted (timeline, screen pop,
repeat contacts).

The text a label teaches is not copied: it is read, when training, from the work's first
inbound message (an email's subject and body, a chat's first line), so a label on a call
teaches nothing but still counts in reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ccengine.store.db import Database
from ccengine.store.errors import UnknownInteraction
from ccengine.store.models import Customer, IntentLabel, InteractionRecord, MessageRecord

TRAINING_LIMIT = 20_000   # the newest labels a training run reads at most


class ContactRow(TypedDict):
    """A piece of work with a customer and an intent (repeat-contact reports)."""

    id: str
    customer: str        # the surviving customer: merges are followed
    intent: str          # the agent's label, else the intent found when it came in
    at: float            # when it came in
    queue: str | None
    agent: str | None    # who answered it; None: nobody did


class LabelView(TypedDict):
    interaction_id: str
    intent: str
    detected: str | None
    agent_id: str
    at: float


def _view(row: IntentLabel) -> LabelView:
    return {"interaction_id": row.interaction_id, "intent": row.intent,
            "detected": row.detected, "agent_id": row.agent_id, "at": row.at}


def effective(attributes: Any, label: LabelView | None) -> dict[str, Any] | None:
    """The intent to show or count for a piece of work: the agent's label if any (with who
    confirmed it), else the classifier's (``attributes["intent"]``), else None."""
    found = attributes.get("intent") if isinstance(attributes, dict) else None
    detected = found if isinstance(found, dict) and isinstance(found.get("name"), str) \
        else None
    if label is None:
        return detected
    out: dict[str, Any] = {"name": label["intent"], "confirmed_by": label["agent_id"]}
    if detected is not None and detected["name"] == label["intent"] \
            and "confidence" in detected:
        out["confidence"] = detected["confidence"]
    return out


async def labels_of(s: AsyncSession, ids: Iterable[str]) -> dict[str, LabelView]:
    """The labels of these interactions (those that have one)."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = (await s.execute(select(IntentLabel)
                            .where(IntentLabel.interaction_id.in_(wanted)))).scalars()
    return {r.interaction_id: _view(r) for r in rows}


class IntentLabels:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(self, interaction_id: str, intent: str, detected: str | None,
                  agent_id: str, at: float) -> LabelView:
        """Label the work (replacing its label); UnknownInteraction if there is none."""
        async with self.db.session.begin() as s:
            if await s.get(InteractionRecord, interaction_id) is None:
                raise UnknownInteraction(interaction_id)
            row = await s.get(IntentLabel, interaction_id)
            if row is None:
                row = IntentLabel(interaction_id=interaction_id)
                s.add(row)
            row.intent, row.detected, row.agent_id, row.at = intent, detected, agent_id, at
            await s.flush()
            return _view(row)

    async def get(self, interaction_id: str) -> LabelView | None:
        async with self.db.session() as s:
            row = await s.get(IntentLabel, interaction_id)
            return _view(row) if row is not None else None

    async def examples(self, limit: int = TRAINING_LIMIT) -> list[tuple[str, str]]:
        """(text, intent) for the newest labels whose work has an inbound message: its
        first one's subject and body, as the classifier read it when the work arrived."""
        m = MessageRecord
        firsts = (select(m.interaction_id, func.min(m.id).label("first"))
                  .where(m.direction == "in", m.interaction_id.is_not(None))
                  .group_by(m.interaction_id).subquery())
        query = (select(m.subject, m.body, IntentLabel.intent)
                 .join(firsts, firsts.c.first == m.id)
                 .join(IntentLabel, IntentLabel.interaction_id == firsts.c.interaction_id)
                 .order_by(IntentLabel.at.desc()).limit(limit))
        async with self.db.session() as s:
            rows = (await s.execute(query)).all()
        return [(f"{subject or ''}\n{body or ''}", intent) for subject, body, intent in rows]

    async def contacts(self, since: float, until: float) -> list[ContactRow]:
        """The work that came in within [since, until) with a customer and an intent."""
        r = InteractionRecord
        found = r.attributes["intent"]["name"].as_string()
        intent = func.coalesce(IntentLabel.intent, found)
        came = func.coalesce(r.entered_at, r.queued_at)     # a chat is queued as it comes
        query = (select(r.id, r.customer_id, intent, came, r.queue, r.agent_id,
                        r.answered_at)
                 .outerjoin(IntentLabel, IntentLabel.interaction_id == r.id)
                 .where(came >= since, came < until,
                        r.customer_id.is_not(None),
                        or_(IntentLabel.intent.is_not(None), found.is_not(None))))
        async with self.db.session() as s:
            rows = (await s.execute(query)).all()
            merged = dict((await s.execute(select(Customer.id, Customer.merged_into).where(
                Customer.merged_into.is_not(None)))).all())

        def surviving(customer: str) -> str:
            seen = {customer}
            while customer in merged and merged[customer] not in seen:
                customer = merged[customer]
                seen.add(customer)
            return customer
        return [{"id": iid, "customer": surviving(customer), "intent": name, "at": at,
                 "queue": queue, "agent": agent if answered is not None else None}
                for iid, customer, name, at, queue, agent, answered in rows
                if isinstance(name, str) and name]
