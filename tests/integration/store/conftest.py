"""The store on SQLite (a temp file) and on the real PostgreSQL server. PostgreSQL tests
run in a database of their own (``ccengine_test_<pid>``, dropped at the end of the session)
and each test in a fresh schema of it, so nothing else on the server is touched."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ccengine.store.db import Database

PG_SERVER = os.environ.get("CCENGINE_TEST_PG",
                           "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def _admin(sql: str) -> None:
    """Run one statement on the server's admin connection, on a thread of its own (the
    session fixture may be first requested from inside a running event loop)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _admin_async(sql)).result()


async def _admin_async(sql: str) -> None:
    engine = create_async_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """URL of a database created for this test session; dropped afterwards."""
    name = f"ccengine_test_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def unmigrated(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty store of the requested kind ("sqlite" or "postgres")."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
        try:
            yield database
        finally:
            await database.close()
        return
    url = request.getfixturevalue("pg_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    setup = Database(url)
    async with setup.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        yield database
    finally:
        await database.close()
        async with setup.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await setup.close()


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A store with no tables yet."""
    async for database in unmigrated(request, tmp_path):
        yield database


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A store migrated to the newest revision."""
    async for database in unmigrated(request, tmp_path):
        await database.migrate()
        yield database


@pytest.fixture(params=["counted", "uncounted"])
async def morning(db: Database, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A known morning of traffic, stored, with the reports API serving it (morning.py):
    its work counted into the quarter hours' sums as it ended, or left to reports."""
    from tests.integration.store.morning import open_morning
    async for m in open_morning(db, counted=request.param == "counted"):
        yield m
