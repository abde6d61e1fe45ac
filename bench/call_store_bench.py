"""The SQL store's share of one inbound call (a script, not a test): prints figures.

For each of N calls from a new number (a customer each, as the voice load benchmark's
callers are), it does what the engine does against its store on a call's way from the IVR
to the end: link the call to its customer (identified by the caller's number, created on
first contact; the tier read), store the interaction at each of its changes (queued with
its IVR path, offered, answered, ended: the recorder's four saves) and build the
agent's screen pop (profile and cross-channel history). Calls run one after another, so
the time per call is the store's (SQL, the ORM, the driver, the disk); the CPU this process
spent, in every thread, is printed too.

    .venv/bin/python bench/call_store_bench.py [--calls 500] [--repeat-callers 0.0] [--no-pop]
        [--url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

SQLite (a temp file, as the embedded default) unless a PostgreSQL URL is given (then the
tables of a throwaway database beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))  # store_lookup_bench imports machine_info so

from bench.machine_info import machine  # noqa: E402
from bench.store_lookup_bench import throwaway_postgres  # noqa: E402
from ccengine.core.interaction import Interaction  # noqa: E402
from ccengine.core.media import Medium  # noqa: E402
from ccengine.cti.customers import CustomerContext  # noqa: E402
from ccengine.reporting.intervals import ReportOptions, sums_of  # noqa: E402
from ccengine.store.agent_events import AgentEvent, AgentEventRepository  # noqa: E402
from ccengine.store.customers import CustomerRepository  # noqa: E402
from ccengine.store.db import Database  # noqa: E402
from ccengine.store.interactions import InteractionRepository  # noqa: E402


async def one_call(n: int, number: str, context: CustomerContext,
                   recorder: InteractionRepository, pop: bool = True,
                   agents: AgentEventRepository | None = None) -> None:
    now = time.time()
    call = Interaction(f"bench-{n}-{uuid.uuid4().hex[:8]}", Medium.VOICE, queue="sales",
                       created_at=now,
                       attributes={"caller_number": number, "ivr_path": ["main:1"]})
    call.record("entered", now)
    await context.link(call)
    for kind, data in (("queued", {"queue": "sales"}), ("offered", {"agent_id": "b001"}),
                       ("answered", {"agent_id": "b001"})):
        call.record(kind, time.time(), **data)
        if kind == "offered":
            call.agent_id = "b001"
            if pop:  # the engine pops only for an agent whose desktop is open
                await context.screen_pop(call)
        await recorder.save(call)
        if agents is not None and kind != "queued":   # the agent's change (agent_events)
            new = "offered" if kind == "offered" else "busy"
            await agents.add(AgentEvent("b001", time.time(), "available", new, "", kind,
                                        call.id))
    call.record("ended", time.time(), agent_id="b001", hung_up_by="caller")
    await recorder.save(call)
    if agents is not None:   # wrap-up, then released: its seconds go to the sums
        await agents.add(AgentEvent("b001", time.time(), "busy", "wrap_up", "", "wrap_up",
                                    call.id))
        await agents.add(AgentEvent("b001", time.time(), "wrap_up", "available", "",
                                    "released", call.id))


async def run(url: str, calls: int, repeat: float, seed: int, pop: bool,
              reports: bool = True) -> None:
    rng = random.Random(seed)
    db = Database(url)
    try:
        await db.migrate()
        context = CustomerContext(CustomerRepository(db))
        # as the engine's: the ended call's figures into the quarter hours' sums, and the
        # agent's state changes stored (``--no-reports``: neither, as before reports)
        options = ReportOptions(by=(), thresholds={"sales": 20.0})
        recorder = InteractionRepository(
            db, counter=(lambda w: sums_of(w, options)) if reports else None)
        agents = AgentEventRepository(db) if reports else None
        numbers: list[str] = []
        times: list[float] = []
        cpu = 0.0
        for n in range(calls + 20):  # the first 20 warm up (statement caches)
            if numbers and rng.random() < repeat:
                number = rng.choice(numbers)
            else:
                number = f"0{7400000000 + n}"
                numbers.append(number)
            started, started_cpu = time.perf_counter(), time.process_time()
            await one_call(n, number, context, recorder, pop, agents)
            if n >= 20:
                times.append(time.perf_counter() - started)
                cpu += time.process_time() - started_cpu
    finally:
        await db.close()
    times.sort()
    print(f"call store: {machine()}; {db.dialect}; {calls} calls, "
          f"{repeat:.0%} from an earlier caller")
    print(f"  per call: mean {statistics.mean(times) * 1000:.2f} ms, "
          f"p50 {times[len(times) // 2] * 1000:.2f} ms, "
          f"p99 {times[int(len(times) * 0.99)] * 1000:.2f} ms "
          f"(link, 4 saves{', screen pop' if pop else ''}"
          f"{', reports: 4 agent state changes, the sums' if reports else ''}); "
          f"CPU of this process "
          f"{cpu / calls * 1000:.2f} ms per call (both threads)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--repeat-callers", type=float, default=0.0,
                    help="share of calls from a number that called before (0..1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-pop", action="store_true",
                    help="leave the screen pop out (an agent without the desktop open)")
    ap.add_argument("--no-reports", action="store_true",
                    help="leave out what reports keep (the agent's state changes and time, "
                         "the ended call's sums): the store's work per call before them")
    ap.add_argument("--url", help="PostgreSQL URL (a throwaway database is made beside it)")
    args = ap.parse_args()
    if args.url:
        async def on_postgres() -> None:
            async with throwaway_postgres(args.url) as url:
                await run(url, args.calls, args.repeat_callers, args.seed, not args.no_pop,
                          not args.no_reports)
        asyncio.run(on_postgres())
    else:
        with tempfile.TemporaryDirectory() as d:
            asyncio.run(run(f"sqlite+aiosqlite:///{d}/store.db", args.calls,
                            args.repeat_callers, args.seed, not args.no_pop,
                            not args.no_reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
