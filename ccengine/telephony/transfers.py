"""Transfers and three-way conferences on live calls, asked for by the agent on the call
(or a supervisor) through the API.

The caller never leaves the call's bridge (``bridge-<interaction id>``: recording and
supervision rely on it); agents and third parties move in and out of it.

- Blind transfer to an agent: the agent is reserved atomically (like routing does), the
  first agent leaves for wrap-up, the caller hears music while the target rings, and the
  voice adapter's own offer path rings and bridges the target. The same interaction goes
  on; its agent becomes the target. If the target does not answer, the call goes back to
  the head of its queue (the target goes not ready, RONA).
- Transfer to a queue: a queue keeps its own service level, so the caller's next wait is a
  NEW interaction in that queue, linked both ways (``transferred_from`` /
  ``transferred_to``); the first one ends with reason ``transferred``.
- Attended transfer: the caller waits on music in the call's bridge, the agent and the
  target talk in a consult bridge (``consult-<interaction id>``); complete puts the target
  in the call's bridge and the agent leaves (wrap-up); cancel (or the target hanging up)
  puts the agent back with the caller. The agent hanging up during a consult completes
  it once the target answers (back to the queue if the target never does).
- Conference: the third party joins the call's bridge. Whoever leaves, the others stay
  connected until only the caller would remain; when the call's agent leaves, an agent in
  the conference becomes the interaction's agent. The caller hanging up ends the call.
- External numbers need an outbound dialer (``dial_number``); without one a number target
  is refused.

Every step is in the interaction's history: transfer_started / transfer_completed /
transfer_cancelled / transfer_failed, conference_added / conference_left /
conference_failed, each with who asked (``by``) and the target.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ccengine.core.errors import CoreError
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher
from ccengine.telephony.ari.errors import AriError, AriNotFound
from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.ari.router import HANGUP_EVENTS, ChannelEvents
from ccengine.telephony.voice import VoiceCall, VoiceChannel, offer_failure_reason

log = logging.getLogger(__name__)

MODES = ("blind", "attended")
_NUMBER = re.compile(r"^\+?[0-9]{2,20}$")

# (endpoint for ARI originate, caller id) for an external number, or None to refuse it;
# provided by the outbound/trunks part when configured
DialNumber = Callable[[str], Awaitable[tuple[str, str] | None]]


class TransferError(CoreError):
    code = "transfer_invalid"


class BadTarget(TransferError):
    """The body names no valid target (unknown agent/queue, malformed number...)."""

    code = "bad_target"


class TransferConflict(TransferError):
    """The call is not in a state that allows this (a transfer already in progress, no
    consult to complete, no agent on the call...)."""

    code = "transfer_conflict"


class NotSupported(TransferError):
    code = "not_supported"


@dataclass(frozen=True)
class Target:
    """Exactly one of an agent, a queue, an external number."""

    agent: str | None = None
    queue: str | None = None
    number: str | None = None

    @classmethod
    def parse(cls, data: Any) -> Target:
        if not isinstance(data, dict) or len(data) != 1:
            raise BadTarget('"to" must be one of {"agent": id}, {"queue": name}, '
                            '{"number": digits}')
        (kind, value), = data.items()
        if kind not in ("agent", "queue", "number"):
            raise BadTarget(f'unknown target kind {kind!r}: use agent, queue or number')
        if not isinstance(value, str) or not value:
            raise BadTarget(f"{kind} must be a non-empty string")
        if kind == "number" and not _NUMBER.match(value):
            raise BadTarget(f"{value!r} is not a phone number (digits, optional leading +)")
        return cls(**{kind: value})

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("agent", self.agent), ("queue", self.queue),
                                  ("number", self.number)) if v is not None}


@dataclass
class Leg:
    """A party the engine dialled into a call: a consult target or a conference party."""

    channel: str
    target: Target
    role: str                       # "consult" | "party"
    answered: bool = False
    cancelled: bool = False         # hung up on purpose by the engine: no failure to report
    task: asyncio.Task[None] | None = None

    def view(self) -> dict[str, Any]:
        return {"channel": self.channel, **self.target.to_dict(), "role": self.role,
                "answered": self.answered}


@dataclass
class Blind:
    """A blind transfer to an agent: the target is being rung through the offer path."""

    by: str
    target: Target

    def view(self) -> dict[str, Any]:
        return {"mode": "blind", "by": self.by, "to": self.target.to_dict()}


@dataclass
class Consult:
    """An attended transfer in progress: the agent talks to the target in ``bridge_id``."""

    by: str
    agent_id: str                  # the transferring agent
    leg: Leg
    bridge_id: str
    orphaned: bool = False         # the transferring agent hung up: complete on answer
    mode: str = "attended"         # "blind" for a number: the agent left at once

    def view(self) -> dict[str, Any]:
        return {"mode": self.mode, "by": self.by, "agent_id": self.agent_id,
                "to": self.leg.target.to_dict(), "answered": self.leg.answered}


class Transfers:
    """Transfer and conference actions on the voice channel's live calls."""

    def __init__(self, voice: VoiceChannel, dispatcher: Dispatcher, *,
                 dial_number: DialNumber | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.voice, self.dispatcher, self.ari = voice, dispatcher, voice.ari
        self.dial_number, self.clock = dial_number, clock
        self._lock = asyncio.Lock()  # one change at a time (API requests and leg events)
        voice.agent_leg_gone = self._owner_gone
        voice.on_bridged.append(self._bridged)

    # ------------------------------------------------------------------ views
    @staticmethod
    def view(call: VoiceCall) -> dict[str, Any]:
        transfer = call.transfer.view() if call.transfer is not None else None
        return {"interaction_id": call.interaction.id, "agent_id": call.agent_id,
                "caller_number": call.interaction.attributes.get("caller_number"),
                "queue": call.interaction.queue, "bridge_id": call.bridge_id,
                "parties": [leg.view() for leg in call.parties.values()],
                "transfer": transfer}

    # ------------------------------------------------------------------ API actions
    async def transfer(self, call: VoiceCall, by: str, target: Target,
                       mode: str) -> dict[str, Any]:
        """Start a blind or attended transfer of the caller to ``target``."""
        if mode not in MODES:
            raise BadTarget(f"mode must be one of {', '.join(MODES)}")
        async with self._lock:
            agent = self._ready_for_change(call)
            await self._validate(call, target)
            iid = call.interaction.id
            if target.queue is not None:
                if mode == "attended":
                    raise BadTarget("an attended transfer needs someone to consult: "
                                    "an agent or a number, not a queue")
                return await self._to_queue(call, by, agent, target.queue)
            if mode == "blind" and target.agent is not None:
                return await self._blind_to_agent(call, by, agent, target.agent)
            if target.agent is not None:
                await self.dispatcher.reserve_agent(iid, target.agent, take_over=False)
            leg = Leg(f"xfer-{uuid.uuid4().hex}", target, "consult")
            consult = Consult(by, agent, leg, f"consult-{iid}", mode=mode)
            await self.dispatcher.record(iid, "transfer_started", by=by, agent_id=agent,
                                         to=target.to_dict(), mode=mode)
            call.transfer = consult
            # the caller waits on music in the call's bridge; the agent consults apart
            with contextlib.suppress(AriNotFound):
                await self.ari.start_moh(call.caller_channel)
            await self.ari.create_bridge(consult.bridge_id, "mixing")
            if mode == "blind":
                # a number: the agent leaves now and keeps the work (busy) until the number
                # answers (then wrap-up) or fails (then the call goes back to its queue)
                consult.orphaned = True
                channel, call.agent_channel = call.agent_channel, None
                with contextlib.suppress(AriError):
                    await self.ari.hangup(channel or "")
            elif call.agent_channel:
                await self._move(call.agent_channel, call.bridge_id, consult.bridge_id)
            self._start_leg(call, leg)
            return self.view(call)

    async def complete(self, call: VoiceCall, by: str) -> dict[str, Any]:
        """Complete the attended transfer: the target takes the caller, the agent leaves."""
        async with self._lock:
            consult = self._consult(call)
            if not consult.leg.answered:
                raise TransferConflict("the consulted party has not answered yet: wait, or "
                                       "cancel the transfer")
            await self._complete(call, consult, by)
            return self.view(call)

    async def cancel(self, call: VoiceCall, by: str) -> dict[str, Any]:
        """Cancel the attended transfer: the consulted party is hung up, the agent is back
        with the caller."""
        async with self._lock:
            consult = self._consult(call)
            consult.leg.cancelled = True
            with contextlib.suppress(AriError):
                await self.ari.hangup(consult.leg.channel)
            await self._release_target(call, consult.leg)
            await self._end_consult(call, consult)
            await self.dispatcher.record(call.interaction.id, "transfer_cancelled", by=by,
                                         to=consult.leg.target.to_dict())
            return self.view(call)

    async def conference(self, call: VoiceCall, by: str, target: Target) -> dict[str, Any]:
        """Add a third party to the call's bridge."""
        async with self._lock:
            self._ready_for_change(call)
            await self._validate(call, target)
            if target.queue is not None:
                raise BadTarget("a conference adds an agent or a number, not a queue")
            if target.agent is not None:
                await self.dispatcher.reserve_agent(call.interaction.id, target.agent,
                                                    take_over=False)
            leg = Leg(f"conf-{uuid.uuid4().hex}", target, "party")
            call.parties[leg.channel] = leg
            self._start_leg(call, leg, by=by)
            return self.view(call)

    # ------------------------------------------------------------------ checks
    def _ready_for_change(self, call: VoiceCall) -> str:
        if call.done.is_set():
            raise TransferConflict("the call is over")
        if call.transfer is not None:
            raise TransferConflict("a transfer of this call is already in progress")
        if call.agent_id is None or call.agent_channel is None:
            raise TransferConflict("no agent is connected to this call")
        return call.agent_id

    async def _validate(self, call: VoiceCall, target: Target) -> None:
        if target.agent is not None:
            if target.agent not in self.dispatcher.profiles:
                raise BadTarget(f"no agent {target.agent!r}")
            on_call = {call.agent_id} | {leg.target.agent for leg in call.parties.values()}
            if target.agent in on_call:
                raise BadTarget(f"agent {target.agent!r} is already on this call")
        if target.queue is not None:
            queue = self.dispatcher.queues.get(target.queue)
            if queue is None:
                raise BadTarget(f"no queue {target.queue!r}")
            if Medium.VOICE not in queue.media:
                raise BadTarget(f"queue {target.queue!r} takes no voice calls")
        if target.number is not None and (self.dial_number is None or
                                          await self.dial_number(target.number) is None):
            raise NotSupported("no outbound trunk is configured for external numbers")

    @staticmethod
    def _consult(call: VoiceCall) -> Consult:
        if not isinstance(call.transfer, Consult):
            raise TransferConflict("no attended transfer is in progress on this call")
        return call.transfer

    # ------------------------------------------------------------------ blind
    async def _blind_to_agent(self, call: VoiceCall, by: str, agent: str,
                              target: str) -> dict[str, Any]:
        iid = call.interaction.id
        interaction = await self.dispatcher.reserve_agent(iid, target, take_over=True)
        await self.dispatcher.record(iid, "transfer_started", by=by, agent_id=agent,
                                     to={"agent": target}, mode="blind")
        call.transfer = Blind(by, Target(agent=target))
        await self._drop_agent(call)
        await self.dispatcher.agent_left(iid, agent)
        await self.voice.offer(interaction, target)  # rings; _bridged records completion
        return self.view(call)

    async def _bridged(self, call: VoiceCall) -> None:
        """on_bridged hook: a blind transfer's target (or whoever the queue gave the call
        to after the target failed) is now with the caller."""
        transfer = call.transfer
        if isinstance(transfer, Blind):
            call.transfer = None
            if call.agent_id == transfer.target.agent:
                await self.dispatcher.record(call.interaction.id, "transfer_completed",
                                             by=transfer.by, to=transfer.target.to_dict(),
                                             agent_id=call.agent_id, mode="blind")

    async def _to_queue(self, call: VoiceCall, by: str, agent: str,
                        queue: str) -> dict[str, Any]:
        old = call.interaction
        now = self.clock()
        new = Interaction(
            id=uuid.uuid4().hex, medium=Medium.VOICE, queue=queue, priority=old.priority,
            customer_id=old.customer_id, created_at=now, sl_target_seconds=None,
            attributes={**{k: v for k, v in old.attributes.items()
                           if k not in ("transferred_to", "hung_up_by")},
                        "transferred_from": old.id, "transferred_by": by})
        new.record("entered", now, transferred_from=old.id, by=by, from_agent=agent)
        await self.dispatcher.record(old.id, "transfer_started", by=by, agent_id=agent,
                                     to={"queue": queue}, mode="blind")
        await self._drop_agent(call)
        # the caller's next wait is the new interaction: re-key the live call first so
        # that whatever the router does next finds it
        self.voice.calls.pop(old.id, None)
        call.interaction = new
        self.voice.calls[new.id] = call
        await self.dispatcher.record(old.id, "transfer_completed", by=by,
                                     to={"queue": queue}, new_interaction=new.id,
                                     attributes={"transferred_to": new.id})
        await self.dispatcher.interaction_ended(old.id, agent, reason="transferred",
                                                transferred_to=new.id)
        await self.dispatcher.enqueue(new)
        if call.done.is_set():  # the caller left meanwhile
            await self.dispatcher.cancel(new.id, "abandoned", hung_up_by="caller")
        return {**self.view(call), "transferred_from": old.id}

    async def _drop_agent(self, call: VoiceCall) -> None:
        """Take the call's agent leg out (hung up); the caller hears music meanwhile."""
        channel = call.agent_channel
        call.agent_id = call.agent_channel = None  # its follower now lets it go quietly
        with contextlib.suppress(AriNotFound):
            await self.ari.start_moh(call.caller_channel)
        if channel:
            with contextlib.suppress(AriError):
                await self.ari.hangup(channel)

    # ------------------------------------------------------------------ attended
    async def _complete(self, call: VoiceCall, consult: Consult, by: str) -> None:
        iid, leg = call.interaction.id, consult.leg
        agent_channel = call.agent_channel
        call.transfer = None
        call.agent_id, call.agent_channel = leg.target.agent, leg.channel
        await self.ari.add_to_bridge(call.bridge_id or "", [leg.channel])  # then the
        with contextlib.suppress(AriError):  # consult bridge goes (see _end_consult)
            await self.ari.destroy_bridge(consult.bridge_id)
        with contextlib.suppress(AriNotFound):
            await self.ari.stop_moh(call.caller_channel)
        if agent_channel:
            with contextlib.suppress(AriError):
                await self.ari.hangup(agent_channel)
        await self.dispatcher.record(iid, "transfer_completed", by=by,
                                     to=leg.target.to_dict(), agent_id=leg.target.agent,
                                     mode=consult.mode)
        if leg.target.agent is None:  # a number took the call: no agent of ours is on it
            await self._release_interaction(call, consult.agent_id, "transferred")
            return
        await self.dispatcher.take_over(iid, leg.target.agent, via="transfer",
                                        from_agent=consult.agent_id)
        await self.dispatcher.agent_left(iid, consult.agent_id)

    async def _end_consult(self, call: VoiceCall, consult: Consult) -> None:
        """The consult is over without a transfer: the agent is back with the caller."""
        call.transfer = None
        if call.agent_channel is None:  # the agent hung up meanwhile: back to the queue
            with contextlib.suppress(AriError):
                await self.ari.destroy_bridge(consult.bridge_id)
            await self.dispatcher.requeue(call.interaction.id, consult.agent_id,
                                          "transfer_failed")
            call.agent_id = None
            return
        # move the agent before the consult bridge goes: Asterisk takes a channel out of
        # its Stasis bridge when it is added to another, whereas a bridge being destroyed
        # kicks its channels out asynchronously and could undo an add made just after
        try:
            await self.ari.add_to_bridge(call.bridge_id or "", [call.agent_channel])
        except AriError as e:
            log.warning("could not put agent %s back with the caller of %s: %s",
                        consult.agent_id, call.interaction.id, e)
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(consult.bridge_id)
        with contextlib.suppress(AriNotFound):
            await self.ari.stop_moh(call.caller_channel)

    async def _release_target(self, call: VoiceCall, leg: Leg) -> None:
        if leg.target.agent is not None:
            await self.dispatcher.agent_left(call.interaction.id, leg.target.agent,
                                             queue=call.interaction.queue)

    async def _move(self, channel: str, from_bridge: str | None, to_bridge: str) -> None:
        if from_bridge:
            with contextlib.suppress(AriError):
                await self.ari.remove_from_bridge(from_bridge, [channel])
        await self.ari.add_to_bridge(to_bridge, [channel])

    # ------------------------------------------------------------------ legs
    def _start_leg(self, call: VoiceCall, leg: Leg, by: str | None = None) -> None:
        leg.task = self.voice.router.spawn(self._run_leg(call, leg, by or ""),
                                           f"{leg.role}-{leg.channel}")

    async def _run_leg(self, call: VoiceCall, leg: Leg, by: str) -> None:
        iid = call.interaction.id
        caller = call.interaction.attributes.get("caller_number") or "anonymous"
        with self.voice.router.listen(leg.channel) as events:
            try:
                endpoint, caller_id = await self._endpoint(leg.target, caller)
                await self.ari.originate(endpoint, leg.channel, ["transfer", iid],
                                         caller_id=caller_id,
                                         timeout=int(self.voice.ring_timeout))
            except AriError as e:
                log.warning("%s leg of %s to %s failed: %s", leg.role, iid, leg.target, e)
                await self._leg_failed(call, leg, "unreachable")
                return
            while True:  # ringing
                event = await _next_or_done(call, events)
                if call.done.is_set():
                    await self._leg_call_over(call, leg)
                    return
                if event is None:
                    continue
                if event.type == "StasisStart":
                    break
                if event.type in ("ChannelDestroyed", "ChannelHangupRequest"):
                    if not leg.cancelled:
                        await self._leg_failed(call, leg, offer_failure_reason(event.cause))
                    return
            async with self._lock:
                if leg.cancelled or call.done.is_set():
                    with contextlib.suppress(AriError):
                        await self.ari.hangup(leg.channel)
                else:
                    leg.answered = True
                    await self._leg_answered(call, leg, by)
            while True:  # connected
                event = await _next_or_done(call, events)
                if call.done.is_set():
                    await self._leg_call_over(call, leg)
                    return
                if event is not None and event.type in HANGUP_EVENTS:
                    if not leg.cancelled:
                        await self._leg_hung_up(call, leg)
                    return

    async def _endpoint(self, target: Target, caller: str) -> tuple[str, str]:
        if target.agent is not None:
            return f"PJSIP/{target.agent}", f'"{caller}" <{caller}>'
        dialled = await self.dial_number(target.number or "") if self.dial_number else None
        if dialled is None:
            raise AriError("POST", "/channels", 0, "no outbound trunk for numbers")
        return dialled

    async def _leg_answered(self, call: VoiceCall, leg: Leg, by: str) -> None:
        iid = call.interaction.id
        if leg.target.agent is not None:
            await self.dispatcher.agent_joined(iid, leg.target.agent)
        if leg.role == "party":
            await self.ari.add_to_bridge(call.bridge_id or "", [leg.channel])
            await self.dispatcher.record(iid, "conference_added", by=by,
                                         **_who(leg.target))
            return
        consult = call.transfer
        if not isinstance(consult, Consult) or consult.leg is not leg:
            return
        await self.ari.add_to_bridge(consult.bridge_id, [leg.channel])
        if consult.orphaned:
            await self._complete(call, consult, consult.by)

    async def _leg_failed(self, call: VoiceCall, leg: Leg, reason: str) -> None:
        iid = call.interaction.id
        async with self._lock:
            if leg.target.agent is not None:
                await self.dispatcher.offer_failed(iid, leg.target.agent, reason)
            if leg.role == "party":
                call.parties.pop(leg.channel, None)
                await self._record(call, "conference_failed", to=leg.target.to_dict(),
                                   reason=reason)
                return
            consult = call.transfer
            if isinstance(consult, Consult) and consult.leg is leg:
                await self._record(call, "transfer_failed", to=leg.target.to_dict(),
                                   reason=reason)
                await self._end_consult(call, consult)

    async def _leg_hung_up(self, call: VoiceCall, leg: Leg) -> None:
        """A party we dialled hung up while connected."""
        async with self._lock:
            if call.agent_channel == leg.channel:  # it had become the call's agent leg
                if await self._hand_over(call):
                    return
                call.agent_channel = None
                if call.hung_up_by is None:
                    call.hung_up_by = "agent"
                call.done.set()
                return
            await self._release_target(call, leg)
            consult = call.transfer
            if isinstance(consult, Consult) and consult.leg is leg:
                await self._record(call, "transfer_cancelled", by=_by(leg.target),
                                   to=leg.target.to_dict())
                await self._end_consult(call, consult)
                return
            if call.parties.pop(leg.channel, None) is not None:
                await self._record(call, "conference_left", **_who(leg.target))
                if call.agent_channel is None and not call.parties:
                    call.hung_up_by = call.hung_up_by or "agent"
                    call.done.set()  # only the caller is left

    async def _leg_call_over(self, call: VoiceCall, leg: Leg) -> None:
        """The call ended (the caller hung up...) with this leg still on it."""
        if call.agent_channel == leg.channel:
            return  # the voice adapter ends the call's agent leg and its interaction
        call.parties.pop(leg.channel, None)
        with contextlib.suppress(AriError):
            await self.ari.hangup(leg.channel)
        consult = call.transfer
        if isinstance(consult, Consult) and consult.leg is leg:
            with contextlib.suppress(AriError):
                await self.ari.destroy_bridge(consult.bridge_id)
        await self._release_target(call, leg)

    # ------------------------------------------------------------------ the agent leaves
    async def _owner_gone(self, call: VoiceCall) -> bool:
        """Voice adapter hook: the call's agent hung up. True when the call goes on."""
        async with self._lock:
            return await self._hand_over(call)

    async def _hand_over(self, call: VoiceCall) -> bool:
        agent = call.agent_id
        consult = call.transfer
        if isinstance(consult, Consult) and agent == consult.agent_id:
            call.agent_channel = None
            if consult.leg.answered:
                await self._complete(call, consult, consult.by)
            else:
                consult.orphaned = True
            return True
        if not call.parties:
            return False
        iid = call.interaction.id
        heir = next((leg for leg in call.parties.values()
                     if leg.answered and leg.target.agent is not None), None)
        if heir is None and not any(leg.answered for leg in call.parties.values()):
            return False
        call.agent_channel = None
        if agent is not None:
            await self._record(call, "conference_left", agent_id=agent)
        if heir is not None:
            call.parties.pop(heir.channel, None)
            call.agent_id, call.agent_channel = heir.target.agent, heir.channel
            await self.dispatcher.take_over(iid, heir.target.agent or "", via="conference",
                                            from_agent=agent)
            if agent is not None:
                await self.dispatcher.agent_left(iid, agent)
        elif agent is not None:  # only external parties remain with the caller
            await self._release_interaction(call, agent, "left_conference")
        return True

    async def _release_interaction(self, call: VoiceCall, agent: str, reason: str) -> None:
        """No agent of ours is on the call any more (an external party has the caller):
        the interaction ends for us; the media goes on until one side hangs up."""
        call.agent_id = None
        await self.dispatcher.interaction_ended(call.interaction.id, agent, reason=reason)

    async def _record(self, call: VoiceCall, kind: str, **data: Any) -> None:
        with contextlib.suppress(KeyError):  # the interaction may be over already
            await self.dispatcher.record(call.interaction.id, kind, **data)


def _who(target: Target) -> dict[str, str]:
    return {"agent_id": target.agent} if target.agent else {"number": target.number or ""}


def _by(target: Target) -> str:
    return target.agent or target.number or ""


async def _next_or_done(call: VoiceCall, events: ChannelEvents) -> AriEvent | None:
    """The leg's next event, or None as soon as the call is over."""
    if call.done.is_set():
        return None
    waiter = asyncio.ensure_future(events.next())
    finished = asyncio.ensure_future(call.done.wait())
    try:
        await asyncio.wait({waiter, finished}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in (waiter, finished):
            t.cancel()
    if waiter.done() and not waiter.cancelled():
        return waiter.result()
    return None


def parse_transfer_body(body: dict[str, Any]) -> tuple[Target, str]:
    """The target and mode of a transfer request body."""
    target = Target.parse(body.get("to"))
    mode = body.get("mode", "blind")
    if mode not in MODES:
        raise BadTarget(f"mode must be one of {', '.join(MODES)}")
    return target, mode


__all__ = ["BadTarget", "NotSupported", "Target", "TransferConflict", "Transfers",
           "parse_transfer_body"]
