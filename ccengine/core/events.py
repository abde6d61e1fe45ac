"""Timestamped core events: the CTI feed, the recorder and reporting build on these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ccengine.core.interaction import Interaction


@dataclass(frozen=True)
class Event:
    at: float


@dataclass(frozen=True)
class AgentStateChanged(Event):
    agent_id: str
    old: str
    new: str
    reason: str
    cause: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InteractionChange(Event):
    interaction: Interaction


@dataclass(frozen=True)
class InteractionQueued(InteractionChange):
    pass


@dataclass(frozen=True)
class InteractionOffered(InteractionChange):
    agent_id: str


@dataclass(frozen=True)
class InteractionAnswered(InteractionChange):
    agent_id: str


@dataclass(frozen=True)
class InteractionRequeued(InteractionChange):
    agent_id: str
    reason: str


@dataclass(frozen=True)
class InteractionEnded(InteractionChange):
    agent_id: str


@dataclass(frozen=True)
class InteractionCancelled(InteractionChange):
    reason: str


@dataclass(frozen=True)
class InteractionEscalated(InteractionChange):
    """Not answered within the queue's agreed time: priority raised, moved to another
    queue, or a supervisor alerted (``kind`` raise_priority | transfer | alert)."""

    queue: str
    kind: str
    detail: str | int


@dataclass(frozen=True)
class InteractionUpdated(InteractionChange):
    """Something happened to a live interaction besides the milestones above (a transfer
    started, a conference party joined...); ``kind`` is the history event recorded."""

    kind: str
