"""Customers and users in the store on SQLite and on the real PostgreSQL server: identity
normalisation, lookup by any identity, uniqueness, merging with history, passwords, and the
migrations matching the models."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.store.customers import (
    CustomerRepository,
    IdentityTaken,
    InvalidIdentity,
    InvalidMerge,
    normalise,
)
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.models import Base
from ccengine.store.users import InvalidUser, UserExists, UserRepository, verify_password

PG_ADMIN = os.environ.get("CCENGINE_TEST_PG",
                          "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


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


# --- customers ---------------------------------------------------------------------------

async def test_given_new_identity_when_get_or_create_then_created_once(db: Database) -> None:
    repo = CustomerRepository(db, "GB")
    first = await repo.get_or_create_by_identity("phone", "020 7946 0958", name="Jane")
    again = await repo.get_or_create_by_identity("phone", "+44 20 7946 0958")
    assert again == first
    assert first["name"] == "Jane" and first["tier"] == "standard"
    assert first["identities"] == [{"kind": "phone", "value": "+442079460958"}]


async def test_given_customer_with_identities_when_looked_up_by_any_then_found(
        db: Database) -> None:
    repo = CustomerRepository(db, "GB")
    jane = await repo.get_or_create_by_identity("chat", "jane-web-1", name="Jane")
    await repo.add_identity(jane["id"], "email", "Jane@Example.com")
    await repo.add_identity(jane["id"], "phone", "020 7946 0958")
    for kind, value in (("chat", " jane-web-1 "), ("email", "JANE@example.COM"),
                        ("phone", "+442079460958")):
        found = await repo.find_by_identity(kind, value)
        assert found is not None and found["id"] == jane["id"]
    assert {i["kind"] for i in found["identities"]} == {"chat", "email", "phone"}
    assert await repo.find_by_identity("email", "someone@else.org") is None


async def test_given_identity_of_another_customer_when_added_then_identity_taken(
        db: Database) -> None:
    repo = CustomerRepository(db, "GB")
    jane = await repo.get_or_create_by_identity("email", "jane@example.com")
    john = await repo.get_or_create_by_identity("email", "john@example.com")
    with pytest.raises(IdentityTaken) as err:
        await repo.add_identity(john["id"], "email", " JANE@example.com")
    assert err.value.code == "identity_taken" and err.value.owner_id == jane["id"]
    # nothing changed, and adding an identity one already owns is harmless
    assert (await repo.find_by_identity("email", "jane@example.com"))["id"] == jane["id"]
    again = await repo.add_identity(jane["id"], "email", "jane@example.com")
    assert again["identities"] == [{"kind": "email", "value": "jane@example.com"}]


async def test_given_invalid_phone_when_looked_up_then_invalid_identity(db: Database) -> None:
    with pytest.raises(InvalidIdentity):
        await CustomerRepository(db, "GB").find_by_identity("phone", "12")


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


async def test_given_chain_of_merges_when_looked_up_then_last_survivor(db: Database) -> None:
    repo = CustomerRepository(db, "GB")
    a = await repo.get_or_create_by_identity("chat", "a")
    b = await repo.get_or_create_by_identity("chat", "b")
    c = await repo.get_or_create_by_identity("chat", "c")
    await repo.merge(a["id"], b["id"])
    await repo.merge(b["id"], c["id"])
    assert (await repo.find_by_identity("chat", "a"))["id"] == c["id"]
    assert (await repo.get(a["id"]))["id"] == c["id"]
    with pytest.raises(InvalidMerge):
        await repo.merge(a["id"], c["id"])


# --- users -------------------------------------------------------------------------------

async def test_given_user_with_password_when_verified_then_right_one_accepted(
        db: Database) -> None:
    users = UserRepository(db)
    created = await users.create("alice", "agent", tenant="acme", name="Alice",
                                 password="correct horse")
    assert created == {"id": "alice", "name": "Alice", "role": "agent", "tenant": "acme",
                       "has_password": True}
    assert (await users.verify("alice", "correct horse")) == created
    assert await users.verify("alice", "Correct horse") is None
    assert await users.verify("alice", "") is None
    assert await users.verify("nobody", "correct horse") is None
    await users.set_password("alice", "battery staple")
    assert await users.verify("alice", "correct horse") is None
    assert await users.verify("alice", "battery staple") is not None


async def test_given_users_when_created_then_roles_checked_and_ids_unique(
        db: Database) -> None:
    users = UserRepository(db)
    await users.create("sam", "supervisor", tenant="acme")
    await users.create("root", "admin", tenant="other")
    with pytest.raises(UserExists) as err:
        await users.create("sam", "agent")
    assert err.value.code == "user_exists"
    with pytest.raises(InvalidUser):
        await users.create("eve", "superuser")
    assert await users.verify("sam", "") is None  # no password set: refused
    assert [u["id"] for u in await users.list_users("acme")] == ["sam"]
    assert (await users.set_role("sam", "admin"))["role"] == "admin"


def test_given_same_password_when_hashed_twice_then_salts_differ() -> None:
    from ccengine.store.users import hash_password
    one, two = hash_password("pw"), hash_password("pw")
    assert one != two and one.startswith("scrypt$")
    assert verify_password("pw", one) and verify_password("pw", two)
    assert not verify_password("pw", "garbage") and not verify_password("pw", None)


# --- schema ------------------------------------------------------------------------------

async def test_given_migrated_database_when_compared_with_models_then_no_differences(
        db: Database) -> None:
    def diff(connection):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
