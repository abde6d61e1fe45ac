"""Two engine processes on one real Redis route thousands of interactions concurrently:
no agent ever holds more than its capacity, and every interaction is offered exactly once."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from ccengine.core import agent_state as sm
from ccengine.core.agent_state import AgentLive
from ccengine.state.redis import RedisState
from tests.integration.state.conftest import REDIS_URL, drop_prefix
from tests.integration.state.topology import AGENTS

REPO = Path(__file__).resolve().parents[3]
PER_NODE = 1500

pytestmark = pytest.mark.redis


async def test_given_two_nodes_when_routing_thousands_then_no_double_booking_nothing_lost(
) -> None:
    prefix = f"cctwo:{uuid.uuid4().hex[:8]}:"
    state = await RedisState.connect(REDIS_URL, prefix)
    try:
        for agent_id in AGENTS:
            await state.put_agent(sm.login(AgentLive(agent_id), 0.0)[0])
        nodes = [await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.state.node", REDIS_URL, prefix, name,
            str(PER_NODE), str(2 * PER_NODE), cwd=REPO) for name in ("n1", "n2")]
        codes = await asyncio.wait_for(asyncio.gather(*(n.wait() for n in nodes)), 90)
        assert codes == [0, 0]

        offers = await state.r.lrange(f"{prefix}offers", 0, -1)
        per_interaction = Counter(o.split(">")[0] for o in offers)
        by_node = Counter(o.rsplit("@", 1)[1] for o in offers)
        assert len(per_interaction) == 2 * PER_NODE           # nothing lost
        assert set(per_interaction.values()) == {1}           # nothing offered twice
        assert by_node["n1"] > 0 and by_node["n2"] > 0        # both nodes routed
        assert int(await state.r.get(f"{prefix}overbooked") or 0) == 0
        assert await state.waiting() == []
        for live in (await state.agents()).values():
            assert live.slots == ()
    finally:
        await drop_prefix(state)
        await state.close()
