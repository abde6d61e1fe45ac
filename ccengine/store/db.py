"""The database: an async SQLAlchemy engine, its session factory, and the Alembic migrations
run at start. URLs: ``sqlite+aiosqlite:///path.db`` (the embedded default; foreign keys
enforced, WAL journal; SQLite runs in the loop's thread, see ``sqlite_inline``) or ``postgresql+asyncpg://user@host:5432/db``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from ccengine.store.errors import StoreError
from ccengine.store.sqlite_inline import (
    DirectWriter,
    InlineAsyncEngine,
    InlineAsyncSession,
    inline_creator,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
MIGRATION_LOCK = 0x6363656E67696E65  # "ccengine": the advisory lock key of migrations


class InvalidStoreUrl(StoreError, ValueError):
    code = "store_url_invalid"


class MigrationFailed(StoreError):
    code = "migration_failed"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at the migrations shipped in this package; with a
    connection, migrations run on it (see migrations/env.py)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def create_engine_from_url(url: str, **engine_options: Any) -> AsyncEngine:
    """An AsyncEngine for a SQLite (aiosqlite) or PostgreSQL (asyncpg) URL. SQLite
    connections enforce foreign keys and use the WAL journal; the file's folder is made.
    ``engine_options`` go to ``create_async_engine`` (e.g. ``connect_args``)."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise InvalidStoreUrl(f"store url {url!r}: {e}") from e
    if parsed.drivername not in DRIVERS:
        raise InvalidStoreUrl(f"store url {url!r}: driver {parsed.drivername!r} is not one of "
                              f"{', '.join(DRIVERS)}")
    sqlite = parsed.drivername.startswith("sqlite")
    if sqlite and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    inline = sqlite and "async_creator" not in engine_options
    if inline:
        # SQLite calls run in the loop's thread, not through aiosqlite's worker thread
        engine_options = {**engine_options,
                          "async_creator": inline_creator(parsed.database or ":memory:")}
    engine = create_async_engine(url, **engine_options)
    if sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if inline:  # ... and its connections close at once (sqlite_inline)
        engine = InlineAsyncEngine(engine.sync_engine)
    return engine


class Database:
    """Owns the engine and the session factory for one store URL."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.engine_options = engine_options
        self.engine: AsyncEngine = create_engine_from_url(url, **engine_options)
        self.session = async_sessionmaker(
            self.engine, expire_on_commit=False,
            class_=InlineAsyncSession if isinstance(self.engine, InlineAsyncEngine)
            else AsyncSession)
        # the writes every call makes, on a SQLite file: straight to sqlite3 (sqlite_inline)
        database = self.engine.url.database
        self.direct: DirectWriter | None = (
            DirectWriter(database) if self.dialect == "sqlite" and database
            and database != ":memory:" and "async_creator" not in engine_options else None)

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.engine.dialect.name

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (the newest by default) with Alembic, on a sync
        connection of the async engine (works on SQLite and PostgreSQL alike)."""
        await self._alembic(command.upgrade, revision)

    async def downgrade(self, revision: str) -> None:
        """Take the schema back to ``revision`` ("base" removes every table)."""
        await self._alembic(command.downgrade, revision)

    async def _alembic(self, step: Callable[[Config, str], object], revision: str) -> None:
        await run_migration(self.engine, lambda c: step(alembic_config(c), revision),
                            revision)

    async def ping(self) -> None:
        """A trivial query: raises if the database cannot be reached."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        if self.direct is not None:
            self.direct.close()
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


async def run_migration(engine: AsyncEngine, work: Callable[[Connection], object],
                        revision: str = "head") -> None:
    """Run Alembic ``work`` on one connection in one transaction: all of it happens or
    none. PostgreSQL: an advisory lock makes engine nodes starting together migrate one
    after the other. SQLite: foreign keys are off meanwhile (a batch migration copies and
    drops referenced tables) and checked as a whole before commit; the transaction is
    opened explicitly (the driver would run DDL outside one) and takes the write lock at
    once, so processes starting together migrate one after the other."""
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as conn:
        if sqlite:  # outside any transaction, or SQLite ignores it
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.exec_driver_sql("BEGIN IMMEDIATE")  # one migrator at a time
        else:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": MIGRATION_LOCK})
        try:
            await conn.run_sync(work)
            if sqlite:
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise MigrationFailed(f"migrating to {revision} would leave rows with "
                                          f"dangling foreign keys: {broken[:5]}")
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
        finally:
            if sqlite:
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
