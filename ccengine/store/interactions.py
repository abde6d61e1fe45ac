"""Interactions and their history in the SQL store; saving the same interaction again only
adds the events not stored yet (idempotent)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ccengine.core.events import Event, InteractionChange
from ccengine.core.interaction import Interaction
from ccengine.store.db import Database
from ccengine.store.models import InteractionEventRecord, InteractionRecord

MILESTONES = ("entered", "ivr_done", "queued", "offered", "answered", "ended")


def _first(interaction: Interaction, kind: str) -> float | None:
    for e in interaction.events:
        if e.kind == kind:
            return e.at
    return None


class InteractionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, interaction: Interaction) -> None:
        """Upsert the interaction and append its events not stored yet."""
        attrs = interaction.attributes
        async with self.db.session.begin() as s:
            row = await s.get(InteractionRecord, interaction.id)
            if row is None:
                row = InteractionRecord(id=interaction.id, medium=interaction.medium.value)
                s.add(row)
            row.customer_id = interaction.customer_id
            row.queue = interaction.queue
            row.priority = interaction.priority
            row.caller_number = attrs.get("caller_number")
            endings = [e for e in interaction.events if e.kind in ("ended", "cancelled")]
            row.hung_up_by = (endings[-1].data.get("hung_up_by") if endings else None) or \
                attrs.get("hung_up_by")
            row.attributes = {k: v for k, v in attrs.items() if _jsonable(v)}
            answered = [e for e in interaction.events if e.kind == "answered"]
            offered = [e for e in interaction.events if e.kind == "offered"]
            last = answered[-1] if answered else offered[-1] if offered else None
            row.agent_id = last.data.get("agent_id") if last else interaction.agent_id
            for m in MILESTONES:
                setattr(row, f"{m}_at", _first(interaction, m) if m != "ended" else
                        _first(interaction, "ended") or _first(interaction, "cancelled"))
            await s.flush()
            stored = (await s.execute(
                select(func.count()).select_from(InteractionEventRecord)
                .where(InteractionEventRecord.interaction_id == interaction.id))).scalar_one()
            for seq, e in enumerate(interaction.events[stored:], start=stored):
                s.add(InteractionEventRecord(interaction_id=interaction.id, seq=seq,
                                             kind=e.kind, at=e.at, data=dict(e.data)))

    async def on_event(self, event: Event) -> None:
        """Dispatcher subscriber: every change of an interaction is stored as it happens."""
        if isinstance(event, InteractionChange):
            await self.save(event.interaction)

    async def get(self, interaction_id: str) -> dict[str, Any] | None:
        async with self.db.session() as s:
            row = await s.get(InteractionRecord, interaction_id)
            if row is None:
                return None
            events = (await s.execute(
                select(InteractionEventRecord)
                .where(InteractionEventRecord.interaction_id == interaction_id)
                .order_by(InteractionEventRecord.seq))).scalars().all()
        return {
            "id": row.id, "medium": row.medium, "customer_id": row.customer_id,
            "queue": row.queue, "priority": row.priority, "agent_id": row.agent_id,
            "caller_number": row.caller_number, "hung_up_by": row.hung_up_by,
            "ivr_path": row.attributes.get("ivr_path", []), "attributes": row.attributes,
            "timestamps": {m: getattr(row, f"{m}_at") for m in MILESTONES},
            "events": [{"kind": e.kind, "at": e.at, "data": e.data} for e in events],
        }


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict, type(None)))
