"""The recorder's saves on a SQLite file go straight to sqlite3 (sqlite_inline.DirectWriter):
the rows are the same as through SQLAlchemy, a failed save leaves nothing and the writer
usable, and saves wait for another writer's lock without blocking the loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.errors import UnknownCustomer
from ccengine.store.interactions import InteractionRepository
from ccengine.store.records import InteractionData


async def _migrated(path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    return db


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite file store (its saves go through the direct writer)."""
    database = await _migrated(tmp_path / "s.db")
    assert database.direct is not None
    yield database
    await database.close()


async def _rows(db: Database) -> dict[str, list[Any]]:
    async with db.engine.connect() as conn:
        return {t: [tuple(r) for r in (await conn.execute(text(
            f"SELECT * FROM {t} ORDER BY 1, 2"))).all()]
            for t in ("interactions", "interaction_events")}


def _call(customer_id: str) -> Interaction:
    call = Interaction("call-1", Medium.VOICE, queue="sales", priority=2,
                       customer_id=customer_id,
                       attributes={"caller_number": "+447700900123", "ivr_path": ["main:1"],
                                   "nested": {"a": [1, 2.5, None, True]}, "name": "Zoë"})
    call.record("entered", 100.0)
    call.record("queued", 101.0, queue="sales")
    return call


async def test_given_same_saves_then_direct_and_sqlalchemy_rows_identical(
        tmp_path: Path) -> None:
    direct, core = await _migrated(tmp_path / "d.db"), await _migrated(tmp_path / "c.db")
    assert direct.direct is not None
    core.direct = None  # the SQLAlchemy path, as on PostgreSQL
    try:
        for db in (direct, core):
            # the same customer id in both stores, so the rows compare whole
            async with db.engine.begin() as conn:
                await conn.execute(text(
                    "INSERT INTO customers (id, tier, created_at, updated_at) "
                    "VALUES ('cust-1', 'gold', 1.0, 1.0)"))
            repo, call = InteractionRepository(db), _call("cust-1")
            assert await repo.save(call) == 2
            call.record("offered", 102.0, agent_id="alice")
            call.record("answered", 103.0, agent_id="alice")
            assert await repo.save(call) == 2
            call.record("ended", 104.0, agent_id="alice", hung_up_by="caller")
            assert await repo.save(call) == 1
            assert await repo.save(call) == 0  # a re-save stores nothing new
        got = await _rows(direct)
        assert got == await _rows(core)
        assert len(got["interaction_events"]) == 5
        view = await InteractionRepository(direct).get("call-1")
        assert view is not None and view["customer_id"] == "cust-1"
        assert view["attributes"]["nested"] == {"a": [1, 2.5, None, True]}
        assert view["attributes"]["name"] == "Zoë"
    finally:
        await direct.close()
        await core.close()


async def test_given_unknown_customer_then_nothing_saved_and_writer_still_works(
        db: Database) -> None:
    repo = InteractionRepository(db)
    with pytest.raises(UnknownCustomer):
        await repo.save(InteractionData("z", "voice", customer_id="no-such-customer"))
    assert (await _rows(db))["interactions"] == []
    customer = await CustomerRepository(db).get_or_create_by_identity("phone",
                                                                      "+447700900123")
    assert await repo.save(_call(customer["id"])) == 2
    assert [r["id"] for r in await repo.list()] == ["call-1"]


async def test_given_another_writer_holds_the_lock_then_saves_wait_and_all_land(
        db: Database) -> None:
    repo = InteractionRepository(db)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.ensure_future(tick())
    async with db.engine.begin() as conn:  # a pool connection holds the write lock
        await conn.execute(text("INSERT INTO customers (id, tier, created_at, "
                                "updated_at) VALUES ('c', 'standard', 1.0, 1.0)"))
        saves = [asyncio.ensure_future(repo.save(InteractionData(f"i{n}", "voice")))
                 for n in range(20)]
        await asyncio.sleep(0.2)
        assert not any(s.done() for s in saves)  # waiting for the lock
        assert ticks >= 10                       # while the loop runs on
    await asyncio.gather(*saves)
    ticker.cancel()
    assert len((await _rows(db))["interactions"]) == 20


async def test_given_identity_created_meanwhile_by_another_node_then_theirs_and_no_orphan(
        db: Database) -> None:
    other_node = Database(db.url)
    try:
        repo = CustomerRepository(db, "GB")
        theirs = await CustomerRepository(other_node, "GB").get_or_create_by_identity(
            "phone", "07700 900123")
        real_find, finds = repo.find_by_identity, 0

        async def find_missing_first(kind: str, value: str) -> Any:
            nonlocal finds
            finds += 1  # the first look happened before the other node's commit
            return None if finds == 1 else await real_find(kind, value)

        repo.find_by_identity = find_missing_first  # type: ignore[method-assign]
        got = await repo.get_or_create_by_identity("phone", "+44 7700 900123")
        assert (got["id"], finds) == (theirs["id"], 2)
        async with db.engine.connect() as conn:  # the failed creation left no customer
            assert (await conn.execute(text("SELECT count(*) FROM customers"))).scalar() == 1
    finally:
        await other_node.close()
