"""Recording policy on live calls. When a caller and an agent are bridged (the voice
adapter's ``on_bridged`` hook), a call in an ``always`` queue starts recording the call's
bridge; in an ``on_demand`` queue the agent (or a supervisor) starts it through the API;
``never`` queues are not recorded. A transfer keeps the bridge, so the recording goes on
with the next agent; a transfer to a queue ends the interaction (its recording stops) and
the new interaction is recorded under its own queue's policy: one call, one or more
recordings. Everything is in the interaction's history: ``recording_started`` /
``recording_paused`` / ``recording_resumed`` (with who asked) / ``recording_stopped`` /
``recording_failed``."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ccengine.core.errors import CoreError, UnknownInteraction
from ccengine.core.events import Event, InteractionCancelled, InteractionEnded
from ccengine.core.interaction import Interaction
from ccengine.dispatcher import Dispatcher
from ccengine.store.recordings import RecordingView
from ccengine.telephony.recording.service import (
    Active,
    RecordingConflict,
    RecordingFailed,
    RecordingService,
    Target,
)
from ccengine.telephony.recording.settings import Policy, RecordingSettings
from ccengine.telephony.voice import VoiceCall, VoiceChannel

log = logging.getLogger(__name__)

Save = Callable[[Interaction], Awaitable[Any]]


class RecordingNotAllowed(CoreError):
    """The call's queue is never recorded."""

    code = "recording_not_allowed"


class CallRecording:
    """The per-queue policy on bridged calls, and start/pause/resume on a live call."""

    def __init__(self, voice: VoiceChannel, dispatcher: Dispatcher, service: RecordingService,
                 settings: RecordingSettings, *, save: Save, clock: Callable[[], float]) -> None:
        self.voice, self.dispatcher, self.service = voice, dispatcher, service
        self.settings, self.save, self.clock = settings, save, clock
        self.active: dict[str, Active] = {}       # the recording going on, per interaction
        self._started: dict[str, list[Active]] = {}  # per live interaction, for its history
        voice.on_bridged.append(self._bridged)
        dispatcher.subscribe(self._on_event)

    def current(self, interaction_id: str) -> Active | None:
        active = self.active.get(interaction_id)
        return active if active is not None and not active.done.done() else None

    # ------------------------------------------------------------------ policy
    async def _bridged(self, call: VoiceCall) -> None:
        """A caller and an agent were just bridged (first answer or after a transfer)."""
        if self.current(call.interaction.id) is not None:
            return  # the same interaction in the same bridge: the recording goes on
        if self.settings.policy(call.interaction.queue) is Policy.ALWAYS:
            with contextlib.suppress(RecordingFailed):  # in the history, not the call's end
                await self._start(call, "policy")

    # ------------------------------------------------------------------ API actions
    async def start(self, call: VoiceCall, by: str) -> RecordingView:
        """Start recording the call now (``on_demand`` queues; or an ``always`` queue
        whose recording failed)."""
        queue = call.interaction.queue
        if self.settings.policy(queue) is Policy.NEVER:
            raise RecordingNotAllowed(f"calls of queue {queue!r} are never recorded")
        if self.current(call.interaction.id) is not None:
            raise RecordingConflict("the call is being recorded already")
        if call.done.is_set() or call.bridge_id is None or call.agent_id is None:
            raise RecordingConflict("no agent is connected to this call")
        active = await self._start(call, by)
        return await self._view(active)

    async def pause(self, call: VoiceCall, by: str) -> RecordingView:
        """Pause the call's recording (e.g. while the caller reads out card details)."""
        active = self._live(call)
        view = await self.service.pause(active)
        await self._history(active.interaction_id, "recording_paused",
                            recording_id=active.id, by=by)
        return view

    async def resume(self, call: VoiceCall, by: str) -> RecordingView:
        active = self._live(call)
        view = await self.service.resume(active)
        await self._history(active.interaction_id, "recording_resumed",
                            recording_id=active.id, by=by)
        return view

    def _live(self, call: VoiceCall) -> Active:
        active = self.current(call.interaction.id)
        if active is None:
            raise RecordingConflict("the call is not being recorded")
        return active

    async def _view(self, active: Active) -> RecordingView:
        view = await self.service.repo.get(active.id)
        if view is None:  # the row is written before the recording starts
            raise RecordingConflict(f"recording {active.id} is not indexed")
        return view

    # ------------------------------------------------------------------ internals
    async def _start(self, call: VoiceCall, by: str) -> Active:
        iid = call.interaction.id
        try:
            active = await self.service.start(
                interaction_id=iid, kind="call", queue=call.interaction.queue,
                target=Target("bridge", call.bridge_id or ""), started_by=by)
        except RecordingFailed as e:
            await self._history(iid, "recording_failed", by=by, reason=str(e))
            raise
        self.active[iid] = active
        self._started.setdefault(iid, []).append(active)
        await self._history(iid, "recording_started", recording_id=active.id, by=by)
        return active

    async def _history(self, interaction_id: str, kind: str, **data: Any) -> None:
        with contextlib.suppress(UnknownInteraction):  # over meanwhile
            await self.dispatcher.record(interaction_id, kind, **data)

    async def _on_event(self, event: Event) -> None:
        """The interaction is over: its recording stops (the call may go on as another
        interaction after a transfer to a queue) and the history says so."""
        if not isinstance(event, (InteractionEnded, InteractionCancelled)):
            return
        interaction = event.interaction
        active = self.active.pop(interaction.id, None)
        started = self._started.pop(interaction.id, [])
        if active is not None:
            await self.service.stop(active)
        if started:
            # no longer live: the dispatcher has stored it; add to that record
            for recording in started:
                interaction.record("recording_stopped", event.at, recording_id=recording.id)
            await self.save(interaction)
