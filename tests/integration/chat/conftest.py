"""Fixtures of the chat integration tests (see harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.chat.harness import ChatRig, start_rig


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[ChatRig]:
    """The chat rig; ``@pytest.mark.parametrize("rig", [{...}], indirect=True)`` passes
    start_rig keyword arguments (e.g. {"chat": {"idle_timeout": 1}})."""
    kwargs = getattr(request, "param", {})
    r, close = await start_rig(tmp_path, **kwargs)
    try:
        yield r
    finally:
        await close()
