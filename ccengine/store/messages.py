"""Messages of email and chat conversations. An inbound message is stored first, before it
is acknowledged anywhere or queued; ``(medium, external_id)`` makes storing it again a no-op
that returns the stored row (so a crash and a retry never duplicate it)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, TypedDict

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ccengine.store.db import Database
from ccengine.store.errors import InvalidRecord
from ccengine.store.models import MessageRecord

DIRECTIONS = ("in", "out")


class MessageView(TypedDict):
    id: int
    medium: str
    direction: str
    external_id: str | None
    interaction_id: str | None
    thread_key: str | None
    sender: str | None
    recipients: list[Any]
    subject: str | None
    body: str
    meta: dict[str, Any]
    state: str
    error: str | None
    created_at: float


class MessageRepository:
    """Store, find and update email/chat messages."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, *, medium: str, direction: str, body: str = "",
                  external_id: str | None = None, interaction_id: str | None = None,
                  thread_key: str | None = None, sender: str | None = None,
                  recipients: Sequence[str] = (), subject: str | None = None,
                  raw: bytes | None = None, meta: dict[str, Any] | None = None,
                  state: str = "received", error: str | None = None,
                  at: float | None = None) -> tuple[MessageView, bool]:
        """Store a message; returns (message, created). With an ``external_id`` already
        stored for this medium, nothing changes and the stored message comes back."""
        if direction not in DIRECTIONS:
            raise InvalidRecord(f"message direction must be one of {DIRECTIONS}")
        if not medium:
            raise InvalidRecord("message medium is required")
        if external_id is not None:
            existing = await self.by_external_id(medium, external_id)
            if existing is not None:
                return existing, False
        row = MessageRecord(
            medium=medium, direction=direction, external_id=external_id,
            interaction_id=interaction_id, thread_key=thread_key, sender=sender,
            recipients=list(recipients), subject=subject, body=body, raw=raw,
            meta=dict(meta or {}), state=state, error=error,
            created_at=time.time() if at is None else at)
        try:
            async with self.db.session() as s, s.begin():
                s.add(row)
        except IntegrityError:
            # another writer stored the same external id meanwhile: theirs is the message
            existing = await self.by_external_id(medium, external_id or "")
            if existing is None:
                raise
            return existing, False
        return _view(row), True

    async def get(self, message_id: int) -> MessageView | None:
        async with self.db.session() as s:
            row = await s.get(MessageRecord, message_id)
            return None if row is None else _view(row)

    async def raw(self, message_id: int) -> bytes | None:
        async with self.db.session() as s:
            row = await s.get(MessageRecord, message_id)
            return None if row is None else row.raw

    async def by_external_id(self, medium: str, external_id: str) -> MessageView | None:
        async with self.db.session() as s:
            row = (await s.execute(select(MessageRecord).where(
                MessageRecord.medium == medium,
                MessageRecord.external_id == external_id))).scalar_one_or_none()
            return None if row is None else _view(row)

    async def interaction_of(self, medium: str, external_ids: Sequence[str]) -> str | None:
        """The interaction of the most recent stored message among ``external_ids`` (e.g. an
        email's In-Reply-To and References), or None."""
        ids = [i for i in external_ids if i]
        if not ids:
            return None
        async with self.db.session() as s:
            return (await s.execute(
                select(MessageRecord.interaction_id)
                .where(MessageRecord.medium == medium, MessageRecord.external_id.in_(ids),
                       MessageRecord.interaction_id.is_not(None))
                .order_by(MessageRecord.id.desc()).limit(1))).scalar_one_or_none()

    async def for_interaction(self, interaction_id: str) -> list[MessageView]:
        """The conversation of an interaction, oldest first."""
        async with self.db.session() as s:
            rows = (await s.execute(select(MessageRecord)
                                    .where(MessageRecord.interaction_id == interaction_id)
                                    .order_by(MessageRecord.id))).scalars().all()
            return [_view(r) for r in rows]

    async def for_thread(self, medium: str, thread_key: str) -> list[MessageView]:
        """Every message of one conversation (all its interactions), oldest first."""
        async with self.db.session() as s:
            rows = (await s.execute(select(MessageRecord)
                                    .where(MessageRecord.medium == medium,
                                           MessageRecord.thread_key == thread_key)
                                    .order_by(MessageRecord.id))).scalars().all()
            return [_view(r) for r in rows]

    async def in_state(self, medium: str, state: str, limit: int = 100) -> list[MessageView]:
        """Messages of ``medium`` left in ``state`` (e.g. "received" ones a crash
        interrupted before they were queued), oldest first."""
        async with self.db.session() as s:
            rows = (await s.execute(select(MessageRecord)
                                    .where(MessageRecord.medium == medium,
                                           MessageRecord.state == state)
                                    .order_by(MessageRecord.id).limit(limit))).scalars().all()
            return [_view(r) for r in rows]

    async def update(self, message_id: int, **values: Any) -> None:
        """Set ``state``, ``error``, ``interaction_id``, ``thread_key`` or ``meta``."""
        allowed = {"state", "error", "interaction_id", "thread_key", "meta"}
        unknown = set(values) - allowed
        if unknown:
            raise InvalidRecord(f"cannot update message fields {sorted(unknown)}")
        async with self.db.session() as s, s.begin():
            await s.execute(update(MessageRecord).where(MessageRecord.id == message_id)
                            .values(**values))


def _view(row: MessageRecord) -> MessageView:
    return MessageView(
        id=row.id, medium=row.medium, direction=row.direction, external_id=row.external_id,
        interaction_id=row.interaction_id, thread_key=row.thread_key, sender=row.sender,
        recipients=list(row.recipients or []), subject=row.subject, body=row.body,
        meta=dict(row.meta or {}), state=row.state, error=row.error,
        created_at=row.created_at)
