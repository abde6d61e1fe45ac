"""Following customer merges: a merged-away customer id resolves to the surviving record."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ccengine.store.errors import StoreConflict
from ccengine.store.models import Customer

MAX_MERGE_DEPTH = 64


async def survivor(s: AsyncSession, customer_id: str) -> Customer | None:
    """The customer itself, or the customer it was (transitively) merged into; None if
    there is no such customer."""
    row = await s.get(Customer, customer_id)
    for _ in range(MAX_MERGE_DEPTH):
        if row is None or row.merged_into is None:
            return row
        row = await s.get(Customer, row.merged_into)
    raise StoreConflict(f"merge chain of customer {customer_id} too long or cyclic")


async def locked_survivors(s: AsyncSession, *customer_ids: str) -> list[Customer | None]:
    """The survivors of these ids, their rows locked for the rest of the transaction
    (PostgreSQL ``FOR UPDATE``, in id order so two merges never deadlock) and checked
    still unmerged once locked: two merges at once (A into B, B into A) run one after the
    other and can never make a cycle."""
    # SQLite takes its one write lock at a transaction's first write, not its first read:
    # a no-op write takes it now, so no merge can commit between the reads below and ours
    await s.execute(update(Customer).where(Customer.id.in_(customer_ids))
                    .values(updated_at=Customer.updated_at)
                    .execution_options(synchronize_session=False))
    for _ in range(MAX_MERGE_DEPTH):
        rows = [await survivor(s, cid) for cid in customer_ids]
        live = sorted({r.id for r in rows if r is not None})
        locked = (await s.execute(
            select(Customer).where(Customer.id.in_(live)).order_by(Customer.id)
            .with_for_update().execution_options(populate_existing=True))).scalars().all()
        if all(r.merged_into is None for r in locked):
            return rows
    raise StoreConflict(f"customers {customer_ids} kept being merged meanwhile")
