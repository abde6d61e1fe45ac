"""Queues: which media they take, which skills they need, their service level and routing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ccengine.core.media import Medium
from ccengine.core.validate import Fields


class Strategy(StrEnum):
    """How a queue picks among eligible agents."""

    LONGEST_IDLE = "longest_idle"
    LEAST_OCCUPIED = "least_occupied"
    HIGHEST_SKILL = "highest_skill"
    ROUND_ROBIN = "round_robin"


@dataclass(frozen=True)
class QueueConfig:
    name: str
    media: frozenset[Medium]
    required_skills: Mapping[str, int] = field(default_factory=dict)
    strategy: Strategy = Strategy.LONGEST_IDLE
    wrapup_seconds: float = 10.0
    priority: int = 0
    sl_seconds: float = 20.0          # service level: answered within this many seconds ...
    sl_percent: float = 80.0          # ... for this share of interactions
    aging_per_minute: float = 1.0     # effective priority gained per minute of waiting

    FIELDS = frozenset({"name", "media", "required_skills", "strategy", "wrapup_seconds",
                        "priority", "sl_seconds", "sl_percent", "aging_per_minute"})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> QueueConfig:
        """Build and validate a queue from config; errors name ``where`` and the key."""
        f = Fields(data, where, set(cls.FIELDS))
        strategy = f.text("strategy", Strategy.LONGEST_IDLE.value)
        if strategy not in Strategy.__members__.values():
            raise f.error("strategy", f"unknown strategy {strategy!r}; known: "
                                      f"{[s.value for s in Strategy]}")
        sl_percent = f.number("sl_percent", 80.0)
        if sl_percent > 100:
            raise f.error("sl_percent", "must be at most 100")
        return cls(name=f.text("name"), media=f.media("media", ["voice"]),
                   required_skills=f.skills("required_skills"), strategy=Strategy(strategy),
                   wrapup_seconds=f.number("wrapup_seconds", 10.0),
                   priority=f.integer("priority", 0, minimum=-1000),
                   sl_seconds=f.number("sl_seconds", 20.0), sl_percent=sl_percent,
                   aging_per_minute=f.number("aging_per_minute", 1.0))
