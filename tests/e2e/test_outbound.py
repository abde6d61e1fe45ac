"""Outbound calls on a real Asterisk: an agent dials a number through the API or from the
softphone; the engine applies the dialling policy, rings the agent, dials the carrier (a
sipp UAS behind a registration trunk) with the number in the carrier's format and the
configured caller ID, bridges them with audio both ways, and records the call. Refused
destinations never reach the carrier; a blind transfer to a number goes through the trunk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Rig, eventually, running_rig
from tests.e2e.test_first_journey import bridged_legs_with_audio, ready_agents
from tests.e2e.trunk_rig import (
    CALLER_ID,
    CALLER_NAME,
    absent,
    bridge_with_carrier,
    dial_from_phone,
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


@pytest.fixture
async def rig(tmp_path: Path, carrier: Carrier) -> AsyncIterator[Rig]:
    """The engine with a registration trunk to the carrier."""
    async with running_rig(tmp_path, "memory", overrides(carrier)) as r:
        yield r


async def post(rig: Rig, path: str, user: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    async with rig.http.post(f"{rig.api}{path}", headers=rig.auth(user), json=body) as r:
        return r.status, await r.json()


async def test_given_alice_ready_when_she_dials_by_api_then_carrier_gets_national_number_and_caller_id_and_they_talk(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await ready_agents(rig, "alice")
    status, placed = await post(rig, "/api/agents/alice/dial", "alice",
                                {"number": "+44 20 7946 0123"})
    assert status == 202, placed
    assert (placed["number"], placed["dialled"], placed["trunk"]) == \
        ("+442079460123", "02079460123", "carrier")
    iid = placed["interaction_id"]

    (invite,) = await invites(carrier)
    assert invite.number == "02079460123"                       # national format
    assert f"<sip:{CALLER_ID}@" in invite.from_header           # the configured caller ID
    assert f'"{CALLER_NAME}"' in invite.from_header
    assert CALLER_ID in invite.pai
    assert await bridge_with_carrier(rig, iid) in (["alice", "carrier"], ["carrier", "alice"])
    await rtp_both_ways(rig, iid)
    await state_is(rig, "alice", "busy")
    pop = rig.feeds["alice"].offers()[0]
    assert pop["interaction_id"] == iid and pop["medium"] == "voice"
    assert pop["details"] == {"direction": "outbound", "number": "+442079460123",
                              "initiated_via": "api"}

    await rig.phones["alice"].hangup()
    await eventually(lambda: carrier.lines("BYE"), 20, "the carrier getting the BYE")
    await state_is(rig, "alice", "wrap_up")
    stored = await record(rig, iid)
    assert stored["medium"] == "voice" and stored["agent_id"] == "alice"
    assert stored["attributes"]["direction"] == "outbound"
    assert stored["hung_up_by"] == "agent" and stored["customer_id"]
    order = kinds(stored)
    assert [k for k in order if k in ("entered", "offered", "answered", "dialling",
                                      "connected", "ended")] == \
        ["entered", "offered", "answered", "dialling", "connected", "ended"]
    assert events_of(stored, "dialling")[0] == {"number": "+442079460123",
                                                "dialled": "02079460123",
                                                "trunk": "carrier", "agent_id": "alice"}


async def test_given_refused_or_malformed_numbers_when_dialled_by_api_then_clear_errors_and_nothing_reaches_the_carrier(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await ready_agents(rig, "alice")
    cases = [("+44 909 879 0123", 400, "number_refused", "premium"),
             ("0033 1 42 68 53 00", 400, "number_refused", "international"),
             ("+1 201 555 0123", 400, "number_refused", "international"),
             ("not a number", 400, "bad_number", "not a phone number"),
             ("999", 400, "bad_number", "not a possible phone number")]
    for number, code, error, words in cases:
        status, body = await post(rig, "/api/agents/alice/dial", "alice", {"number": number})
        assert (status, body["error"]) == (code, error), (number, body)
        assert words in body["message"], body
    status, body = await post(rig, "/api/agents/alice/dial", "bob", {"number": "02079460123"})
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await post(rig, "/api/agents/nobody/dial", "admin",
                              {"number": "02079460123"})
    assert (status, body["error"]) == (404, "agent_not_found")
    status, body = await post(rig, "/api/agents/alice/dial", "alice", {"numbr": "0207"})
    assert (status, body["error"]) == (400, "bad_request")
    status, body = await post(rig, "/api/agents/bob/dial", "bob", {"number": "02079460123"})
    assert (status, body["error"]) == (409, "agent_unavailable")   # bob is not logged in
    await absent(carrier.invites, 3, "the carrier received an INVITE")
    assert await rig.agent_state("alice") == "available"
    assert rig.feeds["alice"].offers() == []


async def test_given_alice_on_her_softphone_when_she_dials_then_the_policy_decides_and_allowed_calls_go_through_the_trunk(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await ready_agents(rig, "alice")
    # refused: a premium number, an international one; the phone is rejected at once
    for number in ("09098790123", "0033142685300"):
        await dial_from_phone(rig, "alice", number)

        async def refused(number: str = number) -> list[dict[str, Any]]:
            rows = await rig.engine.recorder.list(agent_id="alice")  # type: ignore[union-attr]
            return [r for r in rows if r["attributes"].get("dialled_by_agent") == number]
        (stored,) = await eventually(refused, 20, f"the refused dial-out to {number}")
        assert stored["attributes"]["refused"] == "number_refused"
        assert events_of(stored, "dial_refused")[0]["reason"] == "number_refused"
        await state_is(rig, "alice", "available")
    await absent(carrier.invites, 2, "the carrier received an INVITE")

    # allowed: through the engine to the carrier, in the carrier's format, then bridged
    await dial_from_phone(rig, "alice", "02079460777")
    (invite,) = await invites(carrier)
    assert invite.number == "02079460777" and f"<sip:{CALLER_ID}@" in invite.from_header
    await bridged_legs_with_audio(rig)
    await state_is(rig, "alice", "busy")
    iid = rig.feeds["alice"].offers()[0]["interaction_id"]
    await bridge_with_carrier(rig, iid)
    await rig.phones["alice"].hangup()
    stored = await record(rig, iid)
    assert stored["attributes"]["initiated_via"] == "phone"
    assert "connected" in kinds(stored) and stored["hung_up_by"] == "agent"
    await state_is(rig, "alice", "wrap_up")


async def test_given_a_call_with_alice_when_blind_transferred_to_a_number_then_it_goes_out_through_the_trunk(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await ready_agents(rig, "alice")
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=20000),
                                  caller="02079460555")
    iid = (await eventually(rig.feeds["alice"].offers, 20, "alice's pop"))[0]["interaction_id"]
    await bridged_legs_with_audio(rig)
    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"number": "0033142685300"}, "mode": "blind"})
    assert (status, body["error"]) == (400, "number_refused"), body   # international
    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"number": "02079460888"}, "mode": "blind"})
    assert status == 202, body
    (invite,) = await invites(carrier)
    assert invite.number == "02079460888" and f"<sip:{CALLER_ID}@" in invite.from_header
    names = await bridge_with_carrier(rig, iid)
    assert sorted(names) == ["anonymous@callers", "carrier"]             # the caller and the number
    await state_is(rig, "alice", "wrap_up")
    assert await caller.wait(60) == 0, caller.errors()
    await eventually(lambda: carrier.lines("BYE"), 20, "the carrier getting the BYE")
