"""Callbacks on a real Asterisk: a caller leaves a number in the IVR (or while waiting in the
queue) and keeps their place; the engine rings the agent's baresip phone first, then the
customer through the trunk (a sipp carrier), and bridges them. A customer who does not
answer is tried again per the retry policy, with every attempt's outcome stored; a
callback asked for through the API at a time enters the queue at that time."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHAT_SITE, Rig, eventually, running_rig
from tests.e2e.test_first_journey import ready_agents
from tests.e2e.trunk_rig import (
    AGENTS,
    CALLBACKS,
    QUEUES,
    absent,
    agent_hears_ringing,
    bridge_with_carrier,
    events_of,
    invites,
    kinds,
    overrides,
    record,
    rtp_both_ways,
    state_is,
)
from tests.sip.carrier import Carrier
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

FLOWS = Path(__file__).resolve().parent / "flows" / "callback"
# while waiting in sales, 3 asks for a callback (the waiting room's keys)
WAITING_KEY_3 = {"waiting": {"sales": {"keys": {"3": {"action": "callback"}}}}}
# presses 3 (callback), # (the number I am calling from), 1 (yes, that one)
ASKS_FOR_CALLBACK = CallerScript(digits="3#1", dtmf="info", first_digit_after_ms=1500,
                                 between_digits_ms=3000, audio=False, hold_ms=None)


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest,
              carrier: Carrier) -> AsyncIterator[Rig]:
    """The engine with a trunk to the carrier and the callback test flow; parametrised
    with {"callbacks": {...}} (settings) or {"waiting": {...}} (keys while waiting)."""
    param = getattr(request, "param", {})
    callbacks = {**CALLBACKS, **param.get("callbacks", {})}
    extra = overrides(carrier, ivr_dir=FLOWS, callbacks=callbacks)
    if "waiting" in param:
        extra.append(f"waiting={json.dumps(param['waiting'])}")
    if "chat" in param:  # the web chat too: agents and sales take chats
        extra += [f"agents={json.dumps([{**a, 'capacity': {**a['capacity'], 'chat': 2}} for a in AGENTS])}",  # noqa: E501
                  f"queues={json.dumps([{**q, 'media': [*q['media'], 'chat']} for q in QUEUES])}",  # noqa: E501
                  f"chat={json.dumps(param['chat'])}"]
    async with running_rig(tmp_path, "memory", extra) as r:
        yield r


async def post(rig: Rig, path: str, user: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    async with rig.http.post(f"{rig.api}{path}", headers=rig.auth(user), json=body) as r:
        return r.status, await r.json()


async def callback(rig: Rig, callback_id: str, state: str, timeout: float = 30
                   ) -> dict[str, Any]:
    async def get() -> dict[str, Any] | None:
        row = await rig.call_api("GET", f"/api/callbacks/{callback_id}", "admin")
        return row if row["state"] == state else None
    return await eventually(get, timeout, f"callback {callback_id} {state}")


async def test_given_caller_in_ivr_when_asking_for_a_callback_then_the_agent_is_rung_then_the_carrier_and_they_talk(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await ready_agents(rig, "alice")
    caller = await rig.place_call(ASKS_FOR_CALLBACK, caller="02079460555")

    pop = (await eventually(rig.feeds["alice"].offers, 40, "alice's callback pop"))[0]
    assert pop["medium"] == "callback" and pop["queue"] == "sales"
    assert pop["caller_number"] == "+442079460555"
    assert pop["details"]["requested_via"] == "ivr"
    assert pop["details"]["number"] == "+442079460555" and pop["details"]["attempt"] == 1
    assert "IVR" in pop["details"]["reason"]
    assert pop["customer"]["identities"] == [{"kind": "phone", "value": "+442079460555"}]
    assert await caller.wait(60) == 0, caller.errors()    # goodbye, then the engine hangs up

    (invite,) = await invites(carrier)
    assert invite.number == "02079460555"
    iid = pop["interaction_id"]
    await bridge_with_carrier(rig, iid)
    await rtp_both_ways(rig, iid)
    await state_is(rig, "alice", "busy")
    await rig.phones["alice"].hangup()
    await state_is(rig, "alice", "wrap_up")

    stored = await record(rig, iid)
    assert stored["medium"] == "callback" and stored["agent_id"] == "alice"
    order = [k for k in kinds(stored) if k in (
        "entered", "callback_requested", "queued", "offered", "answered",
        "callback_dialling", "dialling", "connected", "ended")]
    # the agent answers first, then the engine dials the customer
    assert order == ["entered", "callback_requested", "queued", "offered", "answered",
                     "callback_dialling", "dialling", "connected", "ended"]
    row = await callback(rig, stored["attributes"]["callback"]["id"], "done")
    assert row["attempts"] == 1 and [o["outcome"] for o in row["outcomes"]] == ["answered"]
    assert row["requested_via"] == "ivr"
    voice = await record(rig, events_of(stored, "callback_requested")[0]["from_interaction"])
    assert voice["medium"] == "voice" and voice["hung_up_by"] == "system"
    assert events_of(voice, "callback_requested")[0]["callback_id"] == row["id"]


@pytest.mark.parametrize("rig", [WAITING_KEY_3], indirect=True)
async def test_given_caller_waiting_in_queue_when_asking_for_a_callback_then_it_keeps_their_place_before_a_later_caller(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await rig.start_phone("alice")
    feed = await rig.open_feed("alice")           # alice is not logged in yet: calls wait
    first = await rig.place_call(CallerScript(digits="13#1", dtmf="info",
                                              between_digits_ms=3000, audio=False,
                                              hold_ms=None), caller="02079460555")

    async def waiting(n: int) -> list[dict[str, Any]] | None:
        view = await rig.call_api("GET", "/api/queues/sales", "admin")
        return view["interactions"] if view["waiting"] == n else None
    (waiter,) = await eventually(lambda: waiting(1), 20, "the first caller waiting")

    async def queued_at() -> float | None:
        stored = await rig.call_api("GET", f"/api/interactions/{waiter['id']}", "admin")
        return stored["timestamps"].get("queued")
    first_queued = await eventually(queued_at, 20, "the first caller's queued time stored")
    assert await first.wait(60) == 0, first.errors()  # asked for a callback: call over
    (cb,) = await eventually(lambda: waiting(1), 20, "the callback waiting instead")
    assert cb["medium"] == "callback"

    second = await rig.place_call(CallerScript(digits="1", dtmf="info", audio=False,
                                               hold_ms=None), caller="02079460666")
    await eventually(lambda: waiting(2), 20, "the second caller waiting too")
    await rig.login("alice")

    offer = (await eventually(feed.offers, 20, "alice's first offer"))[0]
    assert offer["medium"] == "callback" and offer["caller_number"] == "+442079460555"
    # the callback kept the first caller's place, ahead of the second caller
    assert offer["details"]["waiting_since"] == pytest.approx(first_queued, abs=0.001)
    assert offer["wait_seconds"] >= 0
    row = await rig.call_api("GET", f"/api/callbacks/{offer['details']['callback_id']}",
                             "admin")
    assert row["enqueued_at"] == pytest.approx(first_queued, abs=0.001)
    (invite,) = await invites(carrier)
    assert invite.number == "02079460555"
    await bridge_with_carrier(rig, offer["interaction_id"])
    assert (await rig.call_api("GET", "/api/queues/sales", "admin"))["waiting"] == 1
    cancelled = await record(rig, waiter["id"])
    assert events_of(cancelled, "cancelled")[0]["reason"] == "callback_requested"
    assert events_of(cancelled, "wait_key")[0]["digit"] == "3"   # the waiting room's key
    assert events_of(cancelled, "callback_requested")[0]["callback_id"] == \
        offer["details"]["callback_id"]

    await rig.phones["alice"].hangup()             # wrap-up, then the later caller
    later = await eventually(lambda: feed.offers()[1:], 30, "alice's second offer")
    assert later[0]["medium"] == "voice" and later[0]["caller_number"] == "02079460666"
    await state_is(rig, "alice", "busy")
    await rig.phones["alice"].hangup()
    assert await second.wait(30) == 0, second.errors()


async def test_given_a_customer_who_never_answers_when_called_back_then_retried_per_policy_and_every_outcome_stored(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await ready_agents(rig, "alice")
    status, row = await post(rig, "/api/callbacks", "alice",
                             {"number": "020 7946 0408", "queue": "sales",
                              "name": "Pat", "note": "about the invoice"})
    assert status == 201, row
    assert row["state"] in ("scheduled", "queued") and row["requested_by"] == "alice"

    await invites(carrier)                         # the customer's phone rings...
    await agent_hears_ringing(rig, "callback-agent-")   # ...and alice hears ringing
    failed = await callback(rig, row["id"], "failed", timeout=90)
    assert failed["attempts"] == 2                         # callbacks.attempts
    assert [o["outcome"] for o in failed["outcomes"]] == ["no_answer", "no_answer"]
    assert [i.number for i in carrier.invites()] == ["02079460408"] * 2
    await eventually(lambda: len(carrier.lines("CANCELLED")) == 2, 10, "two cancelled")
    pops = rig.feeds["alice"].offers()
    assert [p["details"]["attempt"] for p in pops] == [1, 2]
    assert pops[1]["details"]["previous_outcomes"] == ["no_answer"]
    assert pops[0]["details"]["note"] == "about the invoice"

    stored = await record(rig, row["interaction_id"])
    attempts = events_of(stored, "callback_attempt")
    assert [(a["attempt"], a["outcome"], a["agent_id"]) for a in attempts] == \
        [(1, "no_answer", "alice"), (2, "no_answer", "alice")]
    assert "retry_at" in attempts[0] and "retry_at" not in attempts[1]
    assert kinds(stored).count("queued") == 2
    assert events_of(stored, "ended")[-1]["reason"] == "callback_failed"
    # the second attempt came no sooner than the retry interval after the first failed
    queued = [e["at"] for e in stored["events"] if e["kind"] == "queued"]
    assert queued[1] - stored["events"][kinds(stored).index("callback_attempt")]["at"] >= 2.9
    await state_is(rig, "alice", "wrap_up")


async def test_given_a_callback_asked_for_a_few_seconds_ahead_when_its_time_comes_then_it_is_placed(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await ready_agents(rig, "alice")
    at = time.time() + 6
    when = datetime.fromtimestamp(at, UTC).isoformat()
    status, row = await post(rig, "/api/callbacks", "sam",
                             {"number": "02079460321", "queue": "sales", "at": when})
    assert status == 201, row
    assert row["state"] == "scheduled" and row["due_at"] == pytest.approx(at, abs=0.01)
    listed = await rig.call_api("GET", "/api/callbacks?state=scheduled", "alice")
    assert [c["id"] for c in listed["callbacks"]] == [row["id"]]

    await absent(rig.feeds["alice"].offers, max(0.0, at - time.time() - 0.5),
                 "a callback offered before its time")
    pop = (await eventually(rig.feeds["alice"].offers, 20, "the callback at its time"))[0]
    assert time.time() >= at - 0.1
    assert pop["medium"] == "callback" and pop["details"]["requested_by"] == "sam"
    assert pop["details"]["scheduled_for"] == pytest.approx(at, abs=0.01)
    (invite,) = await invites(carrier)
    assert invite.number == "02079460321"
    await bridge_with_carrier(rig, pop["interaction_id"])
    await rig.phones["alice"].hangup()
    await callback(rig, row["id"], "done")


async def test_given_callback_requests_when_malformed_or_cancelled_then_clear_answers(
        rig: Rig, carrier: Carrier) -> None:
    later = datetime.fromtimestamp(time.time() + 3600, UTC).isoformat()
    bad = [({"number": "02079460321", "queue": "sales", "at": "2030-01-01T10:00:00"},
            "bad_time"),
           ({"number": "02079460321", "queue": "sales", "at": "2001-01-01T10:00:00Z"},
            "bad_time"),
           ({"number": "09098790123", "queue": "sales"}, "number_refused"),
           ({"number": "hello", "queue": "sales"}, "bad_number"),
           ({"number": "02079460321", "queue": "nowhere"}, "bad_queue"),
           ({"number": "02079460321", "queue": "sales", "colour": "red"}, "bad_request"),
           ({"number": "02079460321", "queue": "sales", "note": 5}, "bad_note")]
    for body, code in bad:
        status, answer = await post(rig, "/api/callbacks", "alice", body)
        assert (status, answer["error"]) == (400, code), (body, answer)
    status, row = await post(rig, "/api/callbacks", "alice",
                             {"number": "02079460321", "queue": "support", "at": later})
    assert status == 201, row
    async with rig.http.delete(f"{rig.api}/api/callbacks/{row['id']}",
                               headers=rig.auth("bob")) as r:
        assert r.status == 403
    async with rig.http.delete(f"{rig.api}/api/callbacks/{row['id']}",
                               headers=rig.auth("alice")) as r:
        assert r.status == 200 and (await r.json())["state"] == "cancelled"
    async with rig.http.delete(f"{rig.api}/api/callbacks/{row['id']}",
                               headers=rig.auth("alice")) as r:
        assert (r.status, (await r.json())["error"]) == (409, "callback_conflict")
    async with rig.http.get(f"{rig.api}/api/callbacks/nope", headers=rig.auth("alice")) as r:
        assert (r.status, (await r.json())["error"]) == (404, "callback_not_found")
    stored = await record(rig, row["interaction_id"])
    assert events_of(stored, "cancelled")[0] == {"reason": "callback_cancelled", "by": "alice"}
    await absent(carrier.invites, 1, "the carrier received an INVITE")


async def test_given_an_agent_who_does_not_answer_a_callback_then_rona_and_it_waits_for_the_next_agent(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await rig.start_phone("alice", answer="manual")       # rings, nobody picks up
    await rig.open_feed("alice")
    await rig.login("alice")
    status, row = await post(rig, "/api/callbacks", "sam",
                             {"number": "02079460321", "queue": "sales"})
    assert status == 201, row
    await eventually(rig.feeds["alice"].offers, 20, "alice's callback pop")

    async def rona() -> bool:
        view = await rig.call_api("GET", "/api/agents/alice", "alice")
        return (view["state"], view["reason"]) == ("not_ready", "rona")
    await eventually(rona, 30, "alice not ready (RONA)")
    queue = await rig.call_api("GET", "/api/queues/sales", "admin")
    assert [i["id"] for i in queue["interactions"]] == [row["interaction_id"]]
    waiting = await rig.call_api("GET", f"/api/callbacks/{row['id']}", "admin")
    assert (waiting["state"], waiting["attempts"]) == ("queued", 0)   # no customer attempt
    stored = await record(rig, row["interaction_id"], ended=False)
    assert events_of(stored, "requeued")[0]["reason"] == "no_answer"
    await absent(carrier.invites, 1, "the carrier received an INVITE")


@pytest.mark.parametrize("rig", [{"callbacks": {"max_tries": 1}}], indirect=True)
async def test_given_a_caller_who_types_a_refused_number_when_giving_up_then_they_wait_in_the_queue(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await ready_agents(rig, "alice")
    caller = await rig.place_call(CallerScript(digits="309098790123#", dtmf="info",
                                               between_digits_ms=300, audio=False,
                                               hold_ms=None), caller="02079460555")
    pop = (await eventually(rig.feeds["alice"].offers, 60, "alice's pop"))[0]
    assert pop["medium"] == "voice" and pop["queue"] == "sales"   # waited after all
    await state_is(rig, "alice", "busy")
    await rig.phones["alice"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    stored = await record(rig, pop["interaction_id"])
    assert events_of(stored, "callback_number_refused") == [{"typed": "09098790123"}]
    assert "callback_not_requested" in kinds(stored) and "queued" in kinds(stored)
    assert (await rig.call_api("GET", "/api/callbacks", "admin"))["callbacks"] == []
    await absent(carrier.invites, 1, "the carrier received an INVITE")




@pytest.mark.parametrize("rig", [{"chat": {"allowed_origins": [CHAT_SITE],
                                           "entry_points": {"web": "sales"}}}], indirect=True)
async def test_given_visitor_asking_for_a_callback_in_a_chat_then_the_agent_is_rung_then_the_carrier(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await ready_agents(rig, "alice")
    async with rig.visitor_chat(name="Cal", email="cal@example.com") as (session, ws):
        await ws.send_json({"type": "callback", "number": "020 7946 0777", "client_id": "c"})
        answer = await ws.receive_json(timeout=10)
        assert (answer["type"], answer["number"]) == ("callback_requested", "+442079460777")

    def callback_pops() -> list[dict[str, Any]]:
        return [o for o in rig.feeds["alice"].offers() if o["medium"] == "callback"]
    pop = (await eventually(callback_pops, 40, "alice's callback pop"))[0]
    assert pop["details"]["requested_via"] == "chat"
    assert {"kind": "email", "value": "cal@example.com"} in pop["customer"]["identities"]
    (invite,) = await invites(carrier)
    assert invite.number == "02079460777"
    iid = pop["interaction_id"]
    await bridge_with_carrier(rig, iid)
    await rig.phones["alice"].hangup()
    stored = await record(rig, iid)
    assert events_of(stored, "callback_requested")[0]["from_interaction"] == \
        session["chat_id"]
    assert stored["customer_id"] == pop["customer"]["id"]
