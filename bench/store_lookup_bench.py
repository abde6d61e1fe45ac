"""Customer lookup benchmark (a script, not a test): prints figures and the machine.

Fills N customers, each with one phone (E.164, unique) and one email identity, by bulk
inserts (SQLAlchemy core, many rows per INSERT statement) into a migrated store; then
times random ``CustomerRepository.find_by_identity`` lookups by phone (given in national
format, so normalisation is included) and by email, and shows the query plan of the
identity lookup (it must use the unique (kind, value) index).

    .venv/bin/python bench/store_lookup_bench.py [--n 1000000] [--lookups 2000]
        [--url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

SQLite (a temp file) by default. With a PostgreSQL URL, a throwaway database is created
next to the given one and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import phonenumbers
from machine_info import machine  # bench/ is on sys.path when run as a script
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.models import Customer, CustomerIdentity

REGION = "GB"
FIRST_MOBILE = 7_400_000_000  # GB mobile range: 07400 000000 -> +447400000000
MAX_PARAMS = 32_000  # below SQLite's (>= 3.32) and PostgreSQL's bind-parameter limits
PAGE_ROWS = 10_000  # rows per INSERT statement, at most (MAX_PARAMS bounds it too)
TRANSACTION_ROWS = 50_000  # customers per transaction
UNIQUE_INDEX = "uq_identity_kind_value"


def phone_e164(n: int) -> str:
    return f"+44{FIRST_MOBILE + n}"


def phone_national(n: int) -> str:
    number = phonenumbers.parse(phone_e164(n), None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def email(n: int) -> str:
    return f"customer{n}@example.com"


def customer_id(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def chunks(start: int, stop: int, size: int) -> Iterator[range]:
    for lo in range(start, stop, size):
        yield range(lo, min(lo + size, stop))


def many_rows_per_statement(db: Database) -> None:
    """Make SQLAlchemy's executemany of an INSERT send multi-row ``VALUES`` statements
    (its "insertmanyvalues" batching), as many rows per statement as the bind-parameter
    limit allows, instead of one statement per row."""
    dialect = db.engine.dialect
    dialect.use_insertmanyvalues_wo_returning = True
    dialect.insertmanyvalues_page_size = PAGE_ROWS
    dialect.insertmanyvalues_max_parameters = MAX_PARAMS


async def fill(db: Database, n: int) -> float:
    """Insert n customers with a phone and an email each; seconds taken."""
    many_rows_per_statement(db)
    started = time.perf_counter()
    now = time.time()
    for batch in chunks(0, n, TRANSACTION_ROWS):
        customers = [{"id": customer_id(i), "name": f"Customer {i}", "tier": "standard",
                      "created_at": now, "updated_at": now, "merged_into": None} for i in batch]
        identities = []
        for row, i in zip(customers, batch, strict=True):
            identities.append({"customer_id": row["id"], "kind": "phone",
                               "value": phone_e164(i)})
            identities.append({"customer_id": row["id"], "kind": "email", "value": email(i)})
        async with db.engine.begin() as conn:
            await conn.execute(insert(Customer), customers)
            await conn.execute(insert(CustomerIdentity), identities)
        done = batch.stop
        if done % 100_000 < TRANSACTION_ROWS or done == n:
            print(f"  filled {done:>9,} / {n:,}  ({time.perf_counter() - started:.1f} s)",
                  flush=True)
    return time.perf_counter() - started


async def query_plan(db: Database, value: str) -> list[str]:
    """The plan of the repository's identity lookup (same SELECT), one line per step."""
    stmt = select(CustomerIdentity.customer_id).where(
        CustomerIdentity.kind == "phone", CustomerIdentity.value == value)
    sql = str(stmt.compile(db.engine.sync_engine, compile_kwargs={"literal_binds": True}))
    sqlite = db.url.startswith("sqlite")
    async with db.engine.connect() as conn:
        if sqlite:
            rows = (await conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))).all()
            plan = [str(r[-1]) for r in rows]
            # SQLite names the index of a UNIQUE constraint sqlite_autoindex_*: find ours
            indexes = (await conn.execute(text(
                "SELECT name FROM pragma_index_list('customer_identities') WHERE \"unique\"")
            )).scalars().all()
            for name in indexes:
                cols = (await conn.execute(text(
                    f"SELECT name FROM pragma_index_info('{name}') ORDER BY seqno"))
                ).scalars().all()
                if list(cols) == ["kind", "value"]:
                    plan.append(f"(index {name} is the unique (kind, value) index)")
                    ok = any(name in line for line in plan[:-1])
                    break
            else:
                ok = False
        else:
            plan = [r[0] for r in (await conn.execute(text(f"EXPLAIN {sql}"))).all()]
            ok = any(UNIQUE_INDEX in line for line in plan)
    plan.append("uses the unique (kind, value) index: " + ("YES" if ok else "NO"))
    return plan


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return f"p50 {q[49]:.3f} ms  p99 {q[98]:.3f} ms  max {ms[-1]:.3f} ms"


async def lookups(repo: CustomerRepository, n: int, count: int,
                  rnd: random.Random) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"phone": [], "email": []}
    picks = [rnd.randrange(n) for _ in range(count)]
    for kind, value_of in (("phone", phone_national), ("email", email)):
        for i in picks:
            value = value_of(i)
            t0 = time.perf_counter()
            found = await repo.find_by_identity(kind, value)
            results[kind].append(time.perf_counter() - t0)
            if found is None or found["id"] != customer_id(i):
                raise RuntimeError(f"lookup of {kind} {value!r} found {found!r}")
    return results


async def run(url: str, n: int, count: int, seed: int) -> None:
    db = Database(url)
    try:
        await db.migrate()
        print(f"store: {make_url(url).render_as_string(hide_password=True)}")
        fill_s = await fill(db, n)
        print(f"fill: {n:,} customers, {2 * n:,} identities in {fill_s:.1f} s "
              f"({n / fill_s:,.0f} customers/s)")
        async with db.engine.begin() as conn:  # fresh statistics, as a live store has
            await conn.execute(text("ANALYZE"))
        plan = await query_plan(db, phone_e164(n // 2))
        print("plan of the identity lookup:")
        for line in plan:
            print(f"  {line}")
        repo = CustomerRepository(db, default_region=REGION)
        res = await lookups(repo, n, count, random.Random(seed))
        for kind, samples in res.items():
            example = phone_national(0) if kind == "phone" else email(0)
            print(f"lookup by {kind:<5} (e.g. {example!r}), {len(samples):,} random: "
                  f"{percentiles(samples)}")
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def throwaway_postgres(url: str) -> AsyncIterator[str]:
    """The URL of a new database beside the one ``url`` names, dropped afterwards."""
    import asyncpg  # only needed for --url postgresql...

    base = make_url(url)
    name = f"ccbench_{uuid.uuid4().hex[:8]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def with_throwaway_postgres(url: str, n: int, count: int, seed: int) -> None:
    async with throwaway_postgres(url) as throwaway:
        await run(throwaway, n, count, seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="customers to fill")
    ap.add_argument("--lookups", type=int, default=2_000, help="random lookups per kind")
    ap.add_argument("--url", help="PostgreSQL URL (a throwaway database is made beside it); "
                                  "default: SQLite in a temp file")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.n < 1 or args.lookups < 1:
        ap.error("--n and --lookups must be positive")
    print(f"machine: {machine()}")
    if args.url and args.url.startswith("postgresql"):
        asyncio.run(with_throwaway_postgres(args.url, args.n, args.lookups, args.seed))
        return
    if args.url:
        asyncio.run(run(args.url, args.n, args.lookups, args.seed))
        return
    with tempfile.TemporaryDirectory(prefix="ccbench-") as tmp:
        path = Path(tmp) / "store.db"
        asyncio.run(run(f"sqlite+aiosqlite:///{path}", args.n, args.lookups, args.seed))


if __name__ == "__main__":
    main()
