"""Routing benchmark (a script, not a test): prints figures and the machine.

Scenario per size: A agents and W waiting interactions across 200 queues (one skill each;
every agent has 3 random skills). All agents are busy except one that has just become
available: one routing decision = one router pass that places work on that agent (the
event that happens every time an agent frees up). Reports decisions/s and p50/p99 decision
latency. Then the other end ("many free"): 320 to 10 000 agents of one queue, 40 % of them
on a call, and one call waiting: one decision = the pass that places it (what every call
queued below the knee costs). Then atomic reservations/s against a local Redis.

    .venv/bin/python bench/router_bench.py [--quick] [--preferences] [--no-redis]
        [--redis redis://127.0.0.1:6379/15]

--preferences runs each size again with named-contact routing on (every queue prefers
two agents per interaction; most waiting work is within its preference time, its preferred
agents busy) and prints the ratio of the decision rates.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid

from machine_info import machine  # bench/ is on sys.path when run as a script

from ccengine.core import agent_state as sm
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.preferences import PREFERRED, Preference
from ccengine.core.queue import QueueConfig
from ccengine.core.router import RoutingSnapshot, index_queues, order_waiting, route

QUEUES = 200


# named-contact routing on (--preferences): every queue prefers owner and last agent, and
# each waiting interaction names two random agents; the work was queued between 0 and
# 1000 s and the pass runs at 2000 s, so with 1600 s about 60 % of it is still within its
# preference time (its preferred agents busy: it waits for them)
PREFER_SECONDS = 1600.0


def build(agents: int, waiting: int, rnd: random.Random,  # type: ignore[no-untyped-def]
          prefer: bool = False):
    queues = {f"q{n}": QueueConfig(f"q{n}", frozenset({Medium.VOICE}), {f"s{n}": 1},
                                   prefer=("owner", "last_agent") if prefer else (),
                                   prefer_seconds=PREFER_SECONDS)
              for n in range(QUEUES)}
    profiles, live = {}, {}
    for n in range(agents):
        skills = {f"s{k}": rnd.randint(1, 10) for k in rnd.sample(range(QUEUES), 3)}
        p = AgentProfile(f"a{n}", f"a{n}", skills, {Medium.VOICE: 1})
        profiles[p.id] = p
        a = sm.login(AgentLive(p.id), float(n))[0]
        live[p.id] = sm.offer(a, p, f"busy-{n}", Medium.VOICE, 0.0, 1e12)[0]  # all busy
    items = [Interaction(f"i{n}", Medium.VOICE, queue=f"q{rnd.randrange(QUEUES)}",
                         priority=rnd.randint(0, 3), enqueued_at=rnd.uniform(0, 1000))
             for n in range(waiting)]
    if prefer:   # two agents with the queue's skill: they could answer, so work waits
        by_skill: dict[str, list[str]] = {}
        for p in profiles.values():
            for skill in p.skills:
                by_skill.setdefault(skill, []).append(p.id)
        for i in items:
            able = by_skill.get(f"s{(i.queue or 'q0')[1:]}") or [f"a{rnd.randrange(agents)}"]
            i.attributes[PREFERRED] = [
                Preference(rnd.choice(able), "owner").to_dict(),
                Preference(rnd.choice(able), "last_agent", 0.0).to_dict()]
    return queues, profiles, live, order_waiting(items, queues)  # as an indexed state keeps it


def bench_router(agents: int, waiting: int, decisions: int, prefer: bool = False) -> float:
    """Prints the figures of one run; returns its decisions per second."""
    rnd = random.Random(42)
    queues, profiles, live, items = build(agents, waiting, rnd, prefer)
    times, made = [], 0
    index = index_queues(queues)  # kept by the dispatcher; queues do not change at run time
    for _ in range(decisions):
        agent_id = f"a{rnd.randrange(agents)}"
        busy = live[agent_id]
        freed = sm.login(AgentLive(agent_id), 2000.0)[0]
        live[agent_id] = freed
        snap = RoutingSnapshot(profiles, live, queues, items, available=[agent_id],
                               queue_index=index)
        t0 = time.perf_counter()
        out = route(snap, now=2000.0)
        times.append(time.perf_counter() - t0)
        made += len(out)
        live[agent_id] = busy
    times.sort()
    total = sum(times)
    print(f"router{' +prefer' if prefer else '        '}  agents={agents:>6} "
          f"waiting={waiting:>7}  decisions/s={decisions / total:>10.0f}"
          f"  p50={statistics.median(times) * 1e3:8.3f} ms"
          f"  p99={times[int(len(times) * 0.99) - 1] * 1e3:8.3f} ms  (assignments {made})")
    return decisions / total


def bench_many_free(agents: int, busy_share: float, decisions: int) -> None:
    """The other end: most agents free, one call waiting (a voice queue below its knee,
    every call routed as it is queued), as in the voice bench (two queues needing the skill
    all agents have). ``busy_share`` of the agents are on a call since before the others
    went idle, so they come first in idle order. The snapshot is the dispatcher's: every
    logged-in agent, no index of who has room."""
    rnd = random.Random(7)
    queues = {q: QueueConfig(q, frozenset({Medium.VOICE}), {"sales": 1})  # the voice bench's
              for q in ("sales", "support")}
    profiles, live = {}, {}
    for n in range(agents):
        p = AgentProfile(f"a{n}", f"a{n}", {"sales": 5}, {Medium.VOICE: 1})
        profiles[p.id] = p
        busy = n < agents * busy_share
        a = sm.login(AgentLive(p.id), float(n) if busy else 1000.0 + rnd.uniform(0, 500))[0]
        if busy:
            a = sm.offer(a, p, f"busy-{n}", Medium.VOICE, 0.0, 1e12)[0]
        live[p.id] = a
    times = []
    for d in range(decisions):
        waiting = order_waiting([Interaction(f"i{d}", Medium.VOICE, queue="sales",
                                             enqueued_at=1990.0)], queues)
        snap = RoutingSnapshot(profiles, live, queues, waiting, queue_index=index_queues(queues))
        t0 = time.perf_counter()
        out = route(snap, now=2000.0)
        times.append(time.perf_counter() - t0)
        assert len(out) == 1
    times.sort()
    print(f"router many free  agents={agents:>6} busy={busy_share:.0%}  waiting=      1"
          f"  decisions/s={len(times) / sum(times):>10.0f}"
          f"  p50={statistics.median(times) * 1e3:8.3f} ms"
          f"  p99={times[int(len(times) * 0.99) - 1] * 1e3:8.3f} ms")


async def bench_redis(url: str, agents: int, reservations: int, concurrency: int) -> None:
    from ccengine.state.redis import RedisState
    prefix = f"ccbench:{uuid.uuid4().hex[:8]}:"
    state = await RedisState.connect(url, prefix)
    try:
        profiles = [AgentProfile(f"a{n}", f"a{n}", {}, {Medium.CHAT: 1_000_000})
                    for n in range(agents)]
        for p in profiles:
            await state.put_agent(sm.login(AgentLive(p.id), 0.0)[0])
        counter = iter(range(reservations))
        lat: list[float] = []

        async def worker() -> None:
            for n in counter:
                t0 = time.perf_counter()
                ok = await state.reserve(profiles[n % agents], f"i{n}", Medium.CHAT, 1.0, 9.0)
                lat.append(time.perf_counter() - t0)
                if ok is None:
                    raise SystemExit("reservation refused unexpectedly")

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
        lat.sort()
        print(f"redis   reservations={reservations} concurrency={concurrency} agents={agents}"
              f"  reservations/s={reservations / elapsed:8.0f}"
              f"  p50={statistics.median(lat) * 1e3:.3f} ms"
              f"  p99={lat[int(len(lat) * .99)] * 1e3:.3f} ms")
    finally:
        keys = [k async for k in state.r.scan_iter(match=f"{prefix}*")]
        for i in range(0, len(keys), 1000):
            await state.r.delete(*keys[i:i + 1000])
        await state.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--preferences", action="store_true",
                        help="also each size with named-contact preferences on")
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis figures")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    sizes = [(1000, 10_000), (10_000, 10_000), (10_000, 100_000)]
    if args.quick:
        sizes = [(1000, 10_000)]
    for agents, waiting in sizes:
        decisions = 50 if waiting >= 100_000 else 200
        off = bench_router(agents, waiting, decisions)
        if args.preferences:
            on = bench_router(agents, waiting, decisions, prefer=True)
            print(f"        preferences on / off: {on / off:.2f} of the decision rate")
    for agents in (320,) if args.quick else (320, 1000, 10_000):
        bench_many_free(agents, 0.4, 200)
    if not args.no_redis:
        asyncio.run(bench_redis(args.redis, agents=1000, reservations=2_000 if args.quick
                                else 20_000, concurrency=50))


if __name__ == "__main__":
    main()
