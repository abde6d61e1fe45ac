"""Linking work whose contact was unknown to a customer (POST /api/interactions/{id}/customer)
over real HTTP on SQLite and PostgreSQL: the live interaction and its stored record both
change and later saves keep it; only the agent who handles it (or staff) may; work of
another customer is refused (merge instead); ended work is linked in the store alone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.store.db import Database
from tests.integration.store.customer_api_rig import CustomerApi, customer_api


@pytest.fixture
async def api(db: Database) -> AsyncIterator[CustomerApi]:
    async for rig in customer_api(db):
        yield rig


async def live_chat(api: CustomerApi, iid: str, customer_id: str | None = None) -> None:
    await api.ok("POST", "/api/agents/alice/login", "alice")
    await api.dispatcher.enqueue(Interaction(iid, Medium.CHAT, queue="sales",
                                             customer_id=customer_id, created_at=1.0))
    await api.ok("POST", f"/api/interactions/{iid}/accept", "alice")


async def test_given_unknown_contact_when_agent_links_new_customer_then_live_and_stored(
        api: CustomerApi) -> None:
    await live_chat(api, "anon-1")
    jane = await api.new_customer(("email", "jane@example.org"), name="Jane")
    status, body = await api.call("POST", "/api/interactions/anon-1/customer", "bob",
                                  json={"customer_id": jane["id"]})
    assert (status, body["error"]) == (403, "forbidden")  # not bob's work
    linked = await api.ok("POST", "/api/interactions/anon-1/customer", "alice",
                          json={"customer_id": jane["id"]})
    assert linked["customer_id"] == jane["id"]
    live = await api.dispatcher.live_interaction("anon-1")
    assert live.customer_id == jane["id"]
    assert [e.data for e in live.events if e.kind == "customer_linked"] == [
        {"customer_id": jane["id"], "by": "alice"}]
    await api.ok("POST", "/api/interactions/anon-1/close", "alice", json={"reason": "done"})
    record = await api.ok("GET", "/api/interactions/anon-1", "alice")
    assert record["customer_id"] == jane["id"]  # later saves kept it
    timeline = await api.ok("GET", f"/api/customers/{jane['id']}/timeline", "alice")
    assert [i["id"] for i in timeline["items"]] == ["anon-1"]


async def test_given_work_of_another_customer_when_linked_then_409_and_bad_input_4xx(
        api: CustomerApi) -> None:
    ann = await api.new_customer(("email", "ann@example.org"), name="Ann")
    jane = await api.new_customer(("email", "jane@example.org"), name="Jane")
    await live_chat(api, "ann-1", customer_id=ann["id"])
    status, body = await api.call("POST", "/api/interactions/ann-1/customer", "alice",
                                  json={"customer_id": jane["id"]})
    assert (status, body["error"]) == (409, "customer_conflict")
    assert "merge" in body["message"]
    for payload, code in (({}, "bad_field"), ({"customer_id": 7}, "bad_field"),
                          ({"customer_id": jane["id"], "x": 1}, "bad_field"),
                          ({"customer_id": "nobody"}, "customer_not_found")):
        status, body = await api.call("POST", "/api/interactions/ann-1/customer", "alice",
                                      json=payload)
        assert body["error"] == code, payload
    status, body = await api.call("POST", "/api/interactions/none/customer", "sam",
                                  json={"customer_id": jane["id"]})
    assert (status, body["error"]) == (404, "interaction_not_found")


async def test_given_ended_unknown_work_when_staff_links_it_then_the_record_changes(
        api: CustomerApi) -> None:
    await api.stored("old-1", "voice", None, at=1000.0)
    jane = await api.new_customer(("phone", "+447700900123"), name="Jane")
    linked = await api.ok("POST", "/api/interactions/old-1/customer", "sam",
                          json={"customer_id": jane["id"]})
    assert linked["customer_id"] == jane["id"]
