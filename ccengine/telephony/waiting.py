"""The queued caller's experience on a voice call (config ``waiting``, see
ccengine/core/waiting.py): music on hold, announcements of the caller's position and
expected wait (music resumes after each), keys the caller may press, and what happens at
the maximum wait.

While a caller waits, this is the only reader of the caller's channel events. Moving the
call to another queue happens here; any other action (voicemail, callback...) is carried
out by the executor another feature registered in ``VoiceChannel.ivr_actions``: it is
called with the call still queued but held out of routing (no agent can be offered it
meanwhile), and takes the call out of the queue itself. If it leaves the call queued, the
caller is back waiting in the same place. Every announcement, key and action is recorded
on the interaction (and so in the stored record).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from ccengine.core.errors import UnknownInteraction
from ccengine.core.events import (
    Event,
    InteractionAnswered,
    InteractionCancelled,
    InteractionEnded,
)
from ccengine.core.media import Medium
from ccengine.core.router import order_waiting
from ccengine.core.waiting import (
    MOVE,
    HandleTimes,
    WaitAction,
    WaitingConfig,
    check_executors,
    expected_wait,
    position,
    staffed,
    whole_minutes,
)
from ccengine.dispatcher import Dispatcher
from ccengine.telephony.ari.errors import AriError, AriNotFound
from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.ari.router import HANGUP_EVENTS
from ccengine.telephony.ivr.flow import Action
from ccengine.telephony.voice import CallerGone, VoiceCall, VoiceChannel, settle_music

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.5  # a key pressed while an agent's phone rings is tried again this often
PLAYBACK_LIMIT = 120.0  # no announcement lasts longer than this


def announcement_media(parts: Sequence[str], place: int, expected: float | None
                       ) -> list[str]:
    """ARI media URIs of one announcement with Asterisk's packaged queue sounds: the
    caller's place (1: "you are next") and the expected wait in whole minutes ("less than
    one minute" under 60 s; left out when it cannot be estimated)."""
    media: list[str] = []
    if "position" in parts:
        if place == 1:
            media.append("sound:queue-youarenext")
        else:
            media += ["sound:queue-thereare", f"number:{place}", "sound:queue-callswaiting"]
    if "expected_wait" in parts and expected is not None:
        media.append("sound:queue-holdtime")
        if expected < 60:
            media += ["sound:queue-less-than", "number:1", "sound:queue-minute"]
        else:
            minutes = whole_minutes(expected)
            media += [f"number:{minutes}",
                      "sound:queue-minute" if minutes == 1 else "sound:queue-minutes"]
    if media:
        media.append("sound:queue-thankyou")
    return media


class WaitingRoom:
    """Runs every queued caller's wait on the voice channel."""

    def __init__(self, voice: VoiceChannel, dispatcher: Dispatcher,
                 configs: Mapping[str, WaitingConfig], *,
                 clock: Callable[[], float]) -> None:
        self.voice, self.dispatcher, self.configs, self.clock = voice, dispatcher, configs, clock
        self.handle_times = HandleTimes()
        self._answered: dict[str, tuple[str, float]] = {}  # interaction -> (queue, when)
        self._waiters: dict[str, _Waiter] = {}               # by caller channel
        voice.caller_waiting = self.wait
        voice.on_answering.append(self._answering)
        self.unsubscribe = dispatcher.subscribe(self.on_event)

    def check_executors(self, source: str) -> None:
        """Once every feature has started: each configured action can be carried out."""
        check_executors(self.configs, self.voice.ivr_actions.keys(), source)

    async def on_event(self, event: Event) -> None:
        """Keeps recent handle times (answered to ended, plus wrap-up) per queue."""
        if isinstance(event, InteractionAnswered):
            i = event.interaction
            if i.medium == Medium.VOICE and i.queue:
                self._answered.setdefault(i.id, (i.queue, event.at))
        elif isinstance(event, InteractionEnded):
            answered = self._answered.pop(event.interaction.id, None)
            if answered is not None:
                queue, at = answered
                config = self.dispatcher.queues.get(queue)
                wrapup = config.wrapup_seconds if config else 0.0
                self.handle_times.add(queue, event.at - at + wrapup)
        elif isinstance(event, InteractionCancelled):
            self._answered.pop(event.interaction.id, None)

    async def wait(self, call: VoiceCall) -> None:
        """The caller's wait, until an agent answers or the call is over."""
        waiter = _Waiter(self, call)
        self._waiters[call.caller_channel] = waiter
        try:
            await waiter.run()
        finally:
            self._waiters.pop(call.caller_channel, None)

    async def _answering(self, call: VoiceCall) -> None:
        waiter = self._waiters.get(call.caller_channel)
        if waiter is not None:
            await waiter.agent_answered()

    async def figures(self, interaction_id: str, queue: str, handle_seconds: float
                      ) -> tuple[str, int, float | None] | None:
        """(queue, place, expected wait) of waiting work, from live state; None when it
        is not waiting now (being offered, held)."""
        state = self.dispatcher.state
        waiting = await state.waiting()
        me = next((i for i in waiting if i.id == interaction_id), None)
        if me is None or me.queue is None or me.queue not in self.dispatcher.queues:
            return None
        queue = me.queue
        place = position(interaction_id, order_waiting(waiting, self.dispatcher.queues)
                         .get(queue, []))
        if place is None:
            return None
        agents = staffed(self.dispatcher.profiles, await state.agents(),
                         self.dispatcher.queues[queue])
        return queue, place, expected_wait(place, agents,
                                           self.handle_times.average(queue, handle_seconds))


class _Waiter:
    """One caller's wait."""

    def __init__(self, room: WaitingRoom, call: VoiceCall) -> None:
        self.room, self.call = room, call
        self.ari = room.voice.ari
        self.iid = call.interaction.id
        self.lock = asyncio.Lock()     # changes to the caller's media vs. an agent answering
        self.over = asyncio.Event()    # an agent answered
        self.playing: str | None = None
        self.queue = ""
        self.config: WaitingConfig | None = None
        self.announce_at: float | None = None
        self.max_at: float | None = None
        self.pending: tuple[WaitAction, str] | None = None
        self.retry_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.over.is_set() or self.call.done.is_set()

    def _enter(self, queue: str) -> None:
        """Start waiting for ``queue``: its announcements and maximum wait apply."""
        now = self.room.clock()
        self.queue, self.config = queue, self.room.configs.get(queue)
        first = self.config.first_announcement() if self.config else None
        self.announce_at = now + first if first is not None else None
        max_wait = self.config.max_wait if self.config else None
        self.max_at = now + max_wait if max_wait is not None else None

    async def run(self) -> None:
        self._enter(self.call.interaction.queue or "")
        while not self.finished:
            due = [t for t in (self.announce_at, self.max_at, self.retry_at) if t is not None]
            timeout = max(0.0, min(due) - self.room.clock()) if due else None
            event = await self._next(timeout)
            if event is not None and event.type in HANGUP_EVENTS:
                self._caller_gone()  # even if an agent answered at the same moment
                return
            if self.finished:
                return
            if event is not None and event.type == "ChannelDtmfReceived":
                await self._guarded(self._key(event.digit))
            for step in (self._retry, self._max_wait, self._announce):
                if self.finished:
                    return
                await self._guarded(step())

    async def _guarded(self, step: Coroutine[Any, Any, None]) -> None:
        """A failing step (Asterisk refusing a request, a bug) is logged; the caller keeps
        waiting in their place, with music."""
        try:
            await step
        except (AriNotFound, UnknownInteraction):
            pass  # the call is going away: its hang-up or end follows
        except Exception:
            log.exception("waiting step failed on %s; the caller keeps waiting", self.iid)
            self.playing = None
            with contextlib.suppress(AriError):
                await self._music()

    async def _next(self, timeout: float | None) -> AriEvent | None:
        """The caller's next event; None on timeout or when the wait is over. An event is
        never lost: a get that did not complete leaves it in the queue."""
        getter = asyncio.ensure_future(self.call.events.queue.get())
        stops = {asyncio.ensure_future(self.over.wait()),
                 asyncio.ensure_future(self.call.done.wait())}
        try:
            await asyncio.wait({getter, *stops}, timeout=timeout,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (getter, *stops):
                t.cancel()
        if getter.done() and not getter.cancelled():
            return getter.result()
        return None

    def _caller_gone(self) -> None:
        if self.call.hung_up_by is None:
            self.call.hung_up_by = "caller"
        self.call.done.set()

    async def _record(self, kind: str, attributes: dict[str, Any] | None = None,
                      **data: Any) -> None:
        with contextlib.suppress(UnknownInteraction):
            await self.room.dispatcher.record(self.iid, kind, attributes, **data)

    # ------------------------------------------------------------------ media
    async def agent_answered(self) -> None:
        """An agent's leg answered: stop talking to the caller, who is about to be bridged."""
        async with self.lock:
            self.over.set()
            if self.playing is not None:
                with contextlib.suppress(AriError):
                    await self.ari.stop_playback(self.playing)

    async def _music(self) -> None:
        async with self.lock:
            await settle_music(self.call)
            if not self.finished:
                self.call.music_asked = True
                with contextlib.suppress(AriNotFound):
                    await self.ari.start_moh(self.call.caller_channel)

    async def _silence(self) -> None:
        async with self.lock:
            await settle_music(self.call)
            with contextlib.suppress(AriNotFound):
                await self.ari.stop_moh(self.call.caller_channel)

    async def _announce(self) -> None:
        if self.announce_at is None or self.room.clock() < self.announce_at \
                or self.config is None or self.config.announce_every is None:
            return
        config = self.config
        self.announce_at = self.room.clock() + config.announce_every
        figures = await self.room.figures(self.iid, self.queue, config.handle_seconds)
        if figures is None:
            return  # being offered right now: nothing to say
        if figures[0] != self.queue:  # moved by the queue's own rules (escalation)
            self._enter(figures[0])
            return
        _, place, expected = figures
        media = announcement_media(config.announce, place, expected)
        if not media:
            return
        playback = f"wait-{uuid.uuid4().hex}"
        async with self.lock:
            if self.finished:
                return
            await settle_music(self.call)
            try:
                with contextlib.suppress(AriNotFound):
                    await self.ari.stop_moh(self.call.caller_channel)
                await self.ari.play(self.call.caller_channel, media, playback)
            except AriNotFound:
                return  # the caller's channel is gone; its hang-up event follows
            self.playing = playback
        outcome, value = await self._until_played(playback)
        self.playing = None
        if outcome == "gone":
            self._caller_gone()
            return
        if outcome == "stop":
            return
        await self._record("wait_announced", queue=self.queue, position=place,
                           expected_wait=None if expected is None else round(expected),
                           media=media, played=value if outcome == "done" else "interrupted")
        await self._music()
        if outcome == "key":
            await self._key(value)

    async def _until_played(self, playback: str) -> tuple[str, str]:
        """("done", state) | ("key", digit) | ("stop", "") | ("gone", "")."""
        deadline = self.room.clock() + PLAYBACK_LIMIT
        while True:
            event = await self._next(max(0.0, deadline - self.room.clock()))
            if event is not None and event.type in HANGUP_EVENTS:
                return "gone", ""
            if self.finished:
                return "stop", ""
            if event is None:
                if self.room.clock() >= deadline:  # Asterisk never said: carry on waiting
                    with contextlib.suppress(AriError):
                        await self.ari.stop_playback(playback)
                    return "done", "no_end_event"
                continue
            if event.type == "ChannelDtmfReceived":
                with contextlib.suppress(AriError):
                    await self.ari.stop_playback(playback)
                return "key", event.digit
            if event.type == "PlaybackFinished" and event.playback_id == playback:
                return "done", str((event.raw.get("playback") or {}).get("state", "done"))

    # ------------------------------------------------------------------ the caller's choices
    async def _sync_queue(self) -> bool:
        """Follow a move made by the queue's own rules (escalation to another queue);
        True when the call now waits for another queue than it did."""
        try:
            live = await self.room.dispatcher.live_interaction(self.iid)
        except UnknownInteraction:
            return False
        if live.queue and live.queue != self.queue:
            self._enter(live.queue)
            return True
        return False

    async def _key(self, digit: str) -> None:
        await self._sync_queue()
        action = self.config.keys.get(digit) if self.config else None
        await self._record("wait_key", queue=self.queue, digit=digit,
                           action=action.kind if action else None)
        if action is not None:  # a key that maps to nothing changes nothing
            await self._act(action, f"key {digit}")

    async def _max_wait(self) -> None:
        if self.max_at is None or self.room.clock() < self.max_at or self.config is None:
            return
        if await self._sync_queue():
            return  # waiting for another queue now: its own maximum applies
        self.max_at = None
        action = self.config.on_max_wait
        await self._record("wait_max_reached", queue=self.queue,
                           max_wait=self.config.max_wait,
                           action=action.kind if action else None)
        if action is not None:
            await self._act(action, "max_wait")

    async def _retry(self) -> None:
        if self.pending is None or self.retry_at is None \
                or self.room.clock() < self.retry_at:
            return
        (action, why), self.pending, self.retry_at = self.pending, None, None
        await self._act(action, why)

    def _postpone(self, action: WaitAction, why: str) -> None:
        """An agent's phone is ringing for this call: try again unless it answers."""
        self.pending = (action, why)
        self.retry_at = self.room.clock() + RETRY_SECONDS

    async def _act(self, action: WaitAction, why: str) -> None:
        if action.kind == MOVE and action.queue is not None:
            await self._move(action.queue, why)
            return
        executor = self.room.voice.ivr_actions.get(action.kind)
        if executor is None:  # checked at start; a feature may have gone since
            log.error("no executor for %r: %s stays in %s", action.kind, self.iid, self.queue)
            await self._record("wait_action_failed", queue=self.queue, action=action.kind,
                               why=why, error="no executor")
            return
        try:
            held = await self.room.dispatcher.hold_waiting(self.iid)
        except UnknownInteraction:
            return
        if not held:
            self._postpone(action, why)
            return
        await self._silence()
        target = action.queue or self.queue
        await self._record("wait_action", queue=self.queue, action=action.kind,
                           target=target, why=why)
        try:
            await executor(self.call, Action(action.kind, target=target))
        except CallerGone:
            self._caller_gone()
            return
        except Exception as e:  # the caller keeps their place whatever the feature did
            log.exception("%r on waiting call %s failed", action.kind, self.iid)
            await self._record("wait_action_failed", queue=self.queue, action=action.kind,
                               why=why, error=str(e) or type(e).__name__)
        await self._after_executor()

    async def _after_executor(self) -> None:
        try:
            live = await self.room.dispatcher.live_interaction(self.iid)
        except UnknownInteraction:
            # the executor took the call out of the queue (voicemail left, callback
            # booked...): the call ends here
            if self.call.hung_up_by is None:
                self.call.hung_up_by = "system"
            with contextlib.suppress(AriError):
                await self.ari.hangup(self.call.caller_channel)
            self.call.done.set()
            return
        try:
            await self.ari.request("GET", f"/channels/{self.call.caller_channel}")
        except AriNotFound:
            self._caller_gone()  # left during the executor, which kept the call queued
            return
        await self.room.dispatcher.unhold_waiting(self.iid)
        if live.queue and live.queue != self.queue:
            self._enter(live.queue)
        elif self.config is not None and self.config.announce_every is not None:
            self.announce_at = self.room.clock() + self.config.announce_every
        await self._music()

    async def _move(self, queue: str, why: str) -> None:
        try:
            moved = await self.room.dispatcher.move_waiting(
                self.iid, queue, kind="queue_changed",
                attributes={"moved_from": self.queue}, from_queue=self.queue,
                to_queue=queue, why=why)
        except UnknownInteraction:
            return
        if moved is None:
            self._postpone(WaitAction(MOVE, queue), why)
            return
        self._enter(queue)
