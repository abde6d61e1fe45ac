"""A visitor asks for a callback from the chat: it is booked with the callback feature's real
requests (stored, placed in the queue at once) as a callback interaction (Medium.CALLBACK)
with the chat as its context, routed by the same dispatcher to an agent; without the
callback feature the visitor is told it is unavailable. The dialling itself is proven on
Asterisk in tests/e2e/test_callbacks.py."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.channels.work import WorkChannel
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from tests.integration.chat.harness import ChatRig


class CallbackChannel(WorkChannel):
    """The callback channel as the dispatcher sees it (its dialling: the e2e tests)."""

    medium = Medium.CALLBACK

    def __init__(self, dispatcher: Any) -> None:
        super().__init__(dispatcher)
        self.offers: list[tuple[str, str]] = []

    async def offered(self, interaction: Interaction, agent_id: str) -> None:
        self.offers.append((interaction.id, agent_id))


@pytest.mark.parametrize("rig", [{"extra_channels": (CallbackChannel,)}], indirect=True)
async def test_given_callback_channel_when_visitor_asks_then_callback_queued_with_chat_context(
        rig: ChatRig) -> None:
    await rig.login("alice")
    feed = await rig.feed("alice")
    visitor = await rig.visitor(name="Cal", email="cal@example.com")
    await feed.wait("offer")
    await rig.accept("alice", visitor.chat_id)
    socket = visitor.socket
    assert socket is not None
    await socket.send({"type": "callback", "number": "020 7946 0456", "client_id": "cb"})
    answer = await socket.wait("callback_requested")
    assert (answer["number"], answer["client_id"]) == ("+442079460456", "cb")

    told = await feed.wait("chat_callback_requested")
    callback_iid = told["callback_interaction"]
    assert (told["interaction_id"], told["number"]) == (visitor.chat_id, "+442079460456")
    # routed like any work: alice has callback capacity, so it is offered to her
    offer = await feed.wait("offer", "the callback's screen pop", count=2)
    assert (offer["interaction_id"], offer["medium"], offer["queue"]) == (
        callback_iid, "callback", "sales")
    assert (offer["details"]["callback_id"], offer["details"]["number"],
            offer["details"]["requested_via"]) == (told["callback_id"], "+442079460456",
                                                   "chat")
    channel = rig.dispatcher.channel(Medium.CALLBACK)
    assert isinstance(channel, CallbackChannel) and channel.offers == [(callback_iid, "alice")]
    callback = await rig.dispatcher.live_interaction(callback_iid)
    chat = await rig.dispatcher.live_interaction(visitor.chat_id)
    assert callback.medium == Medium.CALLBACK
    assert callback.attributes["callback"]["number"] == "+442079460456"
    assert callback.attributes["callback"]["from_interaction"] == visitor.chat_id
    assert callback.customer_id == chat.customer_id
    customer = await rig.customers.get(chat.customer_id or "")
    assert customer is not None
    assert {(i["kind"], i["value"]) for i in customer["identities"]} == {
        ("email", "cal@example.com"), ("phone", "+442079460456")}
    assert [e.kind for e in chat.events][-1] == "callback_requested"
    stored = await rig.recorder.get(callback_iid)
    assert stored is not None and stored["customer_id"] == chat.customer_id

    await socket.send({"type": "callback", "number": "020 7946 0457", "client_id": "cb2"})
    error = await socket.wait("error")
    assert (error["error"], error["client_id"]) == ("callback_already_requested", "cb2")


@pytest.mark.parametrize("rig", [{"extra_channels": (CallbackChannel,)}], indirect=True)
async def test_given_bad_number_then_error_frame_and_no_callback(rig: ChatRig) -> None:
    visitor = await rig.visitor()
    socket = visitor.socket
    assert socket is not None
    for n, number in enumerate(["12", 5, "", "9" * 41], start=1):
        await socket.send({"type": "callback", "number": number})
        error = await socket.wait("error", count=n)
        assert error["error"] in ("invalid_identity", "bad_number"), error
    await socket.send({"type": "callback", "number": "+33 1 23 45 67 89"})  # international
    refused = await socket.wait("error", count=5)
    assert refused["error"] == "number_refused", refused
    waiting = await rig.dispatcher.state.waiting()
    assert [i.medium for i in waiting] == [Medium.CHAT]


async def test_given_no_callback_channel_then_visitor_told_unavailable(rig: ChatRig) -> None:
    visitor = await rig.visitor()
    socket = visitor.socket
    assert socket is not None
    await socket.send({"type": "callback", "number": "+447700900456", "client_id": "cb"})
    error = await socket.wait("error")
    assert (error["error"], error["client_id"]) == ("callbacks_unavailable", "cb")
    assert [i.medium for i in await rig.dispatcher.state.waiting()] == [Medium.CHAT]
    # the chat itself goes on
    await socket.send({"type": "message", "text": "ok then", "client_id": "m"})
    await socket.wait("ack")
