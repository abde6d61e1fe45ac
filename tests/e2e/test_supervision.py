"""Supervisors monitor, whisper to and barge into real calls: a sipp caller playing audio
reaches alice (sales) on baresip; sam, a supervisor of sales, listens in on his own
baresip phone. Each phone sends its own tone (alice 440 Hz, sam 1300 Hz), so who hears
whom is measured in the audio itself: what alice's phone received (its recording), what
sam's phone received, and what Asterisk sent the caller (a test-only snoop on the
caller's leg, recorded). RTP counters on sam's leg show media flowing both ways."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ccengine.telephony.ari.client import basic_auth
from tests.e2e.conftest import Rig, eventually
from tests.e2e.test_first_journey import bridged_legs_with_audio
from tests.sip.audio import Pcm, median_tone_share, read_wav, wav_seconds
from tests.sip.sipp import CallerScript, SippCaller

pytestmark = pytest.mark.asterisk

SUPERVISORS = {"overrides": [
    "supervisors=[{id: sam, name: Sam, queues: [sales], phone: sip}, "
    "{id: sue, name: Sue, queues: [support], phone: sip}, "
    "{id: sid, name: Sid, queues: [sales], phone: sip}]",
]}
AGENT_TONE, SUPERVISOR_TONE = 440, 1300
HEARS, SILENT = 0.15, 0.03   # median share of a tone in what a leg received
# a caller who keeps talking (phones send audio throughout a call: the whisper is mixed
# into what the bridge sends the agent, so it needs the caller's audio to ride on)
CALLER_WAITS = CallerScript(digits="1", dtmf="info", hold_ms=None, wait_bye_ms=120000,
                            audio_repeats=10)


# ---------------------------------------------------------------------- helpers
async def call_with_alice(rig: Rig, script: CallerScript = CALLER_WAITS,
                          **alice: Any) -> tuple[SippCaller, str]:
    await rig.start_phone("alice", **alice)
    await rig.open_feed("alice")
    await rig.login("alice")
    caller = await rig.place_call(script)
    offer = (await eventually(rig.feeds["alice"].offers, 20, "alice's screen pop"))[0]
    await bridged_legs_with_audio(rig)
    return caller, offer["interaction_id"]


async def request(rig: Rig, method: str, path: str, user: str,
                  body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    async with rig.http.request(method, f"{rig.api}{path}", headers=rig.auth(user),
                                json=body) as r:
        return r.status, await r.json()


async def supervision_of(rig: Rig, iid: str, user: str = "sam") -> list[dict[str, Any]]:
    return (await rig.call_api("GET", f"/api/calls/{iid}", user))["supervision"]


async def connected(rig: Rig, iid: str, supervisor: str, mode: str) -> None:
    async def check() -> bool:
        return any(s["supervisor_id"] == supervisor and s["status"] == "connected"
                   and s["mode"] == mode for s in await supervision_of(rig, iid))
    await eventually(check, 20, f"{supervisor} connected to {iid} in {mode} mode")


async def channels_named(rig: Rig, prefix: str) -> list[str]:
    return [c["id"] for c in await rig.ari("GET", "/channels") or []
            if c["id"].startswith(prefix)]


async def endpoint_channel(rig: Rig, endpoint: str) -> str | None:
    for c in await rig.ari("GET", "/channels") or []:
        if c["name"].startswith(f"PJSIP/{endpoint}-"):
            return c["id"]
    return None


async def rtp_count(rig: Rig, channel: str, direction: str) -> int:
    value = await rig.ari("GET", f"/channels/{channel}/variable",
                          variable=f"CHANNEL(rtcp,{direction}count)")
    return int(value["value"] or 0) if value else 0


async def history(rig: Rig, iid: str, *kinds: str, at_least: int = 0
                  ) -> list[dict[str, Any]]:
    """The stored events of these kinds, once there are ``at_least`` of them (the store
    follows the live call by a moment)."""
    async def found() -> list[dict[str, Any]] | None:
        record = await rig.call_api("GET", f"/api/interactions/{iid}", "admin")
        events = [e for e in record["events"] if e["kind"] in kinds]
        return events if len(events) >= at_least else None
    return await eventually(found, 20, f"{at_least} stored {kinds} of {iid}")


def latest(files: list[Path]) -> Path:
    assert files, "the phone recorded no call"
    return files[-1]


class CallerEar:
    """What Asterisk sends the caller: a snoop spying on the caller's outgoing audio, in
    a Stasis application of the test's own, recorded to a WAV file."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.app = f"cctest{uuid.uuid4().hex[:8]}"
        self.snoop = f"ear-{uuid.uuid4().hex}"
        self.path = rig.engine.rendered.var_dir / "spool" / "recording" / f"{self.snoop}.wav"  # type: ignore[union-attr]
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.auth: dict[str, str] = {}
        self.reader: asyncio.Task[None] | None = None

    async def start(self, caller_number: str) -> None:
        c, s = self.rig.engine.config.asterisk, self.rig.engine.rendered.secrets  # type: ignore[union-attr]
        self.auth = {"Authorization": basic_auth(s.ari_user, s.ari_password)}
        self.ws = await self.rig.http.ws_connect(
            f"ws://{c.control_bind}:{c.http_port}/ari/events", params={"app": self.app},
            headers=self.auth)
        self.reader = asyncio.ensure_future(self._drain())
        channels = await self.rig.ari("GET", "/channels") or []
        caller = next(ch["id"] for ch in channels if ch["caller"]["number"] == caller_number
                      and ch["name"].startswith("PJSIP/anonymous"))
        assert await self.rig.ari("POST", f"/channels/{caller}/snoop", spy="out",
                                  whisper="none", app=self.app, snoopId=self.snoop)
        self.path.parent.mkdir(parents=True, exist_ok=True)  # Asterisk does not create it
        url = f"http://{c.control_bind}:{c.http_port}/ari/channels/{self.snoop}/record"

        async def record() -> bool:  # 409 until the snoop is in the application
            async with self.rig.http.post(url, params={"name": self.snoop, "format": "wav",
                                                       "ifExists": "overwrite"},
                                          headers=self.auth) as r:
                return r.status == 201
        await eventually(record, 10, "the caller's ear recording started")
        await eventually(lambda: wav_seconds(self.path) > 0.2, 10, "the caller's ear recording")

    async def _drain(self) -> None:
        assert self.ws is not None
        async for _msg in self.ws:
            pass

    async def stop(self) -> None:
        await self.rig.ari("DELETE", f"/channels/{self.snoop}")
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


async def listen(taps: dict[str, Path], clock: Path, seconds: float = 3.0,
                 settle: float = 0.6) -> dict[str, Pcm]:
    """What each recording received during the next ``seconds`` of ``clock`` (a recording
    that grows steadily), after ``settle`` seconds (jitter buffers, a mode switch). A phone
    that is sent nothing records nothing, so its slice is empty (no tone in it)."""
    async def advance(by: float) -> dict[str, float]:
        start = wav_seconds(clock)
        await eventually(lambda: wav_seconds(clock) >= start + by, 30, f"{by} s of audio")
        return {name: wav_seconds(path) for name, path in taps.items()}

    begin = await advance(settle)
    end = await advance(seconds)
    return {name: read_wav(path).between(begin[name], end[name])
            for name, path in taps.items()}


@pytest.fixture
async def ear(rig: Rig) -> AsyncIterator[CallerEar]:
    ear = CallerEar(rig)
    try:
        yield ear
    finally:
        await ear.stop()


# ---------------------------------------------------------------------- modes
@pytest.mark.parametrize("rig", [SUPERVISORS], indirect=True)
async def test_given_a_call_when_sam_monitors_whispers_then_barges_then_each_mode_carries_his_voice_only_where_it_says(  # noqa: E501
        rig: Rig, ear: CallerEar) -> None:
    sam = await rig.start_phone("sam", tone=SUPERVISOR_TONE, record=True)
    caller, iid = await call_with_alice(rig, tone=AGENT_TONE, record=True)
    await ear.start("07700900123")

    status, body = await request(rig, "POST", f"/api/calls/{iid}/supervise", "sam",
                                 {"mode": "monitor"})
    assert status == 202, body
    assert body["supervisor_id"] == "sam" and body["mode"] == "monitor"
    await connected(rig, iid, "sam", "monitor")
    sam_leg = await eventually(lambda: endpoint_channel(rig, "sam"), 10, "sam's leg")
    taps = {"alice": latest(rig.phones["alice"].received_audio()),
            "sam": latest(sam.received_audio()), "caller": ear.path}

    heard: dict[str, dict[str, Pcm]] = {"monitor": await listen(taps, ear.path)}
    for mode in ("whisper", "barge"):
        status, body = await request(rig, "POST", f"/api/calls/{iid}/supervise", "sam",
                                     {"mode": mode})
        assert status == 200 and body["mode"] == mode, body   # switched, not redialled
        assert (await supervision_of(rig, iid))[0]["mode"] == mode
        heard[mode] = await listen(taps, ear.path)
    assert await endpoint_channel(rig, "sam") == sam_leg   # one call to sam throughout
    assert len(await channels_named(rig, "snoop-")) == 1   # the old snoops are gone

    # sam's leg: Asterisk sends him the call and receives his voice
    assert await rtp_count(rig, sam_leg, "tx") > 0 and await rtp_count(rig, sam_leg, "rx") > 0

    def share(mode: str, who: str, tone: int) -> float:
        return median_tone_share(heard[mode][who], tone)

    shares = {mode: {who: round(share(mode, who, SUPERVISOR_TONE), 3)
                     for who in ("alice", "caller")} for mode in heard}
    # sam hears the agent in every mode
    for mode in heard:
        assert share(mode, "sam", AGENT_TONE) > HEARS, (mode, shares)
    # monitor: nobody hears sam
    assert shares["monitor"]["alice"] < SILENT and shares["monitor"]["caller"] < SILENT, shares
    # whisper: alice hears sam, the caller does not
    assert shares["whisper"]["alice"] > HEARS and shares["whisper"]["caller"] < SILENT, shares
    # barge: both hear sam (and the caller still hears alice)
    assert shares["barge"]["alice"] > HEARS and shares["barge"]["caller"] > HEARS, shares
    assert share("barge", "caller", AGENT_TONE) > HEARS, shares

    status, body = await request(rig, "DELETE", f"/api/calls/{iid}/supervise", "sam")
    assert status == 200 and body["ended"][0]["supervisor_id"] == "sam", body
    await eventually(lambda: _none(channels_named(rig, "snoop-")), 10, "no snoop left")
    await eventually(lambda: _none(endpoint_channel(rig, "sam")), 10, "sam's leg hung up")
    assert await supervision_of(rig, iid) == []
    assert await rig.agent_state("alice") == "busy"   # the call itself goes on

    await rig.phones["alice"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    events = await eventually(lambda: _ended_history(rig, iid), 10, "the stored history")
    kinds = [(e["kind"], e["data"].get("mode")) for e in events]
    assert kinds == [("supervision_started", "monitor"), ("supervision_mode_changed", "whisper"),
                     ("supervision_mode_changed", "barge"), ("supervision_ended", "barge")]
    assert events[0]["data"]["supervisor_id"] == "sam" and events[0]["data"]["by"] == "sam"
    assert events[0]["data"]["agent_id"] == "alice"
    assert events[-1]["data"]["reason"] == "stopped" and events[-1]["data"]["by"] == "sam"


async def _none(value: Any) -> bool:
    return not await value


async def _ended_history(rig: Rig, iid: str) -> list[dict[str, Any]] | None:
    record = await rig.call_api("GET", f"/api/interactions/{iid}", "admin")
    if not record["timestamps"].get("ended"):
        return None
    return [e for e in record["events"] if e["kind"].startswith("supervision_")]


# ---------------------------------------------------------------------- who may, cleanup
@pytest.mark.parametrize("rig", [SUPERVISORS], indirect=True)
async def test_given_a_sales_call_then_only_its_supervisors_and_admins_supervise_and_hangup_cleans_up(  # noqa: E501
        rig: Rig) -> None:
    await rig.start_phone("sam")
    caller, iid = await call_with_alice(rig, CallerScript(digits="1", dtmf="info",
                                                          hold_ms=40000))
    path = f"/api/calls/{iid}/supervise"

    # the live view: sam (sales) sees the call, sue (support) does not, agents may not look
    calls = (await rig.call_api("GET", "/api/supervisor/calls", "sam"))["calls"]
    assert [(c["interaction_id"], c["queue"], c["agent_id"], c["caller_number"], c["state"])
            for c in calls] == [(iid, "sales", "alice", "07700900123", "talking")]
    assert calls[0]["since"] > 0 and calls[0]["supervision"] == []
    assert (await rig.call_api("GET", "/api/supervisor/calls", "sue"))["calls"] == []
    assert len((await rig.call_api("GET", "/api/supervisor/calls", "admin"))["calls"]) == 1
    status, body = await request(rig, "GET", "/api/supervisor/calls", "alice")
    assert (status, body["error"]) == (403, "forbidden")

    for user, body_, expected in [
            ("alice", {"mode": "monitor"}, (403, "forbidden")),          # an agent
            ("bob", {"mode": "monitor"}, (403, "forbidden")),            # another agent
            ("sue", {"mode": "monitor"}, (403, "forbidden")),            # other queue
            ("sam", {"mode": "shout"}, (400, "bad_mode")),
            ("sam", {}, (400, "bad_mode")),
            ("sam", {"mode": "monitor", "supervisor": "sid"}, (403, "forbidden")),
            ("sid", {"mode": "monitor"}, (409, "supervisor_unreachable")),  # no phone
            ("admin", {"mode": "monitor"}, (400, "supervisor_required")),
            ("admin", {"mode": "monitor", "supervisor": "zed"}, (400, "unknown_supervisor")),
    ]:
        status, answer = await request(rig, "POST", path, user, body_)
        assert (status, answer.get("error")) == expected, (user, body_, answer)
    status, answer = await request(rig, "POST", "/api/calls/no-such-call/supervise", "sam",
                                   {"mode": "monitor"})
    assert (status, answer["error"]) == (404, "interaction_not_found")
    status, answer = await request(rig, "DELETE", path, "sam")
    assert (status, answer["error"]) == (404, "supervision_not_found")
    async with rig.http.post(f"{rig.api}{path}", json={"mode": "monitor"}) as r:
        assert r.status == 401
    assert await channels_named(rig, "supervisor-") == []   # nothing was dialled

    # an admin has sam's phone listen in
    status, body = await request(rig, "POST", path, "admin",
                                 {"mode": "monitor", "supervisor": "sam"})
    assert status == 202 and body["by"] == "admin", body
    await connected(rig, iid, "sam", "monitor")
    call = await rig.call_api("GET", f"/api/calls/{iid}", "admin")
    assert [(s["supervisor_id"], s["mode"], s["by"]) for s in call["supervision"]] == [
        ("sam", "monitor", "admin")]
    assert "supervision" not in await rig.call_api("GET", f"/api/calls/{iid}", "alice")
    live = (await rig.call_api("GET", "/api/supervisor/calls", "sam"))["calls"]
    assert live[0]["supervision"][0]["supervisor_id"] == "sam"
    assert len(await channels_named(rig, "snoop-")) == 1

    # sid (sales too) listens in as well, on his own phone and snoop
    await rig.start_phone("sid")
    assert (await request(rig, "POST", path, "sid", {"mode": "whisper"}))[0] == 202
    await connected(rig, iid, "sid", "whisper")
    assert sorted((s["supervisor_id"], s["mode"]) for s in await supervision_of(rig, iid)) == [
        ("sam", "monitor"), ("sid", "whisper")]
    assert len(await channels_named(rig, "snoop-")) == 2

    # one call at a time per supervisor: sam cannot be put on bob's support call too
    await rig.start_phone("bob")
    await rig.open_feed("bob")
    await rig.login("bob")
    second = await rig.place_call(CallerScript(digits="2", dtmf="info", hold_ms=None,
                                               audio=False),
                                  caller="07700900456")
    other = (await eventually(rig.feeds["bob"].offers, 20, "bob's screen pop"))[0]
    await eventually(lambda: _is(rig, "bob", "busy"), 20, "bob on the second call")
    status, answer = await request(rig, "POST", f"/api/calls/{other['interaction_id']}"
                                   "/supervise", "admin", {"mode": "monitor", "supervisor": "sam"})
    assert (status, answer["error"]) == (409, "supervisor_busy"), answer
    status, answer = await request(rig, "POST", f"/api/calls/{other['interaction_id']}"
                                   "/supervise", "sam", {"mode": "monitor"})
    assert (status, answer["error"]) == (403, "forbidden"), answer
    await rig.phones["bob"].hangup()
    assert await second.wait(30) == 0, second.errors()

    # the caller hangs up: the supervision ends with the call, nothing is left behind
    assert await caller.wait(60) == 0, caller.errors()
    await eventually(lambda: _none(channels_named(rig, "snoop-")), 10, "no snoop left")
    await eventually(lambda: _none(endpoint_channel(rig, "sam")), 10, "sam's leg hung up")
    bridges = [b["id"] for b in await rig.ari("GET", "/bridges") or []]
    assert not [b for b in bridges if b.startswith("supervise-")], bridges
    events = await eventually(lambda: _ended_history(rig, iid), 10, "the stored history")
    assert [(e["kind"], e["data"]["supervisor_id"], e["data"].get("reason"))
            for e in events] == [("supervision_started", "sam", None),
                                 ("supervision_started", "sid", None),
                                 ("supervision_ended", "sam", "call_ended"),
                                 ("supervision_ended", "sid", "call_ended")]
    assert events[0]["data"]["by"] == "admin" and events[1]["data"]["by"] == "sid"
    assert (await rig.call_api("GET", "/api/supervisor/calls", "sam"))["calls"] == []


# ---------------------------------------------------------------------- other endings
@pytest.mark.parametrize("rig", [SUPERVISORS], indirect=True)
async def test_given_sam_supervising_when_he_hangs_up_or_the_call_is_transferred_then_it_ends(
        rig: Rig) -> None:
    sam = await rig.start_phone("sam")
    await rig.start_phone("bob")
    await rig.open_feed("bob")
    await rig.login("bob")
    caller, iid = await call_with_alice(rig)
    path = f"/api/calls/{iid}/supervise"

    # sam hangs up his phone
    assert (await request(rig, "POST", path, "sam", {"mode": "whisper"}))[0] == 202
    await connected(rig, iid, "sam", "whisper")
    await sam.hangup()
    await eventually(lambda: _empty(supervision_of(rig, iid)), 10, "the supervision over")
    await eventually(lambda: _none(channels_named(rig, "snoop-")), 10, "no snoop left")
    ended = await history(rig, iid, "supervision_ended", at_least=1)
    assert ended[-1]["data"]["reason"] == "supervisor_hung_up", ended

    # sam listens again; alice hands the call to bob: the supervision ends with the transfer
    assert (await request(rig, "POST", path, "sam", {"mode": "monitor"}))[0] == 202
    await connected(rig, iid, "sam", "monitor")
    await rig.call_api("POST", f"/api/calls/{iid}/transfer", "alice",
                       json={"to": {"agent": "bob"}, "mode": "blind"})
    await eventually(lambda: _empty(supervision_of(rig, iid)), 10, "the supervision over")
    await eventually(lambda: _none(channels_named(rig, "snoop-")), 10, "no snoop left")
    await eventually(lambda: _none(endpoint_channel(rig, "sam")), 10, "sam's leg hung up")
    kinds = [e["kind"] for e in await history(rig, iid, "supervision_ended",
                                               "transfer_started", at_least=3)]
    assert kinds[-2:] == ["transfer_started", "supervision_ended"], kinds
    assert (await history(rig, iid, "supervision_ended"))[-1]["data"]["reason"] == "transferred"

    # bob now has the caller, and sam may supervise him
    async def bob_has_it() -> bool:
        call = await rig.call_api("GET", f"/api/calls/{iid}", "sam")
        return call["agent_id"] == "bob" and call["transfer"] is None
    await eventually(bob_has_it, 20, "bob on the call, the transfer complete")
    status, body = await request(rig, "POST", path, "sam", {"mode": "barge"})
    assert status == 202, body
    await connected(rig, iid, "sam", "barge")
    assert (await supervision_of(rig, iid))[0]["agent_id"] == "bob"

    # bob brings alice in and leaves: alice keeps the caller, sam's supervision of bob ends
    await eventually(lambda: _is(rig, "alice", "available"), 20, "alice out of wrap-up")
    await rig.call_api("POST", f"/api/calls/{iid}/conference", "bob",
                       json={"to": {"agent": "alice"}})
    await eventually(lambda: _is(rig, "alice", "busy"), 20, "alice in the conference")
    await rig.phones["bob"].hangup()
    await eventually(lambda: _empty(supervision_of(rig, iid)), 10, "the supervision over")
    await eventually(lambda: _none(channels_named(rig, "snoop-")), 10, "no snoop left")
    await eventually(lambda: _none(endpoint_channel(rig, "sam")), 10, "sam's leg hung up")
    ended = await history(rig, iid, "supervision_ended", at_least=3)
    assert ended[-1]["data"]["reason"] == "agent_left"
    assert (await rig.call_api("GET", f"/api/calls/{iid}", "sam"))["agent_id"] == "alice"

    # sam listens to alice until the caller's call ends
    assert (await request(rig, "POST", path, "sam", {"mode": "monitor"}))[0] == 202
    await connected(rig, iid, "sam", "monitor")
    await rig.phones["alice"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    await eventually(lambda: _none(channels_named(rig, "snoop-")), 10, "no snoop left")
    ended = await eventually(lambda: _ended_history(rig, iid), 10, "the stored history")
    assert [e["data"].get("reason") for e in ended if e["kind"] == "supervision_ended"] == [
        "supervisor_hung_up", "transferred", "agent_left", "call_ended"]


async def _empty(value: Any) -> bool:
    return not await value


async def _is(rig: Rig, agent: str, state: str) -> bool:
    return await rig.agent_state(agent) == state
