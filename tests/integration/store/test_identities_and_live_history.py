"""Identity normalisation (pure), and core Interactions saved as they are live then merged
customers: the history follows, also for an interaction still carrying the old id. Lookup,
uniqueness and merges of stored records are in test_customer_repository.py."""

from __future__ import annotations

import pytest

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.store.customers import CustomerRepository, InvalidIdentity, normalise
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository

# --- normalisation (pure) ---------------------------------------------------------------

@pytest.mark.parametrize(("kind", "raw", "expected"), [
    ("phone", "020 7946 0958", "+442079460958"),
    ("phone", "+44 20 7946 0958", "+442079460958"),
    ("phone", "(020) 7946-0958", "+442079460958"),
    ("phone", "0049 30 123456", "+4930123456"),
    ("phone", "+1 202 555 0123", "+12025550123"),
    ("email", "  Jane.Doe@Example.COM ", "jane.doe@example.com"),
    ("chat", "  web:abc123\n", "web:abc123"),
])
def test_given_identity_when_normalised_then_canonical_form(kind: str, raw: str,
                                                             expected: str) -> None:
    assert normalise(kind, raw, "GB") == expected


@pytest.mark.parametrize(("kind", "raw"), [
    ("phone", "12"), ("phone", "not a number"), ("phone", ""),
    ("email", "jane.example.com"), ("email", "jane@@example.com"), ("email", "a@b@c"),
    ("email", "@example.com"), ("email", "jane@"),
    ("chat", "   "), ("fax", "123"),
])
def test_given_bad_identity_when_normalised_then_invalid_identity_with_code(
        kind: str, raw: str) -> None:
    with pytest.raises(InvalidIdentity) as err:
        normalise(kind, raw, "GB")
    assert err.value.code == "invalid_identity" and err.value.kind == kind


def test_given_default_region_when_national_number_then_read_in_that_region() -> None:
    assert normalise("phone", "(202) 555-0123", "US") == "+12025550123"



# --- merges of customers with live interactions ---------------------------------------

def an_interaction(iid: str, medium: Medium, customer_id: str, entered: float,
                   agent: str | None = None) -> Interaction:
    i = Interaction(iid, medium, queue="support", customer_id=customer_id)
    i.record("entered", entered)
    i.record("queued", entered + 1)
    if agent:
        i.record("offered", entered + 5, agent_id=agent)
        i.record("answered", entered + 6, agent_id=agent)
    return i


async def test_given_duplicates_when_merged_then_identities_and_history_follow(
        db: Database) -> None:
    customers, interactions = CustomerRepository(db, "GB"), InteractionRepository(db)
    by_chat = await customers.get_or_create_by_identity("chat", "visitor-42")
    by_phone = await customers.get_or_create_by_identity("phone", "020 7946 0958", "Jane")
    await interactions.save(an_interaction("chat-1", Medium.CHAT, by_chat["id"], 1000.0,
                                           agent="alice"))
    await interactions.save(an_interaction("call-1", Medium.VOICE, by_phone["id"], 4600.0,
                                           agent="bob"))
    await interactions.save(an_interaction("mail-1", Medium.EMAIL, by_phone["id"], 90000.0))

    merged = await customers.merge(by_chat["id"], by_phone["id"])

    assert merged["id"] == by_phone["id"] and merged["name"] == "Jane"
    assert {(i["kind"], i["value"]) for i in merged["identities"]} == {
        ("chat", "visitor-42"), ("phone", "+442079460958")}
    assert (await customers.find_by_identity("chat", "visitor-42"))["id"] == by_phone["id"]
    assert (await customers.get(by_chat["id"]))["id"] == by_phone["id"]
    for who in (by_chat["id"], by_phone["id"]):
        history = await customers.history(who)
        assert [h["id"] for h in history] == ["mail-1", "call-1", "chat-1"]
        assert [h["medium"] for h in history] == ["email", "voice", "chat"]
    history = await customers.history(by_phone["id"])
    assert history[1]["agent_id"] == "bob" and history[1]["queue"] == "support"
    assert history[1]["timestamps"]["answered"] == 4606.0
    assert history[0]["timestamps"]["answered"] is None
    assert [h["id"] for h in await customers.history(by_phone["id"], limit=2)] == [
        "mail-1", "call-1"]
    # a live interaction still carrying the old id is in the history too
    await interactions.save(an_interaction("chat-2", Medium.CHAT, by_chat["id"], 95000.0))
    assert (await customers.history(by_phone["id"]))[0]["id"] == "chat-2"
