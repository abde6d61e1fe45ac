#!/usr/bin/env python3
"""Voice load: sipp callers → IVR (one digit) → queue → auto-answering agents (a sipp UAS)
→ the caller hangs up after a hold time. The same load runs twice on this machine, through
the engine (its Stasis app on its private Asterisk) and through Asterisk's own app_queue
(the same rendered endpoints and prompts, a dialplan IVR and Queue()) as the baseline.

Both systems are up at once, each with its own Asterisk, and take turns at each rate (which
goes first alternates): the machine's speed drifts over minutes, and taking turns lets both
modes see the same drift. For each mode it steps the call rate up and reports, per step:
calls placed, calls a caller abandoned or that failed in SIP, calls connected to an agent,
queue entry → agent answer (p50/p99), the CPU of the engine process and of Asterisk (also
per call placed) and of the whole machine (sipp included). A call counts as failed when
sipp reports it failed or no agent answered it before the caller hung up. The highest rate
with < 1 % failed calls is the sustained rate; the ratio engine/app_queue is printed.
Each step waits for the machine to be quiet first (what the step before left winding
down). The run goes on until every mode is two steps past its knee (two steps in a row
with >= 5 % failed), each mode running every rate until then, and the share of calls each
connected at one and two steps above the higher sustained rate is printed last (how each
bends under overload). For the engine each step also shows the
offers that sent an agent not ready (RONA) or were withdrawn without blame, the largest
ARI event lag and request time its /api/health reported, and how long it refused new
callers (docs/operations.md "Overload").

    .venv/bin/python bench/voice_load_bench.py [--rates 2,4,8,12,16,20] [--step-seconds 20]
        [--hold-ms 5000] [--agents 200] [--only engine|app_queue] [--repeat N]

--repeat N runs each rate N times per mode, the modes still taking turns, and judges the
sustained rate, the knee and the overload figures by the median turn.

The engine and app_queue's Asterisk run in the bench's session, with sipp; the engine
starts its own Asterisk in a session of its own. Linux's autogroup scheduling shares the
CPU between sessions first. --own-sessions gives the engine and app_queue's Asterisk a
session each, as services get a cgroup each under systemd. --load-priority N runs each
sipp in a session of its own whose autogroup is favoured (nice -N): the phones live on other
machines in life, and past the knee a starved sipp (its watchdog tripping, SIP messages
dropped from its full socket, answers late) fails calls of either mode for reasons of its
own. In one run of each of the first two layouts (2026-11-26, a slow phase of the machine)
the engine sustained 28 calls/s in both, and in both its one thread waited for a CPU about
as long as it ran at 28-36 calls/s (/proc/PID/schedstat), the machine being near full.

Run it from the repository root on an otherwise idle machine. Needs asterisk and sipp.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.machine_info import has_telephony, machine  # noqa: E402
from ccengine.config import load_config  # noqa: E402
from ccengine.telephony.asterisk.render import render  # noqa: E402
from tests.e2e.ports import free_port, free_range  # noqa: E402
from tests.sip.sipp import HANGUP, HEAD, INFO, PCAP_DIR  # noqa: E402
from tests.sip.sipp_agent import register_scenario  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
# sipp's socket buffers (the kernel caps them at net.core.rmem_max / wmem_max): past the
# knee a sipp stalled for a moment dropped SIP messages from its full default buffer
# (/proc/net/udp: 105 at the callers' socket in one step), each then retransmitted by
# Asterisk half a second to seconds later, failing calls for the load tool's sake
SIPP_BUFFER = 4 * 1024 * 1024

# Callers and agents send RTP from answer, as phones do. (Without media, a channel in
# Stasis only services ARI requests every 200 ms, which would dominate the measurement.)
AUDIO_NOW = f"""  <nop><action><exec play_pcap_audio="{PCAP_DIR / 'g711a.pcap'}"/></action></nop>
"""

# An agent's phone answering (the dialler bench's agents too): 200 OK with G.711 a-law,
# the ACK, then audio from the answer, as phones send.
AGENT_ANSWERS = """  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=agent 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
  ]]></send>
  <recv request="ACK" crlf="true"/>
  <nop><action><exec play_pcap_audio="PCAP"/></action></nop>
"""
# Its 200 OK to the far end's BYE
BYE_ANSWERED = """  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0
  ]]></send>
"""

AGENT_UAS = ("""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="auto-answering agents">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0
  ]]></send>
""" + AGENT_ANSWERS + """  <recv request="BYE"/>
""" + BYE_ANSWERED + """</scenario>
""").replace("PCAP", str(PCAP_DIR / "g711a.pcap"))

BASELINE_DIALPLAN = """[general]
static = yes
writeprotect = yes

[ccengine-public]
exten => {number},1,Answer()
 same => n,Background(hello&vm-press&digits/1&vm-for&vm-press&digits/2)
 same => n,WaitExten(5)
exten => 1,1,Queue(sales,,,,60)
 same => n,Hangup()
exten => 2,1,Queue(sales,,,,60)
 same => n,Hangup()
exten => t,1,Queue(sales,,,,60)

[ccengine-agents]
"""

BASELINE_QUEUES = """[general]
persistentmembers = no
shared_lastcall = no

[sales]
strategy = leastrecent
timeout = {ring_timeout}
retry = 0
wrapuptime = 0
ringinuse = no
autofill = yes
joinempty = yes
leavewhenempty = no
announce-frequency = 0
musicclass = default
{members}
"""


@dataclass
class Step:
    rate: float
    placed: int = 0
    sip_failed: int = 0
    connected: int = 0
    waits: list[float] = field(default_factory=list)
    # CPU in % of one core while the calls were placed and held (the machine: every
    # process, it has cpu_count cores), and in ms per call placed over all the step cost
    # (sipp's tail of retransmissions to failed calls included, up to 32 s more)
    engine_cpu: float | None = None
    asterisk_cpu: float = 0.0
    machine_cpu: float = 0.0
    engine_ms: float | None = None
    asterisk_ms: float = 0.0
    # engine only: offers that sent an agent not ready (RONA: the interaction's
    # "requeued") and offers taken back without blame ("offer_withdrawn")
    ronas: int | None = None
    withdrawn: int | None = None
    # engine only, from /api/health every 0.5 s: the largest ARI event lag seen and how
    # long new callers were refused (overload.py)
    max_lag: float | None = None
    max_request: float | None = None
    # engine only: channels still in its Asterisk 10 s after the step's last call ended
    # (half-done work left behind), by the first word of their names
    left_over: dict[str, int] | None = None
    refusing_seconds: float | None = None
    refused: int | None = None  # engine only: callers its dialplan refused (SIP 503)

    @property
    def failed(self) -> int:
        return max(self.placed - self.connected, self.sip_failed)

    @property
    def connected_pct(self) -> float:
        return 100.0 * self.connected / self.placed if self.placed else 0.0

    @property
    def failed_pct(self) -> float:
        return 100.0 * self.failed / self.placed if self.placed else 100.0

    def line(self) -> str:
        w = sorted(self.waits)
        p50 = statistics.median(w) * 1000 if w else float("nan")
        p99 = w[min(len(w) - 1, int(0.99 * len(w)))] * 1000 if w else float("nan")
        def per_call(percent: float, ms: float | None) -> str:
            return f"{percent:5.1f} % ({ms or 0:4.1f} ms/call)"
        cpu = f"engine {per_call(self.engine_cpu, self.engine_ms)}" \
            if self.engine_cpu is not None else "engine     -"
        offers = "" if self.ronas is None else \
            f", RONA {self.ronas}, withdrawn {self.withdrawn}, event lag max " \
            f"{self.max_lag or 0:.1f} s, ARI request max {self.max_request or 0:.1f} s, " \
            f"refusing {self.refusing_seconds or 0:.0f} s ({self.refused or 0} refused), " \
            f"channels left over " \
            f"{sum((self.left_over or {}).values())}" + \
            (f" {self.left_over}" if self.left_over else "")
        return (f"  {self.rate:5.1f} calls/s: placed {self.placed:5d}, connected "
                f"{self.connected:5d} ({self.connected_pct:5.1f} %), failed {self.failed:4d} "
                f"({self.failed_pct:5.2f} %){offers}, "
                f"entry→answer p50 {p50:7.1f} ms p99 {p99:7.1f} ms, CPU {cpu}, "
                f"asterisk {per_call(self.asterisk_cpu, self.asterisk_ms)}, machine "
                f"{self.machine_cpu:5.1f} % of {100 * (os.cpu_count() or 1)} %")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class MachineMeter:
    """CPU used by every process (sipp, Asterisk, the engine...), in % of one core."""

    def __init__(self) -> None:
        self.start = self.busy_total()

    @staticmethod
    def busy_total() -> tuple[float, float]:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        idle = ticks[3] + ticks[4]  # idle, iowait
        return sum(ticks) - idle, sum(ticks)

    def percent(self) -> float:
        (busy0, total0), (busy1, total1) = self.start, self.busy_total()
        return 100.0 * (os.cpu_count() or 1) * (busy1 - busy0) / max(1, total1 - total0)


def settle(most: float = 40.0, limit: float = 30.0) -> float:
    """Wait (at most ``limit`` s) until the machine is quiet: under ``most`` % (of 100 per
    core) over a second. Each step starts so, whichever system ran before it (a step past
    the knee leaves calls and retransmissions winding down for seconds). The seconds
    waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        meter = MachineMeter()
        time.sleep(1)
        if meter.percent() < most:
            break
    return time.monotonic() - started


class CpuMeter:
    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.start = (cpu_seconds(pid), time.monotonic()) if pid else (0.0, time.monotonic())

    def used(self) -> float:
        """CPU seconds since the start."""
        return cpu_seconds(self.pid) - self.start[0] if self.pid else 0.0

    def percent(self) -> float | None:
        if self.pid is None:
            return None
        return 100.0 * self.used() / max(1e-9, time.monotonic() - self.start[1])


class StepCpu:
    """A step's CPU: in % while its calls are placed and held (read ``load_seconds`` after
    the start), and in ms per call over all it cost. sipp ends a step only once its failed
    calls' last retransmissions time out (32 s for a lost INFO), so % over the whole step
    would count that quiet tail as idle."""

    def __init__(self, engine: int | None, asterisk: int | None, load_seconds: float
                 ) -> None:
        self.engine, self.asterisk = CpuMeter(engine), CpuMeter(asterisk)
        self.machine = MachineMeter()
        self.load: tuple[float | None, float, float] | None = None
        self._timer = threading.Timer(load_seconds, self._read_load)
        self._timer.daemon = True
        self._timer.start()

    def _read_load(self) -> None:
        self.load = (self.engine.percent(), self.asterisk.percent() or 0.0,
                     self.machine.percent())

    def finish(self, step: Step) -> None:
        """Into ``step``: the load's percentages, the ms per call placed."""
        self._timer.cancel()
        if self.load is None:   # the step ended before its load did
            self._read_load()
        assert self.load is not None
        step.engine_cpu, step.asterisk_cpu, step.machine_cpu = self.load
        placed = max(1, step.placed)
        step.engine_ms = 1000 * self.engine.used() / placed if self.engine.pid else None
        step.asterisk_ms = 1000 * self.asterisk.used() / placed


class Harness:
    """Ports, agents and the SIP load tools shared by both modes."""

    def __init__(self, work: Path, agents: int, hold_ms: int) -> None:
        self.work, self.n_agents, self.hold_ms = work, agents, hold_ms
        self.agent_ids = [f"b{i:03d}" for i in range(agents)]
        self.uas_port = free_port()
        self.uas: subprocess.Popen[bytes] | None = None
        self.engine_overrides: list[str] = []  # --engine-set: the engine's config, varied
        # --own-sessions: each system under test in a session of its own
        self.own_sessions = False
        # --load-priority: sipp's sessions' autogroup nice (None: sipp in the bench's session)
        self.load_nice: int | None = None
        self.wrapup_seconds = 0  # the queues' wrap-up
        self.engine_pid: int | None = None  # set while engine_mode runs the engine

    def engine_config(self, runtime: Path, ring_timeout: int) -> list[str]:
        rtp = free_range(2000)
        agents = ", ".join(f"{{id: {a}, name: {a}, skills: {{sales: 5}}, phone: sip}}"
                           for a in self.agent_ids)
        self.sip_port = free_port()      # callers
        self.phone_port = free_port()    # agents' phones register here
        self.api_port = free_port()
        self.http_port = free_port()     # Asterisk's (ARI)
        return [
            f"runtime_dir={runtime}", f"ivr.dir={REPO / 'ivr'}",
            f"api.port={self.api_port}", f"asterisk.sip_port={self.sip_port}",
            f"asterisk.phone_sip_port={self.phone_port}",
            f"asterisk.http_port={self.http_port}", f"asterisk.ami_port={free_port()}",
            f"asterisk.rtp_start={rtp}", f"asterisk.rtp_end={rtp + 1999}",
            f"offer_timeout={ring_timeout}", f"agents=[{agents}]",
            "queues=[{name: sales, media: [voice], required_skills: {sales: 1}, "
            f"wrapup_seconds: {self.wrapup_seconds}}}, {{name: support, media: [voice], "
            f"required_skills: {{sales: 1}}, wrapup_seconds: {self.wrapup_seconds}}}]",
        ]

    def agent_scenario(self) -> str:
        """The agents' sipp scenario: answer, send audio, wait for the far end's BYE."""
        return AGENT_UAS

    def start_uas(self) -> None:
        """One sipp UAS answers every agent's calls (each agent registers it as contact);
        -aa answers Asterisk's qualify OPTIONS."""
        d = self.work / "uas"
        d.mkdir(exist_ok=True)
        (d / "agent.xml").write_text(self.agent_scenario())
        self.uas = subprocess.Popen(
            ["sipp", "-sf", "agent.xml", "-aa", "-i", "127.0.0.1", "-mi", "127.0.0.1",
             "-buff_size", str(SIPP_BUFFER),
             "-p", str(self.uas_port), "-mp", str(free_range(4)), "-cp", str(free_port()),
             "-nostdin"],
            cwd=d, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=self.load_nice is not None)
        self.favour(self.uas.pid)

    def favour(self, pid: int) -> None:
        """--load-priority: the sipp started as ``pid`` (in a session of its own) gets its
        session's CPU weight raised (Linux autogroup nice), so that the callers' and
        agents' phones, which live on other machines in life, are not what runs short of
        CPU in either mode."""
        if self.load_nice is None:
            return
        try:
            Path(f"/proc/{pid}/autogroup").write_text(str(self.load_nice))
        except OSError as e:
            print(f"   (could not favour sipp {pid}: {e})", flush=True)

    def stop_uas(self) -> None:
        if self.uas is not None and self.uas.poll() is None:
            self.uas.kill()
            self.uas.wait()

    def register_agents(self, sip_port: int, passwords: dict[str, str]) -> None:
        d = self.work / f"register-{sip_port}"
        d.mkdir(exist_ok=True)
        # every agent's contact is the one UAS; [field1] holds the agent's credentials
        (d / "register.xml").write_text(register_scenario(
            "[field0]", "[field1]", f"sip:[field0]@127.0.0.1:{self.uas_port}", 3600))
        with open(d / "agents.csv", "w") as f:
            f.write("SEQUENTIAL\n")
            for a in self.agent_ids:
                # sipp takes per-line credentials as a whole keyword in the CSV
                f.write(f"{a};[authentication username={a} password={passwords[a]}]\n")
        for _attempt in range(3):  # registering again is harmless; a lost reply is not
            r = subprocess.run(
                ["sipp", f"127.0.0.1:{sip_port}", "-sf", "register.xml", "-inf", "agents.csv",
                 "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_range(4)),
                 "-cp", str(free_port()), "-m", str(self.n_agents), "-r", "25", "-nostdin",
                 "-trace_err", "-error_file", "errors.log", "-timeout", "60s",
                 "-timeout_error"],
                cwd=d, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
            if r.returncode == 0:
                return
        # seen about once in four runs: one agent's authenticated REGISTER answered 401
        # again, on every try. One agent short of hundreds does not change the figures, so
        # the run goes on and says so.
        errors = (d / "errors.log").read_text(errors="replace") \
            if (d / "errors.log").exists() else r.stdout.decode(errors="replace")
        failed = sorted(set(re.findall(r"From: <sip:(\w+)@", errors)))
        print(f"   (registration: sipp exit {r.returncode}; agents whose REGISTER failed: "
              f"{', '.join(failed) or 'unknown'})", flush=True)

    def run_callers(self, sip_port: int, rate: float, seconds: int, tag: str) -> int:
        """Place ``rate`` calls/s for ``seconds``; returns how many sipp counted failed."""
        d = self.work / f"callers-{tag}"
        d.mkdir(exist_ok=True)
        total = max(1, int(rate * seconds))
        scenario = (HEAD + AUDIO_NOW + INFO.format(pause=300, cseq=2, digit="1")
                    + HANGUP.format(hold=self.hold_ms, cseq=3))
        # each call from its own number (a customer each, as in life), from callers.csv
        (d / "caller.xml").write_text(scenario.replace("[caller]", "[field0]"))
        with open(d / "callers.csv", "w") as f:
            f.write("SEQUENTIAL\n")
            for n in range(total):
                f.write(f"0{1632960000 + n % 1000 + 1000 * (n // 1000 % 10)}\n")
        stats = d / "stats.csv"
        limit = seconds + self.hold_ms / 1000 + 120
        try:
            self._sipp_callers(d, sip_port, rate, total, seconds, stats, limit)
        except subprocess.TimeoutExpired:
            # sipp did not end (seen at overload: a call or two it never gives up on, past
            # its own -timeout). If it placed every call, those still open count as failed
            # on top of its failures; if it did not, the whole step counts as failed.
            header, last = _last_stats(stats)
            placed = int(last[header.index("TotalCallCreated")]) if last else 0
            stuck = int(last[header.index("CurrentCall")]) if last else total
            failed = int(last[header.index("FailedCall(C)")]) + stuck if last else total
            if placed < total:
                failed = total
            print(f"   ({rate} calls/s: the sipp caller hung for {limit:.0f} s and was killed "
                  f"with {placed} of {total} calls placed, {stuck} still open: "
                  f"{failed} count as failed)", flush=True)
            return failed
        header, last = _last_stats(stats)
        return int(last[header.index("FailedCall(C)")]) if last else total

    def _sipp_callers(self, d: Path, sip_port: int, rate: float, total: int, seconds: int,
                      stats: Path, limit: float) -> None:
        sipp = subprocess.Popen(
            ["sipp", f"127.0.0.1:{sip_port}", "-sf", "caller.xml", "-i", "127.0.0.1",
             "-buff_size", str(SIPP_BUFFER),
             "-mi", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_range(4)),
             "-cp", str(free_port()), "-inf", "callers.csv", "-s", "5000",
             "-r", str(rate), "-rp", "1000", "-m", str(total), "-l", "2000",
             "-nostdin", "-trace_stat", "-stf", str(stats), "-fd", "1", "-trace_err",
             "-timeout", f"{seconds + self.hold_ms // 1000 + 60}s"],
            cwd=d, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=self.load_nice is not None)
        self.favour(sipp.pid)
        try:
            sipp.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            sipp.kill()
            sipp.wait()
            raise


def _last_stats(stats: Path) -> tuple[list[str], list[str] | None]:
    """The header and the last row of sipp's statistics file (None: no row yet)."""
    if not stats.exists():
        return [], None
    with open(stats) as f:
        rows = list(csv.reader(f, delimiter=";"))
    return (rows[0], rows[-1]) if len(rows) > 1 else ((rows[0] if rows else []), None)


# ---------------------------------------------------------------------------- engine mode
async def wait_http(url: str, timeout: float) -> None:
    import aiohttp
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as r:
                    if r.status in (200, 401):
                        return
            await asyncio.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


async def api_post(url: str, token: str) -> None:
    import aiohttp
    async with aiohttp.ClientSession() as http, \
            http.post(url, headers={"Authorization": f"Bearer {token}"}) as r:
        if r.status >= 400:
            raise RuntimeError(f"POST {url}: {r.status} {await r.text()}")


def asterisk_pid(runtime: Path) -> int | None:
    pidfile = runtime / "asterisk" / "var" / "run" / "asterisk.pid"
    with contextlib.suppress(OSError, ValueError):
        return int(pidfile.read_text().strip())
    return None


def engine_waits(db: Path, since: float) -> tuple[int, list[float]]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("select queued_at, answered_at from interactions where "
                           "entered_at >= ? and queued_at is not null", (since,)).fetchall()
    finally:
        con.close()
    waits = [a - q for q, a in rows if a is not None]
    return len(waits), waits


def ari_get(http_port: int, secrets: dict, path: str) -> Any:
    """GET an ARI resource of the engine's Asterisk, decoded."""
    import base64
    auth = base64.b64encode(f"{secrets['ari_user']}:{secrets['ari_password']}".encode())
    request = urllib.request.Request(f"http://127.0.0.1:{http_port}/ari{path}",
                                     headers={"Authorization": f"Basic {auth.decode()}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def refused_so_far(http_port: int, secrets: dict) -> int:
    """Callers the engine's dialplan refused at the door since its Asterisk started."""
    found = ari_get(http_port, secrets, "/asterisk/variable?variable=CCENGINE_REFUSED")
    return int(found.get("value") or 0)


def left_over(http_port: int, secrets: dict) -> dict[str, int]:
    """The channels in the engine's Asterisk (ARI), counted by the start of their names
    (PJSIP/b001-... -> PJSIP/b, PJSIP/anonymous-... -> PJSIP/anonymous)."""
    channels = ari_get(http_port, secrets, "/channels")
    counts: dict[str, int] = {}
    for c in channels:
        kind = re.sub(r"\d.*$", "", c.get("name", "?").split("-")[0])
        key = f"{kind} {c.get('state', '?')}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def engine_offers(db: Path, since: float) -> tuple[int, int]:
    """RONAs (an offer that sent its agent not ready) and offers withdrawn without blame,
    among the interactions that entered since ``since``."""
    con = sqlite3.connect(db)
    try:
        counts = dict(con.execute(
            "select e.kind, count(*) from interaction_events e join interactions i on "
            "i.id = e.interaction_id where i.entered_at >= ? and e.kind in "
            "('requeued', 'offer_withdrawn') group by e.kind", (since,)).fetchall())
    finally:
        con.close()
    return counts.get("requeued", 0), counts.get("offer_withdrawn", 0)


StepFn = Callable[[float], Step]


class AdmissionWatch:
    """Polls the engine's /api/health every 0.5 s in a thread while a step runs: the largest
    ARI event lag and request time it reports and how long it refused new callers."""

    def __init__(self, api_port: int, token: str) -> None:
        self.url = f"http://127.0.0.1:{api_port}/api/health"
        self.token = token
        self.max_lag, self.max_request, self.refusing = 0.0, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> AdmissionWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        request = urllib.request.Request(self.url,
                                         headers={"Authorization": f"Bearer {self.token}"})
        while not self._stop.wait(0.5):
            try:
                with urllib.request.urlopen(request, timeout=2) as r:
                    body = r.read()
            except urllib.error.HTTPError as e:   # 503 while degraded: still a report
                body = e.read()
            except OSError:
                continue
            with contextlib.suppress(ValueError, KeyError, TypeError):
                part = json.loads(body)["parts"]["admission"]
                self.max_lag = max(self.max_lag, float(part.get("event_lag_seconds", 0)))
                self.max_request = max(self.max_request,
                                       float(part.get("request_seconds", 0)))
                if part.get("refusing_callers"):
                    self.refusing += 0.5


@contextlib.contextmanager
def engine_mode(h: Harness, seconds: int) -> Iterator[StepFn]:
    """The engine and its Asterisk up, agents registered and logged in; yields the
    function that runs one rate step through it."""
    runtime = h.work / "engine-var"
    overrides = h.engine_config(runtime, ring_timeout=10)
    sip_port, api_port, http_port = h.sip_port, h.api_port, h.http_port
    args = [sys.executable, "-m", "ccengine.cli", "--log-level", "WARNING"]
    for o in [*overrides, *h.engine_overrides]:
        args += ["--set", o]
    log = open(h.work / "engine.log", "wb")
    proc = subprocess.Popen([*args, "run"], cwd=REPO, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=log, start_new_session=h.own_sessions)
    h.engine_pid = proc.pid
    try:
        asyncio.run(wait_http(f"http://127.0.0.1:{api_port}/api/me", 90))
        secrets = json.loads((runtime / "secrets.json").read_text())
        h.register_agents(h.phone_port, secrets["sip_passwords"])
        admin = secrets["api_tokens"]["admin"]

        async def login_all() -> None:
            for a in h.agent_ids:
                await api_post(f"http://127.0.0.1:{api_port}/api/agents/{a}/login", admin)
        asyncio.run(login_all())
        time.sleep(2)

        def step_at(rate: float) -> Step:
            step = Step(rate)
            started = time.time()
            refused_before = refused_so_far(http_port, secrets)
            cpu = StepCpu(proc.pid, asterisk_pid(runtime), seconds + h.hold_ms / 1000)
            with AdmissionWatch(api_port, admin) as watch:
                step.sip_failed = h.run_callers(sip_port, rate, seconds, f"engine-{rate}")
            step.max_lag, step.refusing_seconds = watch.max_lag, watch.refusing
            step.max_request = watch.max_request
            step.placed = max(1, int(rate * seconds))
            cpu.finish(step)
            time.sleep(2)
            step.connected, step.waits = engine_waits(runtime / "ccengine.db", started)
            step.ronas, step.withdrawn = engine_offers(runtime / "ccengine.db", started)
            time.sleep(8)
            step.left_over = left_over(http_port, secrets)
            step.refused = refused_so_far(http_port, secrets) - refused_before
            return step
        yield step_at
    finally:
        # `ccengine stop`, not a SIGTERM: that stops the engine alone and leaves its
        # Asterisk up for the next start to adopt (docs/operations.md "Restarts and upgrades")
        subprocess.run([*args, "stop"], cwd=REPO, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, timeout=60, check=False)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# ---------------------------------------------------------------------------- app_queue
class AmiQueueWatch:
    """Reads app_queue's QueueCallerJoin / AgentConnect events (timestamped) over AMI."""

    def __init__(self, port: int, user: str, secret: str) -> None:
        self.port, self.user, self.secret = port, user, secret
        self.joined: dict[str, float] = {}
        self.connected: dict[str, float] = {}
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(f"Action: Login\r\nUsername: {self.user}\r\nSecret: {self.secret}\r\n"
                     "Events: agent\r\n\r\n".encode())
        await writer.drain()
        block: dict[str, str] = {}
        while line := await reader.readline():
            text = line.decode(errors="replace").strip()
            if text:
                key, _, value = text.partition(":")
                block[key.strip()] = value.strip()
                continue
            event, uid = block.get("Event"), block.get("Uniqueid", "")
            at = float(block.get("Timestamp", "0") or 0)
            if event == "QueueCallerJoin":
                self.joined[uid] = at
            elif event == "AgentConnect":
                self.connected[uid] = at
            block = {}

    def waits(self, since: float) -> list[float]:
        return [self.connected[u] - j for u, j in self.joined.items()
                if j >= since and u in self.connected]


@contextlib.contextmanager
def app_queue_mode(h: Harness, seconds: int) -> Iterator[StepFn]:
    """Asterisk alone with the baseline dialplan and app_queue, agents registered; yields
    the function that runs one rate step through it."""
    runtime = h.work / "app-queue-var"
    overrides = h.engine_config(runtime, ring_timeout=10)
    sip_port = h.sip_port
    config = load_config(None, env={}, overrides=overrides)
    rendered = render(config)
    etc = rendered.etc_dir
    (etc / "extensions.conf").write_text(
        BASELINE_DIALPLAN.replace("{number}", config.service_numbers[0]))
    members = "\n".join(f"member => PJSIP/{a}" for a in h.agent_ids)
    (etc / "queues.conf").write_text(BASELINE_QUEUES.format(ring_timeout=10, members=members))
    modules = (etc / "modules.conf").read_text()
    (etc / "modules.conf").write_text(modules + "load => app_queue.so\n")
    manager = (etc / "manager.conf").read_text()
    # app_queue's QueueCallerJoin / AgentConnect are class agent (the engine reads system)
    manager = manager.replace("[general]\n", "[general]\ntimestampevents = yes\n", 1)
    manager, reads = re.subn(r"^read = (.*)$", r"read = \1,agent", manager, count=1,
                             flags=re.MULTILINE)
    if not reads:
        raise RuntimeError("the rendered manager.conf has no read line to add class agent to")
    (etc / "manager.conf").write_text(manager)
    log = open(h.work / "app-queue-asterisk.log", "wb")
    ast = subprocess.Popen([config.asterisk.binary, "-f", "-n", "-C",
                            str(rendered.asterisk_conf)], stdin=subprocess.DEVNULL,
                           stdout=log, stderr=log, start_new_session=h.own_sessions)
    try:
        time.sleep(4)
        secrets = rendered.secrets
        h.register_agents(h.phone_port, dict(secrets.sip_passwords))
        time.sleep(2)

        watch = AmiQueueWatch(config.asterisk.ami_port, secrets.ami_user, secrets.ami_secret)
        # one event loop for the whole run: between this mode's steps the AMI events wait
        # in the socket (timestamped by Asterisk), read when the next step runs the loop
        runner = asyncio.Runner()

        async def start_watch() -> None:
            watch.task = asyncio.ensure_future(watch.run())
            await asyncio.sleep(1)

        async def step_run(rate: float) -> Step:
            step = Step(rate)
            started = time.time()
            cpu = StepCpu(None, ast.pid, seconds + h.hold_ms / 1000)
            step.sip_failed = await asyncio.to_thread(
                h.run_callers, sip_port, rate, seconds, f"appq-{rate}")
            step.placed = max(1, int(rate * seconds))
            cpu.finish(step)
            await asyncio.sleep(2)
            step.waits = watch.waits(started)
            step.connected = len(step.waits)
            return step
        try:
            runner.run(start_watch())
            yield lambda rate: runner.run(step_run(rate))
        finally:
            if watch.task is not None:
                watch.task.cancel()
            runner.close()
    finally:
        ast.send_signal(signal.SIGTERM)
        try:
            ast.wait(20)
        except subprocess.TimeoutExpired:
            ast.kill()
        log.close()


def by_rate(steps: list[Step]) -> dict[float, list[Step]]:
    """A mode's steps grouped by rate, in the order the rates ran (--repeat runs each
    rate several times)."""
    groups: dict[float, list[Step]] = {}
    for s in steps:
        groups.setdefault(s.rate, []).append(s)
    return groups


def median_failed(turns: list[Step]) -> float:
    return statistics.median(s.failed_pct for s in turns)


def sustained(steps: list[Step]) -> float:
    """The highest rate whose turns failed < 1 % of calls (the median turn, with
    --repeat: one turn can go badly for reasons of the machine's own)."""
    ok = [rate for rate, turns in by_rate(steps).items() if median_failed(turns) < 1.0]
    return max(ok) if ok else 0.0


def past_knee(steps: list[Step]) -> bool:
    """Two rates in a row with >= 5 % failed (the median of their turns): the two rates
    above the knee are measured (how a mode bends under overload), not more."""
    rates = list(by_rate(steps).values())
    return len(rates) >= 2 and all(median_failed(turns) >= 5 for turns in rates[-2:])


def overload_lines(results: dict[str, list[Step]]) -> list[str]:
    """At one and two steps above the higher sustained rate (both modes past their knee):
    the share of calls each mode connected (the engine should connect at least
    app_queue's share), each turn's and, with several turns, their median."""
    floor = max(sustained(steps) for steps in results.values())
    by_mode = {m: by_rate(steps) for m, steps in results.items()}
    above = sorted({s.rate for steps in results.values() for s in steps if s.rate > floor})
    lines = []
    for n, rate in enumerate(above[:2], 1):
        parts, medians = [], {}
        for m in results:
            turns = by_mode[m].get(rate)
            if not turns:
                parts.append(f"{m} not run")
                continue
            # connected: the system's own count (the engine's stored answers, app_queue's
            # AgentConnect); without a failure: what the callers saw (sipp's failures
            # too, e.g. a BYE never answered after the agent was connected)
            medians[m] = statistics.median(s.connected_pct for s in turns)
            each = " / ".join(f"{s.connected_pct:.1f} % ({100 - s.failed_pct:.1f} % "
                              "without a failure)" for s in turns)
            parts.append(f"{m} {each}" if len(turns) == 1 else
                         f"{m} median {medians[m]:.1f} % (turns: {each})")
        verdict = ""
        if len(medians) == 2:
            met = medians["engine"] >= medians["app_queue"]
            verdict = f"; engine >= app_queue: {'yes' if met else 'no'}"
        lines.append(f"overload +{n} step ({rate:.0f} calls/s): connected "
                     f"{', '.join(parts)}{verdict}")
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rates", default="2,4,8,12,16,20,24,28,32")
    p.add_argument("--step-seconds", type=int, default=20)
    p.add_argument("--hold-ms", type=int, default=5000)
    p.add_argument("--agents", type=int, default=200)
    p.add_argument("--only", choices=("engine", "app_queue"))
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--own-sessions", action="store_true",
                   help="run the engine and app_queue's Asterisk each in a session of its "
                        "own instead of the bench's, with sipp (see the docstring)")
    p.add_argument("--load-priority", type=int, metavar="N",
                   help="run each sipp (callers, agents) in a session of its own, favoured "
                        "with autogroup nice -N (root; see Harness.favour)")
    p.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="run each rate N times per mode (the modes taking turns); the "
                        "sustained rate, the knee and the overload figures then go by the "
                        "median turn: one step past the knee varies from run to run more "
                        "than most changes move it (docs/benchmarks.md)")
    p.add_argument("--engine-set", action="append", default=[], metavar="KEY=VALUE",
                   help="an engine config override, e.g. event_loop=asyncio (repeatable)")
    a = p.parse_args()
    if a.repeat < 1:
        p.error("--repeat: at least 1")
    if not has_telephony():
        return 2
    rates = [float(r) for r in a.rates.split(",")]
    work = Path(tempfile.mkdtemp(prefix="ccengine-voice-bench-"))
    load = f"favoured (autogroup nice -{a.load_priority})" if a.load_priority is not None \
        else "in the bench's session"
    print(f"voice load: {machine()}; {a.agents} agents (one sipp UAS), hold {a.hold_ms} ms, "
          f"{a.step_seconds} s per step; engine overrides {a.engine_set or 'none'}; "
          f"{'own' if a.own_sessions else 'shared'} sessions; sipp {load}; "
          f"work dir {work}", flush=True)
    h = Harness(work, a.agents, a.hold_ms)
    h.engine_overrides = a.engine_set
    h.own_sessions = a.own_sessions
    h.load_nice = None if a.load_priority is None else -a.load_priority
    h.start_uas()
    modes = {"engine": ("engine (Stasis app)", engine_mode),
             "app_queue": ("baseline (Asterisk app_queue)", app_queue_mode)}
    chosen = [m for m in modes if a.only in (None, m)]
    results: dict[str, list[Step]] = {m: [] for m in chosen}
    try:
        with contextlib.ExitStack() as stack:
            steps_of = {m: stack.enter_context(modes[m][1](h, a.step_seconds)) for m in chosen}
            # both systems stay up and take turns at each rate, the first to go alternating:
            # the machine's speed drifts over minutes, and this way both modes see the
            # same drift instead of one mode getting the slow minutes
            turn = 0
            for rate in rates:
                # every mode runs every rate until all are past their knee: the overload
                # figures compare both at one and two steps above the higher sustained
                # rate, where the mode that broke first has to be measured too
                for _ in range(a.repeat):
                    order = chosen if turn % 2 == 0 else chosen[::-1]
                    turn += 1
                    for m in order:
                        settle()
                        step = steps_of[m](rate)
                        print(f"{modes[m][0]:>30}: {step.line()}", flush=True)
                        results[m].append(step)
                if all(past_knee(r) for r in results.values()):
                    break
    finally:
        h.stop_uas()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    for mode, steps in results.items():
        print(f"{mode}: highest sustained rate with < 1 % failed calls: "
              f"{sustained(steps):.1f} calls/s")
    if len(results) == 2 and sustained(results["app_queue"]):
        ratio = sustained(results["engine"]) / sustained(results["app_queue"])
        print(f"engine / app_queue: {ratio:.2f} (target >= 0.90)")
    if len(results) == 2:
        for line in overload_lines(results):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
