"""The first real journey, end to end on a real Asterisk: a sipp caller dials the service
number, picks a queue in ivr/main.yaml by DTMF (SIP INFO or RFC 4733), the router picks an
agent with the queue's skill, the engine rings the agent's baresip softphone, bridges the
call with audio both ways, pops the agent's screen, and stores the interaction."""

from __future__ import annotations

import pytest

from ccengine.telephony.ari.client import UNUSED_EVENTS
from tests.e2e.conftest import Rig, eventually
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

MILESTONES = ("entered", "ivr_done", "queued", "offered", "answered", "ended")


async def ready_agents(rig: Rig, *agents: str) -> None:
    for agent in agents:
        await rig.start_phone(agent)
        await rig.open_feed(agent)
        await rig.login(agent)
        assert await rig.agent_state(agent) == "available"


async def bridged_legs_with_audio(rig: Rig) -> list[str]:
    """Wait until one bridge holds caller and agent, each leg with RTP in and out."""
    async def bridge_channels() -> list[str] | None:
        bridges = await rig.ari("GET", "/bridges") or []
        full = [b for b in bridges if len(b.get("channels", [])) == 2]
        return full[0]["channels"] if full else None

    channels = await eventually(bridge_channels, 15, "a bridge with two channels")
    await rig.rtp_both_ways(channels, 15)
    return channels


async def stored(rig: Rig, interaction_id: str, user: str) -> dict:
    async def ended() -> dict | None:
        record = await rig.call_api("GET", f"/api/interactions/{interaction_id}", user)
        return record if record["timestamps"].get("ended") else None
    return await eventually(ended, 10, "the interaction stored as ended")


def assert_milestones_in_order(record: dict) -> None:
    times = [record["timestamps"][m] for m in MILESTONES]
    assert all(t is not None for t in times), record["timestamps"]
    assert times == sorted(times), record["timestamps"]


@pytest.mark.parametrize("rig", ["memory", pytest.param("redis", marks=pytest.mark.redis)],
                         indirect=True)
async def test_given_two_agents_when_caller_presses_1_by_sip_info_then_sales_agent_gets_call(
        rig: Rig) -> None:
    await ready_agents(rig, "alice", "bob")
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=7000))

    offers = await eventually(rig.feeds["alice"].offers, 20, "alice's screen pop")
    offer = offers[0]
    assert offer["queue"] == "sales"
    assert offer["caller_number"] == "07700900123"
    assert offer["ivr_path"] == ["main:1"]
    assert offer["medium"] == "voice"
    assert 0 <= offer["wait_seconds"] < 10

    await bridged_legs_with_audio(rig)
    assert await rig.agent_state("alice") == "busy"
    assert await caller.wait(40) == 0, caller.errors()

    await eventually(lambda: _is(rig, "alice", "wrap_up"), 10, "alice in wrap-up")
    await eventually(lambda: _is(rig, "alice", "available"), 10, "alice available again")
    record = await stored(rig, offer["interaction_id"], "alice")
    assert_milestones_in_order(record)
    assert record["hung_up_by"] == "caller"
    assert record["agent_id"] == "alice"
    assert record["queue"] == "sales"
    assert rig.feeds["bob"].offers() == []
    # the whole call went by without the events the engine asks Asterisk not to send
    app = await rig.ari("GET", f"/applications/{rig.engine.config.asterisk.app}")
    assert {e["type"] for e in app["events_disallowed"]} == set(UNUSED_EVENTS)


async def test_given_two_agents_when_caller_presses_2_by_rfc4733_then_support_agent_gets_call(
        rig: Rig) -> None:
    await ready_agents(rig, "alice", "bob")
    caller = await rig.place_call(CallerScript(digits="2", dtmf="rfc4733", hold_ms=None))

    offer = (await eventually(rig.feeds["bob"].offers, 20, "bob's screen pop"))[0]
    assert offer["queue"] == "support"
    assert offer["ivr_path"] == ["main:2"]
    await bridged_legs_with_audio(rig)

    await rig.phones["bob"].hangup()          # the agent ends the call
    assert await caller.wait(20) == 0, caller.errors()   # the caller got the BYE
    record = await stored(rig, offer["interaction_id"], "bob")
    assert_milestones_in_order(record)
    assert record["hung_up_by"] == "agent"
    assert rig.feeds["alice"].offers() == []


async def test_given_invalid_digits_when_retries_run_out_then_default_queue(rig: Rig) -> None:
    await ready_agents(rig, "alice", "bob")
    caller = await rig.place_call(CallerScript(digits="999", dtmf="info",
                                               between_digits_ms=2500, hold_ms=3000))
    offer = (await eventually(rig.feeds["bob"].offers, 40, "bob's screen pop"))[0]
    assert offer["queue"] == "support"
    assert offer["ivr_path"] == ["main:9:invalid"] * 3
    assert await caller.wait(40) == 0, caller.errors()


async def test_given_one_invalid_digit_when_caller_then_presses_1_then_sales(rig: Rig) -> None:
    await ready_agents(rig, "alice", "bob")
    # SIP INFO: sipp replays each RFC 4733 pcap with the RTP timestamps it was recorded
    # with, so a second digit repeats the first one's event timestamp and is (rightly)
    # not a new event for Asterisk; RFC 4733 is covered by the single-digit journeys.
    caller = await rig.place_call(CallerScript(digits="71", dtmf="info",
                                               between_digits_ms=2500, hold_ms=None))
    offer = (await eventually(rig.feeds["alice"].offers, 40, "alice's screen pop"))[0]
    assert offer["ivr_path"] == ["main:7:invalid", "main:1"]
    await bridged_legs_with_audio(rig)
    await rig.phones["alice"].hangup()
    assert await caller.wait(20) == 0, caller.errors()


async def test_given_no_digit_when_menu_times_out_then_timeout_branch(rig: Rig) -> None:
    await ready_agents(rig, "alice", "bob")
    caller = await rig.place_call(CallerScript(digits="", hold_ms=16000))
    offer = (await eventually(rig.feeds["alice"].offers, 30, "alice's screen pop"))[0]
    assert offer["ivr_path"] == ["main:timeout"]
    assert offer["queue"] == "sales"
    assert await caller.wait(40) == 0, caller.errors()


async def test_given_no_agent_available_when_one_logs_in_then_waiting_caller_connects(
        rig: Rig) -> None:
    await rig.start_phone("alice")
    feed = await rig.open_feed("alice")
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=20000))

    async def waiting() -> bool:
        view = await rig.call_api("GET", "/api/queues/sales", "alice")
        return view["waiting"] == 1
    await eventually(waiting, 20, "the caller waiting in queue sales")
    # while waiting, the caller hears music on hold: Asterisk keeps sending it RTP
    channels = await rig.ari("GET", "/channels")
    caller_channel = next(c["id"] for c in channels if c["caller"]["number"] == "07700900123")

    async def sent() -> int:
        value = await rig.ari("GET", f"/channels/{caller_channel}/variable",
                              variable="CHANNEL(rtcp,txcount)")
        return int(value["value"] or 0) if value else 0
    before = await sent()
    await eventually(lambda: _gt(sent(), before + 50), 10, "music on hold flowing")
    assert feed.offers() == []

    await rig.login("alice")
    offer = (await eventually(feed.offers, 15, "alice's screen pop after login"))[0]
    assert offer["wait_seconds"] >= 1
    await bridged_legs_with_audio(rig)
    assert await caller.wait(40) == 0, caller.errors()


async def _is(rig: Rig, agent: str, state: str) -> bool:
    return await rig.agent_state(agent) == state


async def _gt(value, threshold: int) -> bool:  # type: ignore[no-untyped-def]
    return (await value) > threshold


async def test_given_a_caller_who_called_before_when_calling_again_then_pop_shows_history(
        rig: Rig) -> None:
    await ready_agents(rig, "alice", "bob")
    first = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=3000))
    offer1 = (await eventually(rig.feeds["alice"].offers, 20, "first screen pop"))[0]
    assert offer1["customer"]["identities"] == [{"kind": "phone", "value": "+447700900123"}]
    assert offer1["customer"]["history"] == []
    assert await first.wait(30) == 0, first.errors()
    await stored(rig, offer1["interaction_id"], "alice")

    second = await rig.place_call(CallerScript(digits="2", dtmf="info", hold_ms=3000))
    offer2 = (await eventually(rig.feeds["bob"].offers, 20, "second screen pop"))[0]
    assert offer2["customer"]["id"] == offer1["customer"]["id"]
    assert [h["id"] for h in offer2["customer"]["history"]] == [offer1["interaction_id"]]
    assert offer2["customer"]["history"][0]["queue"] == "sales"
    assert await second.wait(30) == 0, second.errors()
