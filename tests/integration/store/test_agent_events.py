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


async def test_given_states_when_they_end_then_their_time_per_quarter_hour(
        db: Database) -> None:
    repo = AgentEventRepository(db)
    base = 1_800_000_000.0                    # a quarter hour's start (divisible by 900)
    for at, new in ((base + 600, "available"), (base + 1000, "busy"),
                    (base + 1300, "not_ready"), (base + 2000, "available")):
        await repo.add(change(at, new, "x", None))
    await repo.add(change(base + 100, "available", "login", None, agent="bob"))
    # alice: available 600-900 | 900-1000, busy 1000-1300; bob: nothing ended yet
    assert sorted(await repo.time_between(base, base + 3600)) == [
        (base, "alice", 300.0, 0.0), (base + 900, "alice", 400.0, 300.0)]
    assert await repo.time_between(base + 900, base + 3600, agent_id="alice") == [
        (base + 900, "alice", 400.0, 300.0)]
    held = {e.agent_id: (e.at, e.new) for e in await repo.held_at(base + 5000)}
    assert held == {"alice": (base + 2000, "available"), "bob": (base + 100, "available")}
    restarted = AgentEventRepository(db)      # the state held comes from the store
    await restarted.add(change(base + 2100, "busy", "x", None))
    assert (base + 1800, "alice", 100.0, 0.0) in await restarted.time_between(base, base + 3600)


async def test_given_work_answered_here_when_released_without_wrap_up_then_no_seconds_added(
        db: Database) -> None:
    """With no wrap-up (``wrapup_seconds: 0``) nothing is added, and no older wrap-up of
    the same agent and interaction (the work came back to them) is taken for this one."""
    await InteractionRepository(db).save(InteractionData(
        "i1", "voice", queue="sales", events=[EventData("queued", 100.0)]))
    repo = AgentEventRepository(db)
    await repo.add(change(150.0, "busy", "answered"))
    await repo.add(change(200.0, "wrap_up", "wrap_up"))
    await repo.add(change(204.0, "available", "released"))
    assert await wrapup_of(db, "i1") == 4.0
    await repo.add(change(300.0, "busy", "answered"))        # transferred back to alice
    await repo.add(change(360.0, "available", "released"))   # ended, no wrap-up
    assert await wrapup_of(db, "i1") == 4.0
    restarted = AgentEventRepository(db)    # not seen here: the stored wrap-up start counts
    await restarted.add(change(210.0, "wrap_up", "wrap_up", agent="bob"))
    again = AgentEventRepository(db)
    await again.add(change(216.0, "available", "released", agent="bob"))
    assert await wrapup_of(db, "i1") == 10.0
