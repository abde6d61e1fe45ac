"""Reports over a large store (a script, not a test): prints figures.

Fills a store with N interactions (default 1 000 000) spread over 30 days across 4 queues
and 3 media — 80 % answered, 12 % abandoned, the rest a callback instead; 10 % transferred;
each handled one with its agent's wrap-up state changes — with what the engine keeps as
work ends (each interaction's figures summed per quarter hour in ``work_intervals``, the
agents' time in ``agent_time``), then times what ``GET /api/reports`` does (the quarter
hours' sums, the work not counted yet, the agents' time, ``build_report``) for: the whole
month by day, one day by 15 minutes, and the month by agent and day.

    .venv/bin/python bench/report_bench.py [--n 1000000]
        [--url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

SQLite (a temp file, as the embedded default) unless a PostgreSQL URL is given (then a
throwaway database beside it). The fill itself is not timed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.machine_info import machine  # noqa: E402
from bench.store_lookup_bench import throwaway_postgres  # noqa: E402
from ccengine.reporting.intervals import (  # noqa: E402
    ReportOptions,
    buckets_of,
    build_report,
    periods,
    sums_of,
)
from ccengine.store.agent_events import AgentEventRepository, time_pieces  # noqa: E402
from ccengine.store.db import Database  # noqa: E402
from ccengine.store.models import (  # noqa: E402
    AgentEventRecord,
    AgentTimeRecord,
    InteractionEventRecord,
    InteractionRecord,
    WorkIntervalRecord,
)
from ccengine.store.work_intervals import (  # noqa: E402
    ALL_AGENTS,
    ROW,
    SUMS,
    EndedWork,
    counted_sums,
    uncounted,
)

QUEUES = ("sales", "support", "billing", "retention")
MEDIA = ("voice", "voice", "chat", "email")
AGENTS = [f"agent{i:03d}" for i in range(200)]
START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30
BATCH = 20_000


def rows(n: int, seed: int):  # type: ignore[no-untyped-def]
    """Interactions, their events and agent state changes, in batches."""
    rnd = random.Random(seed)
    span = DAYS * 86400
    base = START.timestamp()
    inter, events, agents = [], [], []
    for i in range(n):
        iid = f"i{i:08d}"
        queued = base + rnd.random() * span
        queue = rnd.choice(QUEUES)
        medium = rnd.choice(MEDIA)
        roll = rnd.random()
        answered = ended = callback = None
        agent = hung_up_by = None
        transfers, wrap = 0, 0.0
        if roll < 0.8:
            agent = rnd.choice(AGENTS)
            answered = queued + rnd.expovariate(1 / 25)
            ended = answered + rnd.expovariate(1 / 200)
            wrap = rnd.uniform(3, 30)
            agents += [
                {"agent_id": agent, "at": answered, "old": "offered", "new": "busy",
                 "reason": "", "cause": "answered", "interaction_id": iid},
                {"agent_id": agent, "at": ended, "old": "busy", "new": "wrap_up",
                 "reason": "", "cause": "wrap_up", "interaction_id": iid},
                {"agent_id": agent, "at": ended + wrap, "old": "wrap_up", "new": "available",
                 "reason": "", "cause": "released", "interaction_id": iid}]
            if rnd.random() < 0.1:
                transfers = 1
                events.append({"interaction_id": iid, "seq": 1, "kind": "transfer_completed",
                               "at": answered + 30, "agent_id": agent, "data": {}})
        elif roll < 0.92:
            ended, hung_up_by = queued + rnd.expovariate(1 / 40), "caller"
        else:
            ended = queued + rnd.uniform(10, 120)
            callback = ended - 1
            events.append({"interaction_id": iid, "seq": 1, "kind": "callback_requested",
                           "at": ended - 1, "agent_id": None, "data": {}})
        inter.append({"id": iid, "medium": medium, "queue": queue, "priority": 0,
                      "status": "ended", "agent_id": agent, "hung_up_by": hung_up_by,
                      "attributes": {}, "entered_at": queued - 5, "queued_at": queued,
                      "answered_at": answered, "ended_at": ended,
                      "transfers": transfers, "callback_at": callback,
                      "first_response_at": answered + 600 if answered and medium == "email"
                      else None, "wrapup_seconds": wrap})
        if len(inter) >= BATCH:
            yield inter, events, agents
            inter, events, agents = [], [], []
    if inter:
        yield inter, events, agents


async def fill(db: Database, n: int) -> None:
    times: dict[tuple[str, int], list[float]] = {}
    sums: dict[tuple[int, str, str, str], dict[str, float]] = {}
    options = ReportOptions(by=(), thresholds={q: 20.0 for q in QUEUES})
    async with db.engine.begin() as conn:
        for inter, events, agents in rows(n, 1):
            for r in inter:      # what the recorder adds as each interaction ends
                r["counted_at"] = r["ended_at"]
                work = EndedWork(*(r[k] for k in ROW))
                counted = sums_of(work, options)
                for agent in (r["agent_id"] or "", ALL_AGENTS):
                    key = (int(r["queued_at"] // 900), r["queue"], r["medium"], agent)
                    total = sums.setdefault(key, dict.fromkeys(SUMS, 0.0))
                    for name, value in counted.items():
                        total[name] += value
            await conn.execute(InteractionRecord.__table__.insert(), inter)
            if events:
                await conn.execute(InteractionEventRecord.__table__.insert(), events)
            await conn.execute(AgentEventRecord.__table__.insert(), agents)
            for a in agents:    # what AgentEventRepository adds as each state ends
                if a["cause"] == "answered":
                    start = a["at"]
                elif a["cause"] == "released":
                    for p in time_pieces(a["agent_id"], "busy", start, a["at"]):
                        slot = times.setdefault((p["agent_id"], p["bucket"]), [0.0, 0.0])
                        slot[0] += p["staffed"]
                        slot[1] += p["occupied"]
        table = WorkIntervalRecord.__table__
        keyed = [{"bucket": b, "queue": q, "medium": m, "agent_id": a, **v}
                 for (b, q, m, a), v in sums.items()]
        for i in range(0, len(keyed), BATCH):
            await conn.execute(table.insert(), keyed[i:i + BATCH])
        pairs = list(times.items())
        for i in range(0, len(pairs), BATCH):
            await conn.execute(AgentTimeRecord.__table__.insert(), [
                {"agent_id": agent, "bucket": bucket, "staffed_seconds": staffed,
                 "occupied_seconds": occupied}
                for (agent, bucket), (staffed, occupied) in pairs[i:i + BATCH]])


async def timed(what: str, db: Database, events: AgentEventRepository, start: datetime,
                end: datetime, interval: str, by: tuple[str, ...]) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    since, until = start.timestamp(), end.timestamp()
    thresholds = {q: 20.0 for q in QUEUES}
    options = ReportOptions(by=by, thresholds=thresholds, now=until)
    buckets = [*await counted_sums(db, since, until, by=by),
               *buckets_of(await uncounted(db, since, until), by, options)]
    t1 = time.perf_counter()
    agent_time, held = [], []
    if "agent" in by:
        agent_time = await events.time_between(since, until)
        held = await events.held_at(until)
    t2 = time.perf_counter()
    result = build_report(buckets, periods(start, end, interval), options, agent_time, held)
    t3 = time.perf_counter()
    offered = sum(r["offered"] for r in result)
    print(f"  {what:<30} {offered:>9} interactions {len(result):>6} rows {t3 - t0:6.2f} s "
          f"(the quarter hours' sums {t1 - t0:.2f} s, agents' time {t2 - t1:.2f} s, rows "
          f"{t3 - t2:.2f} s; this process's CPU {time.process_time() - c0:.2f} s)")


async def run(url: str, n: int) -> None:
    db = Database(url)
    await db.migrate()
    t = time.perf_counter()
    await fill(db, n)
    print(f"  filled {n} interactions in {time.perf_counter() - t:.0f} s (not counted)")
    events = AgentEventRepository(db)
    month_end = START + timedelta(days=DAYS)
    day = START + timedelta(days=14)
    await timed("the month, by day", db, events, START, month_end, "day", ("queue", "medium"))
    await timed("one day, by 15 minutes", db, events, day, day + timedelta(days=1), "15",
                ("queue", "medium"))
    await timed("the month, by agent and day", db, events, START, month_end, "day",
                ("agent",))
    await db.close()


async def main_async(args: argparse.Namespace) -> None:
    print(f"report bench on {machine()}")
    if args.url:
        print(f"PostgreSQL, {args.n} interactions over {DAYS} days")
        async with throwaway_postgres(args.url) as url:
            await run(url, args.n)
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite (a temp file), {args.n} interactions over {DAYS} days")
        await run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args.n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="interactions to store")
    ap.add_argument("--url", help="PostgreSQL URL (a throwaway database is made beside it); "
                                  "default: SQLite in a temp file")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
