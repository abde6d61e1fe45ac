"""The recording feature put together: settings, index, files, the ARI service, the call
policy and the voicemail action; plus who may see what (used by the API)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccengine.core.agent import AgentProfile
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.recordings import RecordingRepository, RecordingView
from ccengine.telephony.recording.calls import CallRecording
from ccengine.telephony.recording.files import RecordingFiles
from ccengine.telephony.recording.service import RecordingService
from ccengine.telephony.recording.settings import RecordingSettings
from ccengine.telephony.recording.voicemail import Voicemail
from ccengine.telephony.voice import VoiceChannel


@dataclass
class Access:
    """Who may see which recordings: supervisors (of their ``queues`` when configured)
    and admins see them; an agent sees the recordings of calls they handled and the
    voicemails of queues whose skills they have."""

    queues: Mapping[str, QueueConfig]
    agents: Mapping[str, AgentProfile]
    supervisor_queues: Mapping[str, frozenset[str] | None]   # None: every queue

    def queues_of(self, user_id: str, role: str) -> list[str]:
        """The queues whose voicemails the user works on."""
        if role == "admin":
            return sorted(self.queues)
        if role == "supervisor":
            scope = self.supervisor_queues.get(user_id)
            return sorted(self.queues if scope is None else scope & set(self.queues))
        profile = self.agents.get(user_id)
        if profile is None:
            return []
        return sorted(name for name, q in self.queues.items()
                      if profile.has_skills(q.required_skills))

    def may_hear(self, user_id: str, role: str, recording: RecordingView,
                 handled_by: set[str]) -> bool:
        """Whether the user may list/hear ``recording`` of an interaction that the agents
        ``handled_by`` answered."""
        if recording["kind"] == "voicemail":
            return recording["queue"] in self.queues_of(user_id, role)
        if role == "admin":
            return True
        if role == "supervisor":
            scope = self.supervisor_queues.get(user_id)
            return scope is None or recording["queue"] in scope
        return user_id in handled_by


def handled_by(interaction: Mapping[str, Any] | None) -> set[str]:
    """The agents who answered an interaction (its agent and any who took it over)."""
    if interaction is None:
        return set()
    agents = {interaction.get("agent_id")}
    agents |= {e.get("agent_id") for e in interaction.get("events", [])
               if e.get("kind") == "answered"}
    return {a for a in agents if isinstance(a, str)}


class RecordingFeature:
    """Everything the recording part runs, built from the engine's pieces."""

    def __init__(self, settings: RecordingSettings, *, voice: VoiceChannel,
                 dispatcher: Dispatcher, db: Database, interactions: InteractionRepository,
                 spool: Path, supervisors: Sequence[Mapping[str, Any]],
                 clock: Callable[[], float]) -> None:
        self.settings = settings
        self.repo = RecordingRepository(db)
        self.interactions = interactions
        self.files = RecordingFiles(settings.dir, spool, voice.ari)
        self.files.prepare()
        self.service = RecordingService(voice.ari, voice.router, self.repo, self.files,
                                        settings.format, clock=clock)
        self.calls = CallRecording(voice, dispatcher, self.service, settings,
                                   save=interactions.save, clock=clock)
        self.voicemail = Voicemail(voice, dispatcher, self.service, settings.voicemail,
                                   clock=clock)
        self.voice, self.dispatcher, self.clock = voice, dispatcher, clock
        self.access = self._access(supervisors)

    def _access(self, supervisors: Sequence[Mapping[str, Any]]) -> Access:
        return Access(self.dispatcher.queues, self.dispatcher.profiles, {
            str(s["id"]): (frozenset(str(q) for q in s["queues"])
                           if isinstance(s.get("queues"), list) else None)
            for s in supervisors})

    def reconfigure(self, settings: Any) -> None:
        """A reload (``ccengine.settings.Settings``): the policy and voicemail settings for
        what comes next (a recording going on keeps its file and format), who sees what."""
        recording = settings.recording
        self.settings = self.calls.settings = recording
        self.voicemail.settings = recording.voicemail
        self.access = self._access(settings.config.supervisors)

    async def stop(self) -> None:
        """Finish the recordings still going (their files indexed) before the engine's
        ARI connection goes; an engine leaving its calls up leaves their recordings going
        (the next one finishes them)."""
        if self.voice.detached:
            return
        actives = [a for a in self.calls.active.values() if not a.done.done()]
        for active in actives:
            await self.service.stop(active)
        if actives:
            await asyncio.wait([a.done for a in actives], timeout=10)
            for active in actives:  # a failure is in the index and the log already
                if active.done.done() and not active.done.cancelled():
                    active.done.exception()
