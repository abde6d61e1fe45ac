"""Live state behind one interface: who is available, what waits, who holds what.

Backends: MemoryState (one engine process, the default; kept on disk so a restarted engine
finds it again) and RedisState (several engine nodes). A shared backend for several engine
nodes must make ``reserve`` and ``claim`` atomic across nodes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TypeVar

from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium

T = TypeVar("T")


class LiveState(ABC):
    @abstractmethod
    async def get_agent(self, agent_id: str) -> AgentLive | None: ...

    @abstractmethod
    async def put_agent(self, live: AgentLive) -> None: ...

    @abstractmethod
    async def agents(self) -> dict[str, AgentLive]: ...

    @abstractmethod
    async def update_agent(self, agent_id: str,
                           change: Callable[[AgentLive], tuple[AgentLive, T]]) -> T:
        """Apply a pure transition to the agent's current state atomically (across nodes
        too) and return what ``change`` returned besides the new state. An exception from
        ``change`` leaves the state untouched."""

    @abstractmethod
    async def put_interaction(self, interaction: Interaction) -> None: ...

    @abstractmethod
    async def get_interaction(self, interaction_id: str) -> Interaction | None: ...

    @abstractmethod
    async def remove_interaction(self, interaction_id: str) -> None: ...

    @abstractmethod
    async def interactions(self) -> list[Interaction]:
        """Every live interaction (waiting or not): what a restarted engine picks up."""

    @abstractmethod
    async def enqueue(self, interaction_id: str) -> None:
        """Mark a stored interaction as waiting (it keeps its enqueued_at, hence its place)."""

    @abstractmethod
    async def claim(self, interaction_id: str) -> bool:
        """Take an interaction out of the waiting set; True only for the one caller that did."""

    @abstractmethod
    async def waiting(self) -> list[Interaction]: ...

    @abstractmethod
    async def reserve(self, profile: AgentProfile, interaction_id: str, medium: Medium,
                      now: float, deadline: float) -> AgentLive | None:
        """Atomically offer the interaction to the agent if it can take it; the new live
        state, or None when the agent has no room (nothing changes then)."""

    async def ping(self) -> None:
        """Raises if the backend cannot be reached (the embedded one always can)."""
        return None

    async def close(self) -> None:
        return None
