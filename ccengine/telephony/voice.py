"""The voice channel adapter: a Stasis application that turns ARI events into core events
and carries out the core's decisions (offer to agent X → ring, answer → bridge).

Inbound calls enter with Stasis args ``inbound,<service number>``; agent legs that the
engine originates come back with ``agent,<interaction id>`` once answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ccengine.core.errors import CoreError, InvalidTransition, UnknownInteraction
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher
from ccengine.telephony.ari.client import AriClient
from ccengine.telephony.ari.errors import AriError, AriNotFound, AriUnavailable
from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.ari.legs import Unanswered, wait_answer
from ccengine.telephony.ari.router import HANGUP_EVENTS, AriEventRouter, ChannelEvents
from ccengine.telephony.ivr.flow import Action, Flow
from ccengine.telephony.ivr.runner import IvrServices, IvrSession, run_flow
from ccengine.telephony.ivr.sounds import media_uri

log = logging.getLogger(__name__)

IVR_PROMPTS_KEPT = 50  # the latest plays kept in attributes["ivr_prompts"]
# the agent's phone is told which interaction rings it (the desk matches the call to its
# offer by this SIP header)
INTERACTION_HEADER_VAR = "PJSIP_HEADER(add,X-CCEngine-Interaction)"
# the Stasis argument under which ccengine/telephony/recovery.py hands over a call that an
# engine before this one left up (``raw["ccengine"]``: its agent leg and bridge)
ADOPTED = "adopted"
# Q.850 causes of an agent leg that ended before answering, mapped to the core's reasons.
_NO_ANSWER = {18, 19, 16}
_REJECTED = {17, 21}

Persist = Callable[[Interaction], Awaitable[None]]
# links a new interaction to its customer (sets customer_id and customer attributes)
Identify = Callable[[Interaction], Awaitable[None]]
# carries out an IVR's terminal action (transfer, voicemail, callback...) on a call; the
# call ends when it returns unless the handler queued it
IvrActionHandler = Callable[["VoiceCall", Action], Awaitable[None]]
# told when a caller and an agent have just been bridged (recording policy, ...)
BridgedHook = Callable[["VoiceCall"], Awaitable[None]]
# told when the call's agent leg hangs up; True when the call goes on without that agent
# (a transfer or a conference hands it over), False to end the call as usual
AgentLegGone = Callable[["VoiceCall"], Awaitable[bool]]
# the IVR's lookups and transfers for one call (ccengine.telephony.ivr.services)
IvrServicesFactory = Callable[["VoiceCall", "CallerLeg"], IvrServices]
# told what Asterisk played to a caller: {"media": [...], "language", "interrupted", ...}
Played = Callable[[dict[str, Any]], None]
# runs while a queued caller waits for an agent (announcements, keys, maximum wait) as the
# only reader of the caller's events; returns once an agent answers or the call is over
CallerWaiting = Callable[["VoiceCall"], Awaitable[None]]
# told when an agent's leg has answered, just before the caller is bridged with it
AnsweringHook = Callable[["VoiceCall"], Awaitable[None]]
# told when a call is over, before its legs are hung up and its interaction closed
CallEnding = Callable[["VoiceCall"], Awaitable[None]]


def offer_failure_reason(cause: int) -> str:
    if cause in _REJECTED:
        return "rejected"
    if cause in _NO_ANSWER:
        return "no_answer"
    return "unreachable"


@dataclass
class VoiceCall:
    """One caller's call as the adapter tracks it."""

    interaction: Interaction
    caller_channel: str
    events: ChannelEvents
    agent_id: str | None = None
    agent_channel: str | None = None
    bridge_id: str | None = None
    hung_up_by: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    offer_task: asyncio.Task[None] | None = None
    # legs besides the caller's and the agent's (conference parties, consult targets) by
    # channel id, and a transfer in progress: kept by ccengine.telephony.transfers
    parties: dict[str, Any] = field(default_factory=dict)
    transfer: Any = None
    # why the call ends when it is not a hang-up (e.g. asterisk_lost): the record's reason
    end_reason: str | None = None
    # the queued caller's music, asked for MUSIC_AFTER_SECONDS after they are queued
    # (VoiceChannel._run; settle_music), and whether music was ever asked for while they
    # were out of a bridge (else bridging them has none to stop)
    music: asyncio.Future[None] | None = None
    music_asked: bool = False


async def settle_music(call: VoiceCall) -> None:
    """Before anything else is asked of a queued caller's media (an agent's answer, an
    announcement, a key's action): music not asked for yet never will be; music asked for
    has reached Asterisk first."""
    music = call.music
    if music is None:
        return
    if not call.music_asked:
        music.cancel()    # still waiting its turn: no request made
        call.music = None
        return
    await asyncio.shield(music)   # a cancelled waiter leaves the request be


# A queued caller's music starts this long after they join the queue. An agent free at
# once answers sooner (most calls below capacity: 40-100 ms in the voice bench), and then
# neither the music's start nor its stop is asked of Asterisk: two of a call's nine ARI
# requests, each a round trip on the caller's channel, and the bridge no longer waits for
# the stop (docs/benchmarks.md, 2026-12-08). A caller who waits hears the music after it.
MUSIC_AFTER_SECONDS = 0.5
LEG_GONE_WAIT_SECONDS = 5.0  # an agent's next ring waits at most this for their last leg's end
HOLD_EVENTS = frozenset({"ChannelHold", "ChannelUnhold"})  # an agent's phone holds, resumes
DECLINE_WAIT_SECONDS = 2.0   # a decline just after the offer waits this long for the ring


class NotRinging(CoreError):
    """A decline of a call that is not ringing this agent's phone (answered meanwhile, or
    offered to someone else)."""

    code = "not_ringing"


@dataclass
class Ringing:
    """An agent's phone ringing with an offered call; ``over`` is set once the ring is
    settled (answered, or the failed offer reported to the dispatcher)."""

    agent_id: str
    channel_id: str
    declined: bool = False  # the agent refused it from the desk
    over: asyncio.Event = field(default_factory=asyncio.Event)


class CallerLeg:
    """The IVR runner's view of the caller: prompts and digits over ARI (CallerMedia).

    ``on_played`` hears, for each play, the media Asterisk reported starting (its
    PlaybackStarted events) and the language it played them in."""

    def __init__(self, voice: VoiceChannel, call: VoiceCall, on_played: Played | None = None
                 ) -> None:
        self.ari, self.router = voice.ari, voice.router
        self.call, self.on_played = call, on_played

    async def _event(self, timeout: float | None) -> AriEvent | None:
        event = await self.call.events.next(timeout)
        if event is not None and event.type in HANGUP_EVENTS:
            raise CallerGone()
        return event

    async def play(self, prompts: tuple[str, ...], language: str | None = None
                   ) -> str | None:
        """Play sound names or media URIs (digits:12...); a digit stops the playback and
        is returned."""
        playback_id = f"pb-{uuid.uuid4().hex}"
        await self.ari.play(self.call.caller_channel, [media_uri(p) for p in prompts],
                            playback_id, lang=language)
        played: dict[str, Any] = {"media": [], "language": language, "interrupted": False}
        while True:
            event = await self._event(None)
            if event is None:
                continue
            if event.type == "ChannelDtmfReceived":
                # not waited for: Asterisk carries out a channel's next media request (the
                # music, the next prompt) only once this playback is over, whichever of
                # the two requests reaches it first; the caller goes on a round trip sooner
                self.router.spawn(self._stop(playback_id), f"stop-{playback_id}")
                played["interrupted"] = True
                self._played(played)
                return event.digit
            if event.playback_id != playback_id:
                continue
            playback = event.raw.get("playback") or {}
            if event.type == "PlaybackStarted":   # one for each medium of the list
                played["media"].append(playback.get("media_uri", ""))
                played["language"] = playback.get("language", language)
            if event.type == "PlaybackFinished":
                played["state"] = playback.get("state", "")
                self._played(played)
                return None

    async def _stop(self, playback_id: str) -> None:
        try:
            await self.ari.stop_playback(playback_id)
        except AriNotFound:
            pass  # over already, or the caller gone
        except AriError as e:
            log.info("could not stop playback %s: %s", playback_id, e)

    def _played(self, played: dict[str, Any]) -> None:
        if self.on_played is not None:
            self.on_played(played)

    async def get_digit(self, timeout: float) -> str | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            event = await self._event(left)
            if event is not None and event.type == "ChannelDtmfReceived":
                return event.digit
        return None


class CallerGone(Exception):
    """The caller hung up (raised inside the IVR)."""


class VoiceChannel:
    """The Stasis application for voice; registered with the dispatcher as the VOICE channel."""

    medium = Medium.VOICE

    def __init__(self, ari: AriClient, router: AriEventRouter, dispatcher: Dispatcher,
                 flow: Flow, *, persist: Persist, ring_timeout: float,
                 clock: Callable[[], float], identify: Identify | None = None,
                 flows_by_number: Mapping[str, Flow] | None = None, node: str = "") -> None:
        self.ari, self.router, self.dispatcher, self.flow = ari, router, dispatcher, flow
        # service number -> its flow; other numbers get ``flow`` (ivr.entry)
        self.flows_by_number = dict(flows_by_number or {})
        self.ivr_services: IvrServicesFactory | None = None
        self.persist, self.ring_timeout, self.clock = persist, ring_timeout, clock
        self.identify = identify
        self.calls: dict[str, VoiceCall] = {}
        self.ringing: dict[str, Ringing] = {}  # interaction id -> the agent phone ringing
        # agent id -> the hang-up of their last call's leg, while Asterisk has not answered
        self._leaving: dict[str, asyncio.Future[Any]] = {}
        # executors of IVR actions other than "queue", by action kind (features add theirs)
        self.ivr_actions: dict[str, IvrActionHandler] = {}
        self.on_bridged: list[BridgedHook] = []
        self.agent_leg_gone: AgentLegGone | None = None
        self.caller_waiting: CallerWaiting | None = None
        self.on_answering: list[AnsweringHook] = []
        self.on_call_ending: list[CallEnding] = []
        # the overload guard's: were the engine and Asterisk late at any time since then?
        # (a phone unanswered meanwhile is not the agent's fault: _not_answered)
        self.late_since: Callable[[float], bool] | None = None
        # the engine stops and leaves its calls to the next one: nothing is hung up
        self.detached = False
        # which engine (and Asterisk) a call is on: a restarted engine picks up its own
        self.node = node
        router.on_stasis_start("inbound", self.handle_inbound)
        router.on_stasis_start(ADOPTED, self.handle_adopted)

    async def drop_all(self, reason: str) -> int:
        """Asterisk is gone with every call on it: each call ends now with ``reason``
        (its interaction too, its agent to wrap-up), and everything following calls is
        cancelled. How many calls there were."""
        calls = list(self.calls.values())
        for call in calls:
            call.end_reason = reason
            call.hung_up_by = call.hung_up_by or "system"
        await self.router.cancel_all()
        return len(calls)

    def detach(self) -> None:
        """The engine is stopping and leaves its calls up in Asterisk (the next start
        adopts them): from now on nothing is hung up, moved or recorded as over."""
        self.detached = True

    @property
    def offer_seconds(self) -> float:
        """How long an offer rings the agent's phone before it is taken back (the
        originate timeout, whole seconds); the dispatcher's own deadline is later."""
        return float(int(self.ring_timeout))

    def call_of(self, interaction_id: str) -> VoiceCall:
        """The live call of an interaction on this node (UnknownInteraction if none)."""
        call = self.calls.get(interaction_id)
        if call is None or call.done.is_set():
            raise UnknownInteraction(interaction_id)
        return call

    # ------------------------------------------------------------------ inbound calls
    async def handle_inbound(self, start: AriEvent, events: ChannelEvents) -> None:
        """Answer, run the IVR, queue, and follow the call until it ends."""
        chan = start.channel
        if chan is None:
            return
        now = self.clock()
        interaction = Interaction(
            id=uuid.uuid4().hex, medium=Medium.VOICE, queue=None, priority=0,
            required_skills={}, customer_id=None,
            attributes={"caller_number": chan.caller_number, "caller_name": chan.caller_name,
                        "service_number": start.args[1] if len(start.args) > 1 else chan.exten,
                        "caller_channel": chan.id, "node": self.node},
            created_at=now, enqueued_at=None, sl_target_seconds=None)
        interaction.record("entered", now)
        if self.identify is not None:
            await self.identify(interaction)
        call = VoiceCall(interaction, chan.id, events)
        self.calls[interaction.id] = call
        try:
            await self._run(call, answered=chan.state == "Up")
        finally:
            self.calls.pop(interaction.id, None)
            self.calls.pop(call.interaction.id, None)  # a transfer to a queue re-keys it
            await self._finish(call)

    async def handle_adopted(self, start: AriEvent, events: ChannelEvents) -> None:
        """Follow a call an engine before this one left up: its caller waits in a queue
        (music goes on, the waiting experience starts again), or talks with its agent
        (``raw["ccengine"]`` names the agent's leg and the call's bridge). From here it
        goes as any call: hang-ups, transfers, the end of the interaction."""
        chan = start.channel
        if chan is None or len(start.args) < 2:
            return
        adopted = start.raw.get("ccengine") or {}
        interaction = await self.dispatcher.live_interaction(start.args[1])
        agent_channel = adopted.get("agent_channel")
        call = VoiceCall(interaction, chan.id, events,
                         agent_id=interaction.agent_id if agent_channel else None,
                         agent_channel=agent_channel, bridge_id=adopted.get("bridge_id"))
        self.calls[interaction.id] = call
        try:
            if not await self.ari.channel_exists(chan.id):
                call.hung_up_by = "caller"  # gone before it could be followed
                return
            if agent_channel:
                call.offer_task = self.router.spawn(self._follow_leg(call, agent_channel),
                                                    f"agent-leg-{interaction.id}")
            else:
                call.music_asked = True
                with contextlib.suppress(AriNotFound):
                    await self.ari.start_moh(call.caller_channel)
            await self._follow_caller(call)
        finally:
            self.calls.pop(interaction.id, None)
            await self._finish(call)

    async def _follow_leg(self, call: VoiceCall, channel_id: str) -> None:
        """Follow an agent leg that was up before this engine started."""
        with self.router.listen(channel_id) as events:
            if not await self.ari.channel_exists(channel_id):
                if call.agent_channel == channel_id:
                    call.agent_channel = None
                    call.hung_up_by = call.hung_up_by or "agent"
                    call.done.set()
                return
            await self._follow_agent(call, events)

    def flow_for(self, service_number: str) -> Flow:
        return self.flows_by_number.get(service_number, self.flow)

    async def _run(self, call: VoiceCall, *, answered: bool) -> None:
        """The IVR, then the queue (or the IVR's other action). The dialplan answers
        inbound calls before Stasis (``answered``); a call that comes in unanswered (an
        admin's own dialplan) is answered here."""
        interaction = call.interaction
        attrs = interaction.attributes
        session = IvrSession(caller=attrs.get("caller_number") or "",
                             service_number=str(attrs.get("service_number") or ""),
                             interaction_id=interaction.id)

        def on_step(kind: str | None, data: dict[str, Any]) -> None:
            if kind is not None:
                interaction.record(kind, self.clock(), **data)
            attrs.update(session.attributes())

        def on_played(played: dict[str, Any]) -> None:
            # what the caller heard, in an attribute (not events: a prompt is no milestone)
            prompts = attrs.setdefault("ivr_prompts", [])
            prompts.append(played)
            del prompts[:-IVR_PROMPTS_KEPT]

        session.on_step = on_step
        try:
            if not answered:
                await self.ari.answer(call.caller_channel)
            leg = CallerLeg(self, call, on_played)
            services = self.ivr_services(call, leg) if self.ivr_services else None
            result = await run_flow(self.flow_for(session.service_number), leg, services,
                                    session)
        except CallerGone:
            call.hung_up_by = "caller"
            interaction.record("abandoned", self.clock(), stage="ivr")
            return
        except AriNotFound:
            call.hung_up_by = "caller"
            return
        attrs.update(session.attributes())
        interaction.record("ivr_done", self.clock(), path=result.path,
                           language=result.language)
        if result.action.kind == "transfer":
            # the IVR bridged the caller with the extension (ivr.services): the call lasts
            # until either hangs up
            await self.follow_caller(call)
            return
        if result.action.kind != "queue":
            handler = self.ivr_actions.get(result.action.kind)
            if handler is not None:
                await handler(call, result.action)
                if interaction.queue is not None:  # the handler queued the call
                    await self._follow_caller(call)
                    return
            if call.hung_up_by is None:
                call.hung_up_by = "system"
            with contextlib.suppress(AriError):
                await self.ari.hangup(call.caller_channel)
            return
        interaction.queue = result.action.target
        interaction.priority = result.action.priority
        interaction.required_skills = dict(result.skills)
        # the music once the caller has waited MUSIC_AFTER_SECONDS (an agent answering
        # sooner makes it needless); routing does not wait for it, and whatever is asked
        # of the caller's media next settles it first (settle_music)
        call.music = asyncio.ensure_future(self._music_soon(call))
        try:
            # queued, the dispatcher's recorder stores it (its IVR events with it)
            await self.dispatcher.enqueue(interaction)
        except Exception:
            await self.persist(interaction)  # never queued: this adapter stores it
            raise
        await self._follow_caller(call)

    async def _music_soon(self, call: VoiceCall) -> None:
        await asyncio.sleep(MUSIC_AFTER_SECONDS)
        if call.agent_id is not None or call.done.is_set():
            return   # answered meanwhile, or gone
        call.music_asked = True
        try:
            await self.ari.start_moh(call.caller_channel)
        except AriNotFound:
            pass  # the caller is gone: their hang-up follows
        except AriError as e:  # the caller waits in silence, in their place
            log.warning("no music for %s: %s", call.interaction.id, e)

    async def _follow_caller(self, call: VoiceCall) -> None:
        """Wait for the caller's hang-up (or the end of the call from the agent's side)."""
        if self.caller_waiting is not None and call.agent_id is None \
                and not call.done.is_set():
            await self.caller_waiting(call)
        await self.follow_caller(call)

    async def follow_caller(self, call: VoiceCall) -> None:
        """Wait until the call ends: the caller hangs up or another leg ends it (no
        waiting experience: also for calls that are in no queue)."""
        while not call.done.is_set():
            waiter = asyncio.ensure_future(call.events.next())
            finished = asyncio.ensure_future(call.done.wait())
            try:
                await asyncio.wait({waiter, finished}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for t in (waiter, finished):
                    t.cancel()
            if waiter.done() and not waiter.cancelled():
                event = waiter.result()
                if event is not None and event.type in HANGUP_EVENTS:
                    if call.hung_up_by is None:
                        call.hung_up_by = "caller"
                    call.done.set()

    async def _finish(self, call: VoiceCall) -> None:
        """Tear the call down and tell the dispatcher how it ended."""
        if self.detached:
            return  # left to the next engine, call and records alike
        for hook in self.on_call_ending:
            try:
                await hook(call)
            except Exception:  # a feature's failure must not keep the call up
                log.exception("call-ending hook %s failed on %s", hook, call.interaction.id)
        if call.offer_task is not None and not call.offer_task.done():
            call.offer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await call.offer_task
        gone = call.events.gone and call.events.channel_id == call.caller_channel
        caller = None if gone else call.caller_channel
        # the legs and the bridge go at once, and the agent is free before Asterisk has
        # answered: past capacity each took it up to seconds, the agent held busy all the
        # while (docs/benchmarks.md, 2026-12-07, fifth session); the agent's next ring waits
        # for this leg's hang-up instead (_originate_agent), so their phone never gets a
        # new call before the old one's end
        teardown = [asyncio.ensure_future(self._quietly(self.ari.hangup(c)))
                    for c in (call.agent_channel, caller) if c]
        agent = call.agent_id if call.agent_channel else None   # teardown[0]: their leg
        if agent:
            self._leaving[agent] = teardown[0]
        if call.bridge_id:
            teardown.append(asyncio.ensure_future(
                self._quietly(self.ari.destroy_bridge(call.bridge_id))))
        try:
            await self._ended(call)
        finally:
            await asyncio.gather(*teardown)
            if agent and self._leaving.get(agent) is teardown[0]:
                del self._leaving[agent]

    @staticmethod
    async def _quietly(request: Awaitable[None]) -> None:
        with contextlib.suppress(AriError):
            await request

    async def _ended(self, call: VoiceCall) -> None:
        """Tell the dispatcher (or the store, for a call never queued) how it ended."""
        interaction = call.interaction
        now, who = self.clock(), call.hung_up_by or "caller"
        why = {"reason": call.end_reason} if call.end_reason else {}
        if interaction.queue is None:
            # never reached a queue: this adapter holds the only copy, so it stores it
            interaction.attributes["hung_up_by"] = who
            interaction.record("ended", now, hung_up_by=who, **why)
            await self.persist(interaction)
        elif call.agent_id:
            # queued interactions belong to the dispatcher, which records and stores them
            try:
                await self.dispatcher.interaction_ended(interaction.id, call.agent_id,
                                                        hung_up_by=who, **why)
            except InvalidTransition:
                # the call ended while the agent's answered leg was being bridged: the
                # agent's slot is still offered (never accepted), so the offer is withdrawn
                await self.dispatcher.cancel(interaction.id, call.end_reason or "abandoned",
                                             hung_up_by=who)
        else:
            await self.dispatcher.cancel(interaction.id, call.end_reason or "abandoned",
                                         hung_up_by=who if call.end_reason else "caller")

    @contextlib.asynccontextmanager
    async def following(self, call: VoiceCall) -> AsyncIterator[VoiceCall]:
        """A call a feature brought into Stasis itself (a predictive campaign's customer
        who answered): the channel knows it while the block runs (offers ring its agent and
        bridge them), then tears it down and ends its interaction as any call's."""
        self.calls[call.interaction.id] = call
        try:
            yield call
        finally:
            self.calls.pop(call.interaction.id, None)
            await self._finish(call)

    async def follow_connected(self, call: VoiceCall, agent_events: ChannelEvents) -> None:
        """Follow a call a feature connected itself (an outbound call, a callback): the
        customer's leg (``call.caller_channel``, its events in ``call.events``) and the
        agent's leg are in ``call.bridge_id`` and the interaction is live, with a queue,
        its agent busy. From here it goes as an answered inbound call does: hang-ups,
        transfers and conferences, then the end of the interaction (agent to wrap-up)."""
        self.calls[call.interaction.id] = call
        for hook in self.on_bridged:
            try:
                await hook(call)
            except Exception:  # a feature's failure must not drop the call
                log.exception("bridged hook %s failed on %s", hook, call.interaction.id)
        call.offer_task = self.router.spawn(self._follow_agent(call, agent_events),
                                            f"agent-leg-{call.interaction.id}")
        try:
            await self._follow_caller(call)
        finally:
            self.calls.pop(call.interaction.id, None)
            await self._finish(call)

    # ------------------------------------------------------------------ offering
    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        """Ring ``agent_id``'s endpoint; on answer bridge them with the caller."""
        call = self.calls.get(interaction.id)
        if call is None or call.done.is_set():
            await self.dispatcher.cancel(interaction.id, "abandoned")
            return
        call.interaction = interaction
        call.offer_task = self.router.spawn(self._ring_agent(call, agent_id),
                                            f"offer-{interaction.id}-{agent_id}")

    async def _originate_agent(self, call: VoiceCall, agent_id: str) -> str:
        """Ring the agent's phone for the call (the caller's number shown, the interaction
        named in a SIP header); the new leg's channel id, Asterisk's pick (an id of ours
        would cost Asterisk a search of every channel: ari/client.py, NAMES_KEPT). The
        caller then listens to it at once: its events until then are held (expecting).
        AriError if Asterisk refuses. Cancelled meanwhile (the call ended), the leg is hung
        up once Asterisk names it."""
        iid = call.interaction.id
        leaving = self._leaving.get(agent_id)
        if leaving is not None:   # their last call's leg is being hung up: that goes first
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(LEG_GONE_WAIT_SECONDS):
                    await asyncio.shield(leaving)
        caller = call.interaction.attributes.get("caller_number") or "anonymous"
        request = asyncio.ensure_future(self.ari.originate(
            f"PJSIP/{agent_id}", None, ["agent", iid], caller_id=f'"{caller}" <{caller}>',
            timeout=int(self.ring_timeout), variables={INTERACTION_HEADER_VAR: iid}))
        with self.router.expecting():
            try:
                channel = await asyncio.shield(request)
            except asyncio.CancelledError:
                self.router.spawn(self._hang_up_when_named(request), f"unrung-{iid}")
                raise
        return str(channel["id"])

    async def _hang_up_when_named(self, request: asyncio.Future[Any]) -> None:
        """The leg of an originate whose waiter went away: hung up once it exists (its
        StasisStart, if it answered first, is then no one's either)."""
        try:
            channel = await request
        except AriError:
            return
        channel_id = str(channel["id"])
        with self.router.listen(channel_id), contextlib.suppress(AriError):
            await self.ari.hangup(channel_id)

    async def _ring_agent(self, call: VoiceCall, agent_id: str) -> None:
        iid = call.interaction.id
        offered_at = await self.dispatcher.offered_at(iid, agent_id)   # this offer
        rung_at = self.clock()
        try:
            channel_id = await self._originate_agent(call, agent_id)
        except AriError as e:
            if isinstance(e, AriUnavailable):   # the engine's fault, not the agent's
                log.warning("offer of %s to %s withdrawn: Asterisk unreachable (%s)",
                            iid, agent_id, e)
                await self.dispatcher.withdraw(iid, agent_id, "asterisk_unreachable")
                return
            log.warning("offer of %s to %s failed: %s", iid, agent_id, e)
            await self.dispatcher.offer_failed(iid, agent_id, "unreachable")
            return
        with self.router.listen(channel_id) as events:
            # a call that ends from here on hangs the leg up too (_finish), instead of
            # leaving the agent's phone ringing
            call.agent_channel = channel_id
            ringing = self.ringing[iid] = Ringing(agent_id, channel_id)
            try:
                unanswered = await wait_answer(events)
                if unanswered is not None:
                    self._let_go(call, channel_id)
                    await self._not_answered(call, agent_id, unanswered, ringing.declined,
                                             offered_at, rung_at)
                    return
            finally:
                if self.ringing.get(iid) is ringing:
                    del self.ringing[iid]
                ringing.over.set()
            if call.done.is_set():
                return   # the call's end hangs this leg up
            if offered_at is None or \
                    await self.dispatcher.offered_at(iid, agent_id) != offered_at:
                # taken back while it rang (overdue: the engine or Asterisk was late); the
                # call may be ringing someone else already, or this agent again
                log.info("%s answered %s after the offer was taken back: hanging up",
                         agent_id, iid)
                self._let_go(call, channel_id)
                with contextlib.suppress(AriError):
                    await self.ari.hangup(channel_id)
                return
            own_bridge = call.bridge_id is None   # else: a transfer's, the caller in it
            try:
                await self._bridge(call, agent_id, channel_id)
            except AriError as e:
                if call.done.is_set() or not await self.ari.channel_exists(
                        call.caller_channel):
                    return  # the caller left: the end of the call releases the agent
                # the agent's leg still there: the caller's was leaving (its hang-up not
                # seen yet: past capacity, one agent a step went not ready for a caller who
                # hung up as they answered), or Asterisk failed; not the agent's doing
                blame = not await self.ari.channel_exists(channel_id)
                await self._agent_leg_lost(call, agent_id, channel_id, e, own_bridge, blame)
                return
            await self._follow_agent(call, events)

    async def park_for_agent(self, call: VoiceCall) -> bool:
        """The agent's phone went away in the middle of the call (their page closed or its
        network dropped): the caller hears music in the call's bridge and the agent's
        stale leg is hung up; the work stays theirs for now. False when there is no such
        call to keep (it is ending, or a transfer is under way)."""
        channel = call.agent_channel
        if call.done.is_set() or channel is None or call.transfer is not None \
                or call.bridge_id is None:
            return False
        call.agent_channel = None  # its follower now lets the hang-up go quietly
        with contextlib.suppress(AriNotFound):
            await self.ari.start_moh(call.caller_channel)
        with contextlib.suppress(AriError):
            await self.ari.hangup(channel)
        return True

    async def rejoin_agent(self, call: VoiceCall, agent_id: str) -> bool:
        """Ring the call's own agent again and put them back with the caller: False at
        once if they do not answer (or the call ended meanwhile); else it follows their
        leg as ``_ring_agent`` does, until the call ends, and returns True."""
        iid = call.interaction.id
        try:
            channel_id = await self._originate_agent(call, agent_id)
        except AriError as e:
            log.info("ringing %s again for %s failed: %s", agent_id, iid, e)
            return False
        with self.router.listen(channel_id) as events:
            if await wait_answer(events) is not None or call.done.is_set():
                with contextlib.suppress(AriError):
                    await self.ari.hangup(channel_id)
                return False
            try:
                with contextlib.suppress(AriNotFound):
                    await self.ari.stop_moh(call.caller_channel)
                await self.ari.add_to_bridge(call.bridge_id or "", [channel_id])
            except AriError as e:
                log.warning("%s answered %s again but could not be bridged: %s", agent_id,
                            iid, e)
                with contextlib.suppress(AriError):
                    await self.ari.hangup(channel_id)
                with contextlib.suppress(AriError):
                    await self.ari.start_moh(call.caller_channel)
                return False
            call.agent_id, call.agent_channel = agent_id, channel_id
            await self._follow_agent(call, events)
        return True

    async def _agent_holds(self, call: VoiceCall, held: bool) -> None:
        """The agent's phone put the call on hold, or took it off: the caller hears music
        meanwhile. Asterisk plays it by itself only when the bridge passes the hold on to
        the caller's leg (two plain SIP phones: a desk phone's hold key); with the desk's
        WebRTC phone it plays none, so the engine asks for it every time (asked twice, it
        plays once). Not while a transfer or a conference has the caller's media (its own
        music, or other parties who would hear it). A failed request leaves the call be."""
        if call.transfer is not None or call.parties:
            return
        with contextlib.suppress(AriError):
            if held:
                await self.ari.start_moh(call.caller_channel)
            else:
                await self.ari.stop_moh(call.caller_channel)

    @staticmethod
    def _let_go(call: VoiceCall, channel_id: str) -> None:
        """This leg is no longer the call's agent leg (unless another offer's is meanwhile)."""
        if call.agent_channel == channel_id:
            call.agent_channel = None

    async def take_back(self, interaction_id: str, agent_id: str) -> None:
        """The dispatcher took this offer back (overdue): the agent's phone stops ringing;
        the offer's task then ends without blaming the agent (the offer is gone)."""
        ringing = self.ringing.get(interaction_id)
        if ringing is None or ringing.agent_id != agent_id:
            return  # not ringing (yet, or any more): its task checks before bridging
        with contextlib.suppress(AriError):
            await self.ari.hangup(ringing.channel_id)

    async def _not_answered(self, call: VoiceCall, agent_id: str, unanswered: Unanswered,
                            declined: bool, offered_at: float | None = None,
                            rung_at: float | None = None) -> None:
        reason = "rejected" if declined else offer_failure_reason(unanswered.cause)
        iid = call.interaction.id
        if reason != "rejected" and rung_at is not None and self.late_since is not None \
                and self.late_since(rung_at):
            # the ring ran out (Asterisk 16 gives a ring-out cause 0: "unreachable") while
            # the engine and Asterisk were late: the phone's answer may have waited in
            # Asterisk's queues all along. No RONA for that; the call waits again in its
            # place (docs/operations.md, Overload). A phone that said no is the agent's.
            log.info("agent %s did not take %s while Asterisk was late: withdrawn without "
                     "blame", agent_id, iid)
            await self.dispatcher.withdraw(iid, agent_id, "asterisk_late")
            return
        log.info("agent %s did not take %s (cause %s: %s)", agent_id, iid,
                 unanswered.cause, reason)
        await self.dispatcher.offer_failed(iid, agent_id, reason, offered_at)

    async def decline(self, interaction_id: str, agent_id: str,
                      settle_seconds: float = 5.0) -> None:
        """The agent refuses, from the desk, a call ringing their phone: the ringing leg is
        hung up (asking for cause "call rejected"), so the offer fails as when a phone
        rejects it, whatever cause Asterisk reports: RONA (the agent not ready), the caller
        back at the head of the queue, hearing music. Returns once that is done (or
        ``settle_seconds`` passed). A decline that comes as the offer appears, before the
        agent's phone rings, waits up to DECLINE_WAIT_SECONDS for the ring. NotRinging if
        the call is not ringing this agent's phone (not rung, or answered)."""
        ringing = self.ringing.get(interaction_id)
        if ringing is None:   # offered a moment ago: the phone may be about to ring
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DECLINE_WAIT_SECONDS):
                    while ringing is None:
                        await asyncio.sleep(0.05)
                        ringing = self.ringing.get(interaction_id)
        if ringing is None or ringing.agent_id != agent_id:
            raise NotRinging(f"interaction {interaction_id} is not ringing {agent_id}'s "
                             "phone")
        ringing.declined = True
        with contextlib.suppress(AriNotFound):  # it stopped ringing meanwhile
            await self.ari.hangup(ringing.channel_id, reason="rejected")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(settle_seconds):
                await ringing.over.wait()

    async def _agent_leg_lost(self, call: VoiceCall, agent_id: str, channel_id: str,
                              error: AriError, own_bridge: bool, blame: bool) -> None:
        """The agent's answered leg could not be bridged: the caller gets the music back and
        the call goes back to the head of its queue. ``blame``: the leg hung up at once, as
        for an agent who rejects it (RONA); else the offer is withdrawn without blame."""
        log.warning("agent %s answered %s but could not be bridged: %s", agent_id,
                    call.interaction.id, error)
        call.agent_id = call.agent_channel = None
        with contextlib.suppress(AriError):
            await self.ari.hangup(channel_id)
        if own_bridge and call.bridge_id is not None:
            with contextlib.suppress(AriError):
                await self.ari.destroy_bridge(call.bridge_id)
            call.bridge_id = None
        call.music_asked = True
        with contextlib.suppress(AriError):
            await self.ari.start_moh(call.caller_channel)
        if blame:
            await self.dispatcher.offer_failed(call.interaction.id, agent_id, "rejected")
        else:
            await self.dispatcher.withdraw(call.interaction.id, agent_id, "not_bridged")

    async def _bridge(self, call: VoiceCall, agent_id: str, agent_channel: str) -> None:
        call.agent_id = agent_id  # answered; the dispatcher hears it once bridged
        for answering in self.on_answering:
            try:
                await answering(call)
            except Exception:  # a feature's failure must not drop the call
                log.exception("answering hook %s failed on %s", answering,
                              call.interaction.id)

        async def stop_music(always: bool) -> None:
            await settle_music(call)
            if always or call.music_asked:
                with contextlib.suppress(AriNotFound):
                    await self.ari.stop_moh(call.caller_channel)
            call.music_asked = False
        if call.bridge_id is None:
            call.bridge_id = f"bridge-{call.interaction.id}"
            # one round trip to Asterisk less while the agent waits for the caller; no
            # music to stop if none was ever asked for (answered within MUSIC_AFTER_SECONDS)
            await asyncio.gather(stop_music(False),
                                 self.ari.create_bridge(call.bridge_id, "mixing"))
            await self.ari.add_to_bridge(call.bridge_id, [call.caller_channel, agent_channel])
        else:  # the caller is still in the call's bridge (a transfer): the agent joins
            await stop_music(True)
            await self.ari.add_to_bridge(call.bridge_id, [agent_channel])
        await self.dispatcher.offer_accepted(call.interaction.id, agent_id)
        for hook in self.on_bridged:
            try:
                await hook(call)
            except Exception:  # a feature's failure must not drop the call
                log.exception("bridged hook %s failed on %s", hook, call.interaction.id)

    async def _follow_agent(self, call: VoiceCall, events: ChannelEvents) -> None:
        while not call.done.is_set():
            event = await events.next()
            if event is not None and event.type in HOLD_EVENTS \
                    and call.agent_channel == events.channel_id:
                await self._agent_holds(call, event.type == "ChannelHold")
                continue
            if event is not None and event.type in HANGUP_EVENTS:
                if call.agent_channel != events.channel_id:
                    return  # this leg was moved out of the call (transferred away)
                if self.agent_leg_gone is not None and await self.agent_leg_gone(call):
                    return  # the call goes on with another party
                call.agent_channel = None
                if call.hung_up_by is None:
                    call.hung_up_by = "agent"
                call.done.set()
