#!/usr/bin/env python3
"""Dialer throughput (a script, not a test): a campaign's calls placed per second through
the trunk on this machine, against sipp (docs/campaigns.md "Phone steps", "Predictive
dialling", "Dialer pacing").

The engine starts with its own Asterisk, everything on 127.0.0.1 on free ports, with a
registration trunk to a sipp carrier (tests/sip/carrier.py: it answers at once and echoes
the audio until the other side hangs up) and ``--agents`` agents whose phones are one sipp
UAS: it answers at once, sends audio, and hangs up ``--hold-ms`` after answering (or
earlier if the engine hangs up). A campaign with one phone step (attempts 1) and
``dialer.mode`` ``--mode`` lists ``--customers`` customers with distinct London numbers
(020 7946 xxxx, none ending in the carrier's busy, no-answer or slow-answer digits); it
is started through the API and followed until every target is settled, nothing has
changed for ``--stall-seconds`` while targets are still open (those are listed), or
``--time-limit`` is up. Printed:

- the INVITEs the carrier received per second: overall (from the first to the last, and
  over the whole run) and the most in any 5 s window; the time from the start to the
  first INVITE;
- the campaign's outcomes (GET /api/campaigns/{id}: answered, i.e. connected to an agent,
  abandoned, failed...), its targets by state, and its ``dialer`` status at the end
  (mode, reason, abandon rate; predictive campaigns only);
- sampled every second while calls were placed: the agents' states (busy, offered,
  available, wrap_up) and the customers ready to dial (the runner's pool: empty means
  the runner, not the pacing, holds the rate back); the most calls the carrier had up
  at once, and how the pacing's reason changed over the run;
- the CPU of the engine process and of Asterisk (per call placed), and of the machine.

    .venv/bin/python bench/dialer_bench.py [--mode predictive|progressive]
        [--agents 50] [--customers 500] [--hold-ms 3000] [--wrapup-seconds 0]
        [--time-limit 240] [--stall-seconds 30] [--engine-set KEY=VALUE ...] [--keep]

Run it from the repository root on an otherwise idle machine. Needs asterisk and sipp.
Exits non-zero only when the setup fails (the engine, the trunk, the agents, the API).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402

from bench.machine_info import ElsewhereMeter, has_telephony, machine  # noqa: E402
from bench.voice_load_bench import (  # noqa: E402
    AGENT_ANSWERS,
    BYE_ANSWERED,
    CpuMeter,
    Harness,
    MachineMeter,
    asterisk_pid,
    wait_http,
)
from tests.e2e.ports import free_port, free_range  # noqa: E402
from tests.sip.carrier import (  # noqa: E402
    BUSY_SUFFIX,
    NO_ANSWER_SUFFIX,
    SLOW_ANSWER_SUFFIX,
    Carrier,
)
from tests.sip.sipp import PCAP_DIR  # noqa: E402

# as tests/e2e/trunk_rig.py (not imported: it pulls in the e2e test fixtures)
CARRIER_USER, CARRIER_PASSWORD = "acme", "carrier-secret"
CALLER_ID, CALLER_NAME = "+442079460000", "ACME Sales"
OUTBOUND = {"trunk": "carrier", "caller_id": CALLER_ID, "caller_name": CALLER_NAME,
            "format": "national", "allow": ["fixed", "mobile", "toll_free"],
            "ring_seconds": 20}
CALLBACKS = {"attempts": 2, "interval_seconds": 3, "ring_seconds": 5, "digit_timeout": 6,
             "poll_seconds": 0.3}
ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SPECIAL = (BUSY_SUFFIX, NO_ANSWER_SUFFIX, SLOW_ANSWER_SUFFIX, "0000", "0100")
WINDOW = 5.0   # seconds: the peak rate's window

# The agents' phones: answer at once, send audio, hang up after the hold time unless the
# engine hangs up first. The BYE goes to the engine's Contact, From our To (with our tag),
# To its From (with its tag).
AGENT_UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="auto-answering agents that hang up">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="peer"/>
      <ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="me"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" check_it="true"
            assign_to="contact"/>
    </action>
  </recv>
""" + AGENT_ANSWERS + """  <recv request="BYE" timeout="HOLD" ontimeout="hangup"/>
""" + BYE_ANSWERED.replace("<send>", '<send next="end">', 1) + """  <label id="hangup"/>
  <send retrans="500">
    <![CDATA[
BYE [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: [$me];tag=[pid]SIPpTag01[call_number]
To: [$peer]
Call-ID: [call_id]
CSeq: 1 BYE
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
  <label id="end"/>
</scenario>
"""


class SetupFailed(Exception):
    """The bench could not get going: no figures."""


class TimedCarrier(Carrier):
    """tests/sip/carrier.py's carrier, each line of its log ending with the time (sipp's
    ``[timestamp]``: date, time and Unix time, tab-separated)."""

    def __init__(self, workdir: Path, **kwargs: Any) -> None:
        super().__init__(workdir, **kwargs)
        text = self.scenario.read_text()
        self.scenario.write_text(re.sub(r'<log message="([^"]*)"',
                                        r'<log message="\1|[timestamp]"', text))

    def times(self, kind: str) -> list[tuple[str, float]]:
        """(number, Unix time) of each logged ``kind`` (INVITE, ANSWERED, BYE)."""
        return [(f[0], float(f[-1].split()[-1])) for f in self.lines(kind) if f]


class Agents(Harness):
    """voice_load_bench's agents (one sipp UAS, registered as every agent's contact), with
    phones that hang up after the hold time and take campaign calls and callbacks."""

    def __init__(self, work: Path, agents: int, hold_ms: int, wrapup: int) -> None:
        super().__init__(work, agents, hold_ms)
        self.agent_ids = [f"d{i:03d}" for i in range(agents)]
        self.wrapup_seconds = wrapup

    def agent_scenario(self) -> str:
        return (AGENT_UAS.replace("PCAP", str(PCAP_DIR / "g711a.pcap"))
                .replace("HOLD", str(self.hold_ms)))

    def dialer_config(self, runtime: Path, carrier: Carrier) -> list[str]:
        rtp = free_range(2000)
        agents = [{"id": a, "name": a, "skills": {"sales": 5},
                   "capacity": {"voice": 1, "callback": 1},
                   "blocks": {"voice": ["callback"], "callback": ["voice"]}, "phone": "sip"}
                  for a in self.agent_ids]
        queues = [{"name": q, "media": ["voice", "callback"],
                   "required_skills": {q: 1}, "wrapup_seconds": self.wrapup_seconds}
                  for q in ("sales", "support")]
        trunk = {"name": "carrier", "type": "registration", "host": "127.0.0.1",
                 "port": carrier.port, "match": [f"127.0.0.1:{carrier.port}"],
                 "username": CARRIER_USER, "password": CARRIER_PASSWORD,
                 "retry_seconds": 2}
        campaigns = {"calling_windows": {"default": ALWAYS}, "abandon_message": ["hello-world"]}
        self.sip_port, self.phone_port = free_port(), free_port()
        self.api_port, self.http_port = free_port(), free_port()
        return [
            f"runtime_dir={runtime}", f"ivr.dir={REPO / 'ivr'}",
            f"api.port={self.api_port}", f"asterisk.sip_port={self.sip_port}",
            f"asterisk.phone_sip_port={self.phone_port}",
            f"asterisk.http_port={self.http_port}", f"asterisk.ami_port={free_port()}",
            f"asterisk.rtp_start={rtp}", f"asterisk.rtp_end={rtp + 1999}",
            "offer_timeout=10", f"agents={json.dumps(agents)}",
            f"queues={json.dumps(queues)}", f"trunks={json.dumps([trunk])}",
            f"outbound={json.dumps(OUTBOUND)}", f"callbacks={json.dumps(CALLBACKS)}",
            f"campaigns={json.dumps(campaigns)}",
        ]


def numbers(count: int) -> list[str]:
    """``count`` distinct national numbers 020 7946 xxxx the carrier answers at once."""
    found = [f"0207946{n:04d}" for n in range(1, 10000)
             if not f"{n:04d}".endswith(SPECIAL)]
    if count > len(found):
        raise SetupFailed(f"at most {len(found)} customers (020 7946 xxxx)")
    return found[:count]


@dataclass
class Run:
    """What was seen while the campaign ran."""

    started: float = 0.0
    settled_at: float | None = None     # every target settled
    stalled_at: float | None = None     # targets left open, nothing moving
    view: dict[str, Any] = field(default_factory=dict)
    # (seconds from the start, the agents' states then)
    agent_samples: list[tuple[float, Counter[str]]] = field(default_factory=list)
    reasons: list[tuple[float, str]] = field(default_factory=list)   # (at, first words)
    most_ringing: int = 0
    most_waiting: int = 0
    # (seconds from the start, customers ready to dial then)
    ready: list[tuple[float, int]] = field(default_factory=list)
    stuck: list[dict[str, Any]] = field(default_factory=list)   # targets left open

    @property
    def ended(self) -> float:
        return self.settled_at or self.stalled_at or time.time()


class Api:
    def __init__(self, http: aiohttp.ClientSession, port: int, token: str) -> None:
        self.http, self.base = http, f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, content_type: str | None = None,
                   **kwargs: Any) -> Any:
        headers = {**self.headers, **({"Content-Type": content_type} if content_type else {})}
        async with self.http.request(method, self.base + path, headers=headers,
                                     **kwargs) as r:
            text = await r.text()
            if r.status >= 400:
                raise SetupFailed(f"{method} {path}: {r.status} {text[:500]}")
            return json.loads(text) if text else None


async def eventually(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise SetupFailed(f"{what}: not within {seconds:.0f} s")


async def create_campaign(api: Api, args: argparse.Namespace) -> int:
    spec = {"name": "bench", "queue": "sales", "purpose": "marketing",
            "steps": [{"channel": "phone", "attempts": 1}],
            "dialer": {"mode": args.mode, "ring_seconds": 15},
            "frequency_cap": {"contacts": 10, "days": 1}}
    campaign = await api.call("POST", "/api/campaigns", json=spec)
    rows = "phone,name\n" + "".join(f"{n},Customer {i}\n"
                                    for i, n in enumerate(numbers(args.customers)))
    report = await api.call("POST", f"/api/campaigns/{campaign['id']}/targets",
                            data=rows.encode(), content_type="text/csv")
    print(f"  campaign {campaign['id']}: {report}", flush=True)
    return int(campaign["id"])


async def follow(api: Api, cid: int, limit: float, stall: float) -> Run:
    """Start the campaign and watch it every second until every target is settled, or
    nothing changed for ``stall`` seconds while some are still open, or ``limit`` seconds
    have passed."""
    run = Run()
    path = f"/api/campaigns/{cid}"
    run.started = time.time()
    await api.call("POST", f"{path}/state", json={"state": "running"})
    last_change, last_states = time.time(), None
    while time.time() - run.started < limit:
        await asyncio.sleep(1.0)
        view, queue = await asyncio.gather(api.call("GET", path),
                                           api.call("GET", "/api/queues/sales"))
        now = time.time()
        run.view = view
        run.agent_samples.append((now - run.started, Counter(queue["agents"].values())))
        dialer = view.get("dialer") or {}
        if dialer:
            run.most_ringing = max(run.most_ringing, int(dialer.get("ringing") or 0))
            run.most_waiting = max(run.most_waiting, int(dialer.get("answered_waiting") or 0))
            run.ready.append((now - run.started, int(dialer.get("ready_to_dial") or 0)))
            reason = str(dialer.get("reason") or "").split(":")[0].split("(")[0].strip()
            # a new entry when the reason changes, not its figures
            if not run.reasons or _shape(run.reasons[-1][1]) != _shape(reason):
                run.reasons.append((now - run.started, reason))
        by_state = view["progress"]["by_state"]
        if by_state["pending"] + by_state["active"] == 0:
            run.settled_at = now
            break
        states = (by_state, view["progress"]["steps"][0]["outcomes"])
        if states != last_states:
            last_change, last_states = now, states
        elif now - last_change >= stall:
            run.stalled_at = last_change
            break
    if run.settled_at is None:
        for state in ("active", "pending"):
            run.stuck += (await api.call("GET", f"{path}/targets?state={state}&limit=20")
                          )["targets"]
    return run


def _shape(reason: str) -> str:
    return re.sub(r"[\d.]+", "#", reason)


def peak(times: list[float], window: float) -> tuple[int, float]:
    """The most events in any ``window`` seconds, and when that window began."""
    best, at, j = 0, times[0] if times else 0.0, 0
    for i, t in enumerate(times):
        while times[j] < t - window + 1e-9:
            j += 1
        if i - j + 1 > best:
            best, at = i - j + 1, times[j]
    return best, at


def most_up_at_once(carrier: TimedCarrier) -> int:
    """The most calls the carrier had answered and not yet hung up, at any moment."""
    moves = sorted([(t, 1) for _, t in carrier.times("ANSWERED")]
                   + [(t, -1) for _, t in carrier.times("BYE")])
    up = most = 0
    for _, d in moves:
        up += d
        most = max(most, up)
    return most


def report(args: argparse.Namespace, run: Run, carrier: TimedCarrier, cpu: dict[str, Any],
           setup: str) -> None:
    invites = sorted(t for _, t in carrier.times("INVITE"))
    answered = carrier.times("ANSWERED")
    ended = run.ended - run.started
    print(f"\ndialer bench, {date.today().isoformat()}: {machine()}")
    print(f"  {setup}")
    numbers_dialled = [n for n, _ in carrier.times("INVITE")]
    twice = len(numbers_dialled) - len(set(numbers_dialled))
    if invites:
        span = invites[-1] - invites[0]
        most, at = peak(invites, WINDOW)
        print(f"  INVITEs at the carrier: {len(invites)} ({twice} to a number dialled "
              f"before), the first {invites[0] - run.started:.2f} s after the start, "
              f"the last at {invites[-1] - run.started:.1f} s")
        between = f"{len(invites) / span:.1f}" if span > 0 else "-"
        print(f"  calls placed per second: {between} from the first "
              f"INVITE to the last, {len(invites) / ended:.1f} over the whole run "
              f"({ended:.1f} s); peak {most / WINDOW:.1f} over {WINDOW:.0f} s "
              f"(from {at - run.started:.1f} s)")
        per_second = Counter(int(t - run.started) for t in invites)
        line = " ".join(str(per_second.get(s, 0)) for s in range(int(ended) + 1))
        print(f"  INVITEs in each second from the start: {line}")
    else:
        print("  INVITEs at the carrier: none")
    print(f"  answered at the carrier: {len(answered)}; most calls up at once at the "
          f"carrier: {most_up_at_once(carrier)}")
    view = run.view
    progress = view.get("progress") or {}
    steps = progress.get("steps") or [{}]
    how = f"settled after {ended:.1f} s" if run.settled_at else (
        f"NOT settled: the last change at {ended:.1f} s, then none for "
        f"{args.stall_seconds:.0f} s" if run.stalled_at
        else f"NOT settled within the time limit ({ended:.0f} s)")
    print(f"  {how}; targets by state "
          f"{({k: v for k, v in (progress.get('by_state') or {}).items() if v})}")
    if run.stuck:
        print("  left open (up to 20 per state): "
              + "; ".join(f"{t['phone']} {t['state']} ({t.get('outcome')})"
                          for t in run.stuck))
    print(f"  outcomes (step 1): {steps[0].get('outcomes')} (answered = connected to an "
          "agent and ended)")
    # while calls were being placed: up to the last INVITE
    until = (invites[-1] - run.started) if invites else ended
    dialer = view.get("dialer")
    if dialer:
        print(f"  dialer at the end: mode {dialer['mode']}, abandon rate "
              f"{dialer['abandon_rate']:.2%} ({dialer['abandoned']} of "
              f"{dialer['live_answers']} live answers), dial level {dialer['dial_level']}, "
              f"mean handle {dialer.get('mean_handle_seconds', '?')} s, reason: "
              f"{dialer['reason']}")
        ready = [n for at, n in run.ready if at <= until] or [0]
        print(f"  ready to dial (the runner's pool), sampled every second up to the last "
              f"INVITE: none in "
              f"{100 * ready.count(0) / len(ready):.0f} % of samples, mean "
              f"{sum(ready) / len(ready):.1f}, most {max(ready)}")
        print(f"  most ringing at once {run.most_ringing}, most answered and waiting "
              f"{run.most_waiting}; the pacing's reasons (from when): "
              + "; ".join(f"{at:.0f} s {why}" for at, why in run.reasons))
    samples = [s for at, s in run.agent_samples if at <= until + 1]
    if samples:
        states = Counter[str]()
        for s in samples:
            states.update(s)
        share = ", ".join(f"{k} {100 * v / sum(states.values()):.0f} %"
                          for k, v in states.most_common())
        print(f"  agents' states, sampled every second up to the last INVITE "
              f"({len(samples)} samples): {share}")
    placed = max(1, len(invites))
    for name in ("engine", "asterisk"):
        seconds = cpu[name]
        print(f"  CPU {name}: {seconds:.1f} s in {cpu['seconds']:.0f} s "
              f"({100 * seconds / cpu['seconds']:.0f} % of one core; "
              f"{1000 * seconds / placed:.1f} ms per call placed)")
    print(f"  CPU machine (every process, sipp included): {cpu['machine']:.0f} % of "
          f"{100 * cpu['cores']} %; elsewhere meanwhile: {cpu['elsewhere']}")


async def bench(args: argparse.Namespace, work: Path) -> None:
    carrier = TimedCarrier(work, port=free_port(), media_port=free_range(4),
                           control_port=free_port(), user=CARRIER_USER,
                           password=CARRIER_PASSWORD)
    agents = Agents(work, args.agents, args.hold_ms, args.wrapup_seconds)
    runtime = work / "engine-var"
    overrides = agents.dialer_config(runtime, carrier)
    command = [sys.executable, "-m", "ccengine.cli", "--log-level", "WARNING"]
    for o in [*overrides, *args.engine_set]:
        command += ["--set", o]
    await carrier.start()
    agents.start_uas()
    log = open(work / "engine.log", "wb")  # noqa: ASYNC230 - handed to the child
    engine = await asyncio.create_subprocess_exec(
        *command, "run", cwd=REPO, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        try:
            await wait_http(f"http://127.0.0.1:{agents.api_port}/api/me", 90)
        except RuntimeError as e:
            raise SetupFailed(f"{e}; see {work / 'engine.log'}") from e
        secrets = json.loads((runtime / "secrets.json").read_text())
        await asyncio.to_thread(agents.register_agents, agents.phone_port,
                                secrets["sip_passwords"])
        await eventually(carrier.registered, 30, "the trunk registered at the carrier")
        async with aiohttp.ClientSession() as http:
            api = Api(http, agents.api_port, secrets["api_tokens"]["admin"])
            for a in agents.agent_ids:
                await api.call("POST", f"/api/agents/{a}/login")
            cid = await create_campaign(api, args)
            await asyncio.sleep(2)
            ast = asterisk_pid(runtime)
            if ast is None:
                raise SetupFailed("no Asterisk pid file")
            meters = CpuMeter(engine.pid), CpuMeter(ast), MachineMeter()
            elsewhere = ElsewhereMeter()
            started = time.monotonic()
            run = await follow(api, cid, args.time_limit, args.stall_seconds)
            seconds = time.monotonic() - started
            cpu = {"engine": (meters[0].percent() or 0) * seconds / 100,
                   "asterisk": (meters[1].percent() or 0) * seconds / 100,
                   "machine": meters[2].percent(), "elsewhere": elsewhere.report(),
                   "cores": os.cpu_count() or 1, "seconds": seconds}
            await asyncio.sleep(1)
        setup = (f"mode {args.mode}, {args.customers} customers, {args.agents} agents (one "
                 f"sipp UAS, hanging up {args.hold_ms} ms after answering), wrap-up "
                 f"{args.wrapup_seconds} s, time limit {args.time_limit:.0f} s, engine "
                 f"overrides {args.engine_set or 'none'}")
        report(args, run, carrier, cpu, setup)
        errors = carrier.errors()
        if errors.strip():
            print(f"  (the carrier's sipp logged errors: {errors[-300:]!r})")
    finally:
        # `ccengine stop`, not a signal: it stops the engine and its Asterisk
        stop = await asyncio.create_subprocess_exec(
            *command, "stop", cwd=REPO, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            async with asyncio.timeout(90):
                await stop.wait()
                await engine.wait()
        except TimeoutError:
            engine.kill()
            await engine.wait()
        log.close()
        agents.stop_uas()
        await carrier.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=("predictive", "progressive"), default="predictive")
    p.add_argument("--agents", type=int, default=50)
    p.add_argument("--customers", type=int, default=500)
    p.add_argument("--hold-ms", type=int, default=3000,
                   help="the agents hang up this long after answering")
    p.add_argument("--wrapup-seconds", type=int, default=0, help="the queue's wrap-up")
    p.add_argument("--time-limit", type=float, default=240.0,
                   help="seconds to follow the campaign at most")
    p.add_argument("--stall-seconds", type=float, default=30.0,
                   help="stop when targets are still open but nothing changed this long")
    p.add_argument("--engine-set", action="append", default=[], metavar="KEY=VALUE",
                   help="an engine config override (repeatable)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args()
    if not has_telephony():
        return 2
    work = Path(tempfile.mkdtemp(prefix="ccengine-dialer-bench-"))
    print(f"dialer bench: {machine()}; work dir {work}", flush=True)
    try:
        asyncio.run(bench(args, work))
    except SetupFailed as e:
        print(f"setup failed: {e}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
