"""In-memory live state: the embedded default for one engine process."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TypeVar

from ccengine.core import agent_state
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive
from ccengine.core.errors import InvalidTransition
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.state.base import LiveState

T = TypeVar("T")


class MemoryState(LiveState):
    """Dicts in one process. Methods do not await inside, so each is atomic in asyncio."""

    def __init__(self) -> None:
        self._agents: dict[str, AgentLive] = {}
        self._interactions: dict[str, Interaction] = {}
        self._waiting: set[str] = set()

    async def get_agent(self, agent_id: str) -> AgentLive | None:
        return self._agents.get(agent_id)

    async def put_agent(self, live: AgentLive) -> None:
        self._agents[live.agent_id] = live

    async def agents(self) -> dict[str, AgentLive]:
        return dict(self._agents)

    async def update_agent(self, agent_id: str,
                           change: Callable[[AgentLive], tuple[AgentLive, T]]) -> T:
        new, result = change(self._agents.get(agent_id) or AgentLive(agent_id))
        self._agents[agent_id] = new
        return result

    async def put_interaction(self, interaction: Interaction) -> None:
        self._interactions[interaction.id] = interaction

    async def get_interaction(self, interaction_id: str) -> Interaction | None:
        return self._interactions.get(interaction_id)

    async def remove_interaction(self, interaction_id: str) -> None:
        self._interactions.pop(interaction_id, None)
        self._waiting.discard(interaction_id)

    async def enqueue(self, interaction_id: str) -> None:
        if interaction_id not in self._interactions:
            raise KeyError(interaction_id)
        self._waiting.add(interaction_id)

    async def claim(self, interaction_id: str) -> bool:
        if interaction_id in self._waiting:
            self._waiting.discard(interaction_id)
            return True
        return False

    async def waiting(self) -> list[Interaction]:
        return [copy.copy(self._interactions[i]) for i in self._waiting]

    async def reserve(self, profile: AgentProfile, interaction_id: str, medium: Medium,
                      now: float, deadline: float) -> AgentLive | None:
        live = self._agents.get(profile.id)
        if live is None:
            return None
        try:
            new, _ = agent_state.offer(live, profile, interaction_id, medium, now, deadline)
        except InvalidTransition:
            return None
        self._agents[profile.id] = new
        return new
