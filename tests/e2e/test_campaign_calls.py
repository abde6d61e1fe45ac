"""A campaign's phone step with real calls (docs/campaigns.md, "Phone steps"): three
customers behind a sipp carrier on the trunk, one who answers, one busy and one who never
answers, and alice on a baresip phone. Each call rings alice first, then the customer;
the busy and silent numbers are tried again after the step's retry time and then given
up; the one who answered has completed the campaign. Every attempt is on the campaign."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Rig, eventually, running_rig
from tests.e2e.test_first_journey import ready_agents
from tests.e2e.trunk_rig import CALLBACKS, bridge_with_carrier, overrides, state_is
from tests.sip.carrier import BUSY_SUFFIX, NO_ANSWER_SUFFIX, Carrier

pytestmark = pytest.mark.asterisk

ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NUMBERS = {"ann": "02079460111", "bo": f"0207946{BUSY_SUFFIX}",
           "cy": f"0207946{NO_ANSWER_SUFFIX}"}
SPEC = {"name": "calls", "queue": "sales",
        "steps": [{"channel": "phone", "attempts": 2, "retry_minutes": 0.05}],
        "dialer": {"ring_seconds": 15}}


@pytest.fixture
async def rig(tmp_path: Path, carrier: Carrier) -> Any:
    extra = overrides(carrier, callbacks=CALLBACKS)
    extra.append("campaigns=" + json.dumps({"calling_windows": {"default": ALWAYS}}))
    async with running_rig(tmp_path, "memory", extra) as r:
        yield r


async def test_given_answering_busy_and_silent_customers_then_called_retried_and_recorded(
        rig: Rig, carrier: Carrier) -> None:
    await ready_agents(rig, "alice")
    ids = {}
    for who, number in NUMBERS.items():
        ids[who] = (await rig.call_api("POST", "/api/customers", "sam", json={
            "name": who.title(), "identities": [{"kind": "phone", "value": number}]}))["id"]
    campaign = await rig.call_api("POST", "/api/campaigns", "sam", json=SPEC)
    path = f"/api/campaigns/{campaign['id']}"
    await rig.call_api("POST", f"{path}/targets", "sam",
                       json={"customer_ids": list(ids.values())})
    await rig.call_api("POST", f"{path}/state", "sam", json={"state": "running"})

    # ann's call: alice is rung first (a callback pop naming the campaign), then ann
    def ann_offer() -> list[dict[str, Any]]:
        return [o for o in rig.feeds["alice"].offers()
                if o["caller_number"] == "+442079460111"]
    pop = (await eventually(ann_offer, 60, "ann's call offered to alice"))[0]
    assert pop["medium"] == "callback"
    assert pop["details"]["note"] == "Campaign calls, step 1"
    await bridge_with_carrier(rig, pop["interaction_id"])
    await state_is(rig, "alice", "busy")
    await rig.phones["alice"].hangup()

    async def settled() -> dict[str, dict[str, Any]] | None:
        listed = (await rig.call_api("GET", f"{path}/targets", "sam"))["targets"]
        by = {who: next(t for t in listed if t["customer_id"] == cid)
              for who, cid in ids.items()}
        ended = all(t["state"] in ("done", "failed") for t in by.values())
        return by if ended else None
    final = await eventually(settled, 150, "every customer called to the end")
    assert (final["ann"]["state"], final["ann"]["outcome"]) == (
        "done", "step 0: the call took place")
    assert (final["bo"]["state"], final["bo"]["outcome"]) == ("failed", "step 0: call 2: busy")
    assert (final["cy"]["state"], final["cy"]["outcome"]) == (
        "failed", "step 0: call 2: no_answer")
    progress = (await rig.call_api("GET", path, "sam"))["progress"]
    assert progress["steps"][0]["outcomes"] == {"answered": 1, "busy": 2, "no_answer": 2}
    dialled = [i.number for i in carrier.invites()]
    assert sorted(dialled) == sorted([NUMBERS["ann"], *[NUMBERS["bo"]] * 2,
                                      *[NUMBERS["cy"]] * 2])
    # cy's phone rang the campaign's 15 s each time before the attempt was given up
    timeline = await rig.call_api("GET", f"/api/customers/{ids['cy']}/timeline", "sam")
    calls = [i["id"] for i in timeline["items"] if i["medium"] == "callback"]
    assert len(calls) == 2
    for iid in calls:
        events = (await rig.call_api("GET", f"/api/interactions/{iid}", "sam"))["events"]
        dialled = next(e["at"] for e in events if e["kind"] == "dialling")
        given_up = next(e["at"] for e in events if e["kind"] == "callback_attempt")
        assert given_up - dialled >= 15
