"""The shared shape of media whose work an agent handles in the desktop (email, chat).

An offer is the agent's screen pop; the agent then accepts, declines or closes the work
through the API (``ccengine/api/work.py``). An offer nobody accepts within the dispatcher's
offer timeout is a RONA like an unanswered call (the dispatcher's tick expires it). A
channel adapter subclasses :class:`WorkChannel` and overrides the hooks it needs
(``offered``, ``accepted``, ``closing``); the state changes all go through the dispatcher,
so the one agent state machine and its per-medium capacity apply to every medium.
"""

from __future__ import annotations

from typing import Any

from ccengine.core.errors import CoreError
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher


class NotYourWork(CoreError):
    """The interaction is not offered to / held by this agent."""

    code = "not_your_work"


class WorkChannel:
    """Base of a desktop-handled medium's channel adapter."""

    medium: Medium
    # accept on offer without waiting for the agent (push delivery)
    auto_accept: bool = False

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    # ------------------------------------------------------------------ the dispatcher's side
    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        """The dispatcher reserved ``agent_id`` for this work: the screen pop is already on
        its way (the feed follows the dispatcher's events); push-delivery accepts at once."""
        await self.offered(interaction, agent_id)
        if self.auto_accept:
            await self.accept(interaction.id, agent_id)

    # ------------------------------------------------------------------ the agent's side
    async def _held(self, interaction_id: str, agent_id: str) -> Interaction:
        interaction = await self.dispatcher.live_interaction(interaction_id)
        if interaction.medium != self.medium:
            raise NotYourWork(f"interaction {interaction_id} is {interaction.medium}, "
                              f"not {self.medium}")
        if interaction.agent_id != agent_id:
            raise NotYourWork(f"interaction {interaction_id} is not offered to or held "
                              f"by {agent_id}")
        return interaction

    async def accept(self, interaction_id: str, agent_id: str) -> Interaction:
        """The agent takes the offered work (offered → busy)."""
        await self._held(interaction_id, agent_id)
        await self.dispatcher.offer_accepted(interaction_id, agent_id)
        interaction = await self.dispatcher.live_interaction(interaction_id)
        await self.accepted(interaction, agent_id)
        return interaction

    async def decline(self, interaction_id: str, agent_id: str) -> None:
        """The agent refuses the offer: like a rejected call, the agent goes not ready
        (``rona``) and the work goes back to the head of its queue."""
        await self._held(interaction_id, agent_id)
        await self.dispatcher.offer_failed(interaction_id, agent_id, "rejected")

    async def close(self, interaction_id: str, agent_id: str, **data: Any) -> None:
        """The work is done: the agent goes to wrap-up; the interaction ends."""
        interaction = await self._held(interaction_id, agent_id)
        await self.closing(interaction, agent_id, data)
        await self.dispatcher.interaction_ended(interaction_id, agent_id, **data)

    # ------------------------------------------------------------------ hooks
    async def offered(self, interaction: Interaction, agent_id: str) -> None:
        """Called when the work is offered (before any auto-accept)."""

    async def accepted(self, interaction: Interaction, agent_id: str) -> None:
        """Called once the agent holds the work (e.g. tell a chat visitor who joined)."""

    async def closing(self, interaction: Interaction, agent_id: str,
                      data: dict[str, Any]) -> None:
        """Called before the interaction ends (e.g. tell a chat visitor it is over)."""
