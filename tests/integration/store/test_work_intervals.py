"""The quarter hours' sums of ended work: each interaction counted once however often it
is saved, ended work stored earlier counted by the backlog, and a wrap-up that ends after
the work adds its seconds to the sums."""

from __future__ import annotations

from sqlalchemy import select

from ccengine.reporting.intervals import ReportOptions, sums_of
from ccengine.store.agent_events import AgentEvent, AgentEventRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.models import WorkIntervalRecord
from ccengine.store.records import EventData, InteractionData
from ccengine.store.work_intervals import uncounted

OPTIONS = ReportOptions(by=(), thresholds={"sales": 20.0})
T = 1_800_000_000.0   # a quarter hour's start


def counter(work):  # type: ignore[no-untyped-def]
    return sums_of(work, OPTIONS)


def call(iid: str, *, ended: bool = True) -> InteractionData:
    events = [EventData("queued", T + 10), EventData("answered", T + 15, {"agent_id": "alice"})]
    if ended:
        events.append(EventData("ended", T + 75))
    return InteractionData(iid, "voice", queue="sales", events=events)


async def sums(db: Database) -> list[tuple[int, str, str, str, int, int, float, float]]:
    w = WorkIntervalRecord
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(select(
            w.bucket, w.queue, w.medium, w.agent_id, w.offered, w.met, w.talk_total,
            w.wrapup_total).order_by(w.agent_id))).all()]


async def test_given_saves_of_ended_work_then_counted_once_and_the_wrap_up_added_later(
        db: Database) -> None:
    recorder = InteractionRepository(db, counter=counter)
    await recorder.save(call("c1", ended=False))
    assert await sums(db) == []                         # live: not counted yet
    await recorder.save(call("c1"))
    await InteractionRepository(db, counter=counter).save(call("c1"))  # another node
    bucket = int(T // 900)
    assert await sums(db) == [(bucket, "sales", "voice", "*", 1, 1, 60.0, 0.0),
                              (bucket, "sales", "voice", "alice", 1, 1, 60.0, 0.0)]
    events = AgentEventRepository(db)
    await events.add(AgentEvent("alice", T + 75, "busy", "wrap_up", "", "wrap_up", "c1"))
    await events.add(AgentEvent("alice", T + 82, "wrap_up", "available", "", "released",
                                "c1"))
    assert await sums(db) == [(bucket, "sales", "voice", "*", 1, 1, 60.0, 7.0),
                              (bucket, "sales", "voice", "alice", 1, 1, 60.0, 7.0)]


async def test_given_ended_work_stored_uncounted_then_the_backlog_counts_it_once(
        db: Database) -> None:
    await InteractionRepository(db).save(call("old"))      # no counter: left uncounted
    await InteractionRepository(db).save(call("live", ended=False))
    recorder = InteractionRepository(db, counter=counter)
    assert await recorder.count_backlog(batch=1) == 1
    assert await recorder.count_backlog() == 0
    assert [(s[3], s[4]) for s in await sums(db)] == [("*", 1), ("alice", 1)]


async def test_given_the_count_fails_then_the_save_stands_and_the_work_stays_uncounted(
        db: Database) -> None:
    def broken(work):  # type: ignore[no-untyped-def]
        raise RuntimeError("a reporting bug")
    await InteractionRepository(db, counter=broken).save(call("c1"))
    stored = await InteractionRepository(db).get("c1")
    assert stored is not None and stored["timestamps"]["ended"] == T + 75
    assert await sums(db) == []
    assert [w.id for w in await uncounted(db, T, T + 900)] == ["c1"]
