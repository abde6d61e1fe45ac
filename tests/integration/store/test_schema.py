"""Migrations: an empty database migrates to head on SQLite and PostgreSQL, the models match
the migrations exactly, and the way down and up again works."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from ccengine.store.db import Database, MigrationFailed
from ccengine.store.models import Base, compared

REPO = Path(__file__).resolve().parents[3]
TABLES = {"alembic_version", "customers", "customer_identities", "interactions",
          "interaction_events", "notes", "users", "queues", "skills", "messages", "recordings",
          "callbacks", "sessions", "agent_events", "agent_time", "work_intervals",
          "kb_articles", "kb_versions", "kb_usage", "intent_labels", "consents",
          "consent_events", "do_not_call", "email_suppressions", "campaigns",
          "campaign_targets", "campaign_contacts"}
HEAD = "0014_campaigns"  # the newest migration


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(
        MigrationContext.configure(connection, opts={"include_name": compared}),
        Base.metadata))


async def _tables(db: Database) -> set[str]:
    """The tables, but the database's own full-text search tables (models.compared)."""
    async with db.engine.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    return {name for name in names if compared(name, "table", {})}


async def _revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda c: MigrationContext.configure(c).get_current_revision())


async def test_given_empty_database_when_migrated_then_every_table_at_head(
        empty_db: Database) -> None:
    assert await _tables(empty_db) == set()
    await empty_db.migrate()
    assert await _tables(empty_db) == TABLES
    assert await _revision(empty_db) == HEAD
    await empty_db.migrate()  # a second run is a no-op
    assert await _revision(empty_db) == HEAD


async def test_given_migrated_database_when_compared_with_models_then_no_differences(
        db: Database) -> None:
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_given_data_at_0002_when_migrated_then_rows_kept_and_filled_in(
        empty_db: Database) -> None:
    await empty_db.migrate("0002")
    async with empty_db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO customers (id, name, tier, created_at) "
                                "VALUES ('c1', 'Jane', 'standard', 100.0)"))
        await conn.execute(text(
            "INSERT INTO interactions (id, medium, customer_id, priority, caller_number, "
            "attributes, entered_at, answered_at) VALUES "
            "('i1', 'voice', 'c1', 0, '+442079460958', '{}', 100.0, 105.0)"))
    await empty_db.migrate()
    async with empty_db.engine.connect() as conn:
        customer = (await conn.execute(text(
            "SELECT updated_at FROM customers WHERE id = 'c1'"))).one()
        interaction = (await conn.execute(text(
            "SELECT status, from_address FROM interactions WHERE id = 'i1'"))).one()
    assert customer.updated_at == 100.0
    assert tuple(interaction) == ("answered", "+442079460958")


async def test_given_head_when_downgraded_to_base_and_back_then_schema_matches(
        db: Database) -> None:
    await db.downgrade("base")
    assert await _tables(db) <= {"alembic_version"}
    await db.migrate()
    assert await _tables(db) == TABLES
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_given_sqlite_store_when_connected_then_foreign_keys_and_wal_on(
        db: Database) -> None:
    if db.dialect != "sqlite":
        return
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"


async def test_given_dangling_reference_when_migrated_then_failed_and_nothing_changed(
        empty_db: Database) -> None:
    if empty_db.dialect != "sqlite":
        return  # PostgreSQL never lets the dangling row in
    await empty_db.migrate("0002")
    async with empty_db.engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await conn.execute(text("INSERT INTO interactions (id, medium, customer_id, priority, "
                                "attributes) VALUES ('i1', 'voice', 'ghost', 0, '{}')"))
        await conn.commit()
        await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    with pytest.raises(MigrationFailed) as err:
        await empty_db.migrate()
    assert err.value.code == "migration_failed" and "dangling" in str(err.value)
    assert await _revision(empty_db) == "0002"
    assert "queues" not in await _tables(empty_db)
    async with empty_db.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("interactions")})
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    assert "caller_number" in columns and "status" not in columns


async def test_given_nodes_starting_together_when_each_migrates_then_all_at_head(
        db: Database) -> None:
    await db.downgrade("base")
    others = [Database(db.url, **db.engine_options) for _ in range(3)]
    try:
        await asyncio.gather(*(o.migrate() for o in others))
    finally:
        for other in others:
            await other.close()
    assert await _revision(db) == HEAD
    assert await _tables(db) == TABLES


def test_given_alembic_ini_when_cli_upgrades_then_head_and_check_finds_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCENGINE_STORE_URL", raising=False)
    cfg = Config(str(REPO / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    command.upgrade(cfg, "head")
    command.check(cfg)  # raises if the models and the migrations differ
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (HEAD,)]
