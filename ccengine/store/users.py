"""Users who sign in (agents, supervisors, admins), each in one tenant, with scrypt password
hashes (random salt per password, constant-time verification)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ccengine.core.errors import CoreError
from ccengine.store.db import Database
from ccengine.store.models import UserRecord

ROLES = ("agent", "supervisor", "admin")
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32


class UserExists(CoreError):
    code = "user_exists"


class UnknownUser(CoreError, KeyError):
    code = "user_not_found"

    def __str__(self) -> str:
        return f"no user {self.args[0]!r}"


class InvalidUser(CoreError, ValueError):
    """A role outside agent|supervisor|admin, an empty id or an empty password."""

    code = "user_invalid"


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) of the password with a fresh random salt."""
    if not password:
        raise InvalidUser("empty password")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=SCRYPT_LEN)
    return "$".join(("scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     _b64(salt), _b64(digest)))


def verify_password(password: str, stored: str | None) -> bool:
    """True if the password matches the stored hash; the comparison is constant-time, and
    a missing or malformed hash still costs one scrypt and answers False."""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        n_, r_, p_, salt_b, expected = int(n), int(r), int(p), _unb64(salt), _unb64(digest)
    except ValueError:
        n_, r_, p_, salt_b, expected = SCRYPT_N, SCRYPT_R, SCRYPT_P, b"\0" * 16, b""
    actual = hashlib.scrypt(password.encode(), salt=salt_b, n=n_, r=r_, p=p_,
                            dklen=len(expected) or SCRYPT_LEN, maxmem=2**26)
    return bool(expected) and hmac.compare_digest(actual, expected)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as e:
        raise ValueError(str(e)) from None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidUser(f"role {role!r} is not one of {', '.join(ROLES)}")


def _as_dict(row: UserRecord) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "role": row.role, "tenant": row.tenant,
            "has_password": row.password_hash is not None}


class UserRepository:
    """Users in the SQL store; password hashes never leave this module."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, user_id: str, role: str, tenant: str = "default",
                     name: str | None = None, password: str | None = None) -> dict[str, Any]:
        """Add a user; UserExists if the id is taken, InvalidUser for a bad role or id."""
        if not user_id or not user_id.strip():
            raise InvalidUser("empty user id")
        _check_role(role)
        hashed = await asyncio.to_thread(hash_password, password) if password is not None \
            else None
        try:
            async with self.db.session.begin() as s:
                if await s.get(UserRecord, user_id) is not None:
                    raise UserExists(f"user {user_id!r} exists")
                row = UserRecord(id=user_id, name=name, role=role, tenant=tenant,
                                 password_hash=hashed, created_at=time.time())
                s.add(row)
                await s.flush()
        except IntegrityError:
            raise UserExists(f"user {user_id!r} exists") from None
        return _as_dict(row)

    async def get(self, user_id: str) -> dict[str, Any] | None:
        async with self.db.session() as s:
            row = await s.get(UserRecord, user_id)
        return _as_dict(row) if row else None

    async def list_users(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """Users ordered by id, of one tenant if given."""
        query = select(UserRecord).order_by(UserRecord.id)
        if tenant is not None:
            query = query.where(UserRecord.tenant == tenant)
        async with self.db.session() as s:
            return [_as_dict(r) for r in (await s.execute(query)).scalars()]

    async def set_role(self, user_id: str, role: str) -> dict[str, Any]:
        _check_role(role)
        async with self.db.session.begin() as s:
            row = await s.get(UserRecord, user_id)
            if row is None:
                raise UnknownUser(user_id)
            row.role = role
        return _as_dict(row)

    async def set_password(self, user_id: str, password: str) -> None:
        hashed = await asyncio.to_thread(hash_password, password)
        async with self.db.session.begin() as s:
            row = await s.get(UserRecord, user_id)
            if row is None:
                raise UnknownUser(user_id)
            row.password_hash = hashed

    async def verify(self, user_id: str, password: str) -> dict[str, Any] | None:
        """The user if the password is right, else None (unknown users take as long)."""
        async with self.db.session() as s:
            row = await s.get(UserRecord, user_id)
        stored = row.password_hash if row else None
        ok = await asyncio.to_thread(verify_password, password, stored)
        return _as_dict(row) if ok and row is not None else None
