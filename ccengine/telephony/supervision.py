"""Supervisors monitor, whisper to and barge into live calls, by ARI snoop channels.

For each supervision the engine rings the supervisor's own PJSIP endpoint; once it
answers, the supervisor's leg and a snoop channel on the agent's leg share a mixing
bridge (``supervise-<interaction id>-<supervisor>``). The snoop's directions make the mode
(Asterisk's terms: "in" is what the agent's phone sends, "out" what it is sent):

- monitor: spy both ways, whisper none: the supervisor hears caller and agent;
- whisper: spy both, whisper out: the supervisor's voice is mixed into what the agent
  hears only;
- barge: spy both, whisper both: also into what the agent sends, so the caller (and any
  conference party) hears the supervisor too.

Switching mode puts a new snoop in the bridge and hangs up the old one: the supervisor's
call stays up. A supervision ends when the supervisor hangs up or stops it, when the
call ends, when a transfer of the call starts, or when the supervised agent leaves.
The interaction's history gets supervision_started / supervision_mode_changed /
supervision_ended (with the supervisor, the mode, who asked and why it ended), or
supervision_failed when the supervisor's phone never answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from ccengine.core.events import Event, InteractionUpdated
from ccengine.core.supervision import (
    Mode,
    NothingToSupervise,
    NotSupervising,
    SupervisorBusy,
    SupervisorProfile,
    SupervisorUnreachable,
)
from ccengine.dispatcher import Dispatcher
from ccengine.telephony.ari.errors import AriError
from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.ari.legs import wait_answer
from ccengine.telephony.ari.router import HANGUP_EVENTS, ChannelEvents
from ccengine.telephony.voice import VoiceCall, VoiceChannel, offer_failure_reason

log = logging.getLogger(__name__)

# (spy, whisper) directions of the snoop on the agent's leg, per mode
SNOOP_DIRECTIONS = {Mode.MONITOR: ("both", "none"), Mode.WHISPER: ("both", "out"),
                    Mode.BARGE: ("both", "both")}
# history events after which the supervised agent is no longer with this caller
_ENDING_KINDS = {"transfer_started": "transferred", "conference_left": "agent_left"}
_SNOOP_READY_SECONDS = 5.0
_AGENT_GONE_GRACE_SECONDS = 2.0  # for the voice channel to tell whether the call is over

Reachable = Callable[[str], bool]


@dataclass(eq=False)
class Session:
    """One supervisor on one call."""

    supervisor_id: str
    call: VoiceCall
    interaction_id: str
    mode: Mode
    by: str
    channel: str                       # the supervisor's leg
    bridge_id: str
    requested_at: float
    agent_id: str | None = None        # the agent whose leg is snooped
    snoop: str | None = None           # the current snoop channel
    connected_at: float | None = None
    ended: bool = False
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def view(self) -> dict[str, Any]:
        return {"supervisor_id": self.supervisor_id, "mode": self.mode.value,
                "status": "connected" if self.connected_at is not None else "ringing",
                "since": self.connected_at or self.requested_at, "by": self.by,
                "agent_id": self.agent_id}


class Supervisions:
    """Supervision sessions on this node's live calls (one per supervisor at a time)."""

    def __init__(self, voice: VoiceChannel, dispatcher: Dispatcher,
                 supervisors: Mapping[str, SupervisorProfile], *, reachable: Reachable,
                 clock: Callable[[], float] = time.time) -> None:
        self.voice, self.dispatcher, self.ari = voice, dispatcher, voice.ari
        self.supervisors, self.reachable, self.clock = dict(supervisors), reachable, clock
        self.sessions: dict[str, Session] = {}  # by supervisor id
        self._lock = asyncio.Lock()  # one change at a time (API requests and leg events)
        voice.on_call_ending.append(self._call_ending)
        dispatcher.subscribe(self._on_event)
        # a supervisor's or snoop leg whose session is already gone: just hang it up
        voice.router.on_stasis_start("supervisor", self._stray)
        voice.router.on_stasis_start("snoop", self._stray)

    # ------------------------------------------------------------------ views
    def of_call(self, call: VoiceCall) -> list[Session]:
        return [s for s in self.sessions.values() if s.call is call]

    def view(self, call: VoiceCall) -> list[dict[str, Any]]:
        return [s.view() for s in self.of_call(call)]

    async def live_calls(self, queues: frozenset[str] | None) -> list[dict[str, Any]]:
        """This node's calls in ``queues`` (None: every queue), oldest first: who talks to
        whom since when, and who supervises them."""
        out = []
        for call in list(self.voice.calls.values()):
            interaction = call.interaction
            if call.done.is_set() or interaction.queue is None:
                continue
            if queues is not None and interaction.queue not in queues:
                continue
            live = await self.dispatcher.state.get_interaction(interaction.id) or interaction
            talking = call.agent_id is not None and call.agent_channel is not None
            since = (live.timestamp("answered") if talking else
                     live.enqueued_at or live.timestamp("queued")) or live.created_at
            out.append({
                "interaction_id": interaction.id, "queue": interaction.queue,
                "state": "talking" if talking else "waiting",
                "agent_id": call.agent_id if talking else None,
                "caller_number": interaction.attributes.get("caller_number"),
                "caller_name": interaction.attributes.get("caller_name"),
                "since": since, "entered_at": live.created_at,
                "supervision": self.view(call)})
        return sorted(out, key=lambda c: c["entered_at"])

    # ------------------------------------------------------------------ API actions
    async def start(self, call: VoiceCall, supervisor_id: str, mode: Mode,
                    by: str) -> tuple[dict[str, Any], bool]:
        """Ring the supervisor and supervise ``call`` in ``mode`` once they answer; if
        they already supervise it, switch mode. Returns the session's view and whether a
        new supervision was started."""
        async with self._lock:
            if call.done.is_set():
                raise NothingToSupervise("the call is over")
            session = self.sessions.get(supervisor_id)
            if session is not None:
                if session.call is not call:
                    raise SupervisorBusy(f"{supervisor_id} is supervising call "
                                         f"{session.interaction_id}: stop that one first")
                await self._switch(session, mode, by)
                return session.view(), False
            self._check_call(call)
            if not self.reachable(supervisor_id):
                raise SupervisorUnreachable(f"{supervisor_id}'s phone is not registered "
                                            "or not reachable")
            iid = call.interaction.id
            session = Session(supervisor_id, call, iid, mode, by,
                              channel=f"supervisor-{uuid.uuid4().hex}",
                              bridge_id=f"supervise-{iid}-{supervisor_id}",
                              requested_at=self.clock())
            self.sessions[supervisor_id] = session
            ringing: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._spawn(session, self._run(session, ringing), f"supervise-{session.channel}")
            try:
                await ringing
            except SupervisorUnreachable:
                self.sessions.pop(supervisor_id, None)
                session.ended = True
                raise
            return session.view(), True

    async def stop(self, call: VoiceCall, supervisor_id: str, by: str) -> dict[str, Any]:
        """End ``supervisor_id``'s supervision of ``call``."""
        async with self._lock:
            session = self.sessions.get(supervisor_id)
            if session is None or session.call is not call:
                raise NotSupervising(f"{supervisor_id} is not supervising this call")
            await self._end(session, "stopped", by=by)
            return {**session.view(), "status": "ended"}

    async def stop_all(self, call: VoiceCall, by: str) -> list[dict[str, Any]]:
        async with self._lock:
            sessions = self.of_call(call)
            if not sessions:
                raise NotSupervising("nobody is supervising this call")
            for session in sessions:
                await self._end(session, "stopped", by=by)
            return [{**s.view(), "status": "ended"} for s in sessions]

    @staticmethod
    def _check_call(call: VoiceCall) -> None:
        if call.transfer is not None:
            raise NothingToSupervise("a transfer of this call is in progress")
        if call.agent_id is None or call.agent_channel is None or call.bridge_id is None:
            raise NothingToSupervise("no agent is connected to this call yet")

    # ------------------------------------------------------------------ the supervisor's leg
    async def _run(self, session: Session, ringing: asyncio.Future[None]) -> None:
        """Ring the supervisor, connect them once answered, follow their leg."""
        call = session.call
        caller = call.interaction.attributes.get("caller_number") or "anonymous"
        with self.voice.router.listen(session.channel) as events:
            try:
                await self.ari.originate(
                    f"PJSIP/{session.supervisor_id}", session.channel,
                    ["supervisor", session.interaction_id],
                    caller_id=f'"{session.mode.value} {caller}" <{caller}>',
                    timeout=int(self.voice.ring_timeout))
            except AriError as e:
                ringing.set_exception(SupervisorUnreachable(
                    f"{session.supervisor_id}'s phone cannot be called: {e}"))
                return
            ringing.set_result(None)
            unanswered = await wait_answer(events)
            if unanswered is not None:
                async with self._lock:
                    await self._end(session, offer_failure_reason(unanswered.cause))
                return
            async with self._lock:
                if session.ended:
                    with contextlib.suppress(AriError):
                        await self.ari.hangup(session.channel)
                    return
                try:
                    await self._connect(session)
                except (AriError, NothingToSupervise) as e:
                    log.warning("supervision of %s by %s could not connect: %s",
                                session.interaction_id, session.supervisor_id, e)
                    await self._end(session, "agent_left"
                                    if isinstance(e, NothingToSupervise) else "failed")
                    return
            while True:  # connected, until the supervisor's leg hangs up
                event = await events.next()
                if event is not None and event.type in HANGUP_EVENTS:
                    async with self._lock:
                        await self._end(session, "supervisor_hung_up",
                                        by=session.supervisor_id)
                    return

    async def _connect(self, session: Session) -> None:
        call = session.call
        if call.done.is_set() or call.agent_channel is None or call.transfer is not None:
            raise NothingToSupervise("the agent is no longer on the call")
        session.agent_id = call.agent_id
        await self.ari.create_bridge(session.bridge_id, "mixing")
        await self.ari.add_to_bridge(session.bridge_id, [session.channel])
        session.snoop = await self._open_snoop(session, call.agent_channel, session.mode)
        session.connected_at = self.clock()
        await self._record(session, "supervision_started", supervisor_id=session.supervisor_id,
                           mode=session.mode.value, by=session.by, agent_id=session.agent_id)

    # ------------------------------------------------------------------ snoop legs
    async def _open_snoop(self, session: Session, agent_channel: str, mode: Mode) -> str:
        """A snoop channel on the agent's leg for ``mode``, in the session's bridge."""
        snoop_id = f"snoop-{uuid.uuid4().hex}"
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._spawn(session, self._follow_snoop(session, agent_channel, snoop_id, mode, ready),
                    snoop_id)
        await ready
        return snoop_id

    async def _follow_snoop(self, session: Session, agent_channel: str, snoop_id: str,
                            mode: Mode, ready: asyncio.Future[None]) -> None:
        spy, whisper = SNOOP_DIRECTIONS[mode]
        with self.voice.router.listen(snoop_id) as events:
            try:
                await self.ari.request(
                    "POST", f"/channels/{agent_channel}/snoop/{snoop_id}", spy=spy,
                    whisper=whisper, app=self.ari.app,
                    appArgs=f"snoop,{session.interaction_id}")
                await _stasis_started(events, _SNOOP_READY_SECONDS)
                await self.ari.add_to_bridge(session.bridge_id, [snoop_id])
            except (AriError, NothingToSupervise) as e:
                with contextlib.suppress(AriError):
                    await self.ari.hangup(snoop_id)
                ready.set_exception(e)
                return
            ready.set_result(None)
            while True:
                event = await events.next()
                if event is not None and event.type in HANGUP_EVENTS:
                    break
        if session.ended or session.snoop != snoop_id:
            return  # replaced by a mode switch, or the supervision is over
        # the agent's leg went away; if that ends the call, the call-ending hook ends the
        # supervision (reason call_ended), else the agent left a call that goes on
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_AGENT_GONE_GRACE_SECONDS):
                await session.call.done.wait()
        if session.call.done.is_set():
            return
        async with self._lock:
            if not session.ended and session.snoop == snoop_id:
                await self._end(session, "agent_left")

    async def _switch(self, session: Session, mode: Mode, by: str) -> None:
        if mode == session.mode:
            return
        old_mode, old_snoop = session.mode, session.snoop
        if session.connected_at is None or old_snoop is None:
            session.mode = mode  # still ringing: the new mode applies on answer
            return
        agent_channel = session.call.agent_channel
        if agent_channel is None:
            raise NothingToSupervise("the agent is no longer on the call")
        try:
            session.snoop = await self._open_snoop(session, agent_channel, mode)
        except AriError as e:
            raise NothingToSupervise(f"the agent's leg cannot be snooped now: {e}") from e
        session.mode = mode
        with contextlib.suppress(AriError):
            await self.ari.hangup(old_snoop)
        await self._record(session, "supervision_mode_changed",
                           supervisor_id=session.supervisor_id, mode=mode.value,
                           previous=old_mode.value, by=by)

    # ------------------------------------------------------------------ ending
    async def _end(self, session: Session, reason: str, by: str | None = None) -> None:
        """Tear the session down and record how it ended (the lock is held)."""
        if session.ended:
            return
        session.ended = True
        if self.sessions.get(session.supervisor_id) is session:
            del self.sessions[session.supervisor_id]
        snoop, session.snoop = session.snoop, None
        for channel in (snoop, session.channel):
            if channel:
                with contextlib.suppress(AriError):
                    await self.ari.hangup(channel)
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(session.bridge_id)
        if session.connected_at is None:
            await self._record(session, "supervision_failed",
                               supervisor_id=session.supervisor_id,
                               mode=session.mode.value, reason=reason, by=session.by)
            return
        data: dict[str, Any] = {"supervisor_id": session.supervisor_id,
                                "mode": session.mode.value, "reason": reason,
                                "seconds": round(self.clock() - session.connected_at, 3)}
        if by is not None:
            data["by"] = by
        await self._record(session, "supervision_ended", **data)

    async def _call_ending(self, call: VoiceCall) -> None:
        """Voice hook: the call is over (before its interaction is closed)."""
        if not self.of_call(call):
            return
        async with self._lock:
            for session in self.of_call(call):
                await self._end(session, "call_ended")

    async def _on_event(self, event: Event) -> None:
        """Dispatcher subscriber: a transfer starting or the supervised agent leaving a
        conference ends the supervision (recorded before the call moves on)."""
        if not isinstance(event, InteractionUpdated) or event.kind not in _ENDING_KINDS:
            return
        iid = event.interaction.id
        last = event.interaction.events[-1] if event.interaction.events else None
        agent = last.data.get("agent_id") if last is not None and last.kind == event.kind \
            else None
        affected = [s for s in self.sessions.values() if s.interaction_id == iid
                    and (event.kind == "transfer_started" or agent == s.agent_id)]
        if not affected:
            return
        async with self._lock:
            for session in affected:
                await self._end(session, _ENDING_KINDS[event.kind])

    # ------------------------------------------------------------------ helpers
    async def _record(self, session: Session, kind: str, **data: Any) -> None:
        try:
            await self.dispatcher.record(session.interaction_id, kind, **data)
        except KeyError:  # the interaction is over already
            log.warning("%s of %s not recorded: the interaction is over", kind,
                        session.interaction_id)

    def _spawn(self, session: Session, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = self.voice.router.spawn(coro, name)
        session.tasks.add(task)
        task.add_done_callback(session.tasks.discard)

    async def _stray(self, start: AriEvent, events: ChannelEvents) -> None:
        if start.channel is not None:
            with contextlib.suppress(AriError):
                await self.ari.hangup(start.channel.id)


async def _stasis_started(events: ChannelEvents, timeout: float) -> None:
    """Wait for the channel to enter the Stasis application."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        event = await events.next(left)
        if event is None:
            break
        if event.type == "StasisStart":
            return
        if event.type in HANGUP_EVENTS:
            raise NothingToSupervise("the agent's leg went away")
    raise AriError("POST", "snoop", 0, "the snoop channel never entered the application")
