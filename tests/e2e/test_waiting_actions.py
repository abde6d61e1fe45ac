"""The waiting experience hands a queued caller to the features built on the voice channel:
a key pressed while waiting, or the maximum wait, leads to voicemail (and to a callback,
see the callback tests), for real, on the private Asterisk with a sipp caller."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Rig, eventually
from tests.e2e.test_recording import stored_file
from tests.e2e.test_voicemail import listed
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk


async def closed(rig: Rig, iid: str) -> dict[str, Any]:
    """The stored interaction once its voicemail is stored (a voicemail from the queue
    cancels the queued interaction first, then records)."""
    async def get() -> dict[str, Any] | None:
        record = await rig.call_api("GET", f"/api/interactions/{iid}", "admin")
        kinds = [e["kind"] for e in record["events"]]
        return record if record["status"] == "ended" and "voicemail_left" in kinds else None
    return await eventually(get, 20, f"interaction {iid} stored with its voicemail")


def waiting_rig(sales: str, voicemail: str = "max_seconds: 4") -> dict[str, Any]:
    return {"overrides": [f"waiting={{sales: {sales}}}",
                          f"recording={{voicemail: {{{voicemail}}}}}"]}


@pytest.mark.parametrize("rig", [waiting_rig('{keys: {"2": {action: voicemail}}}')],
                         indirect=True)
async def test_given_caller_waiting_when_pressing_voicemail_key_then_message_left_for_queue(
        rig: Rig) -> None:
    # nobody is logged in: "1" in the IVR queues the caller for sales; after about 7 s of
    # talking on music, the caller presses "2" and keeps talking into the voicemail
    caller = await rig.place_call(CallerScript(
        digits="1", dtmf="info", audio_after_ms=300, audio_repeats=1,
        digits_after_audio="2", hold_ms=8000))
    assert await caller.wait(90) == 0, caller.errors()

    (vm,) = await eventually(lambda: listed(rig), 30, "the voicemail listed for sales")
    record = await closed(rig, vm["interaction_id"])
    kinds = [e["kind"] for e in record["events"]]
    assert kinds[:3] == ["entered", "ivr_done", "queued"]
    key = next(e for e in record["events"] if e["kind"] == "wait_key")
    assert key["data"]["digit"] == "2"
    cancelled = next(e for e in record["events"] if e["kind"] == "cancelled")
    assert cancelled["data"]["reason"] == "voicemail"
    assert kinds.index("wait_key") < kinds.index("cancelled") \
        < kinds.index("voicemail_started") < kinds.index("voicemail_left")
    assert stored_file(rig, vm["id"]).is_file()  # its audio: see test_voicemail.py
    assert (await rig.call_api("GET", "/api/queues/sales", "admin"))["waiting"] == 0


@pytest.mark.parametrize("rig", [waiting_rig(
    "{max_wait: 4, on_max_wait: {action: voicemail}}", "max_seconds: 3")], indirect=True)
async def test_given_nobody_answers_when_max_wait_passes_then_caller_goes_to_voicemail(
        rig: Rig) -> None:
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", audio_after_ms=300,
                                               audio_repeats=2, hold_ms=None))
    assert await caller.wait(90) == 0, caller.errors()  # the engine ends the call (BYE)
    (vm,) = await eventually(lambda: listed(rig), 30, "the voicemail listed for sales")
    record = await closed(rig, vm["interaction_id"])
    kinds = [e["kind"] for e in record["events"]]
    assert "wait_max_reached" in kinds
    assert kinds.index("wait_max_reached") < kinds.index("voicemail_left")
    queued = next(e["at"] for e in record["events"] if e["kind"] == "queued")
    reached = next(e["at"] for e in record["events"] if e["kind"] == "wait_max_reached")
    assert reached - queued >= 4
