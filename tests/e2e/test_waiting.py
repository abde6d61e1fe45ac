"""The queued caller's experience on a real Asterisk with sipp callers and baresip agents:
position and expected-wait announcements (music resumed after each), the maximum wait
moving the caller to another queue, keys pressed while waiting, and keys that map to
nothing changing nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from ccengine.engine import Engine
from ccengine.telephony.ari.errors import AriNotFound
from ccengine.telephony.ivr.flow import Action
from ccengine.telephony.voice import VoiceCall
from tests.e2e.conftest import Rig, eventually
from tests.e2e.test_first_journey import bridged_legs_with_audio, ready_agents, stored
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

ANNOUNCING = {"overrides": [
    "waiting={sales: {announce_every: 60, announce_first_after: 2, handle_seconds: 120}}",
]}


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


def moh_starts(rig: Rig) -> dict[str, list[float]]:
    """Music-on-hold starts per channel id (Asterisk's AMI MusicOnHoldStart events)."""
    starts: dict[str, list[float]] = {}
    ami = rig.engine.ami
    assert ami is not None and ami.manager is not None

    def on_start(_manager: Any, event: Any) -> None:
        starts.setdefault(str(event.get("Uniqueid")), []).append(
            asyncio.get_running_loop().time())
    ami.manager.register_event("MusicOnHoldStart", on_start)
    return starts


@pytest.mark.parametrize("rig", [ANNOUNCING], indirect=True)
async def test_given_two_callers_waiting_when_announced_then_each_hears_own_place_and_wait(
        rig: Rig) -> None:
    await ready_agents(rig, "alice")
    moh = moh_starts(rig)
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
