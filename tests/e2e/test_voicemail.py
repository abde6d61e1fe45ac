"""Voicemail on a real Asterisk: a caller picks "3" in a test IVR flow (or, waiting in a
queue, is sent to voicemail), hears the prompt and the beep, speaks, and ends with "#",
hanging up or the length limit; the message is stored, indexed on the interaction, and
listed for the queue's agents and supervisors, who mark it handled."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ccengine.telephony.ivr.flow import Action
from tests.e2e.conftest import Rig, eventually
from tests.e2e.test_recording import request, stored_file, wav_seconds_and_level
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

FLOWS = Path(__file__).resolve().parent / "flows" / "voicemail"


def voicemail_rig(**voicemail: int) -> dict[str, Any]:
    limits = ", ".join(f"{k}: {v}" for k, v in voicemail.items())
    return {"overrides": [f"ivr.dir={FLOWS}", f"recording={{voicemail: {{{limits}}}}}"]}


async def listed(rig: Rig, user: str = "alice", query: str = "queue=sales"
                 ) -> list[dict[str, Any]]:
    return await rig.call_api("GET", f"/api/voicemails?{query}", user)


async def events_of(rig: Rig, iid: str) -> list[dict[str, Any]]:
    return (await rig.call_api("GET", f"/api/interactions/{iid}", "admin"))["events"]


async def ended(rig: Rig, iid: str) -> dict[str, Any]:
    """The stored interaction once the engine has stored the end of the call."""
    async def get() -> dict[str, Any] | None:
        record = await rig.call_api("GET", f"/api/interactions/{iid}", "admin")
        return record if record["events"][-1]["kind"] == "ended" else None
    return await eventually(get, 20, f"interaction {iid} stored as ended")


@pytest.mark.parametrize("rig", [voicemail_rig(max_silence_seconds=0)], indirect=True)
async def test_given_ivr_voicemail_option_when_caller_speaks_and_presses_hash_then_listed(
        rig: Rig) -> None:
    # "3" barges into the menu; the caller talks through the prompt and the message
    caller = await rig.place_call(CallerScript(
        digits="3", dtmf="info", audio_after_ms=500, audio_repeats=2,
        digits_after_audio="#", hold_ms=None))
    assert await caller.wait(60) == 0, caller.errors()  # the engine said goodbye (BYE)

    (vm,) = await eventually(lambda: listed(rig), 20, "the voicemail listed for sales")
    assert vm["queue"] == "sales" and vm["kind"] == "voicemail"
    assert vm["caller_number"] == "07700900123"
    assert vm["customer"] is not None and vm["customer"]["id"]
    assert vm["handled_by"] is None and vm["audio"] == f"/api/recordings/{vm['id']}"
    seconds, level = wav_seconds_and_level(stored_file(rig, vm["id"]))
    assert 4 < seconds < 12, seconds  # from the beep to "#", not the whole call
    assert vm["duration"] == pytest.approx(seconds, abs=0.01)
    assert level > 100, "the caller's voice is in the message"

    record = await ended(rig, vm["interaction_id"])
    assert record["ivr_path"] == ["main:3"]
    assert record["hung_up_by"] == "system"
    assert record["attributes"]["voicemail_queue"] == "sales"
    kinds = [e["kind"] for e in record["events"]]
    assert kinds == ["entered", "ivr_done", "voicemail_started", "voicemail_left", "ended"]
    left = record["events"][3]["data"]
    assert left["recording_id"] == vm["id"] and left["duration"] == vm["duration"]
    assert [r["id"] for r in await rig.call_api(
        "GET", f"/api/interactions/{vm['interaction_id']}/recordings", "alice")] == [vm["id"]]

    # who sees it: sales' agents and supervisors; not support's agent
    assert [v["id"] for v in await listed(rig, "sam")] == [vm["id"]]
    assert [v["id"] for v in await listed(rig, "alice", "")] == [vm["id"]]
    assert await listed(rig, "bob", "") == []
    status, body = await request(rig, "GET", "/api/voicemails?queue=sales", "bob")
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await request(rig, "GET", vm["audio"], "bob")
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await request(rig, "GET", "/api/voicemails?queue=nope", "alice")
    assert (status, body["error"]) == (404, "queue_not_found")
    status, body = await request(rig, "GET", "/api/voicemails?state=old", "alice")
    assert (status, body["error"]) == (400, "bad_state")
    async with rig.http.get(f"{rig.api}{vm['audio']}", headers=rig.auth("alice")) as r:
        assert r.status == 200 and (await r.read())[:4] == b"RIFF"

    # an agent deals with it
    status, body = await request(rig, "POST", f"/api/voicemails/{vm['id']}/handled", "bob")
    assert (status, body["error"]) == (403, "forbidden")
    handled = await rig.call_api("POST", f"/api/voicemails/{vm['id']}/handled", "alice")
    assert handled["handled_by"] == "alice" and handled["handled_at"]
    status, body = await request(rig, "POST", f"/api/voicemails/{vm['id']}/handled", "sam")
    assert (status, body["error"]) == (409, "voicemail_conflict")
    status, body = await request(rig, "POST", f"/api/voicemails/{'f' * 32}/handled", "sam")
    assert (status, body["error"]) == (404, "recording_not_found")
    assert await listed(rig) == []
    assert [v["id"] for v in await listed(rig, "alice", "queue=sales&state=handled")] \
        == [vm["id"]]
    last = (await events_of(rig, vm["interaction_id"]))[-1]
    assert (last["kind"], last["agent_id"]) == ("voicemail_handled", "alice")


@pytest.mark.parametrize("rig", [voicemail_rig(max_seconds=4)], indirect=True)
async def test_given_caller_waiting_in_queue_when_sent_to_voicemail_then_leaves_queue(
        rig: Rig) -> None:
    # nobody is logged in: the caller waits in sales on music, talking all along (the
    # audio plays on in the background while sipp waits for the BYE)
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", audio_after_ms=1000,
                                               audio_repeats=2, hold_ms=None))

    async def waiting() -> str | None:
        queue = await rig.call_api("GET", "/api/queues/sales", "admin")
        return queue["interactions"][0]["id"] if queue["waiting"] else None
    iid = await eventually(waiting, 20, "the caller waiting in sales")
    call = rig.engine.voice.call_of(iid)
    # what the waiting part does on a key press or at the maximum wait
    task = asyncio.ensure_future(rig.engine.voice.ivr_actions["voicemail"](
        call, Action("voicemail", "sales")))
    try:
        assert await caller.wait(60) == 0, caller.errors()
        await asyncio.wait_for(task, 30)
    finally:
        task.cancel()

    assert (await rig.call_api("GET", "/api/queues/sales", "admin"))["waiting"] == 0
    (vm,) = await eventually(lambda: listed(rig), 20, "the voicemail listed for sales")
    assert vm["interaction_id"] == iid
    seconds, _ = wav_seconds_and_level(stored_file(rig, vm["id"]))
    # the 4 s limit ended it (Asterisk counts whole seconds) while the caller talked on
    assert 3 < seconds < 5.5, seconds
    record = await rig.call_api("GET", f"/api/interactions/{iid}", "admin")
    kinds = [e["kind"] for e in record["events"]]
    assert kinds[:4] == ["entered", "ivr_done", "queued", "cancelled"]
    assert record["events"][3]["data"]["reason"] == "voicemail"
    assert kinds[4:] == ["voicemail_started", "voicemail_left"]
    assert record["status"] == "ended" and record["hung_up_by"] == "system"


@pytest.mark.parametrize("rig", [voicemail_rig(max_silence_seconds=0)], indirect=True)
async def test_given_voicemail_when_caller_hangs_up_then_message_is_kept(rig: Rig) -> None:
    caller = await rig.place_call(CallerScript(digits="3", dtmf="info", audio_after_ms=500,
                                               audio_repeats=2, hold_ms=6000))
    assert await caller.wait(60) == 0, caller.errors()
    (vm,) = await eventually(lambda: listed(rig), 20, "the voicemail listed for sales")
    seconds, level = wav_seconds_and_level(stored_file(rig, vm["id"]))
    assert 3 < seconds < 11 and level > 100, (seconds, level)
    record = await ended(rig, vm["interaction_id"])
    assert record["hung_up_by"] == "caller"
    assert [e["kind"] for e in record["events"]][-2:] == ["voicemail_left", "ended"]
