"""The queued caller's experience on a real Asterisk with sipp callers and baresip agents:
position and expected-wait announcements (music resumed after each), the maximum wait
moving the caller to another queue, keys pressed while waiting, and keys that map to
nothing changing nothing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ccengine.config import ConfigError, load_config
from ccengine.engine import Engine
from ccengine.telephony.ami import ClosingManager
from ccengine.telephony.ari.errors import AriNotFound
from ccengine.telephony.ivr.flow import Action
from ccengine.telephony.voice import MUSIC_AFTER_SECONDS, VoiceCall
from tests.e2e.conftest import REPO, Rig, eventually
from tests.e2e.ports import free_port, free_range
from tests.e2e.test_first_journey import bridged_legs_with_audio, ready_agents, stored
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

ANNOUNCING = ["waiting={sales: {announce_every: 60, announce_first_after: 2, "
              "handle_seconds: 120}}"]


async def waiting_ids(rig: Rig, queue: str, count: int) -> list[str]:
    """The ids of the interactions waiting in ``queue`` once there are ``count``."""
    async def ids() -> list[str] | None:
        view = await rig.call_api("GET", f"/api/queues/{queue}", "admin")
        found = [i["id"] for i in view["interactions"]]
        return found if len(found) >= count else None
    return await eventually(ids, 30, f"{count} interaction(s) waiting in {queue}")


def live_events(rig: Rig, interaction_id: str, kind: str) -> Callable[[], Awaitable[list]]:
    async def events() -> list[dict[str, Any]]:
        dispatcher = rig.engine.dispatcher
        assert dispatcher is not None
        try:
            live = await dispatcher.live_interaction(interaction_id)
        except KeyError:
            return []
        return [{"kind": e.kind, "at": e.at, **e.data} for e in live.events if e.kind == kind]
    return events


@contextlib.asynccontextmanager
async def moh_starts(rig: Rig, event: str = "MusicOnHoldStart"
                     ) -> AsyncIterator[dict[str, list[float]]]:
    """Music-on-hold starts (or ``event``: its stops) per channel id (Asterisk's AMI
    events), on an AMI session of the test's own: the engine's asks for contact status
    only."""
    starts: dict[str, list[float]] = {}
    c, secrets = rig.engine.config.asterisk, rig.engine.rendered.secrets  # type: ignore[union-attr]
    loop = asyncio.get_running_loop()
    logged_in: asyncio.Future[None] = loop.create_future()

    def on_start(_manager: Any, event: Any) -> None:
        starts.setdefault(str(event.get("Uniqueid")), []).append(loop.time())
    manager = ClosingManager(
        loop=loop, host=c.control_bind, port=c.ami_port, username=secrets.ami_user,
        secret=secrets.ami_secret, events="call",
        on_login=lambda _m: logged_in.done() or logged_in.set_result(None))
    manager.register_event(event, on_start)
    manager.connect()
    try:
        await asyncio.wait_for(logged_in, 10)
        yield starts
    finally:
        manager.closing = True
        manager.close()


@pytest.mark.parametrize("rig", [
    {"overrides": ANNOUNCING},
    pytest.param({"backend": "redis", "overrides": ANNOUNCING}, marks=pytest.mark.redis),
], indirect=True, ids=["memory", "redis"])
async def test_given_two_callers_waiting_when_announced_then_each_hears_own_place_and_wait(
        rig: Rig) -> None:
    await ready_agents(rig, "alice")
    async with moh_starts(rig) as moh:
        await waiting_announced_to_each(rig, moh)


async def waiting_announced_to_each(rig: Rig, moh: dict[str, list[float]]) -> None:
    # the first caller takes alice: she is busy, so the next two wait
    first = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=60000))
    await eventually(rig.feeds["alice"].offers, 20, "alice's screen pop")
    await bridged_legs_with_audio(rig)
    second = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=60000),
                                  caller="07700900222")
    b, = await waiting_ids(rig, "sales", 1)
    # the third caller presses 7 while waiting: a key that maps to nothing
    third = await rig.place_call(CallerScript(digits="17", dtmf="info",
                                              between_digits_ms=18000, hold_ms=60000),
                                 caller="07700900333")
    ids = await waiting_ids(rig, "sales", 2)
    c = next(i for i in ids if i != b)

    b_said = (await eventually(live_events(rig, b, "wait_announced"), 30,
                               "the first waiting caller's announcement"))[0]
    c_said = (await eventually(live_events(rig, c, "wait_announced"), 30,
                               "the second waiting caller's announcement"))[0]
    # one agent serves sales, 120 s a call: next in line ~2 minutes, second ~4 minutes
    assert (b_said["position"], b_said["expected_wait"]) == (1, 120)
    assert b_said["media"] == ["sound:queue-youarenext", "sound:queue-holdtime", "number:2",
                               "sound:queue-minutes", "sound:queue-thankyou"]
    assert (c_said["position"], c_said["expected_wait"]) == (2, 240)
    assert c_said["media"] == ["sound:queue-thereare", "number:2", "sound:queue-callswaiting",
                               "sound:queue-holdtime", "number:4", "sound:queue-minutes",
                               "sound:queue-thankyou"]
    # Asterisk played each one to the end, then the music came back
    assert b_said["played"] == "done" and c_said["played"] == "done"
    dispatcher = rig.engine.dispatcher
    assert dispatcher is not None
    for iid in (b, c):
        channel = (await dispatcher.live_interaction(iid)).attributes["caller_channel"]
        await eventually(lambda ch=channel: len(moh.get(ch, [])) >= 2, 15,
                         "music on hold started again after the announcement")

    # the unmapped key was heard and ignored: the caller keeps the same place
    key = (await eventually(live_events(rig, c, "wait_key"), 30, "the key 7 recorded"))[0]
    assert (key["digit"], key["action"]) == ("7", None)
    view = await rig.call_api("GET", "/api/queues/sales", "admin")
    assert [i["id"] for i in view["interactions"]] == [b, c]
    assert (await dispatcher.live_interaction(c)).queue == "sales"

    # everything the caller heard is in the stored record too
    record = await rig.call_api("GET", f"/api/interactions/{c}", "admin")
    kinds = [e["kind"] for e in record["events"]]
    assert "wait_announced" in kinds and "wait_key" in kinds
    for caller in (first, second, third):
        await caller.stop()


OVERFLOWING = {"overrides": [
    "waiting={sales: {max_wait: 4, on_max_wait: {action: queue, queue: support}}}",
]}


@pytest.mark.parametrize("rig", [OVERFLOWING], indirect=True)
async def test_given_nobody_for_sales_when_max_wait_passes_then_support_agent_answers(
        rig: Rig) -> None:
    await ready_agents(rig, "bob")            # support only: nobody serves sales
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=None))
    iid, = await waiting_ids(rig, "sales", 1)
    dispatcher = rig.engine.dispatcher
    assert dispatcher is not None
    enqueued_at = (await dispatcher.live_interaction(iid)).enqueued_at

    offer = (await eventually(rig.feeds["bob"].offers, 30, "bob's screen pop"))[0]
    assert (offer["interaction_id"], offer["queue"]) == (iid, "support")
    assert offer["wait_seconds"] >= 4        # the wait in sales counts: same interaction
    await bridged_legs_with_audio(rig)
    live = await dispatcher.live_interaction(iid)
    assert live.enqueued_at == enqueued_at
    await rig.phones["bob"].hangup()
    assert await caller.wait(30) == 0, caller.errors()

    record = await stored(rig, iid, "admin")
    assert (record["queue"], record["agent_id"]) == ("support", "bob")
    assert record["attributes"]["moved_from"] == "sales"
    reached = next(e for e in record["events"] if e["kind"] == "wait_max_reached")
    assert (reached["data"]["queue"], reached["data"]["action"]) == ("sales", "queue")
    moved = next(e for e in record["events"] if e["kind"] == "queue_changed")
    assert moved["data"] == {"from_queue": "sales", "to_queue": "support", "why": "max_wait"}
    assert reached["at"] - record["timestamps"]["queued"] >= 4
    assert moved["at"] < record["timestamps"]["offered"]


async def _play_and_wait(engine: Engine, call: VoiceCall, sound: str) -> str | None:
    """Play ``sound`` to the caller, reading the caller's events as an executor does."""
    playback = f"test-{id(call)}-{sound}"
    try:
        await engine.voice.ari.play(call.caller_channel, [f"sound:{sound}"], playback)  # type: ignore[union-attr]
    except AriNotFound:
        return None
    while (event := await call.events.next(20)) is not None:
        if event.type == "PlaybackFinished" and event.playback_id == playback:
            return str(event.raw["playback"]["state"])
    return None


@pytest.fixture
def executors(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    """Two small real executors registered like a feature would, before the engine checks
    the waiting config: ``operator`` takes the call out of the queue and says goodbye
    (the call ends), ``recap`` plays a prompt and leaves the call queued."""
    seen: dict[str, list[dict[str, Any]]] = {"operator": [], "recap": []}
    parts = Engine._parts

    def with_executors(engine: Engine) -> list[Callable[[], Awaitable[None]]]:
        async def register() -> None:
            voice, dispatcher = engine.voice, engine.dispatcher
            assert voice is not None and dispatcher is not None

            async def observe(call: VoiceCall, action: Action, sound: str
                              ) -> dict[str, Any]:
                live = await dispatcher.live_interaction(call.interaction.id)
                waiting = {i.id for i in await dispatcher.state.waiting()}
                return {"action": action, "queue": live.queue,
                        "routable": live.id in waiting, "enqueued_at": live.enqueued_at,
                        "played": await _play_and_wait(engine, call, sound)}

            async def operator(call: VoiceCall, action: Action) -> None:
                seen["operator"].append(await observe(call, action, "vm-goodbye"))
                await dispatcher.cancel(call.interaction.id, "operator")

            async def recap(call: VoiceCall, action: Action) -> None:
                seen["recap"].append(await observe(call, action, "queue-thankyou"))

            voice.ivr_actions["operator"] = operator
            voice.ivr_actions["recap"] = recap
        return [register, *parts(engine)]

    monkeypatch.setattr(Engine, "_parts", with_executors)
    return seen


KEYS = {"overrides": [
    'waiting={sales: {max_wait: 30, on_max_wait: {action: operator}, '
    'keys: {"5": {action: operator}, "6": {action: recap}, '
    '"9": {action: queue, queue: support}}}}',
]}


@pytest.mark.parametrize("rig", [KEYS], indirect=True)
async def test_given_keys_and_max_wait_when_reached_then_registered_executors_run(
        executors: dict[str, list[dict[str, Any]]], rig: Rig) -> None:
    await ready_agents(rig, "bob")            # support only: sales callers wait
    dispatcher = rig.engine.dispatcher
    assert dispatcher is not None
    # first caller: 6 (recap: back in the queue, same place), then 9 (to support)
    stays = await rig.place_call(CallerScript(digits="169", dtmf="info",
                                              between_digits_ms=7000, hold_ms=None))
    b, = await waiting_ids(rig, "sales", 1)
    b_queued = (await dispatcher.live_interaction(b)).enqueued_at
    # second caller: 5 (operator: out of the queue, goodbye, the call ends)
    leaves = await rig.place_call(CallerScript(digits="15", dtmf="info", audio=False,
                                               between_digits_ms=5000, hold_ms=None),
                                  caller="07700900555")
    c = next(i for i in await waiting_ids(rig, "sales", 2) if i != b)
    # third caller: presses nothing; at the maximum wait the operator takes the call
    patient = await rig.place_call(CallerScript(digits="1", dtmf="info", audio=False,
                                                hold_ms=None), caller="07700900777")
    d = next(i for i in await waiting_ids(rig, "sales", 3) if i not in (b, c))

    recap = (await eventually(lambda: executors["recap"], 30, "the recap executor"))[0]
    assert recap["action"] == Action("recap", target="sales")
    assert (recap["queue"], recap["routable"], recap["played"]) == ("sales", False, "done")
    assert recap["enqueued_at"] == b_queued

    operator = (await eventually(lambda: executors["operator"], 30, "the operator"))[0]
    assert operator["action"] == Action("operator", target="sales")
    assert (operator["queue"], operator["routable"], operator["played"]) == (
        "sales", False, "done")
    assert await leaves.wait(30) == 0, leaves.errors()    # the engine hung up: BYE
    record = await rig.call_api("GET", f"/api/interactions/{c}", "admin")
    kinds = [(e["kind"], e["data"].get("digit") or e["data"].get("reason"))
             for e in record["events"] if e["kind"] in ("wait_key", "wait_action",
                                                        "cancelled")]
    assert kinds == [("wait_key", "5"), ("wait_action", None), ("cancelled", "operator")]

    # the first caller kept their place after recap, then moved to support with 9
    offer = (await eventually(rig.feeds["bob"].offers, 40, "bob's screen pop"))[0]
    assert (offer["interaction_id"], offer["queue"]) == (b, "support")
    live = await dispatcher.live_interaction(b)
    assert live.enqueued_at == b_queued
    await bridged_legs_with_audio(rig)
    await rig.phones["bob"].hangup()
    assert await stays.wait(30) == 0, stays.errors()
    record = await stored(rig, b, "admin")
    keys = [(e["data"]["digit"], e["data"]["action"]) for e in record["events"]
            if e["kind"] == "wait_key"]
    assert keys == [("6", "recap"), ("9", "queue")]
    moved = next(e for e in record["events"] if e["kind"] == "queue_changed")
    assert moved["data"] == {"from_queue": "sales", "to_queue": "support", "why": "key 9"}
    assert record["queue"] == "support"

    # the patient caller reached the maximum wait: the operator executor took the call
    assert await patient.wait(60) == 0, patient.errors()     # hung up by the engine
    assert len(executors["operator"]) == 2
    assert executors["operator"][1]["action"] == Action("operator", target="sales")
    assert executors["operator"][1]["routable"] is False
    record = await rig.call_api("GET", f"/api/interactions/{d}", "admin")
    steps = [(e["kind"], e["data"].get("why") or e["data"].get("reason"))
             for e in record["events"] if e["kind"] in ("wait_max_reached", "wait_action",
                                                        "cancelled")]
    assert steps == [("wait_max_reached", None), ("wait_action", "max_wait"),
                     ("cancelled", "operator")]
    reached = next(e for e in record["events"] if e["kind"] == "wait_max_reached")
    assert reached["at"] - record["timestamps"]["queued"] >= 30


async def test_given_voicemail_key_when_no_feature_carries_it_out_then_engine_start_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked once every part has started: the feature that would register the executor
    (here: none, whatever is merged) must be running."""
    parts = Engine._parts

    def without_voicemail(engine: Engine) -> list[Callable[[], Awaitable[None]]]:
        async def not_running() -> None:
            assert engine.voice is not None
            for kind in ("voicemail", "callback"):
                engine.voice.ivr_actions.pop(kind, None)
        return [*parts(engine), not_running]

    monkeypatch.setattr(Engine, "_parts", without_voicemail)
    rtp = free_range(200)
    config = load_config(None, env={}, overrides=[
        f"runtime_dir={tmp_path / 'var'}", f"ivr.dir={REPO / 'ivr'}",
        f"api.port={free_port()}", f"asterisk.sip_port={free_port()}",
        f"asterisk.phone_sip_port={free_port()}",
        f"asterisk.http_port={free_port()}", f"asterisk.ami_port={free_port()}",
        f"asterisk.rtp_start={rtp}", f"asterisk.rtp_end={rtp + 199}",
        'waiting={sales: {announce_every: 30, keys: {"1": {action: callback}, '
        '"2": {action: voicemail}}}}',
    ])
    engine = Engine(config)
    with pytest.raises(ConfigError) as e:
        await engine.start()
    assert e.value.key == "waiting.sales.keys.1.action"
    assert "'callback'" in e.value.message
    # nothing is left running: the API port was never opened, Asterisk is stopped
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", config.api.port)) != 0
    assert engine.rendered is not None
    asterisk_pid = engine.rendered.var_dir / "run" / "asterisk.pid"
    assert not asterisk_pid.exists() or not _alive(int(asterisk_pid.read_text()))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_given_a_free_agent_when_queued_then_no_music_and_a_caller_who_waits_gets_it(
        rig: Rig) -> None:
    await ready_agents(rig, "alice")
    dispatcher = rig.engine.dispatcher
    assert dispatcher is not None
    async with moh_starts(rig) as moh:
        # alice is free: her phone answers within MUSIC_AFTER_SECONDS, no music is asked for
        first = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=60000))
        offer = (await eventually(rig.feeds["alice"].offers, 20, "alice's screen pop"))[0]
        a_channel = (await dispatcher.live_interaction(offer["interaction_id"])
                     ).attributes["caller_channel"]
        await bridged_legs_with_audio(rig)
        # alice is busy now: the next caller waits, and hears music once they have waited
        second = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=60000),
                                      caller="07700900222")
        b, = await waiting_ids(rig, "sales", 1)
        b_live = await dispatcher.live_interaction(b)
        b_channel = b_live.attributes["caller_channel"]
        await eventually(lambda: moh.get(b_channel), 10, "music for the waiting caller")
        assert a_channel not in moh
        timeline = {e.kind: e.at for e in (await dispatcher.live_interaction(
            offer["interaction_id"])).events}
        assert timeline["answered"] - timeline["queued"] < MUSIC_AFTER_SECONDS
    for caller in (first, second):
        await caller.stop()


async def test_given_a_desk_sip_phone_when_it_holds_then_the_caller_hears_music_until_resumed(
        rig: Rig) -> None:
    # Asterisk passes a SIP phone's hold on to the caller's leg itself; the engine asks for
    # the music too (the desk's WebRTC phone needs it: tests/browser/desk): the caller hears
    # it, and is not left on it after the resume
    await ready_agents(rig, "alice")
    dispatcher = rig.engine.dispatcher
    assert dispatcher is not None
    async with moh_starts(rig) as moh, moh_starts(rig, "MusicOnHoldStop") as stops:
        caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=60000))
        offer = (await eventually(rig.feeds["alice"].offers, 20, "alice's screen pop"))[0]
        channel = (await dispatcher.live_interaction(offer["interaction_id"])
                   ).attributes["caller_channel"]
        await bridged_legs_with_audio(rig)
        assert channel not in moh       # answered at once: no music so far
        await rig.phones["alice"].command("hold")
        await eventually(lambda: moh.get(channel), 10, "music to the held caller")
        assert channel not in stops
        await rig.phones["alice"].command("resume")
        await eventually(lambda: stops.get(channel), 10, "the caller's music off on resume")
        await asyncio.sleep(1)
        assert max(moh[channel]) < max(stops[channel])   # no music started after it
    await caller.stop()
