"""Signed-in web sessions (the agent desk's cookie). The browser holds a random 256-bit
value; the store keeps only its SHA-256, so a copy of the database signs nobody in. A
session ends when unused for ``idle_seconds`` or ``max_seconds`` after sign-in, whichever
comes first; ended rows are deleted when met, and all of them now and then (``purge``).
``last_seen_at`` is written at most once every ``touch_every`` seconds, so a busy page
costs a write a minute, not one a request."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, or_, update

from ccengine.store.db import Database
from ccengine.store.models import SessionRecord

__all__ = ["SessionRepository", "WebSession", "session_id"]

MAX_COOKIE_VALUE = 200  # longer values are not ours: not even hashed
MAX_ADDRESS, MAX_USER_AGENT = 100, 400


def session_id(cookie_value: str) -> str:
    """The stored id of a session: hex SHA-256 of its cookie's value."""
    return hashlib.sha256(cookie_value.encode()).hexdigest()


@dataclass(frozen=True)
class WebSession:
    """A live session as the store gives it out (never with its cookie's value)."""

    user_id: str
    csrf_token: str
    created_at: float
    last_seen_at: float
    expires_at: float
    address: str | None
    user_agent: str | None


def _view(row: SessionRecord, last_seen_at: float) -> WebSession:
    return WebSession(row.user_id, row.csrf_token, row.created_at, last_seen_at,
                      row.expires_at, row.address, row.user_agent)


class SessionRepository:
    """Sessions in the SQL store. ``clock`` gives epoch seconds (tests pass their own)."""

    def __init__(self, db: Database, *, idle_seconds: float, max_seconds: float,
                 clock: Callable[[], float] = time.time, touch_every: float = 60.0,
                 purge_every: float = 600.0) -> None:
        if idle_seconds <= 0 or max_seconds <= 0:
            raise ValueError("idle_seconds and max_seconds must be positive")
        self.db = db
        self.idle_seconds, self.max_seconds = idle_seconds, max_seconds
        self.clock, self.touch_every, self.purge_every = clock, touch_every, purge_every
        self._purged_at: float | None = None

    async def create(self, user_id: str, address: str | None,
                     user_agent: str | None) -> tuple[str, str]:
        """A new session for the user: ``(cookie_value, csrf_token)``. The cookie's value
        is known only to the caller from here on. Ended sessions are purged first when the
        last purge is ``purge_every`` seconds old."""
        now = self.clock()
        if self._purged_at is None or now - self._purged_at >= self.purge_every:
            await self.purge()
        value, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with self.db.session.begin() as s:
            s.add(SessionRecord(id=session_id(value), user_id=user_id, csrf_token=csrf,
                                created_at=now, last_seen_at=now,
                                expires_at=now + self.max_seconds,
                                address=_clip(address, MAX_ADDRESS),
                                user_agent=_clip(user_agent, MAX_USER_AGENT)))
        return value, csrf

    async def get(self, cookie_value: str) -> WebSession | None:
        """The live session of this cookie value, or None when unknown, idle too long or
        past its absolute end (such a row is deleted at once)."""
        if not isinstance(cookie_value, str) or not 0 < len(cookie_value) <= MAX_COOKIE_VALUE:
            return None
        sid, now = session_id(cookie_value), self.clock()
        async with self.db.session() as s:
            row = await s.get(SessionRecord, sid)
        if row is None:
            return None
        if self._ended(row.last_seen_at, row.expires_at, now):
            await self._delete(SessionRecord.id == sid)
            return None
        if now - row.last_seen_at < self.touch_every:
            return _view(row, row.last_seen_at)
        async with self.db.session.begin() as s:
            await s.execute(update(SessionRecord).where(SessionRecord.id == sid)
                            .values(last_seen_at=now))
        return _view(row, now)

    async def delete(self, cookie_value: str) -> bool:
        """End the session of this cookie value; False if there was none."""
        if not isinstance(cookie_value, str) or not 0 < len(cookie_value) <= MAX_COOKIE_VALUE:
            return False
        return await self._delete(SessionRecord.id == session_id(cookie_value)) > 0

    async def delete_for_user(self, user_id: str) -> int:
        """End every session of the user (a new password, say); how many there were."""
        return await self._delete(SessionRecord.user_id == user_id)

    async def purge(self) -> int:
        """Delete every ended session (idle too long or past its end); how many."""
        now = self.clock()
        self._purged_at = now
        return await self._delete(or_(SessionRecord.expires_at <= now,
                                      SessionRecord.last_seen_at <= now - self.idle_seconds))

    def _ended(self, last_seen_at: float, expires_at: float, now: float) -> bool:
        return now >= expires_at or now - last_seen_at >= self.idle_seconds

    async def _delete(self, where: ColumnElement[bool]) -> int:
        async with self.db.session.begin() as s:
            result = await s.execute(delete(SessionRecord).where(where))
        return max(result.rowcount, 0)


def _clip(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None
