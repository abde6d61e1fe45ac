"""Dialer pacing benchmark (a script, not a test): prints figures and the machine.

1. The cost of one ``decide`` call (ccengine/campaigns/pacing.py) for a campaign of 500
   agents: random snapshots (a few free agents, the rest busy, some with a known
   remaining time, up to three calls in progress per agent, answer rates 5-60 %, abandon
   rates from 0 to the limit), each decided in predictive mode; mean, p50, p99 and max
   of every call, in wall time and in this thread's CPU time (the same unless other work
   takes the CPU meanwhile). Target: under 1 ms.
2. The seeded campaign simulation the tests use (tests/unit/campaigns/pacing_sim.py)
   for a few seeds and team sizes, predictive then progressive: the abandon rate
   (overall and the highest rolling 24 h rate after the first 500 live answers), the
   agents' utilisation (talking) and occupancy (talking or wrap-up), dials per live
   answer, and the simulation's own CPU time.

    .venv/bin/python bench/pacing_bench.py [--calls 20000] [--seeds 1 2]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.machine_info import ElsewhereMeter, machine  # noqa: E402
from ccengine.campaigns.pacing import (  # noqa: E402
    AbandonStatus,
    DialStats,
    Mode,
    PacingSettings,
    Snapshot,
    decide,
)
from tests.unit.campaigns.pacing_sim import SimConfig, run  # noqa: E402

AGENTS = 500
TARGET_MS = 1.0


def snapshot(rnd: random.Random) -> Snapshot:
    free = rnd.randint(0, 40)
    busy: list[float | None] = [rnd.uniform(0, 300) if rnd.random() < 0.3 else None
                                for _ in range(AGENTS - free)]
    dials = rnd.randint(30, 1000)
    answers = rnd.randint(1000, 100_000)
    return Snapshot(free_agents=free, busy_agents=busy, ringing=rnd.randint(0, 3 * AGENTS),
                    answered_waiting=rnd.randint(0, 5),
                    stats=DialStats(dials, round(dials * rnd.uniform(0.05, 0.6)),
                                    rnd.uniform(5, 25), rnd.uniform(60, 400),
                                    AbandonStatus(answers,
                                                  round(answers * rnd.uniform(0, 0.0299)))))


def decide_cost(calls: int) -> None:
    rnd = random.Random(17)
    settings = PacingSettings(mode=Mode.PREDICTIVE)
    snapshots = [snapshot(rnd) for _ in range(200)]
    wall, cpu, dialled = [], [], []
    for i in range(calls):
        s = snapshots[i % len(snapshots)]
        started, started_cpu = time.perf_counter(), time.thread_time()
        d = decide(s, settings)
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
        dialled.append(d.dial)
    print(f"decide, {AGENTS} agents: {calls} calls over {len(snapshots)} snapshots "
          f"(dials per decision {statistics.fmean(dialled):.1f}, 0 to {max(dialled)}):")
    for name, times in (("wall", wall), ("CPU", cpu)):
        times.sort()
        p99 = times[int(len(times) * 0.99)] * 1e3
        print(f"  {name:>4}: mean {statistics.fmean(times) * 1e3:.3f} ms, p50 "
              f"{times[len(times) // 2] * 1e3:.3f} ms, p99 {p99:.3f} ms, max "
              f"{times[-1] * 1e3:.3f} ms (target < {TARGET_MS:.0f} ms: "
              f"{'met' if p99 < TARGET_MS else 'NOT met'})")
    print("  (wall time includes waiting for the CPU while other work runs; CPU time, this "
          "thread's, does not)")


def simulations(seeds: list[int]) -> None:
    print("\nsimulated campaign (answer rate 25-50 % over 2 h, talk ~ exp(90 s), wrap 10-20 s,"
          " limit 3 % of live answers, 2 s):")
    print(f"  {'seed':>4} {'agents':>6} {'mode':<11} {'answers':>7} {'abandon':>7} "
          f"{'max 24h':>7} {'util':>5} {'occup':>5} {'dials/ans':>9} {'hours':>5} {'cpu s':>5}")
    for agents, answers in ((30, 10_000), (100, 20_000)):
        for seed in seeds:
            for mode, n in ((Mode.PREDICTIVE, answers), (Mode.PROGRESSIVE, answers // 2)):
                started = time.process_time()
                r = run(SimConfig(seed=seed, agents=agents, live_answers=n,
                                  settings=PacingSettings(mode=mode)))
                cpu = time.process_time() - started
                problems = f"  {len(r.violations)} bound violations!" if r.violations else ""
                print(f"  {seed:>4} {agents:>6} {mode.value:<11} {r.live_answers:>7} "
                      f"{r.abandon_rate:>7.2%} {r.max_rolling_rate:>7.2%} "
                      f"{r.utilisation:>5.3f} {r.occupancy:>5.3f} {r.dials_per_answer:>9.2f} "
                      f"{r.seconds / 3600:>5.1f} {cpu:>5.1f}{problems}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000, help="decide calls timed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"date: {date.today().isoformat()}")
    elsewhere = ElsewhereMeter()
    decide_cost(args.calls)
    simulations(args.seeds)
    print(f"elsewhere on the machine meanwhile: {elsewhere.report()}")


if __name__ == "__main__":
    main()
