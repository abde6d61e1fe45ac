"""The interaction store on SQLite and on the real PostgreSQL server: migrations, saving
with events, idempotent re-saves."""

from __future__ import annotations

import os

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository

PG_ADMIN = os.environ.get("CCENGINE_TEST_PG",
                          "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def a_call() -> Interaction:
    i = Interaction("call-1", Medium.VOICE, queue="sales",
                    attributes={"caller_number": "07700900123", "ivr_path": ["main:1"]})
    for n, kind in enumerate(("entered", "ivr_done", "queued")):
        i.record(kind, 100.0 + n)
    return i


async def test_given_new_interaction_when_saved_then_read_back_with_milestones(
        db: Database) -> None:
    repo = InteractionRepository(db)
    await repo.save(a_call())
    got = await repo.get("call-1")
    assert got is not None
    assert got["timestamps"]["entered"] == 100.0 and got["timestamps"]["queued"] == 102.0
    assert got["timestamps"]["answered"] is None
    assert got["ivr_path"] == ["main:1"] and got["caller_number"] == "07700900123"


async def test_given_saved_interaction_when_saved_again_then_events_not_duplicated(
        db: Database) -> None:
    repo = InteractionRepository(db)
    call = a_call()
    await repo.save(call)
    call.record("offered", 110.0, agent_id="alice")
    call.record("answered", 112.0, agent_id="alice")
    await repo.save(call)
    await repo.save(call)
    got = await repo.get("call-1")
    assert got is not None
    assert [e["kind"] for e in got["events"]] == ["entered", "ivr_done", "queued", "offered",
                                                  "answered"]
    assert got["agent_id"] == "alice" and got["timestamps"]["answered"] == 112.0


async def test_given_migrated_database_when_migrating_again_then_nothing_breaks(
        db: Database) -> None:
    await db.migrate()
    assert await InteractionRepository(db).get("absent") is None
