"""The agent reads the thread and replies through the API; the reply goes out threaded
through the relay (retried until it is accepted); the customer's answer joins the
conversation while it is live, and opens a linked interaction once it is over."""

from __future__ import annotations

from typing import Any

from tests.integration.email.conftest import EmailRig, RigFactory, eventually
from tests.mail.messages import customer_mail


async def offered_to_bob(rig: EmailRig) -> str:
    await rig.dispatcher.login("bob")
    await rig.mailbox.append(customer_mail())
    offer = await eventually(lambda: [m for m in rig.feeds["bob"].sent
                                      if m.get("type") == "offer"], what="the offer")
    return str(offer[0]["interaction_id"])


def sent_to_customer(rig: EmailRig) -> list[Any]:
    return [r for r in rig.sink.received if r.message["Auto-Submitted"] is None]


async def test_given_offered_email_when_agent_replies_then_threaded_reply_reaches_relay(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    iid = await offered_to_bob(rig)
    status, thread = await rig.api("GET", f"/api/interactions/{iid}/messages", "bob")
    assert status == 200
    assert [(m["direction"], m["kind"]) for m in thread["messages"]] == [
        ("in", "customer"), ("out", "auto_ack")]
    assert thread["messages"][0]["body"] == "Where is my order 1234?"
    status, body = await rig.api("POST", f"/api/interactions/{iid}/reply", "bob",
                                 json={"body": "It ships today."})
    assert status == 202, body
    assert body["message"]["state"] == "queued" and body["closed"] is False
    reply = (await eventually(lambda: sent_to_customer(rig), what="the reply at the relay"))[0]
    msg = reply.message
    assert reply.rcpt_tos == ["ann@example.org"]
    assert msg["From"].addresses[0].addr_spec == "sales@shop.test"
    assert msg["From"].addresses[0].display_name == "Shop sales"
    assert msg["Subject"] == "Re: My order"
    assert msg["In-Reply-To"] == "<m1@example.org>"
    assert msg["References"] == "<m1@example.org>"
    assert msg["Message-ID"].endswith("@shop.test>")
    assert msg["Message-ID"] == f"<{body['message']['message_id']}>"
    assert msg.get_content().strip() == "It ships today."
    # replying took the offer: bob is busy on it; the stored reply is "sent"
    view = await rig.dispatcher.agent_view("bob")
    assert [(s["interaction_id"], s["state"]) for s in view["slots"]] == [(iid, "busy")]
    await eventually(lambda: _state_of(rig, body["message"]["id"], "sent"), what="sent")
    record = await rig.interactions.get(iid)
    assert record is not None
    kinds = [e["kind"] for e in record["events"]]
    assert kinds.count("first_response") == 1 and "replied" in kinds


async def _state_of(rig: EmailRig, message_id: int, state: str) -> bool:
    m = await rig.messages.get(message_id)
    return m is not None and m["state"] == state


async def test_given_reply_when_customer_answers_then_joins_live_interaction_and_agent_told(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    iid = await offered_to_bob(rig)
    _, body = await rig.api("POST", f"/api/interactions/{iid}/reply", "bob",
                            json={"body": "Which colour?"})
    ours = body["message"]["message_id"]
    await rig.mailbox.append(customer_mail(
        subject="Re: My order", body="Blue, please.", message_id="<m2@example.org>",
        in_reply_to=f"<{ours}>", references=f"<m1@example.org> <{ours}>"))
    told = await eventually(lambda: [m for m in rig.feeds["bob"].sent
                                     if m.get("type") == "email_message"], what="bob told")
    assert told[0]["interaction_id"] == iid
    assert told[0]["message"]["body"] == "Blue, please."
    _, thread = await rig.api("GET", f"/api/interactions/{iid}/messages", "bob")
    assert [m["body"].strip() for m in thread["messages"] if m["kind"] != "auto_ack"] == [
        "Where is my order 1234?", "Which colour?", "Blue, please."]
    assert {m["interaction_id"] for m in thread["messages"]} == {iid}
    assert len(await rig.interactions.list(medium="email")) == 1
    live = await rig.dispatcher.live_interaction(iid)
    assert live.attributes["pop"]["messages"] == 2
    # a second reply answers the customer's latest message, with the whole chain
    await rig.api("POST", f"/api/interactions/{iid}/reply", "bob", json={"body": "Done."})
    replies = await eventually(lambda: len(sent_to_customer(rig)) >= 2 and
                               sent_to_customer(rig), what="the second reply")
    msg = replies[1].message
    assert msg["In-Reply-To"] == "<m2@example.org>"
    assert msg["References"] == f"<m1@example.org> <{ours}> <m2@example.org>"


async def test_given_closed_conversation_when_customer_writes_again_then_new_linked_interaction(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    iid = await offered_to_bob(rig)
    status, body = await rig.api("POST", f"/api/interactions/{iid}/reply", "bob",
                                 json={"body": "Refunded.", "close": True,
                                       "reason": "resolved"})
    assert (status, body["closed"]) == (202, True)
    ours = body["message"]["message_id"]
    record = await rig.interactions.get(iid)
    assert record is not None and record["status"] == "ended"
    await rig.mailbox.append(customer_mail(
        subject="Re: My order", body="Thanks!", message_id="<m3@example.org>",
        in_reply_to=f"<{ours}>"))
    later = await eventually(lambda: _others(rig, iid), what="a new interaction")
    assert later[0]["attributes"]["previous_interaction"] == iid
    assert later[0]["customer_id"] == record["customer_id"]
    assert later[0]["queue"] == "sales"
    # the thread shows the whole conversation, each message with its interaction
    _, thread = await rig.api("GET", f"/api/interactions/{later[0]['id']}/messages", "sam")
    bodies = [(m["interaction_id"], m["body"].strip()) for m in thread["messages"]
              if m["kind"] != "auto_ack"]
    assert bodies == [(iid, "Where is my order 1234?"), (iid, "Refunded."),
                      (later[0]["id"], "Thanks!")]


async def _others(rig: EmailRig, iid: str) -> list[Any]:
    return [r for r in await rig.interactions.list(medium="email") if r["id"] != iid]


async def test_given_relay_refusing_then_reply_failed_with_error_and_retried_until_sent(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    iid = await offered_to_bob(rig)
    await eventually(lambda: rig.sink.received, what="the acknowledgement")
    rig.sink.refuse_next = 2
    _, body = await rig.api("POST", f"/api/interactions/{iid}/reply", "bob",
                            json={"body": "Retry me."})
    mid = body["message"]["id"]
    await eventually(lambda: _state_of(rig, mid, "failed"), what="the first failure")
    failed = await rig.messages.get(mid)
    assert failed is not None and "451" in (failed["error"] or "")
    await eventually(lambda: _state_of(rig, mid, "sent"), what="sent after retries")
    sent = await rig.messages.get(mid)
    assert sent is not None and sent["meta"]["attempts"] == 3 and sent["error"] is None
    assert rig.sink.refused == 2
    assert len(sent_to_customer(rig)) == 1


async def test_given_bad_reply_requests_then_clear_errors_and_nothing_sent(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    iid = await offered_to_bob(rig)
    for payload, code in (({"body": ""}, "bad_body"), ({"body": 5}, "bad_body"),
                          ({"body": "x", "close": "yes"}, "bad_close")):
        status, body = await rig.api("POST", f"/api/interactions/{iid}/reply", "bob",
                                     json=payload)
        assert (status, body["error"]) == (400, code)
    status, body = await rig.api("POST", f"/api/interactions/{iid}/reply", "alice",
                                 json={"body": "not mine"})
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await rig.api("GET", f"/api/interactions/{iid}/messages", "alice")
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await rig.api("POST", "/api/interactions/nope/reply", "bob",
                                 json={"body": "x"})
    assert (status, body["error"]) == (404, "interaction_not_found")
    status, body = await rig.api("POST", f"/api/interactions/{iid}/reply", "sam",
                                 json={"body": "x", "close": True})
    assert (status, body["error"]) == (409, "not_held")  # bob has not taken it yet
    r = await rig.client.post(f"/api/interactions/{iid}/reply", json={"body": "x"})
    assert r.status == 401
    assert sent_to_customer(rig) == []


async def test_given_replies_then_queue_service_level_counts_first_responses(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    iid = await offered_to_bob(rig)
    await rig.mailbox.append(customer_mail(message_id="<other@example.org>",
                                           sender="Bo <bo@example.org>"))
    await eventually(lambda: len([m for m in rig.feeds["bob"].sent if m.get("type") == "offer"])
                     == 2, what="a second email offered")
    await rig.api("POST", f"/api/interactions/{iid}/reply", "bob", json={"body": "Hi"})
    status, level = await rig.api("GET", "/api/queues/sales/service-level?medium=email",
                                  "sam")
    assert status == 200, level
    assert (level["met"], level["missed"], level["pending"]) == (1, 0, 1)
    assert (level["percent"], level["meeting_target"]) == (100.0, True)
    assert (level["target_seconds"], level["target_percent"]) == (3600, 90)
    status, body = await rig.api("GET", "/api/queues/sales/service-level?hours=0", "sam")
    assert (status, body["error"]) == (400, "bad_hours")
    status, body = await rig.api("GET", "/api/queues/nope/service-level", "sam")
    assert (status, body["error"]) == (404, "queue_not_found")
