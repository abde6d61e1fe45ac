"""Signed-in web sessions on SQLite and PostgreSQL: only the cookie value's hash is stored;
sessions end when idle too long or past their absolute end; last_seen_at is written at most
once a minute; a user's sessions end together. Time is a clock the test moves."""

from __future__ import annotations

import hashlib

from sqlalchemy import text

from ccengine.store.db import Database
from ccengine.store.sessions import SessionRepository
from ccengine.store.users import UserRepository

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


async def _rig(db: Database, idle: float = 600.0, most: float = 3600.0
               ) -> tuple[SessionRepository, Clock]:
    await UserRepository(db).sync([("alice", "agent", "Alice"), ("bob", "agent", "Bob")])
    clock = Clock()
    return SessionRepository(db, idle_seconds=idle, max_seconds=most, clock=clock), clock


async def _rows(db: Database) -> list[tuple]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(
            "SELECT id, user_id, csrf_token, created_at, last_seen_at, expires_at, address, "
            "user_agent FROM sessions ORDER BY user_id"))]


async def test_given_new_session_when_stored_then_only_hash_of_cookie_value_kept(
        db: Database) -> None:
    sessions, _ = await _rig(db)
    value, csrf = await sessions.create("alice", "10.0.0.7", "Firefox/140")
    assert len(value) >= 40 and len(csrf) >= 40 and value != csrf
    [row] = await _rows(db)
    assert row == (hashlib.sha256(value.encode()).hexdigest(), "alice", csrf, T0, T0,
                   T0 + 3600.0, "10.0.0.7", "Firefox/140")
    got = await sessions.get(value)
    assert got is not None
    assert (got.user_id, got.csrf_token, got.expires_at, got.address) == (
        "alice", csrf, T0 + 3600.0, "10.0.0.7")
    assert await sessions.get(hashlib.sha256(value.encode()).hexdigest()) is None
    assert await sessions.get("not-a-session") is None
    assert await sessions.get("x" * 10_000) is None


async def test_given_session_used_often_when_read_then_last_seen_written_once_a_minute(
        db: Database) -> None:
    sessions, clock = await _rig(db)
    value, _ = await sessions.create("alice", None, None)
    clock.now = T0 + 59
    assert (await sessions.get(value)).last_seen_at == T0
    assert (await _rows(db))[0][4] == T0
    clock.now = T0 + 61
    assert (await sessions.get(value)).last_seen_at == T0 + 61
    assert (await _rows(db))[0][4] == T0 + 61


async def test_given_idle_session_when_read_then_none_and_row_deleted(db: Database) -> None:
    sessions, clock = await _rig(db, idle=600.0)
    value, _ = await sessions.create("alice", None, None)
    clock.now = T0 + 599
    assert await sessions.get(value) is not None  # and touched: idle counts from here
    clock.now = T0 + 599 + 599
    assert await sessions.get(value) is not None
    clock.now = T0 + 599 + 599 + 600
    assert await sessions.get(value) is None
    assert await _rows(db) == []


async def test_given_session_in_use_when_past_absolute_end_then_none(db: Database) -> None:
    sessions, clock = await _rig(db, idle=600.0, most=1800.0)
    value, _ = await sessions.create("alice", None, None)
    for step in range(1, 6):  # used every 5 minutes: never idle
        clock.now = T0 + step * 300
        assert await sessions.get(value) is not None
    clock.now = T0 + 1800
    assert await sessions.get(value) is None
    assert await _rows(db) == []


async def test_given_sessions_when_deleted_one_or_per_user_then_only_those_end(
        db: Database) -> None:
    sessions, _ = await _rig(db)
    a1, _ = await sessions.create("alice", None, None)
    a2, _ = await sessions.create("alice", None, None)
    b1, _ = await sessions.create("bob", None, None)
    assert await sessions.delete(a1) is True
    assert await sessions.delete(a1) is False
    assert await sessions.get(a1) is None and await sessions.get(a2) is not None
    await sessions.create("alice", None, None)
    assert await sessions.delete_for_user("alice") == 2
    assert await sessions.get(a2) is None and await sessions.get(b1) is not None
    assert [r[1] for r in await _rows(db)] == ["bob"]


async def test_given_ended_sessions_when_purged_then_only_live_ones_remain(
        db: Database) -> None:
    sessions, clock = await _rig(db, idle=600.0, most=3600.0)
    await sessions.create("alice", None, None)              # idle from T0
    clock.now = T0 + 500
    live, _ = await sessions.create("bob", None, None)
    clock.now = T0 + 700
    assert await sessions.purge() == 1
    assert [r[1] for r in await _rows(db)] == ["bob"]
    assert await sessions.get(live) is not None


async def test_given_old_purge_when_creating_then_ended_sessions_purged_first(
        db: Database) -> None:
    sessions, clock = await _rig(db, idle=60.0, most=3600.0)
    await sessions.create("alice", None, None)
    clock.now = T0 + 601  # alice's has been idle for 10 minutes, the last purge as long ago
    await sessions.create("bob", None, None)
    assert [r[1] for r in await _rows(db)] == ["bob"]


async def test_given_long_address_and_agent_when_stored_then_clipped(db: Database) -> None:
    sessions, _ = await _rig(db)
    await sessions.create("alice", "a" * 300, "b" * 1000)
    [row] = await _rows(db)
    assert (len(row[6]), len(row[7])) == (100, 400)
