"""The contract a channel adapter (voice, email, chat) implements for the dispatcher."""

from __future__ import annotations

from typing import Protocol

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium


class Channel(Protocol):
    """Executes the core's decision "offer this interaction to this agent".

    ``offer`` starts the offer and returns; the adapter later reports back through the
    dispatcher: offer_accepted, offer_failed, interaction_ended or cancel. An adapter that
    takes its offers back before the dispatcher's offer deadline (a phone that rings for a
    set time) says after how many seconds in an ``offer_seconds`` attribute, so offers can
    show when they end."""

    medium: Medium

    async def offer(self, interaction: Interaction, agent_id: str) -> None: ...
