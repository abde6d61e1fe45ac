"""Overload bends, it does not break: while ARI events reach the engine late, a share of new
callers (all of them, when very late) is refused at the door with SIP 503 and calls already
in go on; once the events are on time again, callers are taken in. And an offer taken back
because the engine was late never sends the agent not ready: the phone stops ringing, or a
late answer is hung up, and the call is offered again; nor does a phone that rings out
while the engine is late.

The lag itself is fed to the guard as the router feeds it (events stamped seconds ago): a
real overload needs the voice benchmark's load (bench/voice_load_bench.py)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from datetime import UTC, datetime

import pytest

from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.overload import OverloadGuard
from tests.e2e.conftest import Rig, eventually
from tests.e2e.test_first_journey import bridged_legs_with_audio, stored
from tests.e2e.test_offering import TWO_SALES_AGENTS, alice_rung_first
from tests.e2e.test_rona import TWO_SALES_AGENTS as RONA_AGENTS
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

FAST = {"overrides": ["overload={lag_seconds: 1.0, hold_seconds: 1.0}"]}


def stamped(seconds_ago: float) -> AriEvent:
    made = datetime.fromtimestamp(time.time() - seconds_ago, UTC)
    return AriEvent.from_json({"type": "ChannelVarset",
                               "timestamp": made.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
                               + "+0000"})


async def events_late(guard: OverloadGuard, lag: float, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        guard.observe(stamped(lag))
        await asyncio.sleep(0.05)


async def health(rig: Rig) -> tuple[int, dict]:
    async with rig.http.get(f"{rig.api}/api/health", headers=rig.auth("admin")) as r:
        return r.status, (await r.json())["parts"]["admission"]


@pytest.mark.parametrize("rig", [FAST], indirect=True)
async def test_given_late_events_when_a_new_caller_comes_then_503_and_the_call_in_progress_goes_on(  # noqa: E501
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ccengine.telephony.overload")
    guard = rig.engine.overload_guard
    assert isinstance(guard, OverloadGuard)
    await rig.start_phone("alice")
    await rig.open_feed("alice")
    await rig.login("alice")
    talking = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=30000))
    await bridged_legs_with_audio(rig)

    await events_late(guard, 3.0, 0.6)
    assert (await health(rig))[1]["refusing_callers"] is False   # late, not for long yet
    for _ in range(10):         # late for hold_seconds (judged by quarter-second windows)
        await events_late(guard, 3.0, 0.2)
        if (await health(rig))[1]["refusing_callers"]:
            break
    status, view = await health(rig)
    assert (status, view["ok"], view["refusing_callers"], view["episodes"]) == (
        503, False, True, 1)
    assert 0 < view["refused_percent"] < 100      # a share first, growing while late
    assert view["event_lag_seconds"] >= 2.9
    # still 3 s late: more, then everyone (0.09 of a share a second: about 10 s from the
    # first share; up to 30 s here, the guard's windows run late on a busy machine)
    for _ in range(60):
        await events_late(guard, 3.0, 0.5)
        if await _refused_percent(rig) == 100:
            break
    assert await _refused_percent(rig) == 100

    refused = await rig.place_call(CallerScript(refused_with=503), caller="07700900999")
    assert await refused.wait(20) == 0, refused.errors()
    assert (await rig.ari("GET", "/asterisk/variable",
                          variable="CCENGINE_REFUSED"))["value"] == "1"
    # the call already in is still up, both ways
    await bridged_legs_with_audio(rig)

    shares = []                           # on time: the share shrinks, 10 points a second
    for _ in range(32):
        await events_late(guard, 0.0, 0.5)
        shares.append(await _refused_percent(rig))
        if shares[-1] == 0:
            break
    assert shares[-1] == 0 and shares == sorted(shares, reverse=True), shares
    assert len([s for s in shares if 0 < s < 100]) >= 10, shares   # through every share
    assert (await health(rig))[0] == 200
    assert await talking.wait(30) == 0, talking.errors()
    taken = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=3000),
                                 caller="07700900998")
    offer = (await eventually(lambda: rig.feeds["alice"].offers()[1:], 20,
                              "the next caller offered"))[0]
    assert await taken.wait(30) == 0, taken.errors()
    record = await stored(rig, offer["interaction_id"], "admin")
    assert record["agent_id"] == "alice"
    lines = [r.getMessage() for r in caplog.records if r.name == "ccengine.telephony.overload"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("overload: Asterisk and the engine are late (events 3.0 s "
                               "late, a request unanswered for ")
    assert lines[1].startswith("overload over after ") and lines[1].endswith(
        "; 1 refused (at most 100 % of new callers)")


@pytest.mark.parametrize("rig", [FAST], indirect=True)
async def test_given_asterisk_not_answering_when_it_lasts_then_new_callers_refused_until_it_answers_again(  # noqa: E501
        rig: Rig) -> None:
    """The request measure against a real Asterisk: frozen (SIGSTOP) with a request out,
    it answers nothing; the age of that request, read while it is out, makes the guard
    refuse a share of callers, told to Asterisk once it runs again, and once its answers
    come quickly the share falls to none. (Timed at the answer, the request would only
    have been seen when Asterisk woke up.)"""
    engine = rig.engine
    guard, voice = engine.overload_guard, engine.voice
    assert isinstance(guard, OverloadGuard) and voice is not None
    pid = engine.asterisk.pid  # type: ignore[union-attr]
    assert pid is not None and not guard.busy
    os.kill(pid, signal.SIGSTOP)
    try:
        out = asyncio.ensure_future(voice.ari.get_global("CCENGINE_REFUSE"))
        for _ in range(20):     # unanswered over 1 s, for over 1 s (judged a window late)
            await asyncio.sleep(0.25)
            if guard.busy:
                break
        assert guard.busy and guard.requests.lag >= 1.0, guard.view()
        assert not out.done()
    finally:
        os.kill(pid, signal.SIGCONT)
    await asyncio.wait_for(out, 10)
    await eventually(lambda: _refusing(rig), 10, "Asterisk told to refuse a share")
    await eventually(lambda: _accepting(rig), 30, "callers accepted again")
    assert not guard.busy and guard.episodes == 1


async def _refusing(rig: Rig) -> bool:
    return await _refused_percent(rig) > 0


async def _refused_percent(rig: Rig) -> int:
    value = await rig.ari("GET", "/asterisk/variable", variable="CCENGINE_REFUSE")
    return int(value["value"])


async def _accepting(rig: Rig) -> bool:
    return await _refused_percent(rig) == 0


@pytest.mark.parametrize("rig", [TWO_SALES_AGENTS], indirect=True)
async def test_given_an_offer_overdue_when_the_dispatcher_takes_it_back_then_no_rona_and_the_call_is_offered_again(  # noqa: E501
        rig: Rig) -> None:
    """What the dispatcher's tick does with an offer past its deadline on a phone (the
    engine too late to end it itself): the offer withdrawn and the phone told to stop."""
    caller, first = await alice_rung_first(rig, hold_ms=60000, carol_answers="manual")
    iid = first["interaction_id"]
    d, voice = rig.engine.dispatcher, rig.engine.voice
    assert d is not None and voice is not None
    await d.withdraw(iid, "alice", "overdue")
    await voice.take_back(iid, "alice")
    await d.route()
    view = await rig.call_api("GET", "/api/agents/alice", "alice")
    assert (view["state"], view["reason"]) == ("available", "")
    await eventually(rig.feeds["carol"].offers, 20, "the call offered to carol")
    await eventually(lambda: "Incoming call" in rig.phones["carol"].log_text(), 10,
                     "carol's phone ringing")
    # carol's offer is taken back too, but her phone is not told: she answers late
    await d.withdraw(iid, "carol", "overdue")
    await rig.phones["carol"].command("accept")
    await eventually(lambda: _offered_again(rig, iid), 20, "the late answer hung up, the "
                     "call offered again")
    for agent in ("alice", "carol"):
        view = await rig.call_api("GET", f"/api/agents/{agent}", agent)
        assert view["reason"] != "rona", (agent, view)
    record = await rig.call_api("GET", f"/api/interactions/{iid}", "admin")
    kinds = [e["kind"] for e in record["events"]]
    assert kinds.count("offer_withdrawn") == 2 and "requeued" not in kinds, kinds
    assert "answered" not in kinds, kinds   # carol's late answer was never bridged
    assert caller.proc is not None and caller.proc.returncode is None  # still waiting


async def _offered_again(rig: Rig, iid: str) -> bool:
    offers = [o for feed in rig.feeds.values() for o in feed.offers()
              if o["interaction_id"] == iid]
    return len(offers) >= 3


RING_OUT_LATE = {"overrides": [*RONA_AGENTS["overrides"], *FAST["overrides"]]}


@pytest.mark.parametrize("rig", [RING_OUT_LATE], indirect=True)
async def test_given_a_phone_ringing_out_while_late_then_withdrawn_without_rona_and_offered_again(  # noqa: E501
        rig: Rig) -> None:
    """alice's softphone rings out (offer_timeout 5 s), as in test_rona, but the engine
    was late (an overload episode) while it rang: her answer could have been waiting in
    Asterisk, so she is not sent not ready; the offer is withdrawn and carol takes the
    call."""
    guard = rig.engine.overload_guard
    assert isinstance(guard, OverloadGuard)
    caller, first = await alice_rung_first(rig, hold_ms=12000)   # nobody picks up
    for _ in range(12):             # late for hold_seconds while alice's phone rings
        await events_late(guard, 3.0, 0.2)
        if guard.busy:
            break
    assert guard.busy
    second = (await eventually(rig.feeds["carol"].offers, 20, "re-offer to carol"))[0]
    assert second["interaction_id"] == first["interaction_id"]
    view = await rig.call_api("GET", "/api/agents/alice", "alice")
    assert view["reason"] != "rona" and view["state"] == "available", view
    record = await rig.call_api("GET", f"/api/interactions/{first['interaction_id']}",
                                "admin")
    withdrawn = [e["data"].get("reason") for e in record["events"]
                 if e["kind"] == "offer_withdrawn"]
    assert withdrawn == ["asterisk_late"], record["events"]
    await bridged_legs_with_audio(rig)
    assert await caller.wait(40) == 0, caller.errors()


@pytest.mark.parametrize("rig", [{"overrides": ["asterisk.media_timeout=10"]}], indirect=True)
async def test_given_a_caller_gone_silent_without_a_bye_when_media_timeout_passes_then_hung_up_and_the_agent_freed(  # noqa: E501
        rig: Rig) -> None:
    """A caller whose BYE never comes (their network gone): sipp plays its 7 s of audio,
    then sends nothing and never hangs up. Asterisk ends the call media_timeout (10 s)
    after the last packet; the agent is not held on a dead call."""
    await rig.start_phone("alice")
    await rig.open_feed("alice")
    await rig.login("alice")
    silent = await rig.place_call(CallerScript(digits="1", dtmf="info", audio_after_ms=0,
                                               hold_ms=None, wait_bye_ms=60000))
    offer = (await eventually(rig.feeds["alice"].offers, 20, "the call offered"))[0]
    await bridged_legs_with_audio(rig)
    started = time.monotonic()
    assert await silent.wait(60) == 0, silent.errors()   # the BYE came from Asterisk
    assert 8 <= time.monotonic() - started <= 30
    record = await stored(rig, offer["interaction_id"], "admin")
    assert record["agent_id"] == "alice"
    await eventually(lambda: _agent_free(rig, "alice"), 10, "alice free again")


async def _agent_free(rig: Rig, agent: str) -> bool:
    view = await rig.call_api("GET", f"/api/agents/{agent}", agent)
    return view["state"] in ("available", "wrap_up")


async def test_given_a_call_when_the_engine_hangs_the_agent_leg_up_then_by_name_and_it_ends(
        rig: Rig) -> None:
    """Against the real Asterisk: a leg whose id Asterisk picked is known by its name from
    its events, and ``DELETE /channels/PJSIP%2F<agent>-<n>`` (a hashed lookup, no search of
    every channel) hangs it up; the call then ends."""
    await rig.start_phone("alice")
    await rig.open_feed("alice")
    await rig.login("alice")
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=None,
                                               wait_bye_ms=30000))   # waits for our BYE
    await bridged_legs_with_audio(rig)
    voice = rig.engine.voice
    assert voice is not None
    call = next(iter(voice.calls.values()))
    leg = call.agent_channel
    assert leg is not None and not leg.startswith("agent-")   # Asterisk's id
    asked: list[str] = []
    request = voice.ari.request

    async def recording(method: str, path: str, **kw: object) -> object:
        asked.append(f"{method} {path}")
        return await request(method, path, **kw)

    voice.ari.request = recording  # type: ignore[method-assign]
    try:
        await voice.ari.hangup(leg)
    finally:
        voice.ari.request = request  # type: ignore[method-assign]
    # by name, at once (a 404 there would have been followed by one by id); what follows
    # is the call's own end (the caller's leg, the bridge)
    assert asked[0].startswith("DELETE /channels/PJSIP%2Falice-"), asked
    assert f"DELETE /channels/{leg}" not in asked, asked
    assert await caller.wait(20) == 0, caller.errors()
    await eventually(lambda: _no_channels(rig), 10, "both legs gone")


async def _no_channels(rig: Rig) -> bool:
    return not await rig.ari("GET", "/channels")
