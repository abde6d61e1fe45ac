"""A restarted engine picks up the calls its Asterisk kept.

The engine that stopped (cleanly for an upgrade, or killed) left Asterisk running with every
call up, and the live state (kept on disk, or in Redis) with who waits in which order and
what each agent holds. At start, before the API opens, this module matches the two:

- a caller waiting in a queue keeps its place, original wait and music; the waiting
  experience (announcements, keys, maximum wait) starts again;
- a call that rang an agent's phone: the ringing leg is hung up and the offer withdrawn
  without penalty (the agent is not sent not ready); the caller waits again in their place
  and is offered again;
- a talking call (the caller and the agent in the call's bridge) goes on; its record is
  completed when it ends;
- a caller who was still in the IVR (no engine keeps an IVR's place) hears their flow again
  from its start, as a new interaction;
- a transfer or a conference in progress: the consulted or added legs are hung up and the
  agent stays with the caller; supervisions end (their snoops are hung up);
- what no longer exists (a call that ended while no engine watched) is ended with reason
  ``lost``, and so is every stored interaction that claims to be live but is not: no record
  stays ``queued`` for a call that is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from ccengine.core.agent_state import SlotState
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher
from ccengine.telephony.ari.client import AriClient
from ccengine.telephony.ari.errors import AriError
from ccengine.telephony.ari.events import AriEvent, ChannelInfo
from ccengine.telephony.ari.router import AriEventRouter
from ccengine.telephony.voice import ADOPTED

log = logging.getLogger(__name__)

LOST = "lost"
RESTARTED = "engine_restarted"
PHONE_MEDIA = (Medium.VOICE, Medium.CALLBACK)
# dialplan contexts whose calls enter the IVR of the number dialled (trunks': their DIDs)
PUBLIC_CONTEXTS = ("ccengine-public", "ccengine-agents")


@dataclass
class Recovered:
    """What a start found and did (logged, and returned for tests and the health view)."""

    waiting: list[str] = field(default_factory=list)
    talking: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    ivr_restarted: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    hung_up: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in vars(self).items())


class CallRecovery:
    """Matches the live state with the calls in Asterisk, once, at start."""

    def __init__(self, ari: AriClient, router: AriEventRouter, dispatcher: Dispatcher, *,
                 node: str, service_numbers: Collection[str],
                 dids: Mapping[str, Mapping[str, str]]) -> None:
        self.ari, self.router, self.dispatcher, self.node = ari, router, dispatcher, node
        self.service_numbers = set(service_numbers)
        self.dids = dids   # trunk context -> {did: service number}
        self.done = Recovered()
        # agents whose ringing offer this start withdrew: their phones' legs still ringing
        # are hung up (rung_legs)
        self._rung: set[str] = set()

    async def run(self) -> Recovered:
        channels = {c["id"]: c for c in await self.ari.request("GET", "/channels") or []}
        bridges = {b["id"]: b for b in await self.ari.request("GET", "/bridges") or []}
        app = await self.ari.request("GET", f"/applications/{self.ari.app}") or {}
        in_app = set(app.get("channel_ids", [])) & set(channels)
        accounted: set[str] = set()
        live = [i for i in await self.dispatcher.state.interactions()
                if i.medium in PHONE_MEDIA]
        for interaction in sorted(live, key=lambda i: i.enqueued_at or i.created_at):
            accounted |= await self._interaction(interaction, channels, bridges)
        for channel_id in sorted(in_app - accounted):
            await self._stray(channels[channel_id])
        for channel_id in rung_legs(channels, in_app | accounted, self._rung):
            await self._hangup(channel_id)
        for bridge_id, bridge in bridges.items():
            if bridge_id.startswith(("consult-", "supervise-")) and not bridge["channels"]:
                await self._destroy(bridge_id)
        await self.dispatcher.forget_stale_slots(LOST)
        log.info("calls picked up from Asterisk: %s", self.done.summary())
        await self.dispatcher.route()
        return self.done

    # ------------------------------------------------------------------ live work
    async def _interaction(self, interaction: Interaction, channels: dict[str, Any],
                           bridges: dict[str, Any]) -> set[str]:
        iid = interaction.id
        bridge = bridges.get(f"bridge-{iid}")
        node = interaction.attributes.get("node")
        if node is not None and node != self.node:
            return set()   # another engine node's call (several nodes on one Redis)
        if interaction.medium == Medium.CALLBACK and bridge is None:
            # a callback has no call until an agent takes it: it simply waits on
            if interaction.agent_id is not None:
                await self.dispatcher.withdraw(iid, interaction.agent_id, RESTARTED)
                self.done.withdrawn.append(iid)
            return set()
        members = list(bridge["channels"]) if bridge else []
        caller = interaction.attributes.get("caller_channel")
        agent = interaction.agent_id
        agent_leg = next((c for c in members if agent and _is_leg_of(channels.get(c), agent)),
                         None)
        if caller is None or caller not in channels:   # outbound: the bridge's other leg
            caller = next((c for c in members if c != agent_leg), None)
        if caller is None or caller not in channels:
            await self._lose(interaction)
            return set(members)
        await self._end_side_work(interaction, channels, bridges, caller, agent_leg)
        if agent_leg is not None and agent is not None:
            slot = await self._slot(agent, iid)
            if slot is not None and slot.state == SlotState.OFFERED:
                # answered in the last moment before the stop: it is theirs
                await self.dispatcher.offer_accepted(iid, agent)
            self.done.talking.append(iid)
            self._adopt(channels[caller], iid, agent_channel=agent_leg,
                        bridge_id=f"bridge-{iid}")
            return {caller, agent_leg}
        if agent is not None:
            await self.dispatcher.withdraw(iid, agent, RESTARTED)
            self.done.withdrawn.append(iid)
            self._rung.add(agent)
        self.done.waiting.append(iid)
        self._adopt(channels[caller], iid, bridge_id=f"bridge-{iid}" if bridge else None)
        return {caller}

    async def _slot(self, agent_id: str, interaction_id: str) -> Any:
        live = await self.dispatcher.state.get_agent(agent_id)
        return live.slot(interaction_id) if live is not None else None

    async def _end_side_work(self, interaction: Interaction, channels: dict[str, Any],
                             bridges: dict[str, Any], caller: str,
                             agent_leg: str | None) -> None:
        """Transfers, conferences and supervisions in progress end: their extra legs are
        hung up (the agent, consulting apart, is put back with the caller)."""
        iid = interaction.id
        consult = bridges.get(f"consult-{iid}")
        agent = interaction.agent_id
        if consult is not None:
            for channel_id in consult["channels"]:
                if agent and _is_leg_of(channels.get(channel_id), agent) and agent_leg is None:
                    try:
                        await self.ari.add_to_bridge(f"bridge-{iid}", [channel_id])
                    except AriError:
                        await self._hangup(channel_id)
                else:
                    await self._hangup(channel_id)
            await self._destroy(f"consult-{iid}")
            await self._record(iid, "transfer_cancelled", reason=RESTARTED)
        main = bridges.get(f"bridge-{iid}")
        for channel_id in (main["channels"] if main else []):
            if channel_id not in (caller, agent_leg) and not (
                    consult and channel_id in consult["channels"]):
                await self._hangup(channel_id)   # a conference party
        for bridge_id in list(bridges):
            if bridge_id.startswith(f"supervise-{iid}-"):
                for channel_id in bridges[bridge_id]["channels"]:
                    await self._hangup(channel_id)
                await self._destroy(bridge_id)
        for agent_id, live in (await self.dispatcher.state.agents()).items():
            slot = live.slot(iid)
            if agent_id != agent and slot is not None:
                await self.dispatcher.agent_left(iid, agent_id)   # a consulted agent

    def _adopt(self, channel: dict[str, Any], interaction_id: str, **legs: Any) -> None:
        raw = {"type": "StasisStart", "channel": channel, "args": [ADOPTED, interaction_id],
               "ccengine": legs}
        self.router.dispatch(AriEvent("StasisStart", self.ari.app,
                                      ChannelInfo.from_json(channel),
                                      (ADOPTED, interaction_id), raw))

    async def _lose(self, interaction: Interaction) -> None:
        log.info("interaction %s: its call is gone: ended (%s)", interaction.id, LOST)
        self.done.lost.append(interaction.id)
        await self.dispatcher.lost(interaction.id, LOST)

    # ------------------------------------------------------------------ strays
    async def _stray(self, channel: dict[str, Any]) -> None:
        """A channel in the application that no live work explains: a caller in the IVR
        hears their flow again from its start; anything else is hung up."""
        dialplan = channel.get("dialplan") or {}
        context, exten = str(dialplan.get("context", "")), str(dialplan.get("exten", ""))
        number = None
        if context in PUBLIC_CONTEXTS and exten in self.service_numbers:
            number = exten
        elif context in self.dids:
            number = self.dids[context].get(exten)
        if number is None or not str(channel.get("id", "")).replace("-", "").replace(
                ".", "").isalnum() or channel.get("state") != "Up":
            await self._hangup(channel["id"])
            return
        self.done.ivr_restarted.append(channel["id"])
        raw = {"type": "StasisStart", "channel": channel, "args": ["inbound", number]}
        self.router.dispatch(AriEvent("StasisStart", self.ari.app,
                                      ChannelInfo.from_json(channel), ("inbound", number),
                                      raw))

    # ------------------------------------------------------------------ small steps
    async def _hangup(self, channel_id: str) -> None:
        try:
            await self.ari.hangup(channel_id)
            self.done.hung_up.append(channel_id)
        except AriError:
            pass

    async def _destroy(self, bridge_id: str) -> None:
        try:
            await self.ari.destroy_bridge(bridge_id)
        except AriError:
            pass

    async def _record(self, interaction_id: str, kind: str, **data: Any) -> None:
        try:
            await self.dispatcher.record(interaction_id, kind, **data)
        except KeyError:
            pass


def rung_legs(channels: Mapping[str, dict[str, Any]], kept: Collection[str],
              rung_agents: Collection[str]) -> list[str]:
    """The legs the stopped engine rang that never answered (not in the Stasis app, not a
    kept call's): transfer, supervision and outbound legs by the ids the engine gave them;
    an agent's offer leg, whose id Asterisk picked (voice.py), by its phone's name and a
    state before answer, for the agents whose ringing offer was withdrawn. ``agent-`` ids
    are an older engine's offer legs (an upgrade)."""
    found = []
    for channel_id, channel in channels.items():
        if channel_id in kept:
            continue
        if channel_id.startswith(("agent-", "xfer-", "supervisor-", "outbound-")) or (
                channel.get("state") in ("Down", "Ringing")
                and any(_is_leg_of(channel, agent) for agent in rung_agents)):
            found.append(channel_id)
    return found


def _is_leg_of(channel: dict[str, Any] | None, agent_id: str) -> bool:
    """Whether a channel is an agent's phone leg (PJSIP/<agent>-<n>)."""
    return bool(channel) and str(channel.get("name", "")).startswith(f"PJSIP/{agent_id}-")
