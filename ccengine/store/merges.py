"""Following customer merges: a merged-away customer id resolves to the surviving record."""

from __future__ import annotations

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
