"""Every way a chat ends leaves things clean: the agent goes to wrap-up (or the offer is
withdrawn), the visitor is told, nothing of it stays in live state, the token opens
nothing; a visitor who drops and comes back within the grace period resumes the chat."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.channels.chat.channel import ChatEnded
from tests.integration.chat.harness import ChatRig, Visitor, eventually


async def accepted_chat(rig: ChatRig) -> Visitor:
    await rig.login("alice")
    visitor = await rig.visitor(name="Ann")
    await eventually(lambda: rig.slots("alice"), what="the offer to alice")
    await rig.accept("alice", visitor.chat_id)
    assert visitor.socket is not None
    await visitor.socket.wait("agent_joined")
    return visitor


async def stored_ended(rig: ChatRig, chat_id: str) -> dict[str, Any] | None:
    stored = await rig.recorder.get(chat_id)
    return stored if stored is not None and stored["status"] == "ended" else None


async def assert_clean_end(rig: ChatRig, visitor: Visitor, reason: str,
                           hung_up_by: str) -> None:
    assert visitor.socket is not None
    ended = await visitor.socket.wait("ended", "the visitor told the chat ended")
    assert ended["reason"] == reason
    await visitor.socket.closed()
    assert rig.chat.sessions.get(visitor.chat_id) is None
    assert visitor.chat_id not in await rig.live_ids()
    assert await rig.dispatcher.state.get_interaction(visitor.chat_id) is None
    stored = await rig.recorder.get(visitor.chat_id)
    assert stored is not None
    assert (stored["status"], stored["hung_up_by"]) == ("ended", hung_up_by)
    assert stored["timestamps"]["ended"] is not None
    # the token opens nothing now
    again = await rig.http.ws_connect(f"{rig.base}/chat/ws?token={visitor.token}")
    frame = await again.receive_json(timeout=5)
    assert frame["error"] == "chat_not_found"
    await again.receive(timeout=5)
    assert again.close_code == 4404
    await again.close()


@pytest.mark.parametrize("rig", [{"wrapup_seconds": 30}], indirect=True)
async def test_given_accepted_chat_when_agent_closes_then_wrap_up_and_visitor_told(
        rig: ChatRig) -> None:
    visitor = await accepted_chat(rig)
    feed = await rig.feed("alice")
    session = rig.chat.sessions.get(visitor.chat_id)
    assert session is not None
    status, _ = await rig.api("POST", f"/api/interactions/{visitor.chat_id}/close", "alice",
                              json={"reason": "resolved"})
    assert status == 200
    assert await rig.slots("alice") == {visitor.chat_id: "wrap_up"}
    await assert_clean_end(rig, visitor, "agent_closed", "agent")
    assert not feed.of("chat_ended")  # the agent closed it: nothing to tell them
    status, body = await rig.api("POST", f"/api/interactions/{visitor.chat_id}/messages",
                                 "alice", json={"text": "too late"})
    assert (status, body["error"]) == (404, "interaction_not_found")
    # a visitor message racing the end is refused, not stored after it
    with pytest.raises(ChatEnded):
        await rig.chat.visitor_message(session, "late", "late-1")
    assert await rig.messages.for_interaction(visitor.chat_id) == []


@pytest.mark.parametrize("rig", [{"wrapup_seconds": 30}], indirect=True)
async def test_given_accepted_chat_when_visitor_ends_then_agent_wraps_up_and_is_told(
        rig: ChatRig) -> None:
    visitor = await accepted_chat(rig)
    feed = await rig.feed("alice")
    assert visitor.socket is not None
    await visitor.socket.send({"type": "end"})
    await assert_clean_end(rig, visitor, "visitor_ended", "caller")
    told = await feed.wait("chat_ended")
    assert (told["interaction_id"], told["reason"]) == (visitor.chat_id, "visitor_ended")
    assert await rig.slots("alice") == {visitor.chat_id: "wrap_up"}


@pytest.mark.parametrize("rig", [{"chat": {"reconnect_grace": 0.5}, "wrapup_seconds": 30}],
                         indirect=True)
async def test_given_visitor_gone_past_grace_then_chat_ends_as_visitor_left(
        rig: ChatRig) -> None:
    visitor = await accepted_chat(rig)
    feed = await rig.feed("alice")
    assert visitor.socket is not None
    await visitor.socket.close()
    told = await feed.wait("chat_ended", "the chat ended after the grace period")
    assert told["reason"] == "visitor_left"
    assert await rig.slots("alice") == {visitor.chat_id: "wrap_up"}
    assert rig.chat.sessions.get(visitor.chat_id) is None
    assert visitor.chat_id not in await rig.live_ids()
    stored = await rig.recorder.get(visitor.chat_id)
    assert stored is not None and stored["hung_up_by"] == "caller"


@pytest.mark.parametrize("rig", [{"chat": {"reconnect_grace": 0.5}}], indirect=True)
async def test_given_waiting_visitor_gone_past_grace_then_chat_leaves_queue(
        rig: ChatRig) -> None:
    visitor = await rig.visitor()
    assert [i.id for i in await rig.dispatcher.state.waiting()] == [visitor.chat_id]
    assert visitor.socket is not None
    await visitor.socket.close()
    stored = await eventually(lambda: stored_ended(rig, visitor.chat_id), what="the end")
    assert rig.chat.sessions.get(visitor.chat_id) is None
    assert not await rig.dispatcher.state.waiting()
    assert [e["kind"] for e in stored["events"]][-1] == "cancelled"


@pytest.mark.parametrize("rig", [{"chat": {"reconnect_grace": 0.5}}], indirect=True)
async def test_given_visitor_never_connects_then_chat_ends_after_grace(rig: ChatRig) -> None:
    visitor = await rig.start_chat()
    stored = await eventually(lambda: stored_ended(rig, visitor.chat_id), what="the end")
    assert stored["hung_up_by"] == "caller"
    assert rig.chat.sessions.get(visitor.chat_id) is None
    assert visitor.chat_id not in await rig.live_ids()


@pytest.mark.parametrize("rig", [{"wrapup_seconds": 30}], indirect=True)
async def test_given_offered_chat_when_visitor_ends_then_offer_withdrawn_without_penalty(
        rig: ChatRig) -> None:
    await rig.login("alice")
    feed = await rig.feed("alice")
    visitor = await rig.visitor()
    await feed.wait("offer")
    assert visitor.socket is not None
    await visitor.socket.send({"type": "end"})
    told = await feed.wait("chat_ended")
    assert told["reason"] == "visitor_ended"
    assert await rig.slots("alice") == {}
    assert (await rig.dispatcher.agent_view("alice"))["state"] == "available"
    assert visitor.chat_id not in await rig.live_ids()


@pytest.mark.parametrize("rig", [{"chat": {"idle_timeout": 1}, "wrapup_seconds": 30}],
                         indirect=True)
async def test_given_no_message_for_idle_timeout_then_chat_ends_and_agent_wraps_up(
        rig: ChatRig) -> None:
    visitor = await accepted_chat(rig)
    feed = await rig.feed("alice")
    await assert_clean_end(rig, visitor, "idle_timeout", "system")
    told = await feed.wait("chat_ended")
    assert told["reason"] == "idle_timeout"
    assert await rig.slots("alice") == {visitor.chat_id: "wrap_up"}


@pytest.mark.parametrize("rig", [{"chat": {"reconnect_grace": 30}}], indirect=True)
async def test_given_visitor_drops_and_reconnects_then_same_chat_with_what_was_missed(
        rig: ChatRig) -> None:
    visitor = await accepted_chat(rig)
    assert visitor.socket is not None
    await visitor.socket.send({"type": "message", "text": "before", "client_id": "b"})
    await visitor.socket.wait("ack")
    await visitor.socket.close()
    await eventually(lambda: not rig.chat.sessions.get(visitor.chat_id).sockets,  # type: ignore[union-attr]
                     what="the engine noticed the drop")
    await rig.say("alice", visitor.chat_id, "while you were away")
    socket = await rig.connect(visitor)
    hello = socket.of("hello")[0]
    assert (hello["chat_id"], hello["state"], hello["agent"]) == (visitor.chat_id, "active",
                                                                  "Alice")
    assert [(m["from"], m["text"]) for m in hello["messages"]] == [
        ("visitor", "before"), ("agent", "while you were away")]
    await socket.send({"type": "message", "text": "back again", "client_id": "c"})
    await socket.wait("ack")
    await rig.say("alice", visitor.chat_id, "welcome back")
    assert (await socket.wait("message"))["text"] == "welcome back"
    assert (await rig.slots("alice")) == {visitor.chat_id: "busy"}
