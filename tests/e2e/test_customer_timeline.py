"""One customer across calls, end to end on a real Asterisk: two calls from the same number
written in two formats land on one customer; after the agent notes and dispositions the
first, the second call's screen pop and the customer's timeline show both calls."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Rig, eventually
from tests.e2e.test_first_journey import ready_agents, stored
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

DISPOSITIONS = "dispositions={default: [resolved, sale, no_sale]}"


@pytest.mark.parametrize("rig", [{"overrides": [DISPOSITIONS]}], indirect=True)
async def test_given_two_calls_from_one_number_in_two_formats_then_one_customer_timeline(
        rig: Rig) -> None:
    await ready_agents(rig, "alice")
    first = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=3000),
                                 caller="07700900123")
    offer1 = (await eventually(rig.feeds["alice"].offers, 20, "first screen pop"))[0]
    customer_id = offer1["customer"]["id"]
    assert await first.wait(30) == 0, first.errors()
    call1 = offer1["interaction_id"]
    await stored(rig, call1, "alice")

    # the agent notes and dispositions the first call; a value off the list is refused
    note = await rig.call_api("POST", f"/api/interactions/{call1}/notes", "alice",
                              json={"text": "wants the premium plan; call back Friday"})
    assert note["author"] == "alice"
    async with rig.http.put(f"{rig.api}/api/interactions/{call1}/disposition",
                            headers=rig.auth("alice"), json={"disposition": "maybe"}) as r:
        assert (r.status, (await r.json())["error"]) == (400, "bad_disposition")
    await rig.call_api("PUT", f"/api/interactions/{call1}/disposition", "alice",
                       json={"disposition": "sale"})

    second = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=3000),
                                  caller="+447700900123")
    offers = await eventually(lambda: rig.feeds["alice"].offers()[1:], 30,
                              "second screen pop")
    pop = offers[0]["customer"]
    assert pop["id"] == customer_id
    assert pop["identities"] == [{"kind": "phone", "value": "+447700900123"}]
    assert [(h["id"], h["disposition"]) for h in pop["history"]] == [(call1, "sale")]
    assert [n["text"] for n in pop["history"][0]["notes"]] == [
        "wants the premium plan; call back Friday"]
    assert pop["last_by_medium"]["voice"]["id"] == call1
    assert await second.wait(30) == 0, second.errors()
    call2 = offers[0]["interaction_id"]
    await stored(rig, call2, "alice")

    found = await rig.call_api("GET", "/api/customers?identity=07700%20900123", "alice")
    assert found["id"] == customer_id
    page = await rig.call_api("GET", f"/api/customers/{customer_id}/timeline", "alice")
    assert [i["id"] for i in page["items"]] == [call2, call1]
    newest, oldest = page["items"]
    assert [i["medium"] for i in page["items"]] == ["voice", "voice"]
    assert (oldest["disposition"], newest["disposition"]) == ("sale", None)
    assert [n["author"] for n in oldest["notes"]] == ["alice"]
    assert newest["from_address"] == "+447700900123"
    assert oldest["from_address"] == "07700900123"
    for item in page["items"]:
        assert item["agent_id"] == "alice" and item["queue"] == "sales"
        assert item["details"]["ivr_path"] == ["main:1"]
        assert item["details"]["hung_up_by"] == "caller"
        assert item["details"]["talk_seconds"] > 0
        assert item["summary"].startswith(f"Call from {item['from_address']}; IVR main:1; "
                                          "answered by alice")
    # bob never worked with this customer: he may find the record but not read its history
    async with rig.http.get(f"{rig.api}/api/customers/{customer_id}/timeline",
                            headers=rig.auth("bob")) as r:
        assert (r.status, (await r.json())["error"]) == (403, "forbidden")
