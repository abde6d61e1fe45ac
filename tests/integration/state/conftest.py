"""Live-state backends for the shared contract suite: memory, and the real Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from ccengine.state.base import LiveState
from ccengine.state.memory import MemoryState
from ccengine.state.redis import RedisState

REDIS_URL = os.environ.get("CCENGINE_TEST_REDIS", "redis://127.0.0.1:6379/15")


async def drop_prefix(state: RedisState) -> None:
    keys = [k async for k in state.r.scan_iter(match=f"{state.p}*")]
    if keys:
        await state.r.delete(*keys)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def state(request: pytest.FixtureRequest) -> AsyncIterator[LiveState]:
    if request.param == "memory":
        yield MemoryState()
        return
    backend = await RedisState.connect(REDIS_URL, prefix=f"cctest:{uuid.uuid4().hex[:8]}:")
    try:
        yield backend
    finally:
        await drop_prefix(backend)
        await backend.close()
