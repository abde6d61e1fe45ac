"""Users who sign in (agents, supervisors, admins), each in one tenant. Only hashes are stored:
scrypt for passwords (random salt per password, constant-time verification) and SHA-256 for
API tokens (random 256-bit values made here, so a fast hash suffices and the hash can be
looked up by an index)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ccengine.store.db import Database
from ccengine.store.errors import BadPassword, InvalidUser, UnknownUser, UserExists
from ccengine.store.models import UserRecord
from ccengine.store.records import UserView

__all__ = ["PASSWORD_MAX", "PASSWORD_MIN", "ROLES", "BadPassword", "InvalidUser",
           "UnknownUser", "UserExists", "UserRepository", "check_password_rules",
           "hash_password", "hash_token", "new_token", "verify_password"]

ROLES = ("agent", "supervisor", "admin")
PASSWORD_MIN, PASSWORD_MAX = 8, 200  # characters
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32


def check_password_rules(password: object) -> str:
    """The password if it may be set (text of PASSWORD_MIN to PASSWORD_MAX characters),
    else BadPassword saying what is wrong."""
    if not isinstance(password, str):
        raise BadPassword("a password must be text")
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise BadPassword(f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters "
                          f"(this one has {len(password)})")
    return password


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


def new_token() -> str:
    """A fresh random API token (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of an API token: hex SHA-256."""
    if not isinstance(token, str) or len(token) < 16:
        raise InvalidUser("a token must be text of at least 16 characters")
    return hashlib.sha256(token.encode()).hexdigest()


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


def _as_dict(row: UserRecord) -> UserView:
    return {"id": row.id, "name": row.name, "role": row.role, "tenant": row.tenant,
            "has_password": row.password_hash is not None}


class UserRepository:
    """Users in the SQL store; password hashes never leave this module."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, user_id: str, role: str, tenant: str = "default",
                     name: str | None = None, password: str | None = None,
                     token: str | None = None) -> UserView:
        """Add a user, optionally with a password and/or an API token (only their hashes
        are kept); UserExists if the id is taken, InvalidUser for a bad role, id or tenant
        or a token another user has."""
        if not isinstance(user_id, str) or not user_id.strip() or len(user_id) > 100:
            raise InvalidUser("a user id must be non-empty text of at most 100 characters")
        if not isinstance(tenant, str) or not tenant.strip() or len(tenant) > 100:
            raise InvalidUser("a tenant must be non-empty text of at most 100 characters")
        _check_role(role)
        if password is not None:
            check_password_rules(password)
        hashed = await asyncio.to_thread(hash_password, password) if password is not None \
            else None
        token_hash = hash_token(token) if token is not None else None
        try:
            async with self.db.session.begin() as s:
                if await s.get(UserRecord, user_id) is not None:
                    raise UserExists(f"user {user_id!r} exists")
                if token_hash is not None:
                    await _check_token_free(s, token_hash)
                row = UserRecord(id=user_id, name=name, role=role, tenant=tenant,
                                 password_hash=hashed, token_hash=token_hash,
                                 created_at=time.time())
                s.add(row)
                await s.flush()
        except IntegrityError as e:
            raise UserExists(f"user {user_id!r} exists") from e
        return _as_dict(row)

    async def get(self, user_id: str) -> UserView | None:
        """The user, or None."""
        async with self.db.session() as s:
            row = await s.get(UserRecord, user_id)
        return _as_dict(row) if row else None

    async def list_users(self, tenant: str | None = None) -> list[UserView]:
        """Users ordered by id, of one tenant if given."""
        query = select(UserRecord).order_by(UserRecord.id)
        if tenant is not None:
            query = query.where(UserRecord.tenant == tenant)
        async with self.db.session() as s:
            return [_as_dict(r) for r in (await s.execute(query)).scalars()]

    async def set_role(self, user_id: str, role: str) -> UserView:
        """Make the user an agent, supervisor or admin."""
        _check_role(role)
        async with self.db.session.begin() as s:
            row = await s.get(UserRecord, user_id)
            if row is None:
                raise UnknownUser(user_id)
            row.role = role
        return _as_dict(row)

    async def sync(self, users: Iterable[tuple[str, str, str | None]],
                   tenant: str = "default") -> tuple[list[str], list[str]]:
        """Make the store hold these ``(id, role, name)`` users: a missing one is created
        (without a password), a role or name that differs is updated; nothing else is
        touched (passwords, tokens, other users). Returns the ids created and updated.
        Safe when several engine nodes start together (a lost insert race is retried)."""
        wanted = {}
        for user_id, role, name in users:
            _check_role(role)
            wanted[user_id] = (role, name)
        try:
            return await self._sync(wanted, tenant)
        except IntegrityError:  # another node created one of them meanwhile: once more
            return await self._sync(wanted, tenant)

    async def _sync(self, wanted: dict[str, tuple[str, str | None]],
                    tenant: str) -> tuple[list[str], list[str]]:
        created, updated = [], []
        async with self.db.session.begin() as s:
            rows = {r.id: r for r in (await s.execute(select(UserRecord).where(
                UserRecord.id.in_(wanted)))).scalars()} if wanted else {}
            for user_id, (role, name) in wanted.items():
                row = rows.get(user_id)
                if row is None:
                    s.add(UserRecord(id=user_id, name=name, role=role, tenant=tenant,
                                     created_at=time.time()))
                    created.append(user_id)
                elif (row.role, row.name) != (role, name):
                    row.role, row.name = role, name
                    updated.append(user_id)
        return created, updated

    async def set_password(self, user_id: str, password: str) -> None:
        """Replace the user's password (its scrypt hash); BadPassword if it breaks the
        rules (``check_password_rules``), UnknownUser if there is no such user."""
        check_password_rules(password)
        hashed = await asyncio.to_thread(hash_password, password)
        async with self.db.session.begin() as s:
            row = await s.get(UserRecord, user_id)
            if row is None:
                raise UnknownUser(user_id)
            row.password_hash = hashed

    async def issue_token(self, user_id: str) -> str:
        """A new random API token for the user, replacing any earlier one; only its hash
        is stored, so this is the one time it can be read."""
        token = new_token()
        async with self.db.session.begin() as s:
            row = await s.get(UserRecord, user_id)
            if row is None:
                raise UnknownUser(user_id)
            row.token_hash = hash_token(token)
        return token

    async def revoke_token(self, user_id: str) -> None:
        """The user's API token stops working."""
        async with self.db.session.begin() as s:
            row = await s.get(UserRecord, user_id)
            if row is None:
                raise UnknownUser(user_id)
            row.token_hash = None

    async def verify_token(self, token: str) -> UserView | None:
        """The user holding this API token, or None (also for malformed tokens)."""
        try:
            token_hash = hash_token(token)
        except InvalidUser:
            return None
        async with self.db.session() as s:
            row = (await s.execute(select(UserRecord).where(
                UserRecord.token_hash == token_hash))).scalar()
        return _as_dict(row) if row is not None else None

    async def verify(self, user_id: str, password: str) -> UserView | None:
        """The user if the password is right, else None (unknown users take as long)."""
        async with self.db.session() as s:
            row = await s.get(UserRecord, user_id)
        stored = row.password_hash if row else None
        ok = await asyncio.to_thread(verify_password, password, stored)
        return _as_dict(row) if ok and row is not None else None


async def _check_token_free(s: AsyncSession, token_hash: str) -> None:
    taken = (await s.execute(select(UserRecord.id).where(
        UserRecord.token_hash == token_hash))).scalar()
    if taken is not None:
        raise InvalidUser("this token is already another user's")
