"""Live state in Redis, shared by several engine nodes.

Keys (under a prefix): ``agent:<id>`` JSON of the agent's live state, ``agents`` the set of
agent ids, ``ix:<id>`` JSON of an interaction, ``waiting`` the set of waiting ids.
Atomicity across nodes: ``claim`` is one SREM; ``reserve`` is one Lua script that checks
presence, reachability, capacity and blocking rules and adds the offered slot; every other
agent transition is an optimistic WATCH/MULTI update that retries on conflict.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.state.base import LiveState

T = TypeVar("T")

# KEYS[1] agent key. ARGV: interaction id, medium, capacity, blocking media (JSON list),
# now, deadline. Returns the new agent JSON, or false when the agent cannot take it.
RESERVE = """
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local a = cjson.decode(raw)
if a['presence'] ~= 'available' then return false end
local reachable = false
for _, m in ipairs(a['reachable']) do if m == ARGV[2] then reachable = true end end
if not reachable then return false end
local blockers = cjson.decode(ARGV[4])
local load = 0
for _, s in ipairs(a['slots']) do
  if s['interaction_id'] == ARGV[1] then return false end
  if s['medium'] == ARGV[2] then load = load + 1 end
  if s['state'] ~= 'wrap_up' then
    for _, b in ipairs(blockers) do if s['medium'] == b then return false end end
  end
end
if load >= tonumber(ARGV[3]) then return false end
local slot = {interaction_id=ARGV[1], medium=ARGV[2], state='offered',
              since=tonumber(ARGV[5]), ['until']=tonumber(ARGV[6])}
if #a['slots'] == 0 then a['slots'] = {slot} else table.insert(a['slots'], slot) end
local out = cjson.encode(a)
redis.call('SET', KEYS[1], out)
return out
"""


def _dump_agent(live: AgentLive) -> str:
    return json.dumps(live.to_dict())


def _load_agent(raw: str | bytes) -> AgentLive:
    data: dict[str, Any] = json.loads(raw)
    # cjson encodes an empty Lua table as {} rather than []
    for key in ("slots", "reachable"):
        if data.get(key) == {}:
            data[key] = []
    return AgentLive.from_dict(data)


class RedisState(LiveState):
    def __init__(self, client: aioredis.Redis, prefix: str = "ccengine:") -> None:
        self.r, self.p = client, prefix
        self._reserve = client.register_script(RESERVE)

    @classmethod
    async def connect(cls, url: str, prefix: str = "ccengine:") -> RedisState:
        client = aioredis.from_url(url, decode_responses=True)
        await client.ping()
        return cls(client, prefix)

    async def ping(self) -> None:
        await self.r.ping()

    async def close(self) -> None:
        await self.r.aclose()

    def _agent_key(self, agent_id: str) -> str:
        return f"{self.p}agent:{agent_id}"

    def _ix_key(self, interaction_id: str) -> str:
        return f"{self.p}ix:{interaction_id}"

    # ------------------------------------------------------------------ agents
    async def get_agent(self, agent_id: str) -> AgentLive | None:
        raw = await self.r.get(self._agent_key(agent_id))
        return _load_agent(raw) if raw else None

    async def put_agent(self, live: AgentLive) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.set(self._agent_key(live.agent_id), _dump_agent(live))
            pipe.sadd(f"{self.p}agents", live.agent_id)
            await pipe.execute()

    async def agents(self) -> dict[str, AgentLive]:
        ids = sorted(await self.r.smembers(f"{self.p}agents"))
        if not ids:
            return {}
        raws = await self.r.mget([self._agent_key(i) for i in ids])
        return {i: _load_agent(raw) for i, raw in zip(ids, raws, strict=True) if raw}

    async def update_agent(self, agent_id: str,
                           change: Callable[[AgentLive], tuple[AgentLive, T]]) -> T:
        key = self._agent_key(agent_id)
        async with self.r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    new, result = change(_load_agent(raw) if raw else AgentLive(agent_id))
                    pipe.multi()
                    pipe.set(key, _dump_agent(new))
                    pipe.sadd(f"{self.p}agents", agent_id)
                    await pipe.execute()
                    return result
                except WatchError:
                    continue  # another node changed this agent first: apply to its result
                finally:
                    await pipe.reset()

    async def reserve(self, profile: AgentProfile, interaction_id: str, medium: Medium,
                      now: float, deadline: float) -> AgentLive | None:
        blockers = sorted(m.value for m, blocked in profile.blocks.items() if medium in blocked)
        raw = await self._reserve(keys=[self._agent_key(profile.id)],
                                  args=[interaction_id, medium.value,
                                        profile.capacity.get(medium, 0), json.dumps(blockers),
                                        now, deadline])
        return _load_agent(raw) if raw else None

    # ------------------------------------------------------------------ interactions
    async def put_interaction(self, interaction: Interaction) -> None:
        await self.r.set(self._ix_key(interaction.id), json.dumps(interaction.to_dict()))

    async def get_interaction(self, interaction_id: str) -> Interaction | None:
        raw = await self.r.get(self._ix_key(interaction_id))
        return Interaction.from_dict(json.loads(raw)) if raw else None

    async def remove_interaction(self, interaction_id: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.delete(self._ix_key(interaction_id))
            pipe.srem(f"{self.p}waiting", interaction_id)
            await pipe.execute()

    async def interactions(self) -> list[Interaction]:
        keys = [k async for k in self.r.scan_iter(match=self._ix_key("*"), count=500)]
        raws = await self.r.mget(keys) if keys else []
        return [Interaction.from_dict(json.loads(raw)) for raw in raws if raw]

    async def enqueue(self, interaction_id: str) -> None:
        if not await self.r.exists(self._ix_key(interaction_id)):
            raise KeyError(interaction_id)
        await self.r.sadd(f"{self.p}waiting", interaction_id)

    async def claim(self, interaction_id: str) -> bool:
        return bool(await self.r.srem(f"{self.p}waiting", interaction_id))

    async def waiting(self) -> list[Interaction]:
        ids = sorted(await self.r.smembers(f"{self.p}waiting"))
        if not ids:
            return []
        raws = await self.r.mget([self._ix_key(i) for i in ids])
        return [Interaction.from_dict(json.loads(raw)) for raw in raws if raw]
