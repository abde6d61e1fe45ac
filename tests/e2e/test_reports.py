"""Reports from real calls: a caller answered by alice (talk, then her wrap-up) and a caller
who gives up in the queue while she is on a break; the report's figures must be the ones the
stored interactions and her state changes give."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import Rig, eventually
from tests.e2e.test_first_journey import ready_agents, stored
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk


async def test_given_an_answered_and_an_abandoned_call_when_reported_then_figures_match(
        rig: Rig) -> None:
    began = datetime.fromtimestamp(time.time() - 60, UTC)
    await ready_agents(rig, "alice")
    answered = await rig.place_call(CallerScript(digits="1", hold_ms=4000, audio=False))
    offer = (await eventually(rig.feeds["alice"].offers, 20, "alice's pop"))[0]
    await eventually(lambda: _state(rig, "alice", "busy"), 15, "alice on the call")
    assert await answered.wait(40) == 0, answered.errors()
    await eventually(lambda: _state(rig, "alice", "available"), 15, "alice's wrap-up over")
    await rig.call_api("POST", "/api/agents/alice/not-ready", "alice",
                       json={"reason": "break"})
    gave_up = await rig.place_call(CallerScript(digits="1", hold_ms=8000, audio=False))
    assert await gave_up.wait(40) == 0, gave_up.errors()

    first = await stored(rig, offer["interaction_id"], "sam")
    recorder = rig.engine.recorder
    assert recorder is not None

    async def second_ended() -> list[dict] | None:
        views = [v for v in await recorder.list(queue="sales") if v["id"] != first["id"]]
        return views if views and views[0]["timestamps"]["ended"] else None
    (second,) = await eventually(second_ended, 10, "the abandoned call stored as ended")
    ts, ts2 = first["timestamps"], second["timestamps"]
    assert ts2["answered"] is None

    window = {"from": began.isoformat(), "to": datetime.fromtimestamp(time.time() + 60,
                                                                      UTC).isoformat(),
              "interval": "range", "tz": "UTC"}
    report = await rig.call_api("GET", "/api/reports", "sam", params={**window,
                                                                      "by": "queue"})
    (sales,) = report["rows"]
    assert (sales["queue"], sales["offered"], sales["answered"], sales["abandoned"],
            sales["other_exits"]) == ("sales", 2, 1, 1, 0)
    waited = ts2["ended"] - ts2["queued"]
    assert sales["short_abandoned"] == (1 if waited <= 5 else 0)
    assert sales["asa_seconds"] == pytest.approx(ts["answered"] - ts["queued"], abs=0.01)
    talk = ts["ended"] - ts["answered"]
    assert sales["talk_seconds"] == pytest.approx(talk, abs=0.01)
    assert sales["wrapup_seconds"] == pytest.approx(2.0, abs=0.6)   # the rig's wrap-up
    assert sales["aht_seconds"] == pytest.approx(talk + sales["wrapup_seconds"], abs=0.02)
    met = 1 if ts["answered"] - ts["queued"] <= 20 else 0
    assert sales["met"] == met
    assert sales["service_level"]["abandons_against"] == 100.0 * met / 2

    # the wallboard's tile (kept live from the events) agrees with the report of today
    day = await rig.call_api("GET", "/api/reports", "sam", params={
        "from": datetime.fromtimestamp(time.time(), UTC).date().isoformat(), "tz": "UTC",
        "by": "queue,medium"})
    wall = await rig.call_api("GET", "/api/wall", "sam")
    tile = next(t for t in wall["tiles"] if (t["queue"], t["medium"]) == ("sales", "voice"))
    row = next(r for r in day["rows"] if (r["queue"], r["medium"]) == ("sales", "voice"))
    assert {k: tile["today"][k] for k in ("offered", "answered", "abandoned", "met",
                                          "asa_seconds", "aht_seconds", "service_level")} \
        == {k: row[k] for k in ("offered", "answered", "abandoned", "met", "asa_seconds",
                                "aht_seconds", "service_level")}
    assert tile["agents"] == {"not_ready": 1}        # alice (bob has no sales skill)

    by_agent = await rig.call_api("GET", "/api/reports", "alice",
                                  params={**window, "by": "agent"})
    (mine,) = by_agent["rows"]
    assert (mine["agent"], mine["offered"], mine["answered"]) == ("alice", 1, 1)
    assert 0 < mine["occupancy"] < 100


async def _state(rig: Rig, agent: str, state: str) -> bool:
    return await rig.agent_state(agent) == state
