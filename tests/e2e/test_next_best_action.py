"""Next-best-action on the whole engine: a key account opens a chat and writes that they
want to cancel; the chat is classified cancel by its first message; when alice takes it,
the pop carries the rule's prompt (offer the loyalty discount), the desk's API records what
she did with it, and a customer of the standard tier gets no such prompt."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import CHAT_SITE, Rig, eventually

pytestmark = pytest.mark.asterisk

INTENTS = {"threshold": 0.5, "definitions": [
    {"name": "cancel", "examples": [
        "I want to cancel my subscription", "please close my account",
        "cancel my contract at the end of the month", "I am leaving, how do I cancel",
        "stop my membership", "terminate my plan please"]},
    {"name": "delivery", "examples": [
        "where is my parcel", "my order has not arrived", "the courier never came",
        "tracking says delivered but nothing is here", "when will my order ship",
        "the delivery is late again"]}]}
RULES = [{"name": "keep_key_account", "when": {"intent": "cancel", "tier": "key_account"},
          "prompt": "Offer the loyalty discount", "article": "loyalty-discount"}]
NBA = {"overrides": [
    "agents=[{id: alice, name: Alice, skills: {sales: 5}, capacity: {voice: 1, chat: 2}, "
    "phone: sip}]",
    "queues=[{name: sales, media: [voice, chat], required_skills: {sales: 1}, "
    "wrapup_seconds: 1}, {name: support, media: [voice], required_skills: {support: 1}}]",
    f"chat={{allowed_origins: ['{CHAT_SITE}'], entry_points: {{web: sales}}}}",
    f"intents={json.dumps(INTENTS)}",
    f"next_best_action={json.dumps(RULES)}",
]}


async def chat_offer(rig: Rig, email: str, text: str) -> dict[str, Any]:
    """A visitor with this email chats and writes ``text``; then alice logs in and is
    offered the chat (so its pop knows the first message's intent)."""
    async with rig.visitor_chat(name="Visitor", email=email) as (_, ws):
        await ws.send_json({"type": "message", "text": text, "client_id": "1"})
        while (await ws.receive_json(timeout=10))["type"] != "ack":
            pass
        await rig.login("alice")
        return (await eventually(lambda: rig.feeds["alice"].offers(), 20, "the offer"))[0]


@pytest.mark.parametrize("rig", [NBA], indirect=True)
async def test_given_key_account_wanting_to_cancel_then_prompt_in_pop_and_answer_recorded(
        rig: Rig) -> None:
    await eventually(lambda: rig.engine.intents.model, 30, "the classifier trained")
    await rig.call_api("POST", "/api/customers", "sam", json={
        "name": "Key Account", "tier": "key_account",
        "identities": [{"kind": "email", "value": "key@example.org"}]})
    await rig.open_feed("alice")
    offer = await chat_offer(rig, "key@example.org", "I want to cancel my subscription")
    assert offer["intent"]["name"] == "cancel"
    assert offer["customer"]["prompts"] == [{"rule": "keep_key_account",
                                             "prompt": "Offer the loyalty discount",
                                             "article": "loyalty-discount"}]
    iid = offer["interaction_id"]
    await rig.call_api("POST", f"/api/interactions/{iid}/accept", "alice")
    answered = await rig.call_api("POST", f"/api/interactions/{iid}/prompts/keep_key_account",
                                  "alice", json={"outcome": "accepted"})
    assert answered["outcome"] == "accepted"
    record = await rig.call_api("GET", f"/api/interactions/{iid}", "sam")
    assert [(e["data"]["rule"], e["data"]["outcome"], e["data"]["by"])
            for e in record["events"] if e["kind"] == "prompt"] == [
        ("keep_key_account", "accepted", "alice")]


@pytest.mark.parametrize("rig", [NBA], indirect=True)
async def test_given_standard_customer_wanting_to_cancel_then_no_prompt(rig: Rig) -> None:
    await eventually(lambda: rig.engine.intents.model, 30, "the classifier trained")
    await rig.open_feed("alice")
    offer = await chat_offer(rig, "plain@example.org", "please close my account")
    assert offer["intent"]["name"] == "cancel"
    assert offer["customer"]["prompts"] == []
