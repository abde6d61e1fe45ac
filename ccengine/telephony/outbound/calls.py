"""Agents' own outbound calls, and the dialler transfers use for external numbers.

An outbound call is a voice interaction (attribute ``direction: outbound``) with the agent
reserved for it atomically, as routing does (offered → busy → wrap-up). From the API the
engine rings the agent's phone first; from the agent's softphone the dialled number comes
into the Stasis application (``dialout``). Either way the number must pass the dialling
policy; then the engine dials it through the trunk with the configured caller ID (the agent
hears ringing), bridges the two once it answers, and the call goes on like an answered
inbound call (hang-ups, transfers, wrap-up). Every step is in the interaction's history:
``dialling``, then ``connected`` or ``dial_failed`` (with the outcome).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ccengine.core.errors import AgentUnavailable, CoreError, UnknownInteraction
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.telephony.ari.errors import AriError
from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.ari.router import ChannelEvents
from ccengine.telephony.outbound.legs import (
    AGENT_HUNG_UP,
    ANSWERED,
    HANGUP_REASON,
    Ringback,
    ring,
)
from ccengine.telephony.outbound.numbers import BadNumber, Destination, NumberRefused
from ccengine.telephony.outbound.settings import OutboundSettings
from ccengine.telephony.voice import VoiceCall, VoiceChannel

log = logging.getLogger(__name__)

# links an interaction to its customer (by its caller_number; sets customer_id and tier)
Link = Callable[..., Awaitable[None]]
Persist = Callable[[Interaction], Awaitable[None]]


class NotConfigured(CoreError):
    """No outbound trunk is configured (the ``outbound:`` section)."""

    code = "outbound_not_configured"


def agent_of_channel(name: str) -> str:
    """The endpoint of a PJSIP channel name (``PJSIP/alice-00000012`` → ``alice``)."""
    return name.split("/", 1)[-1].rsplit("-", 1)[0]


def queue_for(agent_id: str, configured: str | None, queues: Mapping[str, QueueConfig],
              skills: Callable[[Mapping[str, int]], bool]) -> str:
    """The queue an agent's outbound call counts in: the configured one, else the first
    voice queue the agent has the skills for, else the first voice queue."""
    if configured is not None:
        return configured
    voice = [q for q in queues.values() if Medium.VOICE in q.media]
    for q in voice:
        if skills(q.required_skills):
            return q.name
    if voice:
        return voice[0].name
    raise NotConfigured(f"no queue takes voice for {agent_id}'s outbound calls: set "
                        "outbound.queue")


class OutboundCalls:
    """Places agents' outbound calls and dials numbers for transfers."""

    def __init__(self, voice: VoiceChannel, dispatcher: Dispatcher,
                 settings: OutboundSettings, *, link: Link, persist: Persist,
                 clock: Callable[[], float]) -> None:
        self.voice, self.ari, self.dispatcher = voice, voice.ari, dispatcher
        self.settings, self.policy = settings, settings.policy
        self.link, self.persist, self.clock = link, persist, clock
        voice.router.on_stasis_start("dialout", self.handle_softphone)

    # ------------------------------------------------------------------ transfers
    async def dial_number(self, number: str) -> tuple[str, str]:
        """The transfers' dialler: the trunk endpoint and caller ID for ``number``;
        BadNumber or NumberRefused (with the reason) when the policy refuses it."""
        destination = self.policy.check(number)
        return self.settings.trunk.endpoint(destination.dial), self.settings.caller_id_header

    # ------------------------------------------------------------------ the API
    async def dial(self, agent_id: str, number: str, by: str) -> dict[str, Any]:
        """Ring ``agent_id``'s phone, then ``number`` through the trunk, and bridge them.
        Returns at once with the interaction; BadNumber/NumberRefused/AgentUnavailable
        when it cannot be placed."""
        destination = self.policy.check(number)
        interaction = await self._interaction(agent_id, destination, via="api", by=by)
        await self.dispatcher.assign(interaction, agent_id)
        self.voice.router.spawn(self._api_call(interaction.id, agent_id, destination),
                                f"outbound-{interaction.id}")
        return {"interaction_id": interaction.id, "agent_id": agent_id,
                **destination.to_dict(), "trunk": self.settings.trunk.name}

    async def _api_call(self, iid: str, agent_id: str, destination: Destination) -> None:
        agent_channel = f"outbound-agent-{uuid.uuid4().hex}"
        with self.voice.router.listen(agent_channel) as agent_events:
            outcome = await ring(self.ari, agent_events, f"PJSIP/{agent_id}",
                                 app_args=["outbound", iid],
                                 caller_id=f'"{destination.e164}" <{destination.e164}>',
                                 timeout=int(self.voice.ring_timeout))
            if outcome != ANSWERED:
                # the agent asked for this call: not answering is no RONA, just no call
                await self.dispatcher.cancel(iid, "agent_did_not_answer", agent_id=agent_id,
                                             outcome=outcome)
                return
            try:
                await self.dispatcher.offer_accepted(iid, agent_id)
            except CoreError:  # cancelled meanwhile
                with contextlib.suppress(AriError):
                    await self.ari.hangup(agent_channel)
                return
            outcome = await self.connect(iid, agent_id, agent_channel, agent_events,
                                         destination, agent_up=True,
                                         ring_seconds=self.settings.ring_seconds)
            if outcome != ANSWERED:
                await self._not_connected(iid, agent_id, agent_channel, outcome)

    # ------------------------------------------------------------------ the softphone
    async def handle_softphone(self, start: AriEvent, events: ChannelEvents) -> None:
        """StasisStart ``dialout,<number>`` from the agents' context: an agent dialled a
        number on their phone. The policy decides; a refusal rejects the call (stored)."""
        chan = start.channel
        if chan is None:
            return
        agent_id = agent_of_channel(chan.name)
        number = start.args[1] if len(start.args) > 1 else ""
        if agent_id not in self.dispatcher.profiles:
            log.warning("dialout from %s, which is not an agent: rejected", chan.name)
            await self._hangup(chan.id, "rejected")
            return
        try:
            destination = self.policy.check(number)
        except (BadNumber, NumberRefused) as e:
            await self._refused(agent_id, number, e.code, str(e))
            await self._hangup(chan.id, "rejected" if isinstance(e, NumberRefused)
                               else "unallocated")
            return
        interaction = await self._interaction(agent_id, destination, via="phone",
                                              by=agent_id)
        try:
            await self.dispatcher.assign(interaction, agent_id)
        except AgentUnavailable as e:
            await self._refused(agent_id, number, e.code, str(e), destination)
            await self._hangup(chan.id, "congestion")
            return
        iid = interaction.id
        await self.dispatcher.offer_accepted(iid, agent_id)  # the agent is on the phone
        outcome = await self.connect(iid, agent_id, chan.id, events, destination,
                                     agent_up=False, ring_seconds=self.settings.ring_seconds)
        if outcome != ANSWERED:
            await self._not_connected(iid, agent_id, chan.id, outcome)

    # ------------------------------------------------------------------ shared
    async def connect(self, iid: str, agent_id: str, agent_channel: str,
                      agent_events: ChannelEvents, destination: Destination, *,
                      agent_up: bool, ring_seconds: int) -> str:
        """Dial ``destination`` through the trunk while the agent (busy on ``iid``) hears
        ringing; once it answers, bridge the two and follow the call to its end. Returns
        ``answered`` (the call took place and is over) or why it did not connect."""
        trunk = self.settings.trunk
        await self.dispatcher.record(iid, "dialling", number=destination.e164,
                                     dialled=destination.dial, trunk=trunk.name,
                                     agent_id=agent_id)
        ringback = Ringback(self.ari, agent_channel)
        if agent_up:
            await ringback.start()
        else:
            with contextlib.suppress(AriError):
                await self.ari.ring(agent_channel)
        customer = f"outbound-{uuid.uuid4().hex}"
        with self.voice.router.listen(customer) as events:
            outcome = await ring(self.ari, events, trunk.endpoint(destination.dial),
                                 app_args=["outbound", iid],
                                 caller_id=self.settings.caller_id_header,
                                 timeout=ring_seconds, watch=agent_events)
            if agent_up:
                await ringback.stop()
            if outcome != ANSWERED:
                return outcome
            try:
                if not agent_up:
                    await self.ari.answer(agent_channel)
                bridge_id = f"bridge-{iid}"
                await self.ari.create_bridge(bridge_id, "mixing")
                await self.ari.add_to_bridge(bridge_id, [customer, agent_channel])
            except AriError as e:  # one side vanished at the last moment
                log.info("outbound %s could not be bridged: %s", iid, e)
                with contextlib.suppress(AriError):
                    await self.ari.hangup(customer)
                with contextlib.suppress(AriError):
                    await self.ari.destroy_bridge(f"bridge-{iid}")
                return "failed"
            interaction = await self.dispatcher.record(iid, "connected",
                                                       number=destination.e164)
            call = VoiceCall(interaction, customer, events, agent_id=agent_id,
                             agent_channel=agent_channel, bridge_id=bridge_id)
            await self.voice.follow_connected(call, agent_events)
            return ANSWERED

    async def _not_connected(self, iid: str, agent_id: str, agent_channel: str,
                             outcome: str) -> None:
        """The number did not answer (or the agent gave up): the agent's leg is hung up
        and the call ends for them (wrap-up)."""
        await self._hangup(agent_channel, HANGUP_REASON.get(outcome, "normal"))
        with contextlib.suppress(UnknownInteraction):
            await self.dispatcher.record(iid, "dial_failed", outcome=outcome)
            await self.dispatcher.interaction_ended(
                iid, agent_id, reason=outcome,
                hung_up_by="agent" if outcome == AGENT_HUNG_UP else "system")

    async def _interaction(self, agent_id: str, destination: Destination, *, via: str,
                           by: str) -> Interaction:
        now = self.clock()
        profile = self.dispatcher.profiles.get(agent_id)
        queue = queue_for(agent_id, self.settings.queue, self.dispatcher.queues,
                          profile.has_skills if profile else (lambda _: False))
        interaction = Interaction(
            id=uuid.uuid4().hex, medium=Medium.VOICE, queue=queue, created_at=now,
            attributes={"direction": "outbound", "caller_number": destination.e164,
                        "number": destination.e164, "dialled": destination.dial,
                        "trunk": self.settings.trunk.name, "initiated_via": via,
                        "requested_by": by,
                        "pop": {"direction": "outbound", "number": destination.e164,
                                "initiated_via": via}})
        interaction.record("entered", now, direction="outbound", via=via, by=by,
                           number=destination.e164)
        await self.link(interaction)
        return interaction

    async def _refused(self, agent_id: str, number: str, code: str, message: str,
                       destination: Destination | None = None) -> None:
        """A softphone dial-out that may not go out is stored (ended at once), so
        supervisors see it."""
        now = self.clock()
        interaction = Interaction(
            id=uuid.uuid4().hex, medium=Medium.VOICE, queue=None, created_at=now,
            agent_id=agent_id,
            attributes={"direction": "outbound", "dialled_by_agent": number,
                        "initiated_via": "phone", "requested_by": agent_id,
                        "refused": code,
                        **({"number": destination.e164} if destination else {})})
        interaction.record("entered", now, direction="outbound", via="phone", by=agent_id)
        interaction.record("dial_refused", now, agent_id=agent_id, number=number,
                           reason=code, message=message)
        interaction.record("ended", now, reason=code, hung_up_by="system")
        interaction.attributes["hung_up_by"] = "system"
        log.info("dial-out by %s to %r refused: %s", agent_id, number, message)
        await self.persist(interaction)

    async def _hangup(self, channel_id: str, reason: str) -> None:
        with contextlib.suppress(AriError):
            await self.ari.hangup(channel_id, reason=reason)
