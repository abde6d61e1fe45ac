"""Bad input gets a clear error and loses nothing: markup is delivered inert, bad frames
and oversized or malformed messages get an error frame and the chat goes on; origins,
tokens, rates and sizes are checked."""

from __future__ import annotations

import pytest

from tests.integration.chat.harness import SITE, ChatRig, Visitor, eventually

SCRIPT = '<script>alert("x")</script><img src=x onerror="alert(1)"> & "quotes"'


async def accepted(rig: ChatRig) -> tuple[Visitor, object]:
    await rig.login("alice")
    feed = await rig.feed("alice")
    visitor = await rig.visitor()
    await feed.wait("offer")
    await rig.accept("alice", visitor.chat_id)
    return visitor, feed


async def test_given_markup_in_messages_then_stored_as_given_and_delivered_inert(
        rig: ChatRig) -> None:
    visitor, feed = await accepted(rig)
    socket = visitor.socket
    assert socket is not None
    await socket.send({"type": "message", "text": SCRIPT, "client_id": "x1"})
    ack = await socket.wait("ack")
    stored = await rig.messages.get(ack["id"])
    assert stored is not None and stored["body"] == SCRIPT
    got = await feed.wait("chat_message")  # type: ignore[attr-defined]
    assert got["text"] == SCRIPT
    assert "<" not in got["html"] and ">" not in got["html"]
    assert got["html"].startswith("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img")
    await rig.say("alice", visitor.chat_id, "<b>bold?</b>\nline two")
    reply = await socket.wait("message")
    assert reply["text"] == "<b>bold?</b>\nline two"
    assert reply["html"] == "&lt;b&gt;bold?&lt;/b&gt;<br>line two"
    status, body = await rig.api("GET", f"/api/interactions/{visitor.chat_id}/messages",
                                 "alice")
    assert status == 200
    assert [m["html"] for m in body["messages"]] == [got["html"], reply["html"]]


@pytest.mark.parametrize("rig", [{"chat": {"max_message_chars": 50}}], indirect=True)
async def test_given_bad_frames_then_error_frames_and_nothing_lost(rig: ChatRig) -> None:
    visitor, feed = await accepted(rig)
    socket = visitor.socket
    assert socket is not None
    await socket.send({"type": "message", "text": "first", "client_id": "ok1"})
    await socket.wait("ack")
    bad = [
        ("{not json", "bad_frame", None),
        ("[1, 2]", "bad_frame", None),
        ({"type": "shout", "text": "hi"}, "unknown_type", None),
        ({"type": "message", "client_id": "b1"}, "bad_text", "b1"),
        ({"type": "message", "text": "   ", "client_id": "b2"}, "bad_text", "b2"),
        ({"type": "message", "text": 42, "client_id": "b3"}, "bad_text", "b3"),
        ({"type": "message", "text": "x" * 51, "client_id": "b4"}, "message_too_long", "b4"),
        ({"type": "message", "text": "bell\x07", "client_id": "b5"}, "control_characters",
         "b5"),
        ({"type": "message", "text": "evil\u202eexe.txt", "client_id": "b6"},
         "control_characters", "b6"),
        ({"type": "message", "text": "hi", "client_id": "spaces are bad"}, "bad_frame", None),
    ]
    for n, (frame, code, client_id) in enumerate(bad, start=1):
        await socket.send(frame)
        error = await socket.wait("error", f"error frame {n} ({code})", count=n)
        assert error["error"] == code, (frame, error)
        assert error["message"]
        assert error.get("client_id") == client_id
    await socket.ws.send_bytes(b"\x00\x01")
    error = await socket.wait("error", count=len(bad) + 1)
    assert error["error"] == "bad_frame"
    # the chat goes on, and only the good messages exist
    await socket.send({"type": "message", "text": "tabs\tand\r\nnew lines are fine",
                       "client_id": "ok2"})
    await socket.wait("ack", count=2)
    stored = await rig.messages.for_interaction(visitor.chat_id)
    assert [m["body"] for m in stored] == ["first", "tabs\tand\r\nnew lines are fine"]
    assert len(feed.of("chat_message")) == 2  # type: ignore[attr-defined]
    assert not socket.ws.closed


@pytest.mark.parametrize("rig", [{"chat": {"max_message_chars": 50}}], indirect=True)
async def test_given_bad_agent_messages_then_4xx_and_nothing_stored(rig: ChatRig) -> None:
    visitor, _ = await accepted(rig)
    path = f"/api/interactions/{visitor.chat_id}/messages"
    for body, status, code in [({"text": "y" * 51}, 400, "message_too_long"),
                               ({"text": ""}, 400, "bad_text"),
                               ({"text": ["a"]}, 400, "bad_text"),
                               ({}, 400, "bad_text"),
                               ({"text": "nul\x00"}, 400, "control_characters")]:
        got_status, got = await rig.api("POST", path, "alice", json=body)
        assert (got_status, got["error"]) == (status, code), body
    got_status, got = await rig.api("POST", path, "alice", data=b"{nope")
    assert (got_status, got["error"]) == (400, "bad_json")
    got_status, got = await rig.api("POST", path, "bob", json={"text": "not mine"})
    assert (got_status, got["error"]) == (403, "forbidden")
    got_status, got = await rig.api("POST", path, None, json={"text": "who?"})
    assert (got_status, got["error"]) == (401, "unauthenticated")
    assert await rig.messages.for_interaction(visitor.chat_id) == []


async def test_given_offer_not_accepted_then_agent_cannot_write_or_close(rig: ChatRig) -> None:
    await rig.login("alice")
    visitor = await rig.visitor()
    await eventually(lambda: rig.slots("alice"), what="the offer")
    status, body = await rig.api("POST", f"/api/interactions/{visitor.chat_id}/messages",
                                 "alice", json={"text": "early"})
    assert (status, body["error"]) == (409, "not_accepted")
    status, body = await rig.api("POST", f"/api/interactions/{visitor.chat_id}/close",
                                 "alice", json={})
    assert (status, body["error"]) == (409, "invalid_transition")
    assert rig.chat.sessions.get(visitor.chat_id) is not None
    assert (await rig.slots("alice")) == {visitor.chat_id: "offered"}


async def test_given_foreign_origin_then_refused_and_allowed_origin_gets_cors(
        rig: ChatRig) -> None:
    status, body = await rig.api("POST", "/chat/sessions", json={},
                                 headers={"Origin": "https://evil.example.net"})
    assert (status, body["error"]) == (403, "origin_not_allowed")
    async with rig.http.get(f"{rig.base}/chat/ws?token=whatever",
                            headers={"Origin": "https://evil.example.net",
                                     "Upgrade": "websocket", "Connection": "Upgrade",
                                     "Sec-WebSocket-Version": "13",
                                     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}) as r:
        assert r.status == 403
    assert len(rig.chat.sessions) == 0
    # a page of an allowed origin: preflight, then the answer readable by that page
    async with rig.http.options(f"{rig.base}/chat/sessions", headers={
            "Origin": SITE, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"}) as r:
        assert r.status == 204
        assert r.headers["Access-Control-Allow-Origin"] == SITE
        assert "POST" in r.headers["Access-Control-Allow-Methods"]
    async with rig.http.post(f"{rig.base}/chat/sessions", json={},
                             headers={"Origin": SITE}) as r:
        assert r.status == 201
        assert r.headers["Access-Control-Allow-Origin"] == SITE
    async with rig.http.options(f"{rig.base}/chat/sessions", headers={
            "Origin": "https://evil.example.net",
            "Access-Control-Request-Method": "POST"}) as r:
        assert r.status == 403
        assert "Access-Control-Allow-Origin" not in r.headers


async def test_given_wrong_or_other_chats_token_then_no_access(rig: ChatRig) -> None:
    mine = await rig.visitor()
    other = await rig.visitor()
    for token in ("", "made-up", other.token[:-1], "x" * 500):
        ws = await rig.http.ws_connect(f"{rig.base}/chat/ws?token={token}",
                                       headers={"Origin": SITE})
        frame = await ws.receive_json(timeout=5)
        assert frame["error"] == "chat_not_found"
        await ws.receive(timeout=5)
        assert ws.close_code == 4404
        await ws.close()
    # each token opens its own chat only
    assert mine.socket is not None and other.socket is not None
    assert mine.socket.of("hello")[0]["chat_id"] == mine.chat_id
    assert other.socket.of("hello")[0]["chat_id"] == other.chat_id
    await mine.socket.send({"type": "message", "text": "mine", "client_id": "m"})
    await mine.socket.wait("ack")
    assert await rig.messages.for_interaction(other.chat_id) == []
    # the visitor routes never accept an agent's API token in place of a chat token
    status, body = await rig.api("GET", f"/api/interactions/{mine.chat_id}/messages",
                                 headers={"Authorization": f"Bearer {mine.token}"})
    assert (status, body["error"]) == (401, "unauthenticated")


@pytest.mark.parametrize("rig", [{"chat": {"sessions_per_minute": 3}}], indirect=True)
async def test_given_too_many_new_chats_from_one_address_then_429(rig: ChatRig) -> None:
    for _ in range(3):
        await rig.start_chat()
    status, body = await rig.api("POST", "/chat/sessions", json={}, headers={"Origin": SITE})
    assert (status, body["error"]) == (429, "rate_limited")
    assert len(rig.chat.sessions) == 3


@pytest.mark.parametrize("rig", [{"chat": {"messages_per_minute": 3}}], indirect=True)
async def test_given_message_flood_then_rate_limited_error_frames(rig: ChatRig) -> None:
    visitor = await rig.visitor()
    socket = visitor.socket
    assert socket is not None
    for i in range(5):
        await socket.send({"type": "message", "text": f"m{i}", "client_id": f"c{i}"})
    await socket.wait("ack", count=3)
    errors = [await socket.wait("error", count=n) for n in (1, 2)]
    assert [(e["error"], e["client_id"]) for e in errors] == [("rate_limited", "c3"),
                                                              ("rate_limited", "c4")]
    assert [m["body"] for m in await rig.messages.for_interaction(visitor.chat_id)] == [
        "m0", "m1", "m2"]


@pytest.mark.parametrize("rig", [{"chat": {"max_sessions": 1}}], indirect=True)
async def test_given_session_limit_reached_then_503(rig: ChatRig) -> None:
    await rig.start_chat()
    status, body = await rig.api("POST", "/chat/sessions", json={}, headers={"Origin": SITE})
    assert (status, body["error"]) == (503, "chat_busy")


async def test_given_bad_session_requests_then_clear_4xx(rig: ChatRig) -> None:
    cases = [
        ({"data": b"{nope"}, 400, "bad_json"),
        ({"json": ["a"]}, 400, "bad_json"),
        ({"json": {"nick": "x"}}, 400, "unknown_field"),
        ({"json": {"name": 7}}, 400, "bad_name"),
        ({"json": {"name": "a\x1bb"}}, 400, "control_characters"),
        ({"json": {"name": "n" * 101}}, 400, "message_too_long"),
        ({"json": {"email": "not-an-address"}}, 400, "invalid_identity"),
        ({"json": {"entry": "vip"}}, 400, "bad_entry"),
        ({"data": b'{"name": "' + b"a" * 17000 + b'"}'}, 413, "too_large"),
    ]
    for kw, status, code in cases:
        got, body = await rig.api("POST", "/chat/sessions", headers={"Origin": SITE}, **kw)
        assert (got, body["error"]) == (status, code), kw
    assert len(rig.chat.sessions) == 0
    assert not await rig.dispatcher.state.waiting()


async def test_given_bad_pre_chat_question_then_clear_4xx_and_nothing_queued(
        rig: ChatRig) -> None:
    cases = [
        ({"message": 5}, 400, "bad_message"),
        ({"message": "   "}, 400, "bad_text"),
        ({"message": "hi\x07"}, 400, "control_characters"),
        ({"message": "m" * 100_000}, 413, "too_large"),
        ({"message": "m" * (rig.chat.settings.max_message_chars + 1)}, 400,
         "message_too_long"),
    ]
    for body, status, code in cases:
        got, answer = await rig.api("POST", "/chat/sessions", headers={"Origin": SITE},
                                    json=body)
        assert (got, answer["error"]) == (status, code), body
    assert len(rig.chat.sessions) == 0
    assert not await rig.dispatcher.state.waiting()


async def test_given_pre_chat_question_then_first_message_stored_before_queueing(
        rig: ChatRig) -> None:
    status, body = await rig.api("POST", "/chat/sessions", headers={"Origin": SITE},
                                 json={"name": "Ann", "message": "Where is my <b>parcel</b>?"})
    assert status == 201, body
    waiting = await rig.dispatcher.state.waiting()
    assert [i.id for i in waiting] == [body["chat_id"]]
    stored = await rig.chat.messages.for_interaction(body["chat_id"])
    assert [(m["direction"], m["body"], m["sender"]) for m in stored] == [
        ("in", "Where is my <b>parcel</b>?", "Ann")]
    assert rig.chat.sessions.get(body["chat_id"]).messages_in == 1


async def test_given_widget_and_demo_then_served_publicly_with_content_types(
        rig: ChatRig) -> None:
    async with rig.http.get(f"{rig.base}/chat/widget.js") as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        body = await r.text()
        assert "attachShadow" in body and "/chat/ws" in body
    async with rig.http.get(f"{rig.base}/chat/demo") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/html")
        assert '<script src="/chat/widget.js"' in await r.text()
    # the rest of the API is still behind tokens
    async with rig.http.get(f"{rig.base}/api/queues/sales") as r:
        assert r.status == 401
