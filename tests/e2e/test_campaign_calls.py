"""A campaign's phone step with real calls (docs/campaigns.md, "Phone steps"): three
customers behind a sipp carrier on the trunk, one who answers, one busy and one who never
answers, and alice on a baresip phone. Each call rings alice first, then the customer;
the busy and silent numbers are tried again after the step's retry time and then given
up; the one who answered has completed the campaign. Every attempt is on the campaign."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ccengine.core.media import Medium
from ccengine.telephony.outbound.callbacks import CallbackChannel
from tests.e2e.conftest import Rig, eventually, running_rig
from tests.e2e.test_campaigns import answer
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


async def running_campaign(rig: Rig, numbers: dict[str, str], spec: dict[str, Any]
                           ) -> tuple[dict[str, str], dict[str, Any], str]:
    """A customer for each number, and the campaign of ``spec`` running with them: (their
    ids by name, the campaign, its path)."""
    ids = {who: (await rig.call_api("POST", "/api/customers", "sam", json={
        "name": who.title(), "identities": [{"kind": "phone", "value": number}]}))["id"]
        for who, number in numbers.items()}
    campaign = await rig.call_api("POST", "/api/campaigns", "sam", json=spec)
    path = f"/api/campaigns/{campaign['id']}"
    await rig.call_api("POST", f"{path}/targets", "sam",
                       json={"customer_ids": list(ids.values())})
    await rig.call_api("POST", f"{path}/state", "sam", json={"state": "running"})
    return ids, campaign, path


DISPOSITIONS = {"Sale": "done", "Do not call": "do_not_call", "Call back later": "callback",
                "Answering machine": "retry"}


async def test_given_dispositions_then_dnc_retry_and_callback_follow_in_the_campaign(
        rig: Rig, carrier: Carrier) -> None:
    """Dispositions drive what follows (docs/campaigns.md, "Dispositions"): dan says never
    call again (his number goes on the do-not-call list, his consent to marketing calls is
    withdrawn, he leaves the campaign); eve's first answer is an answering machine (tried
    again), her second asks to be called back tomorrow (the step is due then)."""
    await ready_agents(rig, "alice")
    numbers = {"dan": "02079460222", "eve": "02079460333"}
    ids, campaign, path = await running_campaign(
        rig, numbers, {**SPEC, "name": "dispositions", "dispositions": DISPOSITIONS})

    answered: list[str] = []

    async def take_next() -> tuple[str, str]:
        """alice answers the next campaign call; (who, interaction id) once it is over."""
        def fresh() -> list[dict[str, Any]]:
            return [o for o in rig.feeds["alice"].offers()
                    if o["interaction_id"] not in answered]
        pop = (await eventually(fresh, 60, "the next campaign call offered to alice"))[0]
        iid = pop["interaction_id"]
        answered.append(iid)
        assert pop["campaign"] == {"id": campaign["id"], "name": "dispositions", "step": 0,
                                   "mode": "progressive"}
        await bridge_with_carrier(rig, iid)
        await rig.phones["alice"].hangup()
        await state_is(rig, "alice", "wrap_up")
        who = next(w for w, n in numbers.items() if pop["caller_number"].endswith(n[1:]))
        return who, iid

    async def dispose(iid: str, disposition: str, **extra: Any) -> dict[str, Any]:
        return await rig.call_api("PUT", f"/api/interactions/{iid}/disposition", "alice",
                                  json={"disposition": disposition, **extra})

    async def target(who: str) -> dict[str, Any]:
        listed = (await rig.call_api("GET", f"{path}/targets", "sam"))["targets"]
        return next(t for t in listed if t["customer_id"] == ids[who])

    tomorrow = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    seen = {"dan": 0, "eve": 0}
    while seen != {"dan": 1, "eve": 2}:
        who, iid = await take_next()
        seen[who] += 1
        view = await rig.call_api("GET", f"/api/interactions/{iid}/disposition", "alice")
        assert view["campaign"]["actions"] == DISPOSITIONS
        if who == "dan":
            await dispose(iid, "Do not call")
        elif seen["eve"] == 1:
            await dispose(iid, "Answering machine")
        else:
            # a callback needs its time: refused without one, or in the past
            status, body = await answer(rig,
                "PUT", f"/api/interactions/{iid}/disposition", "alice",
                json={"disposition": "Call back later"})
            assert (status, body["error"]) == (400, "bad_callback_at")
            status, body = await answer(rig,
                "PUT", f"/api/interactions/{iid}/disposition", "alice",
                json={"disposition": "Call back later",
                      "callback_at": "2020-01-01T10:00:00+00:00"})
            assert (status, body["error"]) == (400, "bad_callback_at")
            await dispose(iid, "Call back later", callback_at=tomorrow.isoformat())
        await rig.call_api("POST", f"/api/interactions/{iid}/wrapup/end", "alice")

    dan = await eventually(lambda: _in_state(target("dan"), "opted_out"), 30, "dan out")
    assert dan["outcome"] == "step 0: 'Do not call' (alice)"
    listed = await rig.call_api("GET", "/api/dnc", "sam", params={"number": "+442079460222"})
    assert (listed["entry"]["source"], listed["entry"]["by"]) == ("desk", "alice")
    consent = await rig.call_api("GET", f"/api/customers/{ids['dan']}/consent", "sam")
    phone = next(c for c in consent["consents"]
                 if (c["channel"], c["purpose"]) == ("phone", "marketing"))
    assert (phone["state"], phone["by"], phone["source"]) == ("withdrawn", "alice", "desk")

    eve = await eventually(lambda: _in_state(target("eve"), "pending"), 30, "eve pending")
    assert eve["next_at"] == tomorrow.timestamp() and eve["step"] == 0
    assert eve["attempts"] == 0 and "call back at" in eve["outcome"]
    progress = (await rig.call_api("GET", path, "sam"))["progress"]["steps"][0]
    assert progress["dispositions"] == {"Do not call": 1, "Answering machine": 1,
                                        "Call back later": 1}
    assert progress["outcomes"] == {"answered": 3}
    # nothing else is dialled: dan is done with, eve's call is tomorrow
    assert len(carrier.invites()) == 3


async def _in_state(target: Any, state: str) -> dict[str, Any] | None:
    found = await target
    return found if found["state"] == state else None


async def test_given_preview_campaign_then_agent_sees_customer_first_and_calls_or_skips(
        rig: Rig, carrier: Carrier) -> None:
    """Preview (docs/campaigns.md, "Preview"): each call is alice's at once, with the
    customer in the pop, and nothing is dialled until she says so: she calls fay (her
    phone, then fay's) and skips gus (no call; he is due again later)."""
    await ready_agents(rig, "alice")
    numbers = {"fay": "02079460444", "gus": "02079460555"}
    ids, _, path = await running_campaign(rig, numbers, {
        **SPEC, "name": "preview", "dialer": {"mode": "preview", "ring_seconds": 15}})

    seen: list[str] = []
    for _ in numbers:
        def fresh() -> list[dict[str, Any]]:
            return [o for o in rig.feeds["alice"].offers() if o["interaction_id"] not in seen]
        pop = (await eventually(fresh, 60, "a preview given to alice"))[0]
        iid = pop["interaction_id"]
        seen.append(iid)
        assert pop["campaign"]["mode"] == "preview"
        await state_is(rig, "alice", "busy")          # hers at once: nothing else offered
        who = next(w for w, n in numbers.items() if pop["caller_number"].endswith(n[1:]))
        assert not [i for i in carrier.invites() if i.number == numbers[who]]
        # what waits for whom is in the work's own history, in the shared live state: a
        # channel that did not show it (another node, a restarted engine) knows it too
        shown = rig.engine.dispatcher.channel(Medium.CALLBACK)
        fresh = CallbackChannel(shown.voice, shown.dispatcher, shown.calls, shown.requests,
                                shown.settings, clock=shown.clock)
        assert await fresh.previewing(iid) == "alice"
        # only the agent previewing it (or staff) decides
        status, body = await answer(rig, "POST", f"/api/interactions/{iid}/preview", "bob",
                                    json={"action": "call"})
        assert (status, body["error"]) == (409, "preview_conflict")
        if who == "fay":
            await rig.call_api("POST", f"/api/interactions/{iid}/preview", "alice",
                               json={"action": "call"})
            await bridge_with_carrier(rig, iid)
            await rig.phones["alice"].hangup()
            await state_is(rig, "alice", "wrap_up")
        else:
            await rig.call_api("POST", f"/api/interactions/{iid}/preview", "alice",
                               json={"action": "skip"})
            status, body = await answer(rig, "POST", f"/api/interactions/{iid}/preview",
                                        "alice", json={"action": "call"})
            assert (status, body["error"]) == (409, "preview_conflict")   # decided
        await rig.call_api("POST", f"/api/interactions/{iid}/wrapup/end", "alice")

    async def settled() -> dict[str, dict[str, Any]] | None:
        listed = (await rig.call_api("GET", f"{path}/targets", "sam"))["targets"]
        by = {w: next(t for t in listed if t["customer_id"] == cid) for w, cid in ids.items()}
        return by if by["fay"]["state"] == "done" and by["gus"]["outcome"] and \
            "skipped" in by["gus"]["outcome"] else None
    final = await eventually(settled, 30, "fay called, gus skipped")
    gus = final["gus"]
    assert (gus["state"], gus["attempts"]) == ("pending", 0)
    assert gus["next_at"] > time.time()                       # after the retry time
    assert [i.number for i in carrier.invites()] == [numbers["fay"]]
    outcomes = (await rig.call_api("GET", path, "sam"))["progress"]["steps"][0]["outcomes"]
    assert outcomes == {"answered": 1, "preview_skipped": 1}

    # gus's preview comes again; alice's phone is gone when she says Call: her desk hears
    # that her phone did not answer, and the preview is hers to decide again (she skips)
    def again() -> list[dict[str, Any]]:
        return [o for o in rig.feeds["alice"].offers() if o["interaction_id"] not in seen]
    iid = (await eventually(again, 30, "gus's preview again"))[0]["interaction_id"]
    await state_is(rig, "alice", "busy")
    rig.phones["alice"].stop()
    await rig.call_api("POST", f"/api/interactions/{iid}/preview", "alice",
                       json={"action": "call"})

    def told() -> list[dict[str, Any]]:
        return [m for m in rig.feeds["alice"].messages if m.get("type") == "preview"
                and m["interaction_id"] == iid and m["event"] == "preview_call_failed"]
    (frame,) = await eventually(told, 60, "the desk told the phone did not answer")
    assert frame["outcome"]
    await rig.call_api("POST", f"/api/interactions/{iid}/preview", "alice",
                       json={"action": "skip"})
    await state_is(rig, "alice", "wrap_up")
    assert [i.number for i in carrier.invites()] == [numbers["fay"]]   # gus never dialled


async def test_given_customer_suppressed_while_call_waits_then_not_dialled(
        rig: Rig, carrier: Carrier) -> None:
    """Checked again just before the dial (docs/campaigns.md, "Phone steps"): the calls
    wait in the queue while alice is away; meanwhile ivy withdraws her consent to
    marketing calls, jon's number goes on the do-not-call list and kim's campaign is
    finished. When alice comes back, nobody is dialled and she is not kept busy."""
    await ready_agents(rig, "alice")
    await rig.call_api("POST", "/api/agents/alice/not-ready", "alice", json={"reason": "break"})
    numbers = {"ivy": "02079460666", "jon": "02079460777", "kim": "02079460888"}
    ids = {who: (await rig.call_api("POST", "/api/customers", "sam", json={
        "name": who.title(), "identities": [{"kind": "phone", "value": number}]}))["id"]
        for who, number in numbers.items()}
    paths = {}
    for name, who in (("later", ["ivy", "jon"]), ("finished", ["kim"])):
        campaign = await rig.call_api("POST", "/api/campaigns", "sam",
                                      json={**SPEC, "name": name})
        paths[name] = f"/api/campaigns/{campaign['id']}"
        await rig.call_api("POST", f"{paths[name]}/targets", "sam",
                           json={"customer_ids": [ids[w] for w in who]})
        await rig.call_api("POST", f"{paths[name]}/state", "sam", json={"state": "running"})

    async def waiting() -> bool:
        listed = [t for p in paths.values()
                  for t in (await rig.call_api("GET", f"{p}/targets", "sam"))["targets"]]
        return all(t["state"] == "active" and t["callback_id"] for t in listed)
    await eventually(waiting, 30, "the three calls queued")
    await rig.call_api("PUT", f"/api/customers/{ids['ivy']}/consent/phone/marketing", "sam",
                       json={"state": "withdrawn", "source": "phone",
                             "evidence": "said so on the phone"})
    await rig.call_api("POST", "/api/dnc", "sam", json={"number": numbers["jon"]})
    await rig.call_api("POST", f"{paths['finished']}/state", "sam",
                       json={"state": "finished"})
    await rig.call_api("POST", "/api/agents/alice/ready", "alice")

    async def settled() -> dict[str, dict[str, Any]] | None:
        listed = {t["customer_id"]: t for p in paths.values()
                  for t in (await rig.call_api("GET", f"{p}/targets", "sam"))["targets"]}
        by = {w: listed[ids[w]] for w in numbers}
        return by if all(t["state"] != "active" for t in by.values()) else None
    final = await eventually(settled, 30, "every call given up before dialling")
    assert (final["ivy"]["state"], final["ivy"]["outcome"]) == (
        "done", "step 0 skipped: marketing phone consent withdrawn")
    assert (final["jon"]["state"], final["jon"]["outcome"]) == (
        "done", "step 0 skipped: on the do-not-call list")
    assert final["kim"]["state"] == "cancelled"
    for who in numbers:
        request = await rig.call_api("GET", f"/api/callbacks/{final[who]['callback_id']}",
                                     "sam")
        assert request["state"] == "failed", request
    await state_is(rig, "alice", "available")
    assert carrier.invites() == []
