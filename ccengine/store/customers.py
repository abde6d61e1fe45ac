"""Customers and their identities (phone, email, chat handle): one record per customer across
every medium, lookup by any identity, merging of duplicates, cross-channel history."""

from __future__ import annotations

import time
import uuid
from typing import Any

import phonenumbers
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ccengine.core.errors import CoreError
from ccengine.store.db import Database
from ccengine.store.models import Customer, CustomerIdentity, InteractionRecord

KINDS = ("phone", "email", "chat")
MILESTONES = ("entered", "ivr_done", "queued", "offered", "answered", "ended")
_MAX_MERGE_DEPTH = 64


class InvalidIdentity(CoreError, ValueError):
    """An identity value that cannot be normalised (bad phone number, email, unknown kind)."""

    code = "invalid_identity"

    def __init__(self, kind: str, value: str, reason: str) -> None:
        self.kind, self.value, self.reason = kind, value, reason
        super().__init__(f"invalid {kind} identity {value!r}: {reason}")


class IdentityTaken(CoreError):
    """The identity already belongs to another customer; nothing changed."""

    code = "identity_taken"

    def __init__(self, kind: str, value: str, owner_id: str) -> None:
        self.kind, self.value, self.owner_id = kind, value, owner_id
        super().__init__(f"{kind} {value!r} already belongs to customer {owner_id}")


class UnknownCustomer(CoreError, KeyError):
    code = "customer_not_found"

    def __str__(self) -> str:
        return f"no customer {self.args[0]!r}"


class InvalidMerge(CoreError):
    """A merge that cannot happen (a customer into itself); nothing changed."""

    code = "merge_invalid"


def normalise_phone(value: str, default_region: str) -> str:
    """E.164 form of a phone number; national numbers are read in ``default_region``."""
    try:
        number = phonenumbers.parse(value.strip(), default_region)
    except phonenumbers.NumberParseException as e:
        raise InvalidIdentity("phone", value, str(e)) from None
    # possible (not "valid"): metadata lags new number ranges, and a caller must not be
    # turned away because of it; impossible lengths and non-numbers are refused
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentity("phone", value, "not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    """Lower-cased, stripped email address with exactly one '@' and text either side."""
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain or any(c.isspace() for c in email):
        raise InvalidIdentity("email", value, "expected one '@' between a name and a domain")
    return email


def normalise_chat(value: str) -> str:
    handle = value.strip()
    if not handle:
        raise InvalidIdentity("chat", value, "empty chat handle")
    return handle


def normalise(kind: str, value: str, default_region: str) -> str:
    """The stored form of an identity of ``kind`` (phone, email or chat)."""
    if not isinstance(value, str):
        raise InvalidIdentity(kind, str(value), "not text")
    if kind == "phone":
        return normalise_phone(value, default_region)
    if kind == "email":
        return normalise_email(value)
    if kind == "chat":
        return normalise_chat(value)
    raise InvalidIdentity(kind, value, f"unknown kind (one of {', '.join(KINDS)})")


class CustomerRepository:
    """Customers in the SQL store, found and created by their identities."""

    def __init__(self, db: Database, default_region: str = "GB") -> None:
        self.db = db
        self.default_region = default_region

    def normalise(self, kind: str, value: str) -> str:
        return normalise(kind, value, self.default_region)

    async def get(self, customer_id: str) -> dict[str, Any] | None:
        """The customer (or the one it was merged into), or None."""
        async with self.db.session() as s:
            row = await _survivor(s, customer_id)
            return await _as_dict(s, row) if row else None

    async def find_by_identity(self, kind: str, value: str) -> dict[str, Any] | None:
        """The customer owning this identity, following merges; None if nobody has it."""
        normalised = self.normalise(kind, value)
        async with self.db.session() as s:
            row = await _owner(s, kind, normalised)
            return await _as_dict(s, row) if row else None

    async def get_or_create_by_identity(self, kind: str, value: str,
                                        name: str | None = None) -> dict[str, Any]:
        """The customer owning this identity, created with it if nobody has it yet."""
        normalised = self.normalise(kind, value)
        for _ in range(3):
            found = await self.find_by_identity(kind, normalised)
            if found is not None:
                return found
            try:
                async with self.db.session.begin() as s:
                    row = Customer(id=str(uuid.uuid4()), name=name, tier="standard",
                                   created_at=time.time())
                    s.add(row)
                    await s.flush()
                    s.add(CustomerIdentity(customer_id=row.id, kind=kind, value=normalised))
                    await s.flush()
                    return await _as_dict(s, row)
            except IntegrityError:
                continue  # another node created it meanwhile: read theirs
        raise RuntimeError(f"could not get or create customer for {kind} {normalised!r}")

    async def add_identity(self, customer_id: str, kind: str, value: str) -> dict[str, Any]:
        """Give the customer one more identity; IdentityTaken if another customer has it."""
        normalised = self.normalise(kind, value)
        try:
            async with self.db.session.begin() as s:
                row = await _survivor(s, customer_id)
                if row is None:
                    raise UnknownCustomer(customer_id)
                owner = await _owner(s, kind, normalised)
                if owner is not None and owner.id != row.id:
                    raise IdentityTaken(kind, normalised, owner.id)
                if owner is None:
                    s.add(CustomerIdentity(customer_id=row.id, kind=kind, value=normalised))
                    await s.flush()
                return await _as_dict(s, row)
        except IntegrityError:
            found = await self.find_by_identity(kind, normalised)
            raise IdentityTaken(kind, normalised, found["id"] if found else "?") from None

    async def merge(self, source_id: str, target_id: str) -> dict[str, Any]:
        """Merge the source customer into the target: identities and interactions move to the
        target, the source is kept with ``merged_into`` so old references still resolve."""
        async with self.db.session.begin() as s:
            source = await _survivor(s, source_id)
            target = await _survivor(s, target_id)
            if source is None:
                raise UnknownCustomer(source_id)
            if target is None:
                raise UnknownCustomer(target_id)
            if source.id == target.id:
                raise InvalidMerge(f"customer {source_id} is already {target.id}")
            await s.execute(update(CustomerIdentity)
                            .where(CustomerIdentity.customer_id == source.id)
                            .values(customer_id=target.id))
            await s.execute(update(InteractionRecord)
                            .where(InteractionRecord.customer_id == source.id)
                            .values(customer_id=target.id))
            await s.execute(update(Customer).where(Customer.merged_into == source.id)
                            .values(merged_into=target.id))
            source.merged_into = target.id
            if target.name is None:
                target.name = source.name
            await s.flush()
            return await _as_dict(s, target)

    async def history(self, customer_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The customer's interactions on every medium, newest first (by entered_at),
        including those recorded under customers since merged into it."""
        async with self.db.session() as s:
            row = await _survivor(s, customer_id)
            if row is None:
                return []
            ids = {row.id}
            frontier = {row.id}
            while frontier:
                merged = set((await s.execute(select(Customer.id).where(
                    Customer.merged_into.in_(frontier)))).scalars()) - ids
                ids |= merged
                frontier = merged
            rows = (await s.execute(
                select(InteractionRecord)
                .where(InteractionRecord.customer_id.in_(ids))
                .order_by(InteractionRecord.entered_at.desc().nulls_last(),
                          InteractionRecord.id)
                .limit(limit))).scalars().all()
        return [{"id": r.id, "medium": r.medium, "queue": r.queue, "agent_id": r.agent_id,
                 "caller_number": r.caller_number, "hung_up_by": r.hung_up_by,
                 "timestamps": {m: getattr(r, f"{m}_at") for m in MILESTONES}}
                for r in rows]


async def _survivor(s: AsyncSession, customer_id: str) -> Customer | None:
    """The customer itself, or the customer it was (transitively) merged into."""
    row = await s.get(Customer, customer_id)
    for _ in range(_MAX_MERGE_DEPTH):
        if row is None or row.merged_into is None:
            return row
        row = await s.get(Customer, row.merged_into)
    raise RuntimeError(f"merge chain of customer {customer_id} too long or cyclic")


async def _owner(s: AsyncSession, kind: str, normalised: str) -> Customer | None:
    owner_id = (await s.execute(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.kind == kind, CustomerIdentity.value == normalised))).scalar()
    return await _survivor(s, owner_id) if owner_id is not None else None


async def _as_dict(s: AsyncSession, row: Customer) -> dict[str, Any]:
    identities = (await s.execute(
        select(CustomerIdentity.kind, CustomerIdentity.value)
        .where(CustomerIdentity.customer_id == row.id)
        .order_by(CustomerIdentity.kind, CustomerIdentity.value))).all()
    return {"id": row.id, "name": row.name, "tier": row.tier,
            "identities": [{"kind": k, "value": v} for k, v in identities]}
