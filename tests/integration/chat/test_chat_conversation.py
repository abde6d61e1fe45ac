"""A visitor's chat reaches an agent with chat capacity; they talk both ways, every message
stored (in order) before it is acknowledged; one agent holds up to capacity chats at once."""

from __future__ import annotations

from tests.integration.chat.harness import ChatRig


async def test_given_visitor_chat_when_agent_accepts_then_messages_flow_both_ways_and_persist(
        rig: ChatRig) -> None:
    await rig.login("alice")
    feed = await rig.feed("alice")
    visitor = await rig.visitor(name="Ann")
    socket = visitor.socket
    assert socket is not None
    hello = socket.of("hello")[0]
    assert (hello["chat_id"], hello["state"], hello["messages"]) == (visitor.chat_id,
                                                                     "waiting", [])
    offer = await feed.wait("offer", "alice's screen pop")
    assert (offer["interaction_id"], offer["medium"], offer["queue"]) == (
        visitor.chat_id, "chat", "sales")
    assert offer["details"]["visitor"] == "Ann"
    assert offer["caller_name"] == "Ann"

    await socket.send({"type": "message", "text": "Hello, anyone there?", "client_id": "m1"})
    ack = await socket.wait("ack")
    stored = await rig.messages.get(ack["id"])
    assert stored is not None and (stored["body"], stored["direction"],
                                   stored["interaction_id"]) == (
        "Hello, anyone there?", "in", visitor.chat_id)
    first = await feed.wait("chat_message", "the visitor's message on alice's feed")
    assert (first["interaction_id"], first["from"], first["text"]) == (
        visitor.chat_id, "visitor", "Hello, anyone there?")

    await rig.accept("alice", visitor.chat_id)
    joined = await socket.wait("agent_joined")
    assert joined["agent"] == "Alice"
    reply = await rig.say("alice", visitor.chat_id, "Hi Ann, how can I help?")
    got = await socket.wait("message", "alice's reply at the visitor")
    assert (got["from"], got["text"], got["id"], got["agent"]) == (
        "agent", "Hi Ann, how can I help?", reply["id"], "Alice")
    await socket.send({"type": "message", "text": "My order is late", "client_id": "m2"})
    await socket.wait("ack", count=2)
    await feed.wait("chat_message", count=2)
    await rig.say("alice", visitor.chat_id, "Let me look.")
    await socket.wait("message", count=2)

    status, body = await rig.api("GET", f"/api/interactions/{visitor.chat_id}/messages",
                                 "alice")
    assert status == 200
    assert [(m["from"], m["text"]) for m in body["messages"]] == [
        ("visitor", "Hello, anyone there?"), ("agent", "Hi Ann, how can I help?"),
        ("visitor", "My order is late"), ("agent", "Let me look.")]
    ids = [m["id"] for m in body["messages"]]
    assert ids == sorted(ids)
    # another agent sees nothing of it; a supervisor does
    status, body = await rig.api("GET", f"/api/interactions/{visitor.chat_id}/messages",
                                 "bob")
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await rig.api("GET", f"/api/interactions/{visitor.chat_id}/messages",
                                 "sam")
    assert status == 200 and len(body["messages"]) == 4


async def test_given_resent_message_with_same_client_id_then_stored_once(
        rig: ChatRig) -> None:
    visitor = await rig.visitor()
    assert visitor.socket is not None
    for _ in range(2):
        await visitor.socket.send({"type": "message", "text": "once", "client_id": "same"})
    first, second = [await visitor.socket.wait("ack", count=n) for n in (1, 2)]
    assert first["id"] == second["id"]
    assert len(await rig.messages.for_interaction(visitor.chat_id)) == 1


async def test_given_agent_with_chat_capacity_3_then_three_chats_at_once_and_fourth_waits(
        rig: ChatRig) -> None:
    await rig.login("alice")
    feed = await rig.feed("alice")
    visitors = [await rig.visitor(name=f"V{i}") for i in range(4)]
    await feed.wait("offer", "three offers", count=3)
    offered = [o["interaction_id"] for o in feed.of("offer")]
    assert offered == [v.chat_id for v in visitors[:3]]
    for v in visitors[:3]:
        await rig.accept("alice", v.chat_id)
    assert await rig.slots("alice") == {v.chat_id: "busy" for v in visitors[:3]}
    status, queue = await rig.api("GET", "/api/queues/sales", "alice")
    assert (status, queue["waiting"]) == (200, 1)
    assert [i["id"] for i in queue["interactions"]] == [visitors[3].chat_id]
    # the three conversations stay apart
    for i, v in enumerate(visitors[:3]):
        await rig.say("alice", v.chat_id, f"to V{i}")
    for i, v in enumerate(visitors[:3]):
        assert v.socket is not None
        got = await v.socket.wait("message")
        assert got["text"] == f"to V{i}"
    assert visitors[3].socket is not None and not visitors[3].socket.of("message")
    # one ends: the fourth is offered to alice
    status, _ = await rig.api("POST", f"/api/interactions/{visitors[0].chat_id}/close",
                              "alice", json={"reason": "resolved"})
    assert status == 200
    fourth = await feed.wait("offer", "the fourth chat offered", count=4)
    assert fourth["interaction_id"] == visitors[3].chat_id
    assert (await rig.slots("alice"))[visitors[3].chat_id] == "offered"


async def test_given_visitor_with_phone_then_chat_linked_to_customer_with_that_number(
        rig: ChatRig) -> None:
    known = await rig.customers.get_or_create_by_identity("phone", "+447700900123",
                                                          name="Ann Known")
    await rig.customers.update_profile(known["id"], tier="key_account")
    await rig.login("alice")
    feed = await rig.feed("alice")
    first = await rig.visitor(name="Ann", phone="07700 900123", email="Ann@Example.com")
    offer = await feed.wait("offer")
    assert offer["customer"]["id"] == known["id"]
    identities = {(i["kind"], i["value"]) for i in offer["customer"]["identities"]}
    assert identities == {("phone", "+447700900123"), ("email", "ann@example.com")}
    live = await rig.dispatcher.live_interaction(first.chat_id)
    assert live.customer_id == known["id"]
    assert live.attributes["caller_number"] == "+447700900123"
    assert live.attributes["customer_tier"] == "key_account"  # key-account rules apply
    # the transcript is in the customer's history: the next chat's pop shows the first
    await rig.accept("alice", first.chat_id)
    assert first.socket is not None
    await first.socket.send({"type": "message", "text": "first chat", "client_id": "a"})
    await first.socket.wait("ack")
    await rig.say("alice", first.chat_id, "answered")
    await first.socket.send({"type": "end"})
    await first.socket.wait("ended")
    await rig.visitor(email="ann@example.com")
    second = await feed.wait("offer", count=2)
    assert second["customer"]["id"] == known["id"]
    assert [h["id"] for h in second["customer"]["history"]] == [first.chat_id]
    earlier = second["customer"]["history"][0]
    assert (earlier["medium"], earlier["summary"], earlier["details"]["messages"]) == (
        "chat", "Chat: first chat", 2)
    history = await rig.customers.history(known["id"])
    assert first.chat_id in [h["id"] for h in history]
    status, body = await rig.api("GET", f"/api/interactions/{first.chat_id}/messages",
                                 "alice")
    assert status == 200
    assert [m["text"] for m in body["messages"]] == ["first chat", "answered"]


async def test_given_invalid_phone_then_400_and_no_chat(rig: ChatRig) -> None:
    status, body = await rig.api("POST", "/chat/sessions", json={"phone": "12"})
    assert (status, body["error"]) == (400, "invalid_identity")
    assert len(rig.chat.sessions) == 0
    assert not await rig.dispatcher.state.waiting()
