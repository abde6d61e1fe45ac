"""Named-contact routing with real calls (sipp callers, baresip agents): a customer with an
owner is offered to the owner, with the pop saying why; with the owner busy the call waits
for them for the queue's prefer_seconds, then goes to a colleague with the same skills;
with the owner not ready the colleague gets it at once."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Rig, eventually
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

PREFER_SECONDS = 6
OWNED = "07700900123"      # Jane's number; alice is her account manager
STRANGER = "07700900999"
NAMED = {"overrides": [
    "agents=[{id: alice, name: Alice, skills: {sales: 5}, phone: sip}, "
    "{id: carol, name: Carol, skills: {sales: 3}, phone: sip}]",
    "queues=[{name: sales, media: [voice], required_skills: {sales: 1}, wrapup_seconds: 1, "
    f"prefer: [owner, last_agent], prefer_seconds: {PREFER_SECONDS}}}, "
    "{name: support, media: [voice], required_skills: {support: 1}}]",
]}


async def jane_owned_by_alice(rig: Rig) -> str:
    jane = await rig.call_api("POST", "/api/customers", "admin", json={
        "name": "Jane Doe", "identities": [{"kind": "phone", "value": OWNED}]})
    await rig.call_api("PATCH", f"/api/customers/{jane['id']}", "sam",
                       json={"owner": "alice"})
    return jane["id"]


async def agents_on_phones(rig: Rig) -> None:
    for agent in ("alice", "carol"):
        await rig.start_phone(agent)
        await rig.open_feed(agent)


def offers_of(rig: Rig, agent: str, caller: str) -> list[dict]:
    return [o for o in rig.feeds[agent].offers() if o["caller_number"]
            and o["caller_number"].endswith(caller[1:])]


def jane_calls(rig: Rig, hold_ms: int = 3000):  # type: ignore[no-untyped-def]
    """Jane presses 1 (sales) and hangs up ``hold_ms`` after her last step, answered or
    not."""
    return rig.place_call(CallerScript(digits="1", hold_ms=hold_ms), caller=OWNED)


@pytest.mark.parametrize("rig", [NAMED], indirect=True)
async def test_given_owner_ready_when_customer_calls_then_offered_to_owner_with_why(
        rig: Rig) -> None:
    await jane_owned_by_alice(rig)
    await agents_on_phones(rig)
    await rig.login("carol")          # carol idle longest: she would get it without owners
    await rig.login("alice")
    caller = await jane_calls(rig)
    offer = (await eventually(lambda: offers_of(rig, "alice", OWNED), 25,
                              "Jane's call offered to alice"))[0]
    assert offer["why"] == "you are this customer's account manager"
    assert offer["customer"]["name"] == "Jane Doe"
    assert offers_of(rig, "carol", OWNED) == []
    assert await caller.wait(40) == 0, caller.errors()


@pytest.mark.parametrize("rig", [NAMED], indirect=True)
async def test_given_owner_busy_when_customer_calls_then_waits_prefer_seconds_then_colleague(
        rig: Rig) -> None:
    await jane_owned_by_alice(rig)
    await agents_on_phones(rig)
    await rig.login("alice")
    # alice takes a stranger's call (carol not logged in yet), and is busy on it
    stranger = await rig.place_call(CallerScript(digits="1", hold_ms=25000),
                                    caller=STRANGER)
    await eventually(lambda: offers_of(rig, "alice", STRANGER), 25, "the stranger to alice")

    async def alice_busy() -> bool:
        return await rig.agent_state("alice") == "busy"
    await eventually(alice_busy, 15, "alice busy on the stranger's call")
    await rig.login("carol")
    caller = await jane_calls(rig, hold_ms=PREFER_SECONDS * 1000 + 10000)  # she waits
    offer = (await eventually(lambda: offers_of(rig, "carol", OWNED), 30,
                              "Jane's call offered to carol once the preference ended"))[0]
    # it waited for alice for the preference time (the offer says how long it waited)
    assert offer["wait_seconds"] >= PREFER_SECONDS - 0.5, offer["wait_seconds"]
    assert offer["why"] is None
    assert offers_of(rig, "alice", OWNED) == []
    assert await caller.wait(40) == 0, caller.errors()
    await stranger.stop()


@pytest.mark.parametrize("rig", [NAMED], indirect=True)
async def test_given_owner_not_ready_when_customer_calls_then_colleague_at_once(
        rig: Rig) -> None:
    await jane_owned_by_alice(rig)
    await agents_on_phones(rig)
    await rig.login("alice")
    await rig.call_api("POST", "/api/agents/alice/not-ready", "alice",
                       json={"reason": "break"})
    await rig.login("carol")
    caller = await jane_calls(rig)
    offer = (await eventually(lambda: offers_of(rig, "carol", OWNED), 25,
                              "Jane's call offered to carol"))[0]
    assert offer["wait_seconds"] < 2, offer["wait_seconds"]   # nobody waited for alice
    assert await caller.wait(40) == 0, caller.errors()
