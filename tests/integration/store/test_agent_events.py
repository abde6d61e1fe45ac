"""Agents' state changes in the store: kept in order, the state a period starts in found,
and a wrap-up's seconds added to its interaction's row, also when the engine restarted
between the wrap-up's start and its end."""

from __future__ import annotations

from sqlalchemy import select

from ccengine.store.agent_events import AgentEvent, AgentEventRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.models import InteractionRecord
from ccengine.store.records import EventData, InteractionData


def change(at: float, new: str, cause: str, iid: str | None = "i1",
           agent: str = "alice") -> AgentEvent:
    return AgentEvent(agent, at, "x", new, "", cause, iid)


async def wrapup_of(db: Database, iid: str) -> float:
    async with db.engine.connect() as conn:
        return (await conn.execute(select(InteractionRecord.wrapup_seconds)
                                   .where(InteractionRecord.id == iid))).scalar_one()


async def test_given_wrap_ups_when_they_end_then_their_seconds_are_on_the_interaction(
        db: Database) -> None:
    await InteractionRepository(db).save(InteractionData(
        "i1", "voice", queue="sales", events=[EventData("queued", 100.0)]))
    first = AgentEventRepository(db)
    await first.add(change(200.0, "wrap_up", "wrap_up"))
    await first.add(change(207.5, "available", "released"))
    assert await wrapup_of(db, "i1") == 7.5
    await first.add(change(210.0, "wrap_up", "wrap_up", agent="bob"))
    restarted = AgentEventRepository(db)       # knows nothing of bob's wrap-up start
    await restarted.add(change(214.0, "available", "wrap_up_ended", agent="bob"))
    assert await wrapup_of(db, "i1") == 11.5
    # a later save of the interaction keeps what was added
    await InteractionRepository(db).save(InteractionData(
        "i1", "voice", queue="sales", events=[EventData("queued", 100.0),
                                              EventData("ended", 199.0)]))
    assert await wrapup_of(db, "i1") == 11.5


async def test_given_changes_when_read_for_a_period_then_the_state_it_starts_in_too(
        db: Database) -> None:
    repo = AgentEventRepository(db)
    for at, new in ((10.0, "available"), (20.0, "busy"), (30.0, "not_ready"),
                    (40.0, "available")):
        await repo.add(change(at, new, "x", None))
    await repo.add(change(15.0, "available", "login", None, agent="bob"))
    found = await repo.between(25.0, 50.0)
    assert [(e.agent_id, e.at, e.new) for e in found] == [
        ("bob", 15.0, "available"), ("alice", 20.0, "busy"), ("alice", 30.0, "not_ready"),
        ("alice", 40.0, "available")]
