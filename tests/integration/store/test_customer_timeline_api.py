"""The customer timeline, notes and dispositions over real HTTP on SQLite and PostgreSQL:
every interaction on every medium newest first with summaries from the messages table,
pages, filters, the role rules, and clear 4xx answers to bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.store.db import Database
from tests.integration.store.customer_api_rig import CustomerApi, customer_api


@pytest.fixture
async def api(db: Database) -> AsyncIterator[CustomerApi]:
    async for rig in customer_api(db):
        yield rig


async def jane_across_media(api: CustomerApi) -> dict[str, Any]:
    """Jane: a call, an email, a chat and a callback, plus Bob's customer's call."""
    jane = await api.new_customer(("phone", "+447700900123"), ("email", "jane@example.org"),
                                  ("chat", "jane-42"), name="Jane")
    await api.stored("call-1", "voice", jane["id"], at=1000.0, caller_number="+447700900123",
                     ivr_path=["main:1"], hung_up_by="caller")
    await api.stored("mail-1", "email", jane["id"], at=2000.0, queue="support",
                     from_address="jane@example.org")
    await api.message("mail-1", "email", "Hello,\nmy parcel never arrived. " + "x" * 400,
                      subject="Parcel 123 missing", sender="jane@example.org")
    await api.message("mail-1", "email", "second message", subject="Re: Parcel 123 missing")
    await api.stored("chat-1", "chat", jane["id"], at=3000.0, agent="bob")
    await api.message("chat-1", "chat", "hi, any news about my parcel?", sender="jane-42")
    await api.stored("cb-1", "callback", jane["id"], at=4000.0, agent="alice",
                     answered=False, from_address="+447700900123")
    other = await api.new_customer(("phone", "+447700900999"))
    await api.stored("call-other", "voice", other["id"], at=5000.0, agent="carol")
    return jane


async def test_given_customer_on_every_medium_when_timeline_read_then_all_newest_first(
        api: CustomerApi) -> None:
    jane = await jane_across_media(api)
    page = await api.ok("GET", f"/api/customers/{jane['id']}/timeline", "sam")
    items = {i["id"]: i for i in page["items"]}
    assert [i["id"] for i in page["items"]] == ["cb-1", "chat-1", "mail-1", "call-1"]
    assert [i["medium"] for i in page["items"]] == ["callback", "chat", "email", "voice"]
    assert page["next_before"] is None

    call = items["call-1"]
    assert (call["queue"], call["agent_id"], call["agents"]) == ("sales", "alice", ["alice"])
    assert call["timestamps"]["entered"] == 1000.0 and call["timestamps"]["ended"] == 1065.0
    assert call["details"]["ivr_path"] == ["main:1"]
    assert (call["details"]["hung_up_by"], call["details"]["talk_seconds"]) == ("caller", 60)
    assert call["summary"] == ("Call from +447700900123; IVR main:1; answered by alice after "
                               "4s; talked 1m00s; caller hung up")

    mail = items["mail-1"]
    assert (mail["details"]["subject"], mail["details"]["messages"]) == \
        ("Parcel 123 missing", 2)
    assert mail["details"]["first_message"].startswith("Hello,\nmy parcel never arrived.")
    assert len(mail["details"]["first_message"]) == 200
    assert mail["summary"].startswith("Email: Parcel 123 missing — Hello, my parcel")
    assert (mail["queue"], mail["from_address"]) == ("support", "jane@example.org")

    chat = items["chat-1"]
    assert chat["summary"] == "Chat: hi, any news about my parcel?"
    assert chat["agent_id"] == "bob"
    callback = items["cb-1"]
    assert callback["summary"].startswith("Callback to +447700900123; not answered")
    assert callback["timestamps"]["answered"] is None


async def test_given_long_timeline_when_paged_and_filtered_then_consistent_pages(
        api: CustomerApi) -> None:
    jane = await api.new_customer(("chat", "jane"))
    for i in range(5):
        await api.stored(f"chat-{i}", "chat", jane["id"], at=100.0)  # same entered time
    await api.stored("call-9", "voice", jane["id"], at=900.0)
    path = f"/api/customers/{jane['id']}/timeline"
    seen: list[str] = []
    before = None
    pages = 0
    while True:
        params = {"limit": "2", **({"before": before} if before else {})}
        page = await api.ok("GET", path, "sam", params=params)
        seen += [i["id"] for i in page["items"]]
        pages += 1
        before = page["next_before"]
        if before is None:
            break
    assert seen == ["call-9", "chat-0", "chat-1", "chat-2", "chat-3", "chat-4"]
    assert pages == 3
    voice = await api.ok("GET", path, "sam", params={"medium": "voice"})
    assert [i["id"] for i in voice["items"]] == ["call-9"]
    chats = await api.ok("GET", path, "sam", params={"medium": "chat", "limit": "3",
                                                     "before": "chat-0"})
    assert [i["id"] for i in chats["items"]] == ["chat-1", "chat-2", "chat-3"]
    assert chats["next_before"] == "chat-3"


@pytest.mark.parametrize(("params", "code"), [
    ({"limit": "0"}, "bad_field"), ({"limit": "101"}, "bad_field"),
    ({"limit": "ten"}, "bad_field"), ({"medium": "fax"}, "bad_field"),
    ({"before": "no-such-interaction"}, "bad_cursor"),
    ({"before": "call-other"}, "bad_cursor"),  # another customer's interaction
])
async def test_given_bad_timeline_query_when_read_then_400(
        api: CustomerApi, params: dict, code: str) -> None:
    jane = await jane_across_media(api)
    status, body = await api.call("GET", f"/api/customers/{jane['id']}/timeline", "sam",
                                  params=params)
    assert (status, body["error"]) == (400, code), body


async def test_given_agents_when_reading_timeline_then_only_customers_they_work_with(
        api: CustomerApi) -> None:
    jane = await jane_across_media(api)
    path = f"/api/customers/{jane['id']}/timeline"
    for user in ("alice", "bob", "sam", "admin"):  # alice took calls, bob the chat
        assert len((await api.ok("GET", path, user))["items"]) == 4, user
    status, body = await api.call("GET", path, "carol")
    assert (status, body["error"]) == (403, "forbidden")
    # carol may still look Jane up and read the profile: agents search customers
    assert (await api.ok("GET", f"/api/customers/{jane['id']}", "carol"))["name"] == "Jane"
    # ... and once work of Jane's is offered to her, she sees the history
    await api.ok("POST", "/api/agents/carol/login", "carol")
    await api.dispatcher.enqueue(Interaction("chat-new", Medium.CHAT, queue="sales",
                                             customer_id=jane["id"], created_at=1.0))
    assert (await api.dispatcher.live_interaction("chat-new")).agent_id == "carol"
    page = await api.ok("GET", path, "carol")
    assert {i["id"] for i in page["items"]} >= {"call-1", "chat-1"}


# ---------------------------------------------------------------------- notes
async def test_given_handled_interaction_when_notes_added_then_listed_with_author(
        api: CustomerApi) -> None:
    await jane_across_media(api)
    text = "<script>alert(1)</script> said: \"call back\" — ça va ✓"
    status, note = await api.call("POST", "/api/interactions/call-1/notes", "alice",
                                  json={"text": text})
    assert status == 201
    assert (note["author"], note["text"], note["interaction_id"]) == ("alice", text, "call-1")
    await api.ok("POST", "/api/interactions/call-1/notes", "sam",
                 json={"text": "supervisor: checked"})
    listed = await api.ok("GET", "/api/interactions/call-1/notes", "alice")
    assert [(n["author"], n["text"]) for n in listed["notes"]] == [
        ("alice", text), ("sam", "supervisor: checked")]
    # bob never handled call-1, but worked with Jane (the chat): he may read, not write
    assert len((await api.ok("GET", "/api/interactions/call-1/notes", "bob"))["notes"]) == 2
    status, body = await api.call("POST", "/api/interactions/call-1/notes", "bob",
                                  json={"text": "mine"})
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await api.call("GET", "/api/interactions/call-1/notes", "carol")
    assert (status, body["error"]) == (403, "forbidden")


@pytest.mark.parametrize(("payload", "status_code", "code"), [
    ({"text": ""}, 400, "bad_field"), ({"text": "   "}, 400, "bad_field"),
    ({"text": "x" * 4001}, 400, "bad_field"), ({"text": 5}, 400, "bad_field"),
    ({}, 400, "bad_field"), ({"text": "a", "author": "bob"}, 400, "bad_field"),
    ({"text": "a\x00b"}, 400, "bad_field"),
])
async def test_given_bad_note_when_added_then_400_and_nothing_stored(
        api: CustomerApi, payload: dict, status_code: int, code: str) -> None:
    await jane_across_media(api)
    status, body = await api.call("POST", "/api/interactions/call-1/notes", "alice",
                                  json=payload)
    assert (status, body["error"]) == (status_code, code), body
    assert (await api.ok("GET", "/api/interactions/call-1/notes", "alice"))["notes"] == []


async def test_given_unknown_interaction_when_noted_or_disposed_then_404(
        api: CustomerApi) -> None:
    for method, path, payload in (
            ("POST", "/api/interactions/nope/notes", {"text": "x"}),
            ("GET", "/api/interactions/nope/notes", None),
            ("PUT", "/api/interactions/nope/disposition", {"disposition": "sale"}),
            ("GET", "/api/interactions/nope/disposition", None)):
        status, body = await api.call(method, path, "sam",
                                      **({"json": payload} if payload else {}))
        assert (status, body["error"]) == (404, "interaction_not_found"), path


# ---------------------------------------------------------------------- dispositions
async def test_given_configured_lists_when_disposition_set_then_validated_per_queue(
        api: CustomerApi) -> None:
    jane = await jane_across_media(api)
    body = await api.ok("PUT", "/api/interactions/call-1/disposition", "alice",
                        json={"disposition": "sale"})
    assert (body["disposition"], body["allowed"]) == ("sale", ["resolved", "sale", "no_sale"])
    status, body = await api.call("PUT", "/api/interactions/mail-1/disposition", "alice",
                                  json={"disposition": "sale"})  # support's own list
    assert (status, body["error"]) == (400, "bad_disposition")
    assert "fixed, escalated" in body["message"]
    body = await api.ok("PUT", "/api/interactions/mail-1/disposition", "alice",
                        json={"disposition": "escalated"})
    assert body["disposition"] == "escalated"
    shown = await api.ok("GET", "/api/interactions/mail-1/disposition", "alice")
    assert (shown["disposition"], shown["allowed"]) == ("escalated", ["fixed", "escalated"])
    # a later save of the interaction (e.g. a late event) keeps the disposition
    await api.stored("call-1", "voice", jane["id"], at=1000.0)
    page = await api.ok("GET", "/api/interactions/call-1", "alice")
    assert page["disposition"] == "sale"


async def test_given_other_agent_or_bad_value_when_disposition_set_then_refused(
        api: CustomerApi) -> None:
    await jane_across_media(api)
    path = "/api/interactions/call-1/disposition"
    status, body = await api.call("PUT", path, "bob", json={"disposition": "sale"})
    assert (status, body["error"]) == (403, "forbidden")
    for payload, code in (({"disposition": ""}, "bad_disposition"),
                          ({"disposition": 3}, "bad_disposition"),
                          ({"disposition": "x" * 101}, "bad_disposition"),
                          ({}, "bad_field"), ({"disposition": "sale", "x": 1}, "bad_field")):
        status, body = await api.call("PUT", path, "sam", json=payload)
        assert (status, body["error"]) == (400, code), payload
    assert (await api.ok("GET", path, "sam"))["disposition"] is None
    assert (await api.ok("PUT", path, "sam", json={"disposition": "no_sale"}))[
        "disposition"] == "no_sale"


# ---------------------------------------------------------------------- authentication
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/customers?identity=jane"), ("POST", "/api/customers"),
    ("GET", "/api/customers/x"), ("PATCH", "/api/customers/x"),
    ("POST", "/api/customers/x/identities"), ("DELETE", "/api/customers/x/identities/chat/y"),
    ("POST", "/api/customers/x/merge"), ("GET", "/api/customers/x/timeline"),
    ("POST", "/api/interactions/x/notes"), ("GET", "/api/interactions/x/notes"),
    ("PUT", "/api/interactions/x/disposition"), ("GET", "/api/interactions/x/disposition"),
])
async def test_given_no_token_when_calling_customer_routes_then_401(
        api: CustomerApi, method: str, path: str) -> None:
    status, body = await api.call(method, path, None)
    assert (status, body["error"]) == (401, "unauthenticated")
    status, body = await api.call(method, path, "nobody")
    assert (status, body["error"]) == (401, "unauthenticated")


async def test_given_pop_of_one_interaction_when_page_excludes_it_then_the_others_paged(
        api: CustomerApi, db: Database) -> None:
    from ccengine.store.timeline import Timeline
    jane = await jane_across_media(api)
    timeline = Timeline(db)
    page = await timeline.page(jane["id"], limit=2, excluding="chat-1")
    assert [i["id"] for i in page["items"]] == ["cb-1", "mail-1"]
    assert page["next_before"] == "mail-1"  # call-1 is still to come
    rest = await timeline.page(jane["id"], limit=2, before="mail-1", excluding="chat-1")
    assert ([i["id"] for i in rest["items"]], rest["next_before"]) == (["call-1"], None)
    voice = await timeline.page(jane["id"], limit=1, medium="voice", excluding="call-1")
    assert voice["items"] == []
