"""One engine node for the two-node test: a Dispatcher on RedisState with a channel that
answers every offer and ends it quickly. Run: python -m tests.integration.state.node
REDIS_URL PREFIX NODE COUNT. An independent observer (INCR/DECR per agent and medium in
Redis) counts any moment an agent holds more than its capacity."""

from __future__ import annotations

import asyncio
import random
import sys
import time

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher
from ccengine.state.redis import RedisState
from tests.integration.state.topology import AGENTS, QUEUES


class QuickChannel:
    def __init__(self, medium: Medium, state: RedisState, node: str) -> None:
        self.medium, self.state, self.node = medium, state, node
        self.dispatcher: Dispatcher | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        task = asyncio.ensure_future(self._work(interaction, agent_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _work(self, interaction: Interaction, agent_id: str) -> None:
        r, p = self.state.r, self.state.p
        key = f"{p}observe:{agent_id}:{self.medium.value}"
        held = await r.incr(key)
        if held > AGENTS[agent_id].capacity.get(self.medium, 0):
            await r.incr(f"{p}overbooked")
        await r.rpush(f"{p}offers", f"{interaction.id}>{agent_id}@{self.node}")
        assert self.dispatcher is not None
        await self.dispatcher.offer_accepted(interaction.id, agent_id)
        await asyncio.sleep(random.uniform(0, 0.004))
        await r.decr(key)
        await self.dispatcher.interaction_ended(interaction.id, agent_id)
        await r.incr(f"{p}done")


async def main(url: str, prefix: str, node: str, count: int, total: int) -> None:
    state = await RedisState.connect(url, prefix)
    d = Dispatcher(state, QUEUES, AGENTS, tick_seconds=0.05)
    for medium in (Medium.VOICE, Medium.CHAT):
        channel = QuickChannel(medium, state, node)
        channel.dispatcher = d
        d.register_channel(channel)
    await d.start()
    await state.r.incr(f"{prefix}ready")
    while int(await state.r.get(f"{prefix}ready") or 0) < 2:  # noqa: ASYNC110 - other process
        await asyncio.sleep(0.01)
    for n in range(count):
        medium = Medium.VOICE if n % 3 else Medium.CHAT
        queue = "sales" if n % 2 else "support"
        await d.enqueue(Interaction(f"{node}-{n}", medium, queue=queue,
                                    priority=n % 4, created_at=time.time()))
    deadline = time.monotonic() + 60
    while int(await state.r.get(f"{prefix}done") or 0) < total:
        if time.monotonic() > deadline:
            raise SystemExit(f"node {node}: timed out")
        await d.route()
        await asyncio.sleep(0.02)
    await d.stop()
    await state.close()


if __name__ == "__main__":
    url, prefix, node, count, total = sys.argv[1:6]
    asyncio.run(main(url, prefix, node, int(count), int(total)))
