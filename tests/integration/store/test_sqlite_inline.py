"""SQLite in the loop's thread (ccengine/store/sqlite_inline.py): a locked database is waited
for without blocking the loop, errors keep SQLAlchemy's types, and the engine's store
works through it."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from ccengine.store import sqlite_inline
from ccengine.store.db import Database
from ccengine.store.sqlite_inline import InlineConnection, is_busy


@pytest.fixture
async def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
    yield database
    await database.close()


async def test_given_sqlite_url_then_connections_are_inline(db: Database) -> None:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection)


async def test_given_another_writer_holds_the_lock_when_writing_then_waits_and_loop_runs(
        db: Database) -> None:
    holder_started, release = asyncio.Event(), asyncio.Event()

    async def hold_lock() -> None:
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1, 'first')"))
            holder_started.set()
            await release.wait()  # the write lock is held across awaits

    holder = asyncio.ensure_future(hold_lock())
    await holder_started.wait()

    async def write_second() -> float:
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (2, 'second')"))
        return time.monotonic()

    writer = asyncio.ensure_future(write_second())
    ticks = 0
    for _ in range(20):  # the loop keeps running while the second writer waits
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 20 and not writer.done()
    released_at = time.monotonic()
    release.set()
    await holder
    assert await asyncio.wait_for(writer, 5) >= released_at
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT k, v FROM t ORDER BY k"))).all()
    assert [tuple(r) for r in rows] == [(1, "first"), (2, "second")]


async def test_given_lock_never_released_when_writing_then_fails_after_busy_seconds(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_SECONDS", 0.3)
    async with db.engine.connect() as holder:
        await holder.execute(text("INSERT INTO t VALUES (1, 'held')"))  # lock taken
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            async with db.engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (2, 'never')"))
        assert 0.3 <= time.monotonic() - started < 2
        await holder.rollback()


async def test_given_duplicate_key_then_sqlalchemy_integrity_error_and_nothing_kept(
        db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t VALUES (1, 'a')"))
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (3, 'c')"))
            await conn.execute(text("INSERT INTO t VALUES (1, 'again')"))
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1


async def test_given_many_rows_when_inserted_and_read_then_all_there(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t VALUES (:k, :v)"),
                           [{"k": k, "v": f"v{k}"} for k in range(500)])
    async with db.engine.connect() as conn:
        result = await conn.stream(text("SELECT k FROM t ORDER BY k"))
        assert [r[0] async for r in result] == list(range(500))


@pytest.mark.parametrize("name, retried", [
    ("SQLITE_BUSY", True),              # another connection writes
    ("SQLITE_BUSY_RECOVERY", True),     # another one replays the WAL after a kill
    ("SQLITE_BUSY_SNAPSHOT", False),    # this transaction's snapshot is stale: never clears
    ("SQLITE_CONSTRAINT", False),
])
def test_given_sqlite_errors_when_classified_then_only_the_passing_locks_are_retried(
        name: str, retried: bool) -> None:
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorname = name  # type: ignore[attr-defined]
    assert is_busy(error) is retried


def _loop_turn_marker() -> list[str]:
    """A list the loop appends to at its next turn: still empty after an ``async with``
    block ends means leaving the block gave the loop no turn."""
    turns: list[str] = []
    asyncio.get_running_loop().call_soon(turns.append, "turn")
    return turns


async def test_given_connection_block_when_it_ends_then_connection_is_back_in_pool_at_once(
        db: Database) -> None:
    pool = db.engine.sync_engine.pool
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        assert pool.checkedout() == 1  # type: ignore[attr-defined]
        turns = _loop_turn_marker()
    # SQLAlchemy's own close runs in a task of its own: the loop would have had a turn
    assert turns == [] and pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_given_session_blocks_when_they_end_then_committed_and_closed_at_once(
        db: Database) -> None:
    pool = db.engine.sync_engine.pool
    async with db.session.begin() as s:
        await s.execute(text("INSERT INTO t VALUES (1, 'one')"))
        turns = _loop_turn_marker()
    assert turns == [] and pool.checkedout() == 0  # type: ignore[attr-defined]
    async with db.session() as s:
        assert (await s.execute(text("SELECT v FROM t"))).scalars().all() == ["one"]
        turns = _loop_turn_marker()
    assert turns == [] and pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_given_error_in_session_block_then_rolled_back_and_closed(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.session.begin() as s:
            await s.execute(text("INSERT INTO t VALUES (1, 'one')"))
            raise RuntimeError("the work failed")
    assert db.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_given_commit_failing_in_session_block_then_error_raised_and_session_closed(
        db: Database) -> None:
    """The transaction's own end fails (a deferred foreign key, checked at COMMIT): the
    error reaches the caller, nothing is kept and the connection is back in the pool."""
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE child (k INTEGER PRIMARY KEY, parent INTEGER "
                                "REFERENCES t(k) DEFERRABLE INITIALLY DEFERRED)"))
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        async with db.session.begin() as s:
            await s.execute(text("INSERT INTO child VALUES (1, 42)"))   # no row 42 in t
    assert db.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM child"))).scalar() == 0
