"""Trunks on a real Asterisk with a sipp carrier: a registration trunk registers with digest
auth; an IP-authenticated trunk's callers reach only the DIDs' service numbers; and no
caller — anonymous or the carrier itself — can make Asterisk dial out through the trunk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Rig, eventually, running_rig
from tests.e2e.ports import free_port, free_range
from tests.e2e.test_first_journey import ready_agents
from tests.e2e.trunk_rig import DID, absent, overrides, refused_call
from tests.sip.carrier import Carrier
from tests.sip.sipp import CallerScript, SippCaller

pytestmark = pytest.mark.asterisk



@pytest.fixture
def inbound_port() -> int:
    """The port the carrier calls in from (listed in the trunk's match)."""
    return free_port()


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest, carrier: Carrier,
              inbound_port: int) -> AsyncIterator[Rig]:
    """The engine with a trunk to the carrier: registration (default), ip, or
    registration with a password the carrier does not accept (wrong_password)."""
    kind = getattr(request, "param", "registration")
    if kind == "wrong_password":
        extra = overrides(carrier, password="not-what-the-carrier-has")
    else:
        extra = overrides(carrier, kind=kind, inbound_port=inbound_port)
    async with running_rig(tmp_path, "memory", extra) as r:
        yield r


async def test_given_registration_trunk_when_engine_starts_then_it_registers_with_digest(
        rig: Rig, carrier: Carrier) -> None:
    await eventually(carrier.registered, 20, "the carrier accepting the digest REGISTER")

    async def registration() -> str | None:
        trunks = (await rig.call_api("GET", "/api/trunks", "admin"))["trunks"]
        return trunks[0]["registration"] if trunks[0]["registration"] == "Registered" \
            else None
    await eventually(registration, 20, "the engine reporting the trunk registered")
    view = (await rig.call_api("GET", "/api/trunks", "sam"))["trunks"][0]
    assert view["name"] == "carrier" and view["type"] == "registration"
    assert view["dids"] == {DID: "5000"} and "password" not in view
    async with rig.http.get(f"{rig.api}/api/trunks", headers=rig.auth("alice")) as r:
        assert r.status == 403 and (await r.json())["error"] == "forbidden"


@pytest.mark.parametrize("rig", ["wrong_password"], indirect=True)
async def test_given_a_wrong_trunk_password_when_registering_then_the_engine_reports_it_rejected(
        rig: Rig, carrier: Carrier) -> None:
    await eventually(lambda: carrier.lines("FORBIDDEN"), 20, "the carrier refusing it")

    async def registration() -> str | None:
        status = (await rig.call_api("GET", "/api/trunks", "admin"))["trunks"][0][
            "registration"]
        return status if status not in (None, "Unregistered") else None
    assert await eventually(registration, 20, "the engine seeing the refusal") == "Rejected"
    assert not carrier.registered()


@pytest.mark.parametrize("rig", ["ip"], indirect=True)
async def test_given_ip_trunk_when_carrier_calls_a_did_then_the_ivr_answers_and_an_agent_pops(
        rig: Rig, carrier: Carrier, inbound_port: int) -> None:
    await ready_agents(rig, "alice")
    caller = SippCaller(rig.workdir, "from-carrier", CallerScript(digits="1", hold_ms=5000),
                        caller="02079460555", service=DID,
                        target_port=rig.engine.config.asterisk.sip_port,
                        sip_port=inbound_port, media_port=free_range(4),
                        control_port=free_port())
    await caller.start()
    rig.callers.append(caller)
    offer = (await eventually(rig.feeds["alice"].offers, 30, "alice's screen pop"))[0]
    assert offer["caller_number"] == "02079460555" and offer["queue"] == "sales"
    assert await caller.wait(60) == 0, caller.errors()
    record = await rig.call_api("GET", f"/api/interactions/{offer['interaction_id']}",
                                "admin")
    assert record["attributes"]["service_number"] == "5000"
    trunks = (await rig.call_api("GET", "/api/trunks", "admin"))["trunks"]
    assert trunks[0]["type"] == "ip" and trunks[0]["registration"] is None


@pytest.mark.parametrize("rig", ["ip"], indirect=True)
async def test_given_ip_trunk_when_carrier_calls_a_number_that_is_no_did_then_refused(
        rig: Rig, carrier: Carrier, inbound_port: int) -> None:
    # the carrier's own address may only reach the DIDs: not another number, not back out
    for number in ("00442079460123", "+442079460123", "5000", "0033142685300"):
        await refused_call(rig, number, sip_port=inbound_port)
    await absent(carrier.invites, 3, "the carrier received an INVITE")


async def test_given_anonymous_caller_when_dialling_international_numbers_then_refused_and_the_carrier_receives_nothing(  # noqa: E501
        rig: Rig, carrier: Carrier) -> None:
    await eventually(carrier.registered, 20, "the trunk registered (the carrier's log works)")
    for number in ("00442079460123", "+442079460123", "0033142685300", "0044",
                   "02079460123", "9000442079460123"):
        await refused_call(rig, number)
    await absent(carrier.invites, 3, "the carrier received an INVITE")
