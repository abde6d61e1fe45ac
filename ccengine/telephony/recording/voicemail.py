"""The ``voicemail`` action (IVR option, or a caller waiting in a queue who chooses it):
the caller hears the prompt and a beep, speaks (``#``, silence, the length limit or
hanging up ends the message), hears goodbye, and the call ends. The message is stored
and indexed on the interaction (kind ``voicemail``, for the action's queue), where the
queue's agents find it (GET /api/voicemails). A caller who was waiting in the queue is
first taken out of it (cancelled, reason ``voicemail``). History: ``voicemail_started``,
then ``voicemail_left`` (recording id, duration) or ``voicemail_failed`` (reason)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

from ccengine.dispatcher import Dispatcher
from ccengine.telephony.ari.errors import AriError, AriNotFound
from ccengine.telephony.ivr.flow import Action
from ccengine.telephony.recording.service import (
    Limits,
    RecordingFailed,
    RecordingService,
    Target,
)
from ccengine.telephony.recording.settings import VoicemailSettings
from ccengine.telephony.voice import VoiceCall, VoiceChannel

log = logging.getLogger(__name__)

PROMPT_TIMEOUT = 120.0  # a prompt that never reports its end does not hold the call forever


class Voicemail:
    """Executor of the ``voicemail`` action, registered in ``voice.ivr_actions``."""

    def __init__(self, voice: VoiceChannel, dispatcher: Dispatcher, service: RecordingService,
                 settings: VoicemailSettings, *, clock: Callable[[], float]) -> None:
        self.voice, self.ari, self.dispatcher = voice, voice.ari, dispatcher
        self.service, self.settings, self.clock = service, settings, clock
        voice.ivr_actions["voicemail"] = self.leave

    async def leave(self, call: VoiceCall, action: Action) -> None:
        """Record the caller's message for queue ``action.target`` and end the call."""
        queue = action.target
        if call.agent_id is not None:
            log.warning("no voicemail on %s: agent %s is on the call", call.interaction.id,
                        call.agent_id)
            return
        await self._take_out_of_queue(call, queue)
        interaction = call.interaction
        interaction.attributes["voicemail_queue"] = queue
        interaction.record("voicemail_started", self.clock(), queue=queue)
        await self.voice.persist(interaction)
        try:
            await self._play(call, self.settings.prompt)
            active = await self.service.start(
                interaction_id=interaction.id, kind="voicemail", queue=queue,
                target=Target("channel", call.caller_channel), started_by="caller",
                limits=Limits(max_seconds=self.settings.max_seconds,
                              max_silence_seconds=self.settings.max_silence_seconds,
                              beep=True, terminate_on="#"))
            view = await active.done
        except (RecordingFailed, AriError) as e:
            interaction.record("voicemail_failed", self.clock(), queue=queue, reason=str(e))
        else:
            if view["state"] == "done":
                interaction.record("voicemail_left", self.clock(), queue=queue,
                                   recording_id=view["id"], duration=view["duration"])
            else:
                interaction.record("voicemail_failed", self.clock(), queue=queue,
                                   recording_id=view["id"], reason=view["error"])
        caller_there = await self._present(call)
        if caller_there:
            with contextlib.suppress(AriError):
                await self._play(call, self.settings.goodbye)
        if call.hung_up_by is None:
            call.hung_up_by = "system" if caller_there else "caller"
        interaction.attributes["hung_up_by"] = call.hung_up_by
        await self.voice.persist(interaction)
        with contextlib.suppress(AriError):
            await self.ari.hangup(call.caller_channel)

    async def _take_out_of_queue(self, call: VoiceCall, queue: str) -> None:
        """A caller waiting (or being offered) in a queue leaves it for the voicemail."""
        iid = call.interaction.id
        if await self.dispatcher.state.get_interaction(iid) is None:
            return  # straight from the IVR: never queued
        ringing = call.agent_channel
        if call.offer_task is not None and not call.offer_task.done():
            call.offer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await call.offer_task
        cancelled = await self.dispatcher.cancel(iid, "voicemail", voicemail_queue=queue)
        if cancelled is not None:
            call.interaction = cancelled  # the live copy, with its whole history
        if ringing:
            call.agent_channel = None
            with contextlib.suppress(AriError):
                await self.ari.hangup(ringing)
        with contextlib.suppress(AriNotFound):
            await self.ari.stop_moh(call.caller_channel)

    async def _play(self, call: VoiceCall, prompts: tuple[str, ...]) -> None:
        """Play prompts to the caller and wait for their end (not reading the call's own
        event stream, which the queue's follower may be reading)."""
        if not prompts:
            return
        playback_id = f"vm-{uuid.uuid4().hex}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PROMPT_TIMEOUT
        with self.voice.router.listen(f"playback:{playback_id}") as events:
            await self.ari.play(call.caller_channel, [f"sound:{p}" for p in prompts],
                                playback_id)
            while (left := deadline - loop.time()) > 0:
                event = await events.next(left)
                if event is not None and event.type in ("PlaybackFinished",
                                                        "PlaybackFailed"):
                    return

    async def _present(self, call: VoiceCall) -> bool:
        """Whether the caller's channel is still up."""
        try:
            await self.ari.request("GET", f"/channels/{call.caller_channel}")
        except AriNotFound:
            return False
        except AriError:
            return True
        return True
