"""SQLite run in the event loop's own thread, under SQLAlchemy's aiosqlite dialect.

aiosqlite runs each SQLite call in a worker thread and hands the result back through the
event loop: a cursor made, a statement run, its rows fetched and the cursor closed are four
round trips between threads. On a local file those hand-overs cost several times the SQL
itself (``bench/call_store_bench.py``: about half the store's CPU per call went there), and
the engine's call path makes dozens of statements per call. Here the same calls run at once
in the loop's thread, through a connection object that offers the part of aiosqlite's
interface SQLAlchemy's dialect uses (``async_creator``, a documented hook).

What is lost is that SQLite never blocks the loop: a statement runs to its end before any
other task does. The engine's statements are index lookups and single-row writes that take
microseconds, and a commit waits for the disk's flush of the journal (about 0.3 ms on this
project's test machine; a commit handed to a worker thread instead cost twice the CPU per
save, measured). A slow disk (an SD card, a network volume) therefore slows the whole
engine: run PostgreSQL there. No statement waits for a lock, though: a database locked by
another connection (another process, or another of this pool's connections
mid-transaction) makes SQLite answer "busy" at once (timeout 0), and the statement is tried
again after an asyncio sleep, so the lock's holder goes on meanwhile, up to
``BUSY_SECONDS`` as sqlite3's own default timeout would.

Connections and sessions also close at once when their ``async with`` ends
(``InlineAsyncEngine``, ``InlineAsyncSession``). SQLAlchemy closes them in a task of its
own, shielded from the caller's cancellation, so the pooled connection goes back only when
the event loop next runs that task and the caller one turn after that. Under load a turn
of the loop took about 80 ms, and every call's few short reads then held pooled connections
for that long. The pool (15 connections) ran dry at 44-48 calls/s. A caller's customer
lookup then waited up to 10 s for a connection and the caller hung up in silence
(``bench/voice_load_bench.py``, docs/benchmarks.md). Here nothing in a close can wait, so
there is nothing for a cancellation to interrupt: the transaction's end (a commit waiting
out a busy database) runs in the caller's task, and the close after it in any case.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

T = TypeVar("T")

BUSY_SECONDS = 5.0  # as sqlite3.connect's default timeout
_FIRST_PAUSE, _LONGEST_PAUSE = 0.0005, 0.02


# "database is locked" that clears by waiting: another connection writes, or another one
# is recovering the WAL after a process was killed (the first to open it replays it)
_RETRIED = frozenset({"SQLITE_BUSY", "SQLITE_BUSY_RECOVERY"})


def is_busy(error: BaseException) -> bool:
    """SQLite's "database is locked" that is worth trying again. Not SQLITE_BUSY_SNAPSHOT
    (this transaction read data written since), which never clears."""
    return (isinstance(error, sqlite3.OperationalError)
            and getattr(error, "sqlite_errorname", None) in _RETRIED)


async def retrying_busy(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)``, tried again while SQLite is busy (sleeping in between, doubling the
    pause), until it succeeds, fails otherwise, or ``BUSY_SECONDS`` have passed."""
    deadline: float | None = None
    pause = _FIRST_PAUSE
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as e:
            if not is_busy(e):
                raise
            now = time.monotonic()
            deadline = deadline if deadline is not None else now + BUSY_SECONDS
            if now >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, _LONGEST_PAUSE)


class InlineCursor:
    """An aiosqlite-shaped cursor whose calls run at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        if parameters is None:
            await retrying_busy(self._cursor.execute, sql)
        else:
            await retrying_busy(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Any) -> InlineCursor:
        # a list, not an iterator: a busy first try must not have used up the rows
        await retrying_busy(self._cursor.executemany, sql, list(parameters))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    async def close(self) -> None:
        self._cursor.close()


class _RunNow:
    """SQLAlchemy sets the isolation level by queueing a function to aiosqlite's worker
    (``_tx.put_nowait((future, function))``); here it runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as e:  # the caller awaits the future and sees it
            future.set_exception(e)


class InlineConnection:
    """An aiosqlite-shaped connection over a sqlite3 connection used in this thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # None once closed
        self._tx = _RunNow()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def commit(self) -> None:
        await retrying_busy(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()


def inline_creator(database: str) -> Callable[[], Any]:
    """The ``async_creator`` of an engine for this SQLite file (or ":memory:")."""
    async def connect() -> InlineConnection:
        # timeout 0: a locked database answers busy at once and retrying_busy waits in
        # the loop; check_same_thread off because SQLAlchemy may close a connection that
        # the garbage collector hands it from elsewhere
        return InlineConnection(sqlite3.connect(database, timeout=0, check_same_thread=False))
    return connect


class DirectStatement:
    """A Core INSERT compiled once for SQLite: its SQL text and how to lay out a dict of
    parameters (named after the bind parameters) as the driver's positional tuple. JSON
    columns are serialised as SQLAlchemy's JSON type does (``json.dumps``), so rows read
    back through SQLAlchemy are the same either way."""

    def __init__(self, statement: Any, json_names: frozenset[str] = frozenset(),
                 column_keys: list[str] | None = None) -> None:
        compiled = statement.compile(dialect=sqlite_dialect.dialect(paramstyle="qmark"),
                                     column_keys=column_keys)
        self.sql = str(compiled)
        self.order = tuple(compiled.positiontup or ())
        self.json = tuple(n in json_names for n in self.order)

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(json.dumps(values[n]) if as_json else values[n]
                     for n, as_json in zip(self.order, self.json, strict=True))


class DirectWriter:
    """Short write transactions straight on a sqlite3 connection of their own, for the
    writes every call makes (the recorder's saves, a new caller's customer): through
    SQLAlchemy's pool, connection and execution layers a save's two statements and commit
    cost three times the CPU (1.25 ms against 0.38 ms per save, measured on the project's
    test machine; ``bench/call_store_bench.py`` shows the whole call's share). The
    transaction takes the write lock at its start
    (``BEGIN IMMEDIATE``, waited for like any busy database) and its statements run at once,
    with no await between them; one transaction at a time on this connection."""

    def __init__(self, database: str) -> None:
        self.database = database
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.database, timeout=0, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA foreign_keys=ON")
            self._conn = conn
        return self._conn

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` in one transaction, committed; rolled back if it raises."""
        async with self._lock:
            conn = self._connection()
            await retrying_busy(conn.execute, "BEGIN IMMEDIATE")
            try:
                result = work(conn)
                await retrying_busy(conn.execute, "COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class InlineAsyncConnection(AsyncConnection):
    """An AsyncConnection that goes back to the pool as its ``async with`` ends."""

    __slots__ = ()

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.close()


class InlineAsyncEngine(AsyncEngine):
    """The AsyncEngine of a SQLite file run in the loop's thread: its connections close
    at once (``InlineAsyncConnection``)."""

    __slots__ = ()
    _connection_cls = InlineAsyncConnection


class InlineAsyncSession(AsyncSession):
    """An AsyncSession (and ``sessionmaker.begin()``'s session) that closes as its
    ``async with`` ends."""

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.close()

    def _maker_context_manager(self) -> Any:
        return _InlineBegun(self)


class _InlineBegun:
    """``async with sessionmaker.begin() as s``: a transaction that commits (or rolls
    back on an error), then the session closed."""

    __slots__ = ("session", "transaction")

    def __init__(self, session: InlineAsyncSession) -> None:
        self.session = session

    async def __aenter__(self) -> InlineAsyncSession:
        self.transaction = self.session.begin()
        await self.transaction.__aenter__()
        return self.session

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        try:
            await self.transaction.__aexit__(type_, value, traceback)
        finally:
            await self.session.close()
