"""Customers on SQLite and PostgreSQL: lookup by any identity (normalised), uniqueness,
merging with history following, profile changes."""

from __future__ import annotations

import asyncio

import pytest

from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.errors import (
    IdentityTaken,
    InvalidIdentity,
    InvalidMerge,
    InvalidRecord,
    UnknownCustomer,
)
from ccengine.store.interactions import InteractionRepository
from ccengine.store.records import EventData, InteractionData


async def test_given_new_phone_when_get_or_create_in_other_formats_then_one_customer(
        db: Database) -> None:
    repo = CustomerRepository(db, "GB")
    first = await repo.get_or_create_by_identity("phone", "020 7946 0958", name="Jane")
    again = await repo.get_or_create_by_identity("phone", "+44 20 7946 0958")
    also = await repo.get_or_create_by_identity("phone", "0044 (20) 7946-0958")
    assert again == first == also
    assert first["name"] == "Jane" and first["tier"] == "standard"
    assert first["identities"] == [{"kind": "phone", "value": "+442079460958"}]
    assert first["created_at"] == first["updated_at"] > 0


async def test_given_customer_with_three_identities_when_looked_up_by_each_then_found(
        db: Database) -> None:
    repo = CustomerRepository(db, "DE")
    jane = await repo.get_or_create_by_identity("chat", "jane-web-1", name="Jane")
    await repo.add_identity(jane["id"], "email", "Jane@Example.com ")
    await repo.add_identity(jane["id"], "phone", "0049 30 123456")
    for kind, value in (("chat", " jane-web-1 "), ("email", "JANE@example.COM"),
                        ("phone", "030 123456"), ("phone", "+4930123456")):
        found = await repo.find_by_identity(kind, value)
        assert found is not None and found["id"] == jane["id"]
    assert found["identities"] == [{"kind": "chat", "value": "jane-web-1"},
                                   {"kind": "email", "value": "jane@example.com"},
                                   {"kind": "phone", "value": "+4930123456"}]
    assert found["updated_at"] >= found["created_at"]
    assert await repo.find_by_identity("email", "someone@else.org") is None


async def test_given_identity_of_another_customer_when_added_then_identity_taken(
        db: Database) -> None:
    repo = CustomerRepository(db, "GB")
    jane = await repo.get_or_create_by_identity("email", "jane@example.com")
    john = await repo.get_or_create_by_identity("email", "john@example.com")
    with pytest.raises(IdentityTaken) as err:
        await repo.add_identity(john["id"], "email", " JANE@example.com")
    assert err.value.code == "identity_taken" and err.value.owner_id == jane["id"]
    assert (await repo.find_by_identity("email", "jane@example.com"))["id"] == jane["id"]
    assert (await repo.get(john["id"]))["identities"] == [
        {"kind": "email", "value": "john@example.com"}]
    again = await repo.add_identity(jane["id"], "email", "jane@example.com")  # harmless
    assert again["identities"] == [{"kind": "email", "value": "jane@example.com"}]


async def test_given_invalid_or_unknown_input_when_used_then_clear_errors(
        db: Database) -> None:
    repo = CustomerRepository(db, "GB")
    with pytest.raises(InvalidIdentity, match="not a possible phone number"):
        await repo.find_by_identity("phone", "12")
    with pytest.raises(InvalidIdentity, match="unknown kind"):
        await repo.get_or_create_by_identity("fax", "123")
    with pytest.raises(UnknownCustomer) as err:
        await repo.add_identity("nobody", "email", "a@b.c")
    assert err.value.code == "customer_not_found" and "nobody" in str(err.value)
    with pytest.raises(InvalidRecord, match="default region"):
        CustomerRepository(db, "Narnia")


async def test_given_many_nodes_when_same_new_identity_at_once_then_one_customer(
        db: Database) -> None:
    repo = CustomerRepository(db, "GB")
    results = await asyncio.gather(*(repo.get_or_create_by_identity("phone", "07700 900123")
                                     for _ in range(8)))
    assert len({r["id"] for r in results}) == 1


async def test_given_key_account_when_profile_updated_then_tier_kept(db: Database) -> None:
    repo = CustomerRepository(db, "GB")
    jane = await repo.get_or_create_by_identity("email", "jane@example.com")
    updated = await repo.update_profile(jane["id"], name="Jane Doe", tier="key_account")
    assert (updated["name"], updated["tier"]) == ("Jane Doe", "key_account")
    assert (await repo.get(jane["id"]))["tier"] == "key_account"


def a_contact(iid: str, medium: str, customer_id: str, entered: float) -> InteractionData:
    return InteractionData(iid, medium, queue="support", customer_id=customer_id, events=[
        EventData("entered", entered), EventData("queued", entered + 1),
        EventData("answered", entered + 5, {"agent_id": "alice"}),
        EventData("ended", entered + 60, {"hung_up_by": "caller"})])


async def test_given_duplicates_with_history_when_merged_then_one_customer_one_history(
        db: Database) -> None:
    customers, interactions = CustomerRepository(db, "GB"), InteractionRepository(db)
    by_chat = await customers.get_or_create_by_identity("chat", "web-42", name="J. Doe")
    by_phone = await customers.get_or_create_by_identity("phone", "020 7946 0958")
    await interactions.save(a_contact("chat-1", "chat", by_chat["id"], 1000.0))
    await interactions.save(a_contact("call-1", "voice", by_phone["id"], 2000.0))
    await interactions.save(a_contact("mail-1", "email", by_chat["id"], 3000.0))

    merged = await customers.merge(by_chat["id"], by_phone["id"])

    assert merged["id"] == by_phone["id"] and merged["name"] == "J. Doe"
    assert {i["kind"] for i in merged["identities"]} == {"chat", "phone"}
    # every identity and the merged-away id resolve to the survivor
    assert (await customers.find_by_identity("chat", "web-42"))["id"] == by_phone["id"]
    assert (await customers.get(by_chat["id"]))["id"] == by_phone["id"]
    history = await customers.history(by_chat["id"])
    assert [h["id"] for h in history] == ["mail-1", "call-1", "chat-1"]  # newest first
    assert [h["medium"] for h in history] == ["email", "voice", "chat"]
    assert all(h["customer_id"] == by_phone["id"] for h in history)
    assert [e["kind"] for e in history[0]["events"]] == ["entered", "queued", "answered",
                                                         "ended"]
    assert await customers.history(by_phone["id"], limit=1) == history[:1]
    assert [i["id"] for i in await interactions.list(customer_id=by_phone["id"])] == \
        ["mail-1", "call-1", "chat-1"]


async def test_given_merge_chain_when_merged_again_then_everything_follows_last_target(
        db: Database) -> None:
    repo = CustomerRepository(db, "GB")
    a = await repo.get_or_create_by_identity("email", "a@example.com")
    b = await repo.get_or_create_by_identity("email", "b@example.com")
    c = await repo.get_or_create_by_identity("email", "c@example.com")
    await repo.merge(a["id"], b["id"])
    await repo.merge(b["id"], c["id"])
    for old in (a, b):
        assert (await repo.get(old["id"]))["id"] == c["id"]
    assert len((await repo.get(c["id"]))["identities"]) == 3
    with pytest.raises(InvalidMerge) as err:
        await repo.merge(a["id"], c["id"])  # a already is c
    assert err.value.code == "merge_invalid"
    with pytest.raises(UnknownCustomer):
        await repo.merge("nobody", c["id"])
