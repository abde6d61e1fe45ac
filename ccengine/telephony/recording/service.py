"""One recording's life over ARI: indexed as it starts, paused and resumed (Asterisk writes
nothing while paused, so the paused part is absent from the file), and once Asterisk says
it finished (the bridge or channel went away, ``#``, a limit, or a stop) its file is moved
into the recordings directory and the index gets its path and duration."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from ccengine.core.errors import CoreError
from ccengine.store.recordings import RecordingRepository, RecordingView
from ccengine.telephony.ari.client import AriClient
from ccengine.telephony.ari.errors import AriError, AriNotFound
from ccengine.telephony.ari.router import AriEventRouter, ChannelEvents
from ccengine.telephony.recording.files import RecordingFiles

log = logging.getLogger(__name__)


class RecordingFailed(CoreError):
    """Asterisk could not start the recording (the call or the caller is gone...)."""

    code = "recording_failed"


class RecordingConflict(CoreError):
    """The recording is not in a state that allows this (already paused, over...)."""

    code = "recording_conflict"


@dataclass(frozen=True)
class Target:
    """What is recorded: a bridge's mix (a call) or one channel (a voicemail)."""

    kind: str        # bridge | channel
    id: str


@dataclass(frozen=True)
class Limits:
    max_seconds: int = 0           # 0: no limit
    max_silence_seconds: int = 0   # 0: silence never ends it
    beep: bool = False
    terminate_on: str = "none"     # a DTMF digit that ends it, e.g. "#"


@dataclass
class Active:
    """A recording Asterisk is making; ``done`` resolves to its final index row."""

    id: str
    name: str
    interaction_id: str
    kind: str
    format: str
    started_at: float
    done: asyncio.Future[RecordingView]
    paused: list[list[float | None]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def is_paused(self) -> bool:
        return bool(self.paused) and self.paused[-1][1] is None


class RecordingService:
    """Starts, pauses, resumes and stops recordings; indexes their files."""

    def __init__(self, ari: AriClient, router: AriEventRouter, repo: RecordingRepository,
                 files: RecordingFiles, fmt: str, *, clock: Callable[[], float],
                 check_every: float = 30.0) -> None:
        self.ari, self.router, self.repo, self.files = ari, router, repo, files
        self.format, self.clock, self.check_every = fmt, clock, check_every

    async def start(self, *, interaction_id: str, kind: str, queue: str | None,
                    target: Target, started_by: str, limits: Limits = Limits()) -> Active:
        """Index and start a recording of ``target``; RecordingFailed if Asterisk refuses."""
        rid = uuid.uuid4().hex
        now = self.clock()
        active = Active(rid, f"ccengine-{rid}", interaction_id, kind, self.format, now,
                        asyncio.get_running_loop().create_future())
        await self.repo.add(id=rid, interaction_id=interaction_id, kind=kind, queue=queue,
                            name=active.name, format=self.format, started_at=now,
                            started_by=started_by)
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.router.spawn(self._run(active, target, limits, started), f"recording-{rid}")
        await started
        return active

    async def pause(self, active: Active) -> RecordingView:
        async with active.lock:
            self._check_live(active)
            if active.is_paused:
                raise RecordingConflict("the recording is paused already")
            await self._control(self.ari.pause_recording, active)
            active.paused.append([self.clock(), None])
            return await self.repo.update(active.id, state="paused", paused=active.paused)

    async def resume(self, active: Active) -> RecordingView:
        async with active.lock:
            self._check_live(active)
            if not active.is_paused:
                raise RecordingConflict("the recording is not paused")
            await self._control(self.ari.unpause_recording, active)
            active.paused[-1][1] = self.clock()
            return await self.repo.update(active.id, state="recording", paused=active.paused)

    async def stop(self, active: Active) -> None:
        """Ask Asterisk to finish the recording (``done`` resolves once it is indexed)."""
        if not active.done.done():
            with contextlib.suppress(AriNotFound):  # finished already
                await self.ari.stop_recording(active.name)

    @staticmethod
    def _check_live(active: Active) -> None:
        if active.done.done():
            raise RecordingConflict("the recording is over")

    async def _control(self, operation: Callable[[str], object], active: Active) -> None:
        try:
            await operation(active.name)  # type: ignore[misc]
        except AriNotFound as e:
            raise RecordingConflict("the recording is over") from e

    # ------------------------------------------------------------------ the recording's task
    async def _run(self, active: Active, target: Target, limits: Limits,
                   started: asyncio.Future[None]) -> None:
        try:
            with self.router.listen(f"recording:{active.name}") as events:
                error = await self._record(active, target, limits, started)
                if error is None:
                    error = await self._finished(active, events)
        except asyncio.CancelledError:
            if not started.done():
                started.set_exception(RecordingFailed("the engine is stopping"))
            await self._finalise(active, "the engine stopped while recording (Asterisk's "
                                 f"spool keeps {active.name}.{active.format})", collect=False)
            raise
        await self._finalise(active, error)

    async def _record(self, active: Active, target: Target, limits: Limits,
                      started: asyncio.Future[None]) -> str | None:
        """Ask Asterisk to record; tells ``started`` how that went (None: it records)."""
        record = self.ari.record_bridge if target.kind == "bridge" else self.ari.record_channel
        try:
            await record(target.id, active.name, active.format,
                         max_duration=limits.max_seconds,
                         max_silence=limits.max_silence_seconds, beep=limits.beep,
                         terminate_on=limits.terminate_on)
        except AriError as e:
            error = f"Asterisk refused the recording: {e.message}"
            started.set_exception(RecordingFailed(error))
            return error
        started.set_result(None)
        return None

    async def _finished(self, active: Active, events: ChannelEvents) -> str | None:
        """Wait until Asterisk reports the recording over; its failure cause, or None."""
        while True:
            event = await events.next(self.check_every)
            if event is None:  # no news for a while: make sure it is still going
                try:
                    await self.ari.live_recording(active.name)
                except AriNotFound:
                    return None  # over without our hearing of it: collect what is there
                except AriError:
                    pass
                continue
            if event.type == "RecordingFinished":
                return None
            if event.type == "RecordingFailed":
                cause = (event.raw.get("recording") or {}).get("cause")
                return f"Asterisk: recording failed ({cause or 'no cause given'})"

    async def _finalise(self, active: Active, error: str | None, *,
                        collect: bool = True) -> None:
        """Index the outcome: the file in place (done) or why there is none (failed)."""
        now = self.clock()
        if active.is_paused:
            active.paused[-1][1] = now
        view: RecordingView | None = None
        try:
            if error is None and collect:
                try:
                    path, duration = await self.files.collect(
                        active.name, active.format, active.id, active.started_at)
                    view = await self.repo.update(active.id, state="done", path=path,
                                                  duration=round(duration, 3), ended_at=now,
                                                  paused=active.paused)
                except (OSError, AriError) as e:
                    error = f"the recording's file could not be collected: {e}"
            if view is None:
                log.warning("recording %s of %s failed: %s", active.id,
                            active.interaction_id, error)
                view = await self.repo.update(active.id, state="failed", error=error,
                                              ended_at=now, paused=active.paused)
        except Exception as e:
            if not active.done.done():
                active.done.set_exception(RecordingFailed(f"recording {active.id} could "
                                                          f"not be indexed: {e}"))
            raise
        if not active.done.done():
            active.done.set_result(view)
