"""The engine's queue log against the one Asterisk's own app_queue writes for the same calls.

One Asterisk (the engine's), the same agents' phones (baresip) and the same sipp callers:
first the engine takes four calls (through its IVR, digit 1, into ``sales``), then
app_queue does (its own ``sales`` queue, reached by the admin's dialplan in
``asterisk.custom_dir`` on extension 7000 after the same menu and digit, the same phones
as its members; ``retry = 1``: app_queue tries the next member a second after a ring
out, the engine at once). Each call plays
the same part in both:

- carol's phone rings out (RINGNOANSWER; carol paused), alice answers, the caller hangs up;
- a caller gives up while alice is busy (ABANDON);
- alice hangs up on a caller (COMPLETEAGENT);
- alice transfers a caller blind (the engine: its API, to bob; app_queue: her phone's
  REFER, to an extension).

Then the two files are compared call by call (told apart by the caller's number): the same
events in the same order, the same parameter counts, and the same values where they must
be (agent, positions, caller id) or within a second or two where they are times.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from ccengine.reporting.queue_log import PARAMETERS, QueueLogLine, parse
from tests.e2e.conftest import Rig, eventually, running_rig
from tests.sip.sipp import CallerScript, SippCaller

pytestmark = pytest.mark.asterisk

RING_SECONDS = 4
WRAPUP_SECONDS = 1
# the callers, by the part their call plays
RONA, ABANDONS, AGENT_HANGS_UP, TRANSFERRED = ("07700900101", "07700900102", "07700900103",
                                                "07700900104")
CALLERS = (RONA, ABANDONS, AGENT_HANGS_UP, TRANSFERRED)

EXTENSIONS_CUSTOM = """\
[ccengine-public-custom]
; the engine's main menu as plain dialplan: a prompt, digit 1 (as the callers press it)
exten => 7000,1,Answer()
 same => n,Background(hello&vm-press&digits/1&vm-for&vm-press&digits/2)
 same => n,WaitExten(5)
exten => 1,1,Queue(sales,,,,60)
 same => n,Hangup()

; where alice's phone sends a caller with a REFER (blind transfer)
[ccengine-agents-custom]
exten => qlogxfer,1,Answer()
 same => n,Wait(30)
 same => n,Hangup()
"""

QUEUES_CONF = f"""\
[general]
persistentmembers = no
shared_lastcall = no

[sales]
strategy = linear
timeout = {RING_SECONDS}
retry = 1
wrapuptime = {WRAPUP_SECONDS}
ringinuse = no
autopause = all
joinempty = yes
leavewhenempty = no
announce-frequency = 0
musicclass = default
member => PJSIP/carol,0,carol
member => PJSIP/alice,0,alice
"""


class QueueLogFile:
    """A queue_log file as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self) -> list[QueueLogLine]:
        if not self.path.exists():
            return []
        return [parse(t) for t in self.path.read_text().splitlines() if t.strip()]

    def callid(self, caller: str) -> str | None:
        return next((x.callid for x in self.lines()
                     if x.event == "ENTERQUEUE" and x.params[1] == caller), None)

    def of_call(self, caller: str) -> list[QueueLogLine]:
        callid = self.callid(caller)
        return [x for x in self.lines() if callid is not None and x.callid == callid]

    async def wait(self, caller: str, event: str, timeout: float) -> QueueLogLine:
        def found() -> QueueLogLine | None:
            return next((x for x in self.of_call(caller) if x.event == event), None)
        return await eventually(found, timeout, f"{event} of {caller}'s call in {self.path}")


async def take_calls(rig: Rig, log: QueueLogFile, service: str,
                     transfer: Callable[[], Awaitable[None]]) -> SippCaller:
    """The four calls, one system's turn; returns the transferred caller, still on."""
    def place(caller: str, hold_ms: int | None, wait_bye_ms: int = 60000
              ) -> Awaitable[SippCaller]:
        script = CallerScript(digits="1", audio=False, hold_ms=hold_ms,
                              wait_bye_ms=wait_bye_ms)
        return rig.place_call(script, caller=caller, service=service)
    # the caller hangs up hold_ms after pressing 1; the next caller gives up while this
    # one still talks with alice
    rona = await place(RONA, hold_ms=12000)
    await log.wait(RONA, "CONNECT", 25)
    abandons = await place(ABANDONS, hold_ms=2000)      # alice busy, carol paused
    await log.wait(ABANDONS, "ABANDON", 20)
    await log.wait(RONA, "COMPLETECALLER", 20)
    assert await rona.wait(15) == 0, rona.errors()
    assert await abandons.wait(15) == 0, abandons.errors()
    await asyncio.sleep(WRAPUP_SECONDS + 0.5)

    hung_up = await place(AGENT_HANGS_UP, hold_ms=None, wait_bye_ms=30000)
    await log.wait(AGENT_HANGS_UP, "CONNECT", 20)
    await asyncio.sleep(2)
    await rig.phones["alice"].hangup()
    await log.wait(AGENT_HANGS_UP, "COMPLETEAGENT", 15)
    assert await hung_up.wait(15) == 0, hung_up.errors()
    await asyncio.sleep(WRAPUP_SECONDS + 0.5)

    transferred = await place(TRANSFERRED, hold_ms=8000)
    await log.wait(TRANSFERRED, "CONNECT", 20)
    await asyncio.sleep(1.5)
    await transfer()
    await log.wait(TRANSFERRED, "BLINDTRANSFER", 15)
    return transferred


async def load_app_queue(rig: Rig) -> Path:
    """app_queue (and PJSIP's REFER) into the engine's running Asterisk, with the queue;
    returns the queue_log Asterisk writes."""
    rendered, ami = rig.engine.rendered, rig.engine.ami
    assert rendered is not None and ami is not None and ami.manager is not None
    (rendered.etc_dir / "queues.conf").write_text(QUEUES_CONF)
    for module in ("app_queue.so", "res_pjsip_refer.so"):
        reply = await ami.manager.send_action({"Action": "ModuleLoad", "Module": module,
                                               "LoadType": "load"})
        replies = reply if isinstance(reply, list) else [reply]
        assert any(str(r.get("Response")).lower() == "success" for r in replies), replies
    return rendered.var_dir / "log" / "queue_log"


def close(a: str, b: str, seconds: int) -> bool:
    return abs(int(a) - int(b)) <= seconds


def compare(engine: QueueLogLine, asterisk: QueueLogLine) -> list[str]:
    """What differs between the two lines of one step of a call beyond what may."""
    problems = []
    if (engine.event, len(engine.params)) != (asterisk.event, len(asterisk.params)) or \
            len(engine.params) != len(PARAMETERS[engine.event]):
        return [f"{engine} / {asterisk}"]
    if (engine.queue, engine.agent) != (asterisk.queue, asterisk.agent):
        problems.append(f"queue or agent: {engine} / {asterisk}")
    e, a = engine.params, asterisk.params
    match engine.event:
        case "ENTERQUEUE":
            same = e == a                                  # url, caller id, position
        case "CONNECT":
            same = close(e[0], a[0], 2) and bool(e[1]) and bool(a[1]) and close(e[2], a[2], 2)
        case "COMPLETECALLER" | "COMPLETEAGENT":
            same = close(e[0], a[0], 2) and close(e[1], a[1], 2) and e[2] == a[2]
        case "ABANDON":
            same = e[:2] == a[:2] and close(e[2], a[2], 2)
        case "RINGNOANSWER":
            same = abs(int(e[0]) - int(a[0])) <= 1500
        case "BLINDTRANSFER":   # where to differs: bob|agent / qlogxfer|ccengine-agents
            same = close(e[2], a[2], 2) and close(e[3], a[3], 2) and e[4] == a[4]
        case _:
            same = True
    if not same:
        problems.append(f"values: {engine} / {asterisk}")
    return problems


async def test_given_the_same_calls_when_engine_and_app_queue_take_them_then_same_queue_log(
        tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "extensions_custom.conf").write_text(EXTENSIONS_CUSTOM)
    async with running_rig(tmp_path, extra=[
        f"asterisk.custom_dir={custom}",
        f"offer_timeout={RING_SECONDS}",
        "agents=[{id: alice, name: Alice, skills: {sales: 5}, phone: sip}, "
        "{id: carol, name: Carol, skills: {sales: 3}, phone: sip}, "
        "{id: bob, name: Bob, skills: {support: 5}, phone: sip}]",
        "queues=[{name: sales, media: [voice], required_skills: {sales: 1}, "
        f"wrapup_seconds: {WRAPUP_SECONDS}}}, {{name: support, media: [voice], "
        f"required_skills: {{support: 1}}, wrapup_seconds: {WRAPUP_SECONDS}}}]",
    ]) as rig:
        asterisk_path = await load_app_queue(rig)
        assert rig.engine.config.queue_log == tmp_path / "var" / "queue_log"
        ours, theirs = QueueLogFile(rig.engine.config.queue_log), QueueLogFile(asterisk_path)
        await asyncio.gather(rig.start_phone("alice"), rig.start_phone("carol", answer="manual"),
                             rig.start_phone("bob"))
        for agent in ("carol", "alice", "bob"):   # carol idle longest: rung first
            await rig.login(agent)

        # ------------------------------------------------------------ the engine's turn
        caller_channel: list[str] = []

        async def transfer_by_api() -> None:
            voice = rig.engine.voice
            assert voice is not None
            iid, call = next((i, c) for i, c in voice.calls.items()
                             if c.interaction.attributes.get("caller_number") == TRANSFERRED)
            caller_channel.append(call.caller_channel)
            await rig.call_api("POST", f"/api/calls/{iid}/transfer", "alice",
                               json={"to": {"agent": "bob"}, "mode": "blind"})
        engine_transferred = await take_calls(rig, ours, "5000", transfer_by_api)
        for agent in ("alice", "carol"):   # they leave the engine for app_queue's turn
            await rig.call_api("POST", f"/api/agents/{agent}/logout", agent)

        # ------------------------------------------------------------ app_queue's turn
        phone_port = rig.engine.config.asterisk.phone_sip_port

        async def transfer_by_refer() -> None:
            await rig.phones["alice"].command("transfer",
                                              f"sip:qlogxfer@127.0.0.1:{phone_port}")
        asterisk_transferred = await take_calls(rig, theirs, "7000", transfer_by_refer)
        for caller in (engine_transferred, asterisk_transferred):
            assert await caller.wait(20) == 0, caller.errors()

        # ------------------------------------------------------------ the two logs
        problems = []
        for caller in CALLERS:
            engine_call, asterisk_call = ours.of_call(caller), theirs.of_call(caller)
            events = ([x.event for x in engine_call], [x.event for x in asterisk_call])
            if events[0] != events[1]:
                problems.append(f"{caller}: engine {events[0]} / app_queue {events[1]}")
                continue
            for engine_line, asterisk_line in zip(engine_call, asterisk_call, strict=True):
                problems += compare(engine_line, asterisk_line)
        assert not problems, "\n".join(problems)
        assert {caller: [x.event for x in ours.of_call(caller)] for caller in CALLERS} == {
            RONA: ["ENTERQUEUE", "RINGNOANSWER", "CONNECT", "COMPLETECALLER"],
            ABANDONS: ["ENTERQUEUE", "ABANDON"],
            AGENT_HANGS_UP: ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"],
            TRANSFERRED: ["ENTERQUEUE", "CONNECT", "BLINDTRANSFER"]}
        assert ours.of_call(TRANSFERRED)[-1].params[:2] == ("bob", "agent")

        # a call's id is its caller's channel (Asterisk's uniqueid), as app_queue's is
        assert ours.callid(TRANSFERRED) == caller_channel[0]
        for caller in CALLERS:
            for log in (ours, theirs):
                assert re.fullmatch(r"\d+\.\d+", log.callid(caller) or ""), (caller, log.path)

        # carol's phone rang out: the ring, then her pause in every queue, in both logs
        def carol(log: QueueLogFile) -> list[tuple[str, str, int]]:
            return [(x.event, x.queue, len(x.params)) for x in log.lines()
                    if x.agent == "carol" and x.event not in ("AGENTLOGIN", "AGENTLOGOFF")]
        assert carol(ours) == carol(theirs) == [
            ("RINGNOANSWER", "sales", 1), ("PAUSEALL", "NONE", 1), ("PAUSE", "sales", 1)]
        assert [x.params[0] for x in ours.lines() if x.event == "PAUSE"] == ["rona"]
        assert [x.params[0] for x in theirs.lines() if x.event == "PAUSE"] == ["Auto-Pause"]

        # the engine also wrote its agents' sessions
        sessions = [(x.event, x.agent, x.params[0], len(x.params)) for x in ours.lines()
                    if x.event in ("AGENTLOGIN", "AGENTLOGOFF")]
        assert sessions == [("AGENTLOGIN", a, f"PJSIP/{a}", 1) for a in ("carol", "alice", "bob")
                            ] + [("AGENTLOGOFF", a, f"PJSIP/{a}", 2) for a in ("alice", "carol")]
