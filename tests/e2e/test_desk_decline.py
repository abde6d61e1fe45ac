"""Declining a ringing call from the desk, on real phones: the engine hangs up the agent's
ringing leg as a rejecting phone would, so it is a RONA (the agent not ready, reason rona)
and the caller goes back to the head of the queue, to be offered to the next agent. The
feed tells the agent its state as it changes; the offer says when the ringing stops."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import Rig, eventually
from tests.e2e.test_first_journey import bridged_legs_with_audio
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

RING_SECONDS = 20
TWO_SALES_AGENTS = {"overrides": [
    f"offer_timeout={RING_SECONDS}",
    "agents=[{id: alice, name: Alice, skills: {sales: 5}, phone: sip}, "
    "{id: carol, name: Carol, skills: {sales: 3}, phone: sip}]",
]}


async def decline(rig: Rig, interaction_id: str, user: str) -> tuple[int, dict]:
    async with rig.http.post(f"{rig.api}/api/interactions/{interaction_id}/decline",
                             headers=rig.auth(user)) as r:
        return r.status, await r.json()


@pytest.mark.parametrize("rig", [TWO_SALES_AGENTS], indirect=True)
async def test_given_call_ringing_alice_when_she_declines_on_the_desk_then_rona_and_next_agent(
        rig: Rig) -> None:
    await rig.start_phone("alice", answer="manual")   # rings until someone decides
    await rig.start_phone("carol")
    for agent in ("alice", "carol"):
        await rig.open_feed(agent)
    await rig.login("alice")        # alice has been idle longest: offered first
    await rig.login("carol")
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=10000))

    first = (await eventually(rig.feeds["alice"].offers, 20, "offer to alice"))[0]
    iid = first["interaction_id"]
    assert first["expires_at"] == pytest.approx(first["offered_at"] + RING_SECONDS)
    ringing = await rig.call_api("GET", "/api/agents/alice", "alice")
    assert [(s["interaction_id"], s["state"]) for s in ringing["slots"]] == [(iid, "offered")]

    declined_at = time.time()
    status, body = await decline(rig, iid, "alice")
    assert (status, body) == (200, {"declined": iid})
    view = await rig.call_api("GET", "/api/agents/alice", "alice")
    assert (view["state"], view["reason"], view["slots"]) == ("not_ready", "rona", [])
    assert time.time() < first["expires_at"] - 5          # declined, not rung out

    second = (await eventually(rig.feeds["carol"].offers, 10, "re-offer to carol"))[0]
    assert second["interaction_id"] == iid
    assert second["wait_seconds"] >= first["wait_seconds"]  # it kept its place
    assert second["offered_at"] < declined_at + 5
    rona = [m for m in rig.feeds["alice"].states() if m["cause"] == "rona"]
    assert rona and rona[0]["agent"]["reason"] == "rona"

    record = await rig.call_api("GET", f"/api/interactions/{iid}", "carol")
    requeued = [e for e in record["events"] if e["kind"] == "requeued"]
    assert [(e["data"]["agent_id"], e["data"]["reason"]) for e in requeued] == [
        ("alice", "rejected")]

    await bridged_legs_with_audio(rig)
    status, body = await decline(rig, iid, "carol")       # answered: nothing to decline
    assert (status, body["error"]) == (409, "not_ringing")
    status, body = await decline(rig, iid, "alice")       # not hers any more
    assert (status, body["error"]) == (403, "forbidden")
    assert await caller.wait(40) == 0, caller.errors()


async def test_given_the_engine_when_the_desk_starts_then_it_reads_what_runs(rig: Rig) -> None:
    desk = await rig.call_api("GET", "/api/desk", "alice")
    assert desk["user"] == {"id": "alice", "role": "agent"}
    assert desk["agent"]["id"] == "alice"
    assert [r["code"] for r in desk["not_ready_reasons"]] == [
        "break", "lunch", "meeting", "training", "coaching"]
    assert desk["media"] == {"chat": False, "email": False, "outbound": False,
                             "callbacks": False, "recording": False}
    assert desk["offer_timeout"] == 8
    canned = await rig.call_api("GET", "/api/canned-responses?medium=chat", "alice")
    assert canned and all("chat" in r["media"] for r in canned)
