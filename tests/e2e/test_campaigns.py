"""Campaigns on the whole engine (docs/campaigns.md): a supervisor defines a campaign (an
email, then calls), lists customers from a CSV and starts it; one customer opens a chat and
their campaign ends, every pending step cancelled, while the other's goes on. Mistakes in a
definition or a list are refused naming the key or each line, and nothing is half-made."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import CHAT_SITE, Rig, eventually

pytestmark = pytest.mark.asterisk

CAMPAIGNS = {"overrides": [
    "agents=[{id: alice, name: Alice, skills: {sales: 5}, capacity: {voice: 1, chat: 2}, "
    "phone: sip}]",
    "queues=[{name: sales, media: [voice, chat, callback], required_skills: {sales: 1}}, "
    "{name: support, media: [voice], required_skills: {support: 1}}]",
    f"chat={{allowed_origins: ['{CHAT_SITE}'], entry_points: {{web: sales}}}}",
    "trunks=[{name: carrier, type: ip, host: 127.0.0.1, port: 9, "
    "match: ['127.0.0.1:9'], dids: {'442079460100': '5000'}}]",
    "campaigns=" + json.dumps({"from": "Shop <news@shop.test>", "templates": {
        "spring": {"subject": "Spring offer for {{ name }}",
                   "text": "Hello {{ name }}, ..."}}}),
]}
SPEC: dict[str, Any] = {
    "name": "spring", "queue": "sales",
    "steps": [{"channel": "email", "template": "spring"},
              {"channel": "phone", "after_hours": 72, "attempts": 3}]}
LIST = (b"phone,email,name\n07700900101,jane@example.org,Jane\n"
        b"07700900102,kim@example.org,Kim\n")


async def answer(rig: Rig, method: str, path: str, user: str, **kw: Any) -> tuple[int, Any]:
    headers = {**kw.pop("headers", {}), **rig.auth(user)}
    async with rig.http.request(method, f"{rig.api}{path}", headers=headers, **kw) as r:
        return r.status, await r.json()


@pytest.mark.parametrize("rig", [CAMPAIGNS], indirect=True)
async def test_given_running_campaign_when_customer_chats_then_their_steps_stop(
        rig: Rig) -> None:
    campaign = await rig.call_api("POST", "/api/campaigns", "sam", json=SPEC)
    assert (campaign["state"], campaign["spec"]["steps"][1]["retry_minutes"]) == (
        "draft", 60.0)
    path = f"/api/campaigns/{campaign['id']}"
    report = await rig.call_api("POST", f"{path}/targets", "sam", data=LIST,
                                headers={"Content-Type": "text/csv"})
    assert report["added"] == 2
    await rig.call_api("POST", f"{path}/state", "sam", json={"state": "running"})
    jane = await rig.call_api("GET", "/api/customers", "sam",
                              params={"identity": "jane@example.org"})

    async def on_calls() -> bool:   # nobody opted in to marketing email: step 0 skipped
        targets = (await rig.call_api("GET", f"{path}/targets", "sam"))["targets"]
        return all(t["step"] == 1 and t["state"] == "pending" for t in targets)
    await eventually(on_calls, 15, "the email step skipped for both")
    async with rig.visitor_chat(name="Jane", email="jane@example.org", message="About "
                                "your spring offer: yes please"):
        async def ended() -> list[dict[str, Any]]:
            targets = (await rig.call_api("GET", f"{path}/targets", "sam"))["targets"]
            return [t for t in targets if t["state"] == "responded"]
        [responded] = await eventually(ended, 15, "jane's campaign ended by her chat")
    assert (responded["customer_id"], responded["next_at"]) == (jane["id"], None)
    progress = (await rig.call_api("GET", path, "sam"))["progress"]
    assert (progress["by_state"]["responded"], progress["by_state"]["pending"]) == (1, 1)
    assert progress["steps"][0]["outcomes"] == {"skipped": 2}
    assert [s["pending"] for s in progress["steps"]] == [0, 1]   # kim's call is next
    chat = await rig.call_api("GET", f"/api/interactions/{responded['response_interaction']}",
                              "sam")
    assert (chat["medium"], chat["customer_id"]) == ("chat", jane["id"])

    await rig.call_api("POST", f"{path}/state", "sam", json={"state": "finished"})
    status, body = await answer(rig, "POST", f"{path}/state", "sam",
                                json={"state": "running"})
    assert (status, body["error"]) == (409, "campaign_conflict")


@pytest.mark.parametrize("rig", [CAMPAIGNS], indirect=True)
async def test_given_bad_definitions_and_lists_then_refused_and_nothing_made(
        rig: Rig) -> None:
    for change, key in (({"queue": "billing"}, "queue"),
                        ({"steps": [{"channel": "email", "template": "autumn"}]},
                         "steps[0].template"),
                        ({"trunk": "other"}, "trunk")):
        status, body = await answer(rig, "POST", "/api/campaigns", "sam",
                                    json={**SPEC, **change})
        assert (status, body["error"], body["key"]) == (400, "bad_campaign", key), change
    assert (await answer(rig, "POST", "/api/campaigns", "alice", json=SPEC))[0] == 403
    campaign = await rig.call_api("POST", "/api/campaigns", "sam", json=SPEC)
    path = f"/api/campaigns/{campaign['id']}/targets"
    bad = b"phone,email\n07700900201,\nnot-a-number,\n07700900201,\n"
    status, body = await answer(rig, "POST", path, "sam", data=bad,
                                headers={"Content-Type": "text/csv"})
    assert (status, body["error"]) == (400, "bad_csv")
    assert [e["line"] for e in body["errors"]] == [3, 4]
    assert (await rig.call_api("GET", path, "sam"))["targets"] == []
    status, _ = await answer(rig, "GET", "/api/customers", "sam",
                             params={"identity": "07700900201"})
    assert status == 404                                   # no customer half-made
    assert (await answer(rig, "POST", "/api/campaigns", "sam", json=SPEC))[0] == 409
