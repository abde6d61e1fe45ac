"""The customer API over real HTTP on SQLite and PostgreSQL: lookups by any identity in any
format, creation, identity conflicts (409 with the owner), profile changes within limits,
merges (history, notes and identities follow; the old id resolves to the survivor), live
work of a merged customer, and clear 4xx answers to bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.store.db import Database
from tests.integration.store.customer_api_rig import CustomerApi, customer_api


@pytest.fixture
async def api(db: Database) -> AsyncIterator[CustomerApi]:
    async for rig in customer_api(db):
        yield rig


@pytest.fixture
async def lite(tmp_path: Path) -> AsyncIterator[CustomerApi]:
    """The same rig on SQLite only, for rules that do not depend on the database."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'lite.db'}")
    await database.migrate()
    async for rig in customer_api(database):
        yield rig
    await database.close()


# ---------------------------------------------------------------------- lookups
@pytest.mark.parametrize("written", ["07700 900123", "+44 7700 900123", "00447700900123",
                                     "+447700900123", "(07700) 900-123"])
async def test_given_customer_with_phone_when_looked_up_in_any_format_then_found(
        api: CustomerApi, written: str) -> None:
    jane = await api.new_customer(("phone", "+447700900123"), ("email", "Jane@Example.org"),
                                  name="Jane")
    found = await api.ok("GET", "/api/customers", "alice", params={"identity": written})
    assert found["id"] == jane["id"]
    assert found["matched"] == {"kind": "phone", "value": "+447700900123"}
    by_kind = await api.ok("GET", "/api/customers", "alice",
                           params={"identity": written, "kind": "phone"})
    assert by_kind["id"] == jane["id"]


async def test_given_customer_when_looked_up_by_email_or_chat_handle_then_found(
        api: CustomerApi) -> None:
    jane = await api.new_customer(("email", "Jane@Example.org"), ("chat", "jane-42"))
    assert {"kind": "email", "value": "jane@example.org"} in jane["identities"]
    for value in ("  JANE@example.ORG ", "jane@example.org"):
        found = await api.ok("GET", "/api/customers", "bob", params={"identity": value})
        assert (found["id"], found["matched"]["kind"]) == (jane["id"], "email")
    found = await api.ok("GET", "/api/customers", "bob", params={"identity": " jane-42"})
    assert (found["id"], found["matched"]["kind"]) == (jane["id"], "chat")


async def test_given_nobody_with_identity_when_looked_up_then_404_and_bad_lookup_400(
        api: CustomerApi) -> None:
    status, body = await api.call("GET", "/api/customers", "alice",
                                  params={"identity": "07700900999"})
    assert (status, body["error"]) == (404, "customer_not_found")
    status, body = await api.call("GET", "/api/customers", "alice",
                                  params={"identity": "12", "kind": "phone"})
    assert (status, body["error"]) == (400, "invalid_identity")
    assert "not a possible phone number" in body["message"]
    for params in ({}, {"identity": "  "}, {"identity": "x", "kind": "fax"}):
        status, body = await api.call("GET", "/api/customers", "alice", params=params)
        assert (status, body["error"]) == (400, "bad_field"), params


# ---------------------------------------------------------------------- create, identities
async def test_given_identities_of_nobody_when_created_then_201_normalised(
        api: CustomerApi) -> None:
    status, body = await api.call("POST", "/api/customers", "alice", json={
        "name": "<b>Jane</b> & co", "attributes": {"crm_id": "C-17", "vip": True},
        "identities": [{"kind": "phone", "value": "07700 900123"},
                       {"kind": "email", "value": "JANE@EXAMPLE.ORG"}]})
    assert status == 201, body
    assert body["name"] == "<b>Jane</b> & co"  # stored as given, returned as JSON
    assert (body["tier"], body["attributes"]) == ("standard", {"crm_id": "C-17", "vip": True})
    assert body["identities"] == [{"kind": "email", "value": "jane@example.org"},
                                  {"kind": "phone", "value": "+447700900123"}]
    assert (await api.ok("GET", f"/api/customers/{body['id']}", "bob"))["name"] == \
        "<b>Jane</b> & co"


async def test_given_identity_of_another_when_created_or_added_then_409_with_owner(
        api: CustomerApi) -> None:
    jane = await api.new_customer(("phone", "+447700900123"))
    status, body = await api.call("POST", "/api/customers", "alice", json={
        "identities": [{"kind": "email", "value": "new@example.org"},
                       {"kind": "phone", "value": "07700900123"}]})
    assert (status, body["error"], body["customer_id"]) == (409, "identity_taken", jane["id"])
    assert (body["kind"], body["value"]) == ("phone", "+447700900123")
    status, _ = await api.call("GET", "/api/customers", "alice",
                               params={"identity": "new@example.org"})
    assert status == 404  # nothing was created
    other = await api.new_customer(("email", "other@example.org"))
    status, body = await api.call("POST", f"/api/customers/{other['id']}/identities",
                                  "alice", json={"kind": "phone", "value": "+44 7700 900123"})
    assert (status, body["error"], body["customer_id"]) == (409, "identity_taken", jane["id"])
    again = await api.ok("POST", f"/api/customers/{jane['id']}/identities", "alice",
                         json={"kind": "phone", "value": "07700900123"})
    assert again["identities"] == [{"kind": "phone", "value": "+447700900123"}]


async def test_given_customer_when_identities_added_and_removed_then_lookup_follows(
        api: CustomerApi) -> None:
    jane = await api.new_customer(("phone", "+447700900123"))
    path = f"/api/customers/{jane['id']}/identities"
    added = await api.ok("POST", path, "alice", json={"kind": "email",
                                                      "value": "Jane@Example.org"})
    assert {"kind": "email", "value": "jane@example.org"} in added["identities"]
    removed = await api.ok("DELETE", f"{path}/phone/07700 900123", "sam")
    assert removed["identities"] == [{"kind": "email", "value": "jane@example.org"}]
    status, _ = await api.call("GET", "/api/customers", "sam",
                               params={"identity": "+447700900123"})
    assert status == 404
    status, body = await api.call("DELETE", f"{path}/phone/07700900123", "sam")
    assert (status, body["error"]) == (404, "identity_not_found")


@pytest.mark.parametrize(("payload", "code", "reason"), [
    ({"kind": "phone", "value": "12"}, "invalid_identity", "not a possible phone number"),
    ({"kind": "phone", "value": "call me"}, "invalid_identity", "phone"),
    ({"kind": "email", "value": "jane.example.org"}, "invalid_identity", "'@'"),
    ({"kind": "email", "value": "a@b@c"}, "invalid_identity", "'@'"),
    ({"kind": "fax", "value": "1"}, "bad_field", "kind"),
    ({"kind": "chat", "value": ""}, "bad_field", "value"),
    ({"kind": "chat"}, "bad_field", "value"),
    ({"kind": "chat", "value": "x", "extra": 1}, "bad_field", "kind and value"),
])
async def test_given_malformed_identity_when_added_then_400_with_reason(
        lite: CustomerApi, payload: dict, code: str, reason: str) -> None:
    jane = await lite.new_customer(("chat", "jane"))
    status, body = await lite.call("POST", f"/api/customers/{jane['id']}/identities",
                                   "alice", json=payload)
    assert (status, body["error"]) == (400, code), body
    assert reason in body["message"]
    assert (await lite.ok("GET", f"/api/customers/{jane['id']}", "alice"))["identities"] == \
        [{"kind": "chat", "value": "jane"}]


# ---------------------------------------------------------------------- profile
async def test_given_customer_when_patched_then_name_and_attributes_change_within_limits(
        lite: CustomerApi) -> None:
    jane = await lite.new_customer(("chat", "jane"), name="Jane")
    path = f"/api/customers/{jane['id']}"
    body = await lite.ok("PATCH", path, "alice", json={
        "name": "Jane Doe", "attributes": {"crm_id": "C-1", "score": 4.5, "lang": "en"}})
    assert (body["name"], body["attributes"]) == ("Jane Doe",
                                                  {"crm_id": "C-1", "score": 4.5, "lang": "en"})
    body = await lite.ok("PATCH", path, "alice", json={"attributes": {"lang": None,
                                                                      "score": 5}})
    assert body["attributes"] == {"crm_id": "C-1", "score": 5}
    body = await lite.ok("PATCH", path, "alice", json={"name": None})
    assert body["name"] is None and body["attributes"]["crm_id"] == "C-1"


@pytest.mark.parametrize(("payload", "code"), [
    ({}, "bad_field"),
    ({"nickname": "J"}, "bad_field"),
    ({"name": 7}, "bad_field"),
    ({"name": "x" * 201}, "bad_field"),
    ({"name": "nul\x00byte"}, "bad_field"),
    ({"attributes": ["a"]}, "bad_field"),
    ({"attributes": {"nested": {"a": 1}}}, "bad_field"),
    ({"attributes": {"bad key!": 1}}, "bad_field"),
    ({"attributes": {"long": "x" * 1001}}, "bad_field"),
    ({"attributes": {f"k{i}": i for i in range(51)}}, "bad_field"),
    ({"tier": "Key Account"}, "bad_field"),
])
async def test_given_bad_profile_change_when_patched_then_400_and_nothing_changed(
        lite: CustomerApi, payload: dict, code: str) -> None:
    jane = await lite.new_customer(("chat", "jane"), name="Jane")
    status, body = await lite.call("PATCH", f"/api/customers/{jane['id']}", "sam",
                                   json=payload)
    assert (status, body["error"]) == (400, code), body
    after = await lite.ok("GET", f"/api/customers/{jane['id']}", "sam")
    assert (after["name"], after["tier"], after["attributes"]) == ("Jane", "standard", {})


async def test_given_agent_when_changing_tier_then_403_and_supervisor_may(
        lite: CustomerApi) -> None:
    jane = await lite.new_customer(("chat", "jane"))
    path = f"/api/customers/{jane['id']}"
    status, body = await lite.call("PATCH", path, "alice", json={"tier": "key_account"})
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await lite.call("POST", "/api/customers", "alice",
                                   json={"tier": "key_account"})
    assert (status, body["error"]) == (403, "forbidden")
    assert (await lite.ok("PATCH", path, "sam", json={"tier": "key_account"}))["tier"] == \
        "key_account"


async def test_given_staff_when_choosing_an_owner_then_kept_and_agents_may_not(
        lite: CustomerApi) -> None:
    """The owner (named-contact routing): supervisors and admins choose an agent, or
    nobody; an agent may not, and nobody who is not an agent may own a customer."""
    jane = await lite.new_customer(("chat", "jane"))
    path = f"/api/customers/{jane['id']}"
    assert jane["owner"] is None
    status, body = await lite.call("PATCH", path, "alice", json={"owner": "alice"})
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await lite.call("PATCH", path, "sam", json={"owner": "zoe"})
    assert (status, body["error"]) == (400, "bad_owner")
    assert (await lite.ok("PATCH", path, "sam", json={"owner": "bob"}))["owner"] == "bob"
    assert (await lite.ok("GET", path, "alice"))["owner"] == "bob"
    assert (await lite.ok("PATCH", path, "admin", json={"owner": None}))["owner"] is None


async def test_given_bad_json_or_unknown_customer_when_called_then_clear_4xx(
        lite: CustomerApi) -> None:
    status, body = await lite.call("POST", "/api/customers", "alice", data=b"{nope")
    assert (status, body["error"]) == (400, "bad_json")
    status, body = await lite.call("POST", "/api/customers", "alice", json=["a"])
    assert (status, body["error"]) == (400, "bad_json")
    status, body = await lite.call("POST", "/api/customers", "alice",
                                   json={"identities": "jane"})
    assert (status, body["error"]) == (400, "bad_field")
    for method, path in (("GET", "/api/customers/nobody"),
                         ("PATCH", "/api/customers/nobody"),
                         ("GET", "/api/customers/nobody/timeline"),
                         ("POST", "/api/customers/nobody/identities")):
        kw = {"json": {"name": "x"}} if method == "PATCH" else \
            {"json": {"kind": "chat", "value": "x"}} if method == "POST" else {}
        status, body = await lite.call(method, path, "sam", **kw)
        assert (status, body["error"]) == (404, "customer_not_found"), path


# ---------------------------------------------------------------------- merges
async def test_given_duplicates_with_history_when_merged_then_everything_follows(
        api: CustomerApi) -> None:
    jane = await api.new_customer(("phone", "+447700900123"), name="Jane",
                                  user="alice")
    dup = await api.new_customer(("email", "jane@example.org"), user="alice")
    await api.ok("PATCH", f"/api/customers/{dup['id']}", "sam",
                 json={"attributes": {"crm_id": "C-9"}})
    await api.stored("call-1", "voice", jane["id"], at=1000.0, caller_number="+447700900123")
    await api.stored("mail-1", "email", dup["id"], at=2000.0)
    await api.message("mail-1", "email", "Where is my parcel?", subject="Parcel",
                      sender="jane@example.org")
    await api.ok("POST", "/api/interactions/mail-1/notes", "alice",
                 json={"text": "promised a refund"})

    merged = await api.ok("POST", f"/api/customers/{jane['id']}/merge", "alice",
                          json={"from": dup["id"]})
    assert merged["id"] == jane["id"]
    assert merged["identities"] == [{"kind": "email", "value": "jane@example.org"},
                                    {"kind": "phone", "value": "+447700900123"}]
    assert merged["attributes"] == {"crm_id": "C-9"}
    assert [(m["id"], m["by"]) for m in merged["merged"]] == [(dup["id"], "alice")]

    # the old id resolves to the survivor, everywhere
    old = await api.ok("GET", f"/api/customers/{dup['id']}", "bob")
    assert (old["id"], old["resolved_from"]) == (jane["id"], dup["id"])
    by_email = await api.ok("GET", "/api/customers", "bob",
                            params={"identity": "jane@example.org"})
    assert by_email["id"] == jane["id"]
    for cid in (jane["id"], dup["id"]):
        page = await api.ok("GET", f"/api/customers/{cid}/timeline", "sam")
        assert page["customer_id"] == jane["id"]
        assert [i["id"] for i in page["items"]] == ["mail-1", "call-1"]
        assert page["items"][0]["notes"][0]["text"] == "promised a refund"
    notes = await api.ok("GET", "/api/interactions/mail-1/notes", "alice")
    assert [n["author"] for n in notes["notes"]] == ["alice"]
    # writes on the old id land on the survivor
    patched = await api.ok("PATCH", f"/api/customers/{dup['id']}", "sam",
                           json={"name": "Jane Doe"})
    assert (patched["id"], patched["name"]) == (jane["id"], "Jane Doe")


async def test_given_bad_merge_when_requested_then_clear_4xx_and_nothing_changes(
        api: CustomerApi) -> None:
    jane = await api.new_customer(("chat", "jane"))
    dup = await api.new_customer(("chat", "jane2"))
    path = f"/api/customers/{jane['id']}/merge"
    for payload, status_code, code in (
            ({"from": jane["id"]}, 400, "merge_invalid"),
            ({"from": "nobody"}, 404, "customer_not_found"),
            ({}, 400, "bad_field"),
            ({"from": 7}, 400, "bad_field"),
            ({"from": dup["id"], "into": "x"}, 400, "bad_field")):
        status, body = await api.call("POST", path, "sam", json=payload)
        assert (status, body["error"]) == (status_code, code), payload
    await api.ok("POST", path, "sam", json={"from": dup["id"]})
    status, body = await api.call("POST", path, "sam", json={"from": dup["id"]})
    assert (status, body["error"]) == (400, "merge_invalid")  # already one record
    status, body = await api.call("POST", f"/api/customers/{dup['id']}/merge", "sam",
                                  json={"from": jane["id"]})
    assert (status, body["error"]) == (400, "merge_invalid")


async def test_given_agent_when_merging_then_only_customers_they_work_or_worked_with(
        lite: CustomerApi) -> None:
    jane = await lite.new_customer(("chat", "jane"))
    dup = await lite.new_customer(("chat", "jane2"))
    await lite.stored("chat-1", "chat", dup["id"], at=10.0, agent="carol")
    path = f"/api/customers/{jane['id']}/merge"
    status, body = await lite.call("POST", path, "bob", json={"from": dup["id"]})
    assert (status, body["error"]) == (403, "forbidden")
    merged = await lite.ok("POST", path, "carol", json={"from": dup["id"]})
    assert [(m["id"], m["by"]) for m in merged["merged"]] == [(dup["id"], "carol")]


async def test_given_live_chat_of_merged_customer_when_handled_then_it_lands_on_survivor(
        api: CustomerApi) -> None:
    jane = await api.new_customer(("email", "jane@example.org"))
    visitor = await api.new_customer(("chat", "visitor-7"))
    await api.ok("POST", "/api/agents/alice/login", "alice")
    await api.dispatcher.enqueue(Interaction("chat-live", Medium.CHAT, queue="sales",
                                             customer_id=visitor["id"], created_at=1.0,
                                             attributes={"from_address": "visitor-7"}))
    assert (await api.dispatcher.live_interaction("chat-live")).agent_id == "alice"

    await api.ok("POST", f"/api/customers/{jane['id']}/merge", "alice",
                 json={"from": visitor["id"]})
    await api.ok("POST", "/api/interactions/chat-live/accept", "alice")
    await api.ok("POST", "/api/interactions/chat-live/notes", "alice",
                 json={"text": "same person as the email"})
    await api.ok("PUT", "/api/interactions/chat-live/disposition", "alice",
                 json={"disposition": "resolved"})
    await api.ok("POST", "/api/interactions/chat-live/close", "alice",
                 json={"reason": "resolved"})

    record = await api.ok("GET", "/api/interactions/chat-live", "alice")
    assert (record["customer_id"], record["status"]) == (jane["id"], "ended")
    assert record["disposition"] == "resolved"
    page = await api.ok("GET", f"/api/customers/{visitor['id']}/timeline", "alice")
    assert page["customer_id"] == jane["id"]
    assert [(i["id"], i["disposition"]) for i in page["items"]] == [("chat-live",
                                                                      "resolved")]
    assert [n["text"] for n in page["items"][0]["notes"]] == ["same person as the email"]


async def test_given_two_opposite_merges_at_once_when_run_then_one_wins_and_no_cycle(
        db: Database) -> None:
    from ccengine.store.customers import CustomerRepository, InvalidMerge
    repo = CustomerRepository(db)
    for _ in range(5):
        a = await repo.get_or_create_by_identity("chat", f"a-{_}")
        b = await repo.get_or_create_by_identity("chat", f"b-{_}")
        results = await asyncio.gather(repo.merge(a["id"], b["id"], by="alice"),
                                       repo.merge(b["id"], a["id"], by="bob"),
                                       return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        assert len(failed) == 1 and isinstance(failed[0], InvalidMerge), results
        survivors = {(await repo.get(a["id"]))["id"], (await repo.get(b["id"]))["id"]}
        assert len(survivors) == 1
