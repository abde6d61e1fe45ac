"""In-memory live state: the embedded default for one engine process.

Given a file, it is also kept on disk, so that an engine restarted on the same runtime
directory (an upgrade, a crash, a SIGKILL) finds who waits in which order, what each agent
holds and their presence. Every change is appended at once to a journal next to the file
(one JSON line: written to the operating system before the change returns, so a killed
process loses nothing); now and then, and when the state is closed, the whole state is
written to the file (a new file renamed over the old) and the journal starts again. Reading
it back is the file, then the journal's lines in order."""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

from ccengine.core import agent_state
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive
from ccengine.core.errors import InvalidTransition
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.state.base import LiveState

T = TypeVar("T")
log = logging.getLogger(__name__)

COMPACT_AFTER = 5000  # journal lines before the whole state is written again
FORMAT = 1  # the file's layout version


class MemoryState(LiveState):
    """Dicts in one process. Methods do not await inside, so each is atomic in asyncio."""

    def __init__(self, path: Path | None = None) -> None:
        self._agents: dict[str, AgentLive] = {}
        self._interactions: dict[str, Interaction] = {}
        self._waiting: set[str] = set()
        self._path = path
        self._journal: TextIO | None = None
        self._lines = 0

    @classmethod
    def load(cls, path: Path) -> MemoryState:
        """The state kept in ``path`` and its journal (empty if there is none, or it cannot
        be read); from now on every change is kept there."""
        state = cls(path)
        try:
            state._read(path)
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.error("live state in %s cannot be read (%s): starting empty", path, e)
            state = cls(path)
        else:
            log.info("live state read from %s: %d agents, %d interactions (%d waiting)",
                     path, len(state._agents), len(state._interactions), len(state._waiting))
        state.compact()
        return state

    @property
    def journal_path(self) -> Path | None:
        return self._path.with_suffix(".journal") if self._path else None

    def _read(self, path: Path) -> None:
        if path.exists():
            data = json.loads(path.read_text())
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
            self._agents = {a["agent_id"]: AgentLive.from_dict(a) for a in data["agents"]}
            self._interactions = {i["id"]: Interaction.from_dict(i)
                                  for i in data["interactions"]}
            self._waiting = {i for i in data["waiting"] if i in self._interactions}
        journal = self.journal_path
        if journal is None or not journal.exists():
            return
        for line in journal.read_text().splitlines():
            try:
                op, arg = json.loads(line)
            except ValueError:
                break  # a line cut short by a crash: the last change, never confirmed
            self._apply(op, arg)

    def _apply(self, op: str, arg: Any) -> None:
        if op == "agent":
            self._agents[arg["agent_id"]] = AgentLive.from_dict(arg)
        elif op == "put":
            self._interactions[arg["id"]] = Interaction.from_dict(arg)
        elif op == "remove":
            self._interactions.pop(arg, None)
            self._waiting.discard(arg)
        elif op == "enqueue":
            if arg in self._interactions:
                self._waiting.add(arg)
        elif op == "claim":
            self._waiting.discard(arg)

    # ------------------------------------------------------------------ keeping it on disk
    def _keep(self, op: str, arg: Any) -> None:
        if self._journal is None:
            return
        self._journal.write(json.dumps([op, arg], separators=(",", ":")) + "\n")
        self._journal.flush()   # to the operating system: a killed process loses nothing
        self._lines += 1
        if self._lines >= COMPACT_AFTER:
            self.compact()

    def snapshot(self) -> dict[str, Any]:
        return {"format": FORMAT,
                "agents": [a.to_dict() for a in self._agents.values()],
                "interactions": [i.to_dict() for i in self._interactions.values()],
                "waiting": sorted(self._waiting)}

    def compact(self) -> None:
        """Write the whole state to its file and start the journal again (a no-op
        without a file)."""
        if self._path is None:
            return
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        tmp = self._path.with_suffix(".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(self.snapshot(), f, separators=(",", ":"))
            os.replace(tmp, self._path)
            journal = self.journal_path
            assert journal is not None
            fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._journal = os.fdopen(fd, "w")
            self._lines = 0
        except OSError as e:
            log.error("live state not written to %s: %s", self._path, e)

    async def close(self) -> None:
        self.compact()
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    # ------------------------------------------------------------------ agents
    async def get_agent(self, agent_id: str) -> AgentLive | None:
        return self._agents.get(agent_id)

    async def put_agent(self, live: AgentLive) -> None:
        self._agents[live.agent_id] = live
        self._keep("agent", live.to_dict())

    async def agents(self) -> dict[str, AgentLive]:
        return dict(self._agents)

    async def update_agent(self, agent_id: str,
                           change: Callable[[AgentLive], tuple[AgentLive, T]]) -> T:
        new, result = change(self._agents.get(agent_id) or AgentLive(agent_id))
        self._agents[agent_id] = new
        self._keep("agent", new.to_dict())
        return result

    # ------------------------------------------------------------------ interactions
    async def put_interaction(self, interaction: Interaction) -> None:
        self._interactions[interaction.id] = interaction
        self._keep("put", interaction.to_dict())

    async def get_interaction(self, interaction_id: str) -> Interaction | None:
        return self._interactions.get(interaction_id)

    async def remove_interaction(self, interaction_id: str) -> None:
        self._interactions.pop(interaction_id, None)
        self._waiting.discard(interaction_id)
        self._keep("remove", interaction_id)

    async def interactions(self) -> list[Interaction]:
        return list(self._interactions.values())

    async def enqueue(self, interaction_id: str) -> None:
        if interaction_id not in self._interactions:
            raise KeyError(interaction_id)
        self._waiting.add(interaction_id)
        self._keep("enqueue", interaction_id)

    async def claim(self, interaction_id: str) -> bool:
        if interaction_id in self._waiting:
            self._waiting.discard(interaction_id)
            self._keep("claim", interaction_id)
            return True
        return False

    async def waiting(self) -> list[Interaction]:
        return [copy.copy(self._interactions[i]) for i in self._waiting]

    async def reserve(self, profile: AgentProfile, interaction_id: str, medium: Medium,
                      now: float, deadline: float) -> AgentLive | None:
        live = self._agents.get(profile.id)
        if live is None:
            return None
        try:
            new, _ = agent_state.offer(live, profile, interaction_id, medium, now, deadline)
        except InvalidTransition:
            return None
        self._agents[profile.id] = new
        self._keep("agent", new.to_dict())
        return new
