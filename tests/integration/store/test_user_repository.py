"""Users on SQLite and PostgreSQL: passwords and API tokens stored only as hashes, verified;
roles and tenants."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ccengine.store.db import Database
from ccengine.store.errors import InvalidUser, UnknownUser, UserExists
from ccengine.store.users import UserRepository, hash_password, verify_password


async def test_given_user_with_password_when_verified_then_only_right_password_accepted(
        db: Database) -> None:
    repo = UserRepository(db)
    alice = await repo.create("alice", "agent", tenant="acme", name="Alice",
                              password="correct horse")
    assert alice == {"id": "alice", "name": "Alice", "role": "agent", "tenant": "acme",
                     "has_password": True}
    assert await repo.verify("alice", "correct horse") == alice
    assert await repo.verify("alice", "wrong") is None
    assert await repo.verify("nobody", "correct horse") is None
    await repo.set_password("alice", "battery staple")
    assert await repo.verify("alice", "correct horse") is None
    assert await repo.verify("alice", "battery staple") == alice
    async with db.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT password_hash FROM users"))).scalar()
    assert stored.startswith("scrypt$") and "battery" not in stored


async def test_given_user_with_token_when_verified_then_found_by_token_only(
        db: Database) -> None:
    repo = UserRepository(db)
    await repo.create("bob", "supervisor", token="bob-static-token-0123456789")
    assert (await repo.verify_token("bob-static-token-0123456789"))["id"] == "bob"
    token = await repo.issue_token("bob")
    assert (await repo.verify_token(token))["role"] == "supervisor"
    assert await repo.verify_token("bob-static-token-0123456789") is None  # replaced
    assert await repo.verify_token("short") is None
    async with db.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT token_hash FROM users"))).scalar()
    assert token not in stored and len(stored) == 64
    await repo.revoke_token("bob")
    assert await repo.verify_token(token) is None
    await repo.create("carol", "agent", token="carol-static-token-0123456789")
    with pytest.raises(InvalidUser, match="another user"):
        await repo.create("dave", "agent", token="carol-static-token-0123456789")
    assert await repo.get("dave") is None


async def test_given_users_in_tenants_when_listed_then_by_tenant_and_id(db: Database) -> None:
    repo = UserRepository(db)
    await repo.create("zed", "admin", tenant="acme")
    await repo.create("amy", "agent", tenant="acme")
    await repo.create("bob", "agent", tenant="other")
    assert [u["id"] for u in await repo.list_users()] == ["amy", "bob", "zed"]
    assert [u["id"] for u in await repo.list_users(tenant="acme")] == ["amy", "zed"]
    assert (await repo.set_role("amy", "supervisor"))["role"] == "supervisor"


async def test_given_bad_user_input_when_created_then_clear_errors(db: Database) -> None:
    repo = UserRepository(db)
    await repo.create("alice", "agent")
    with pytest.raises(UserExists) as err:
        await repo.create("alice", "admin")
    assert err.value.code == "user_exists"
    for bad in ({"user_id": "", "role": "agent"}, {"user_id": "x", "role": "boss"},
                {"user_id": "x", "role": "agent", "tenant": " "},
                {"user_id": "x", "role": "agent", "password": ""}):
        with pytest.raises(InvalidUser):
            await repo.create(**bad)
    with pytest.raises(UnknownUser):
        await repo.issue_token("nobody")
    assert await repo.get("x") is None


def test_given_same_password_when_hashed_twice_then_salts_differ() -> None:
    one, two = hash_password("pw"), hash_password("pw")
    assert one != two and one.startswith("scrypt$")
    assert verify_password("pw", one) and verify_password("pw", two)
    assert not verify_password("pw", "garbage") and not verify_password("pw", None)


async def test_given_config_users_when_synced_then_missing_created_and_changes_applied(
        db: Database) -> None:
    repo = UserRepository(db)
    await repo.create("alice", "agent", name="Alice", password="correct horse")
    await repo.create("old", "agent")
    created, updated = await repo.sync([("alice", "supervisor", "Alice B"),
                                        ("sam", "supervisor", "Sam"), ("admin", "admin", None)])
    assert (sorted(created), updated) == (["admin", "sam"], ["alice"])
    assert await repo.get("alice") == {"id": "alice", "name": "Alice B", "role": "supervisor",
                                       "tenant": "default", "has_password": True}
    assert (await repo.get("sam"))["has_password"] is False
    assert await repo.get("old") is not None  # users the config no longer names stay
    assert await repo.sync([("alice", "supervisor", "Alice B")]) == ([], [])
    assert (await repo.verify("alice", "correct horse"))["role"] == "supervisor"
    with pytest.raises(InvalidUser):
        await repo.sync([("zed", "boss", None)])


async def test_given_password_outside_rules_when_set_then_refused_and_unchanged(
        db: Database) -> None:
    from ccengine.store.errors import BadPassword
    repo = UserRepository(db)
    await repo.create("alice", "agent", password="correct horse")
    for bad in ("short", "x" * 201):
        with pytest.raises(BadPassword) as e:
            await repo.set_password("alice", bad)
        assert e.value.code == "bad_password"
    assert await repo.verify("alice", "correct horse") is not None
    await repo.set_password("alice", "x" * 200)
    assert await repo.verify("alice", "x" * 200) is not None
