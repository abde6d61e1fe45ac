"""Admin-defined queues and skills in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from ccengine.store.admin_config import ConfigRepository
from ccengine.store.db import Database
from ccengine.store.errors import InvalidRecord, UnknownConfig


async def test_given_queue_config_when_put_twice_then_replaced_and_listed(
        db: Database) -> None:
    repo = ConfigRepository(db)
    await repo.put("queue", "sales", {"strategy": "longest_idle", "sl_seconds": 20})
    await repo.put("queue", "support", {"strategy": "round_robin"})
    updated = await repo.put("queue", "sales", {"strategy": "round_robin", "skills": ["de"]})
    await repo.put("skill", "de", {"description": "German"})
    assert updated["config"] == {"strategy": "round_robin", "skills": ["de"]}
    assert [q["name"] for q in await repo.list("queue")] == ["sales", "support"]
    assert (await repo.get("skill", "de"))["config"] == {"description": "German"}
    await repo.delete("queue", "support")
    assert await repo.get("queue", "support") is None
    with pytest.raises(UnknownConfig):
        await repo.delete("queue", "support")


async def test_given_bad_config_when_put_then_invalid_record(db: Database) -> None:
    repo = ConfigRepository(db)
    with pytest.raises(InvalidRecord, match="kind"):
        await repo.put("trunk", "x", {})
    with pytest.raises(InvalidRecord, match="not JSON"):
        await repo.put("queue", "x", {"when": object()})
    with pytest.raises(InvalidRecord, match="mapping"):
        await repo.put("queue", "x", ["a"])  # type: ignore[arg-type]
    assert await repo.list("queue") == []
