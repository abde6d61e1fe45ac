"""A caller whose agent's page went away is kept for that agent a moment.

When an agent's WebRTC phone loses its connection in the middle of a call (the page was
reloaded or closed, or its network dropped), the caller hears music in the call's bridge
and the work stays the agent's. If the page is back and its phone registered again within
``rejoin_seconds``, the agent's phone rings again for the same call (the desk answers it
by itself) and they are back together. Otherwise, or if the agent does not answer, the
call goes back to the head of its queue and the agent goes not ready (reason
``disconnected``) until they say otherwise. Every step is recorded on the interaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ccengine.api.phone import DISCONNECTED, REGISTERED
from ccengine.core.errors import InvalidTransition, UnknownInteraction
from ccengine.dispatcher import Dispatcher
from ccengine.telephony.voice import VoiceCall, VoiceChannel

log = logging.getLogger(__name__)

REASON = "disconnected"  # the agent's not-ready reason, and the requeue's


class AgentRejoin:
    """Listens to the phone relay (``PhoneRelay.listeners``) and keeps callers for their
    agents while the agents' pages come back."""

    def __init__(self, voice: VoiceChannel, dispatcher: Dispatcher, *, seconds: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.voice, self.dispatcher, self.seconds, self.clock = voice, dispatcher, seconds, clock
        self._registered: dict[str, asyncio.Event] = {}

    def _call_of(self, agent_id: str) -> VoiceCall | None:
        for call in self.voice.calls.values():
            if call.agent_id == agent_id and call.agent_channel and not call.done.is_set():
                return call
        return None

    async def on_phone(self, user_id: str, what: str) -> None:
        if what == REGISTERED:
            waiting = self._registered.get(user_id)
            if waiting is not None:
                waiting.set()
            return
        if what != DISCONNECTED:
            return
        call = self._call_of(user_id)
        if call is None or not await self.voice.park_for_agent(call):
            return
        self._registered[user_id] = asyncio.Event()
        iid = call.interaction.id
        log.info("%s's phone went away during %s: the caller waits on music up to %g s",
                 user_id, iid, self.seconds)
        await self._record(iid, "agent_disconnected", agent_id=user_id,
                           wait_seconds=self.seconds)
        call.offer_task = self.voice.router.spawn(self._keep(call, user_id),
                                                  f"rejoin-{iid}-{user_id}")

    async def _keep(self, call: VoiceCall, agent_id: str) -> None:
        iid = call.interaction.id
        back = self._registered[agent_id]
        try:
            async with asyncio.timeout(self.seconds):
                await back.wait()
        except TimeoutError:
            pass
        finally:
            self._registered.pop(agent_id, None)
        if call.done.is_set():
            return
        if back.is_set():
            await self._record(iid, "agent_reconnected", agent_id=agent_id)
            if await self.voice.rejoin_agent(call, agent_id):
                return  # followed until the call ended
        if call.done.is_set():
            return
        log.info("%s did not come back for %s: back to the queue", agent_id, iid)
        call.agent_id = None
        try:
            await self.dispatcher.requeue(iid, agent_id, REASON)
            await self.dispatcher.set_not_ready(agent_id, REASON)
        except (UnknownInteraction, InvalidTransition) as e:
            log.info("requeue of %s after %s left: %s", iid, agent_id, e)

    async def _record(self, interaction_id: str, kind: str, **data: object) -> None:
        try:
            await self.dispatcher.record(interaction_id, kind, **data)
        except UnknownInteraction:
            pass
