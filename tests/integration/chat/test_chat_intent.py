"""A chat is classified by its first message (the intents part's hook): its intent is kept
on the live work and, while it waits, its route followed (here: a skill nobody has, so it
waits); a chat about something else is offered as before; later messages change nothing."""

from __future__ import annotations

import time

from ccengine.intents.apply import apply_intent
from ccengine.intents.service import IntentService
from ccengine.intents.settings import load_intents
from tests.integration.chat.harness import ChatRig

SETTINGS = load_intents({"definitions": [
    {"name": "billing", "route": {"skills": {"billing": 1}}, "examples": [
        "I was charged twice on my invoice", "my bill is wrong", "question about my invoice",
        "why is my bill so high this month", "refund the double charge on my invoice",
        "the invoice amount is wrong"]},
    {"name": "delivery", "examples": [
        "where is my parcel", "my order has not arrived", "the courier never came",
        "tracking says delivered but nothing here", "when will my order ship",
        "delivery is late again"]}]}, "test")


async def test_given_intents_when_first_message_then_classified_and_routed(
        rig: ChatRig) -> None:
    service = IntentService(SETTINGS)
    await service.retrain()
    rig.chat.classify = lambda interaction, text: apply_intent(
        interaction, service.classify(text), service.settings, rig.dispatcher.queues,
        time.time())
    billing = await rig.visitor(name="Ann")
    assert billing.socket is not None
    await billing.socket.send({"type": "message", "text": "I was charged twice on my invoice",
                               "client_id": "1"})
    await billing.socket.wait("ack")
    live = await rig.dispatcher.live_interaction(billing.chat_id)
    assert live.attributes["intent"]["name"] == "billing"
    assert live.required_skills == {"billing": 1}
    assert [e.data["intent"] for e in live.events if e.kind == "classified"] == ["billing"]
    await billing.socket.send({"type": "message", "text": "where is my parcel?",
                               "client_id": "2"})
    await billing.socket.wait("ack", count=2)
    again = await rig.dispatcher.live_interaction(billing.chat_id)
    assert again.attributes["intent"]["name"] == "billing"   # the first message decides

    await rig.login("alice")                     # alice has no billing skill
    feed = await rig.feed("alice")
    parcel = await rig.visitor(name="Bo")
    assert parcel.socket is not None
    await parcel.socket.send({"type": "message", "text": "My parcel has not arrived",
                              "client_id": "1"})
    await parcel.socket.wait("ack")
    offer = await feed.wait("offer", "the parcel chat offered")
    assert offer["interaction_id"] == parcel.chat_id
    assert [o["interaction_id"] for o in feed.of("offer")] == [parcel.chat_id]
