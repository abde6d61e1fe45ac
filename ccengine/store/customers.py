"""Customers and their identities (phone, email, chat handle): one record per customer across
every medium, lookup by any identity, merging of duplicates, cross-channel history."""

from __future__ import annotations

import functools
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import phonenumbers
from sqlalchemy import Row, Select, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ccengine.store.customer_fields import name_field, patched_attributes, tier_field
from ccengine.store.db import Database
from ccengine.store.errors import (
    IdentityTaken,
    InvalidIdentity,
    InvalidMerge,
    InvalidRecord,
    StoreConflict,
    UnknownCustomer,
    UnknownIdentity,
)
from ccengine.store.identities import KINDS, normalise
from ccengine.store.interactions import load_views
from ccengine.store.merges import locked_survivors, survivor
from ccengine.store.models import Customer, CustomerIdentity, InteractionRecord
from ccengine.store.records import MILESTONES, CustomerView, InteractionView, text_field
from ccengine.store.sqlite_inline import DirectStatement

__all__ = ["KINDS", "MILESTONES", "CustomerRepository", "IdentityTaken", "InvalidIdentity",
           "InvalidMerge", "UnknownCustomer", "UnknownIdentity", "normalise"]

_CREATE_ATTEMPTS = 3
PROFILE_FIELDS = ("name", "tier", "attributes", "owner")


class CustomerRepository:
    """Customers in the SQL store, found and created by their identities. Phone numbers
    without a country code are read in ``default_region`` (ISO 3166, e.g. "GB")."""

    def __init__(self, db: Database, default_region: str = "GB") -> None:
        region = (default_region or "").upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise InvalidRecord(f"default region {default_region!r} is not a region code "
                                "phonenumbers knows (e.g. GB, DE, US)")
        self.db = db
        self.default_region = region

    def normalise(self, kind: str, value: str) -> str:
        """The stored form of an identity; InvalidIdentity if it has none."""
        return normalise(kind, value, self.default_region)

    # The reads and the creation on every contact's way in (get, find, get-or-create) are
    # Core statements built once on a plain connection: an ORM session costs several times
    # the SQL there. A merged-away id resolves in the same statement: merges repoint every
    # customer merged into the source at the target, so one ``merged_into`` step is the
    # whole chain (``merges.survivor`` walks it for the writers).
    async def get(self, customer_id: str) -> CustomerView | None:
        """The customer (or the one it was merged into), or None."""
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(_survivor_of_id(), {"cid": customer_id})).first()
            return await _view(conn, row) if row else None

    async def find_by_identity(self, kind: str, value: str) -> CustomerView | None:
        """The customer owning this identity (normalised first), following merges; None if
        nobody has it."""
        normalised = self.normalise(kind, value)
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(_survivor_of_identity(),
                                      {"kind": kind, "value": normalised})).first()
            return await _view(conn, row) if row else None

    async def get_or_create_by_identity(self, kind: str, value: str,
                                        name: str | None = None) -> CustomerView:
        """The customer owning this identity, created with it if nobody has it yet. Safe
        against another node creating the same customer at the same moment."""
        normalised = self.normalise(kind, value)
        name = text_field(name, "name", max_length=200)
        collision: Exception | None = None
        for _ in range(_CREATE_ATTEMPTS):
            found = await self.find_by_identity(kind, normalised)
            if found is not None:
                return found
            now, customer_id = time.time(), str(uuid.uuid4())
            customer = {"id": customer_id, "name": name, "tier": "standard",
                        "created_at": now, "updated_at": now}
            identity = {"customer_id": customer_id, "kind": kind, "value": normalised}
            try:
                if self.db.direct is not None:  # a SQLite file: straight to sqlite3
                    await self.db.direct.write(
                        functools.partial(_create_direct, customer=customer, identity=identity))
                else:
                    async with self.db.engine.begin() as conn:
                        await conn.execute(insert(Customer.__table__), customer)
                        await conn.execute(insert(CustomerIdentity.__table__), identity)
            except (IntegrityError, sqlite3.IntegrityError) as e:
                collision = e  # another node created it meanwhile: read theirs
                continue
            return {"id": customer_id, "name": name, "tier": "standard", "owner": None,
                    "attributes": {}, "created_at": now, "updated_at": now,
                    "identities": [{"kind": kind, "value": normalised}]}
        raise StoreConflict(f"could not get or create a customer for {kind} {normalised!r}") \
            from collision

    async def add_identity(self, customer_id: str, kind: str, value: str) -> CustomerView:
        """Give the customer one more identity; IdentityTaken if another customer has it,
        UnknownCustomer if there is no such customer. Adding one it owns changes nothing."""
        normalised = self.normalise(kind, value)
        try:
            async with self.db.session.begin() as s:
                row = await survivor(s, customer_id)
                if row is None:
                    raise UnknownCustomer(customer_id)
                owner = await _owner(s, kind, normalised)
                if owner is not None and owner.id != row.id:
                    raise IdentityTaken(kind, normalised, owner.id)
                if owner is None:
                    s.add(CustomerIdentity(customer_id=row.id, kind=kind, value=normalised))
                    row.updated_at = time.time()
                    await s.flush()
                return await _view(s, row)
        except IntegrityError as e:
            found = await self.find_by_identity(kind, normalised)
            raise IdentityTaken(kind, normalised, found["id"] if found else "?") from e

    async def create(self, *, name: str | None = None, tier: str = "standard",
                     attributes: Mapping[str, Any] | None = None,
                     identities: Iterable[tuple[str, str]] = ()) -> CustomerView:
        """A new customer with these identities (each normalised); IdentityTaken (nothing
        created) if one already belongs to someone, InvalidIdentity if one is malformed."""
        name = name_field(name)
        tier = tier_field(tier)
        attrs = patched_attributes({}, attributes or {})
        wanted = list(dict.fromkeys((kind, self.normalise(kind, value))
                                    for kind, value in identities))
        try:
            async with self.db.session.begin() as s:
                for kind, value in wanted:
                    owner = await _owner(s, kind, value)
                    if owner is not None:
                        raise IdentityTaken(kind, value, owner.id)
                now = time.time()
                row = Customer(id=str(uuid.uuid4()), name=name, tier=tier,
                               attributes=attrs or None, created_at=now, updated_at=now)
                s.add(row)
                await s.flush()
                s.add_all(CustomerIdentity(customer_id=row.id, kind=kind, value=value)
                          for kind, value in wanted)
                await s.flush()
                return await _view(s, row)
        except IntegrityError as e:  # another writer took one of them meanwhile
            for kind, value in wanted:
                found = await self.find_by_identity(kind, value)
                if found is not None:
                    raise IdentityTaken(kind, value, found["id"]) from e
            raise StoreConflict("could not create the customer; retry") from e

    async def patch(self, customer_id: str, changes: Mapping[str, Any]) -> CustomerView:
        """Change the fields present in ``changes``: ``name`` (None clears it), ``tier``,
        ``attributes`` (merged key by key; a None value removes that key), ``owner`` (the
        agent whose customer it is; None: nobody)."""
        unknown = set(changes) - set(PROFILE_FIELDS)
        if unknown:
            raise InvalidRecord(f"unknown customer field(s) {sorted(unknown)}; one of "
                                f"{', '.join(PROFILE_FIELDS)}")
        name = name_field(changes.get("name"))
        tier = tier_field(changes["tier"]) if "tier" in changes else None
        owner = changes.get("owner")
        if owner is not None and (not isinstance(owner, str) or not 0 < len(owner) <= 100):
            raise InvalidRecord("owner must be an agent's id (or null: no owner)")
        async with self.db.session.begin() as s:
            row = await survivor(s, customer_id)
            if row is None:
                raise UnknownCustomer(customer_id)
            if "name" in changes:
                row.name = name or None  # "" clears it like null
            if tier is not None:
                row.tier = tier
            if "owner" in changes:
                row.owner = owner
            if "attributes" in changes:
                row.attributes = patched_attributes(row.attributes, changes["attributes"]) \
                    or None
            row.updated_at = time.time()
            await s.flush()
            return await _view(s, row)

    async def remove_identity(self, customer_id: str, kind: str, value: str) -> CustomerView:
        """Take an identity (given in any format) away from the customer; UnknownIdentity if
        the customer does not have it."""
        normalised = self.normalise(kind, value)
        async with self.db.session.begin() as s:
            row = await survivor(s, customer_id)
            if row is None:
                raise UnknownCustomer(customer_id)
            gone = await s.execute(delete(CustomerIdentity).where(
                CustomerIdentity.customer_id == row.id, CustomerIdentity.kind == kind,
                CustomerIdentity.value == normalised))
            if not gone.rowcount:
                raise UnknownIdentity(f"{kind} {normalised}")
            row.updated_at = time.time()
            await s.flush()
            return await _view(s, row)

    async def merges(self, customer_id: str) -> list[dict[str, Any]]:
        """The customers (transitively) merged into this one: ``{"id", "by", "at"}`` each,
        oldest merge first."""
        async with self.db.session() as s:
            row = await survivor(s, customer_id)
            if row is None:
                return []
            ids = await family(s, row.id) - {row.id}
            rows = (await s.execute(select(Customer.id, Customer.merged_by, Customer.merged_at)
                                    .where(Customer.id.in_(ids))
                                    .order_by(Customer.merged_at, Customer.id))).all()
            return [{"id": i, "by": by, "at": at} for i, by, at in rows]

    async def update_profile(self, customer_id: str, *, name: str | None = None,
                             tier: str | None = None) -> CustomerView:
        """Change the display name and/or tier (e.g. "standard", "key_account")."""
        name = text_field(name, "name", max_length=200)
        tier = text_field(tier, "tier", max_length=40)
        async with self.db.session.begin() as s:
            row = await survivor(s, customer_id)
            if row is None:
                raise UnknownCustomer(customer_id)
            if name is not None:
                row.name = name
            if tier is not None:
                row.tier = tier
            row.updated_at = time.time()
            await s.flush()
            return await _view(s, row)

    async def merge(self, source_id: str, target_id: str,
                    by: str | None = None) -> CustomerView:
        """Merge the source customer into the target: identities and interactions move to the
        target, the source is kept with ``merged_into`` (and who merged it, ``by``, and when)
        so old references still resolve. Attributes the target lacks are taken over."""
        collision: OperationalError | None = None
        for _ in range(_CREATE_ATTEMPTS):
            try:
                return await self._merge(source_id, target_id, by)
            except OperationalError as e:  # SQLite: another writer committed meanwhile
                if self.db.dialect != "sqlite":
                    raise
                collision = e
        raise StoreConflict(f"merging {source_id} into {target_id} kept colliding with "
                            "another writer; retry") from collision

    async def _merge(self, source_id: str, target_id: str, by: str | None) -> CustomerView:
        async with self.db.session.begin() as s:
            source, target = await locked_survivors(s, source_id, target_id)
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
            now = time.time()
            source.merged_into = target.id
            source.merged_by = text_field(by, "merged_by", max_length=100)
            source.merged_at = now
            source.updated_at = target.updated_at = now
            if target.name is None:
                target.name = source.name
            if source.attributes:
                target.attributes = {**source.attributes, **(target.attributes or {})}
            await s.flush()
            return await _view(s, target)

    async def history(self, customer_id: str, limit: int = 50) -> list[InteractionView]:
        """The customer's interactions on every medium, newest first (by entered_at), each
        with its events and notes, including those recorded under customers since merged
        into it (an id merged away resolves to the survivor)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidRecord(f"limit must be a positive integer, not {limit!r}")
        async with self.db.session() as s:
            row = await survivor(s, customer_id)
            if row is None:
                return []
            ids = await family(s, row.id)
            rows = (await s.execute(
                select(InteractionRecord)
                .where(InteractionRecord.customer_id.in_(ids))
                .order_by(InteractionRecord.entered_at.desc().nulls_last(),
                          InteractionRecord.id)
                .limit(limit))).scalars().all()
            return await load_views(s, list(rows))


async def family(s: AsyncSession, survivor_id: str) -> set[str]:
    """The surviving customer's id plus every id (transitively) merged into it."""
    ids = {survivor_id}
    frontier = {survivor_id}
    while frontier:
        merged = set((await s.execute(select(Customer.id).where(
            Customer.merged_into.in_(frontier)))).scalars()) - ids
        ids |= merged
        frontier = merged
    return ids


async def _owner(s: AsyncSession, kind: str, normalised: str) -> Customer | None:
    owner_id = (await s.execute(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.kind == kind, CustomerIdentity.value == normalised))).scalar()
    return await survivor(s, owner_id) if owner_id is not None else None


@functools.cache
def _survivor_of_id() -> Select[Any]:
    """The customer ``:cid`` or the one it was merged into (one step: see ``get``)."""
    c = Customer.__table__.c
    target = select(func.coalesce(c.merged_into, c.id)).where(c.id == bindparam("cid"))
    return select(Customer.__table__).where(c.id == target.scalar_subquery())


def _create_direct(conn: sqlite3.Connection, customer: dict[str, Any],
                   identity: dict[str, Any]) -> None:
    """``get_or_create_by_identity``'s two inserts on a SQLite file (``Database.direct``)."""
    for statement, values in zip(_direct_inserts(), (customer, identity), strict=True):
        conn.execute(statement.sql, statement.parameters(values))


@functools.cache
def _direct_inserts() -> tuple[DirectStatement, DirectStatement]:
    return (DirectStatement(insert(Customer.__table__),
                            column_keys=["id", "name", "tier", "created_at", "updated_at"]),
            DirectStatement(insert(CustomerIdentity.__table__),
                            column_keys=["customer_id", "kind", "value"]))


@functools.cache
def _survivor_of_identity() -> Select[Any]:
    """The surviving owner of the identity (``:kind``, ``:value``)."""
    c, i = Customer.__table__.c, CustomerIdentity.__table__.c
    target = (select(func.coalesce(c.merged_into, c.id))
              .join_from(CustomerIdentity.__table__, Customer.__table__,
                         c.id == i.customer_id)
              .where(i.kind == bindparam("kind"), i.value == bindparam("value")))
    return select(Customer.__table__).where(c.id == target.scalar_subquery())


async def _view(s: AsyncSession | AsyncConnection, row: Customer | Row[Any]) -> CustomerView:
    identities = (await s.execute(
        select(CustomerIdentity.kind, CustomerIdentity.value)
        .where(CustomerIdentity.customer_id == row.id)
        .order_by(CustomerIdentity.kind, CustomerIdentity.value))).all()
    return {"id": row.id, "name": row.name, "tier": row.tier,
            "owner": getattr(row, "owner", None),
            "attributes": dict(row.attributes or {}),
            "created_at": row.created_at, "updated_at": row.updated_at,
            "identities": [{"kind": k, "value": v} for k, v in identities]}
