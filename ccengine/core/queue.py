"""Queues: which media they take, which skills they need, their service level and routing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ccengine.core.media import Medium
from ccengine.core.rules import (
    BusinessHours,
    EscalateTo,
    OverflowRule,
    parse_escalate_to,
    parse_hours,
    parse_overflow,
)
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
    # business rules (core/rules.py)
    overflow: tuple[OverflowRule, ...] = ()   # sorted by after_seconds
    key_account_boost: int = 0                # + priority for customer_tier == key_account
    escalate_after_seconds: float | None = None
    escalate_to: EscalateTo | None = None
    hours: BusinessHours | None = None        # None: always open
    # the wallboard's tile turns red past any of these (waiting, longest_wait_seconds) or
    # below service_level (percent; default: sl_percent)
    thresholds: Mapping[str, float] = field(default_factory=dict)
    # named-contact routing (core/preferences.py): the agents this queue offers a
    # customer's work to first, in order (owner, last_agent, open_work, same_intent), for
    # how long, and how far back the last agent (or the same intent's agent) counts
    prefer: tuple[str, ...] = ()
    prefer_seconds: float = 20.0
    prefer_last_days: float = 7.0

    FIELDS = frozenset({"name", "media", "required_skills", "strategy", "wrapup_seconds",
                        "priority", "sl_seconds", "sl_percent", "aging_per_minute",
                        "overflow", "key_account_boost", "escalate_after_seconds",
                        "escalate_to", "hours", "thresholds", "prefer", "prefer_seconds",
                        "prefer_last_days"})

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
        name = f.text("name")
        escalate_after: float | None = None
        escalate_to: EscalateTo | None = None
        for key, other in (("escalate_to", "escalate_after_seconds"),
                           ("escalate_after_seconds", "escalate_to")):
            if other in data and key not in data:
                raise f.error(key, f"is required with {other}")
        if "escalate_to" in data:
            escalate_after = f.number("escalate_after_seconds", 0.0)
            escalate_to = parse_escalate_to(data["escalate_to"], where, name)
        return cls(name=name, media=f.media("media", ["voice"]),
                   required_skills=f.skills("required_skills"), strategy=Strategy(strategy),
                   wrapup_seconds=f.number("wrapup_seconds", 10.0),
                   priority=f.integer("priority", 0, minimum=-1000),
                   sl_seconds=f.number("sl_seconds", 20.0), sl_percent=sl_percent,
                   aging_per_minute=f.number("aging_per_minute", 1.0),
                   overflow=parse_overflow(data.get("overflow"), where, name),
                   key_account_boost=f.integer("key_account_boost", 0, maximum=1000),
                   escalate_after_seconds=escalate_after, escalate_to=escalate_to,
                   hours=parse_hours(data.get("hours"), where),
                   thresholds=parse_thresholds(data.get("thresholds"), where, sl_percent),
                   prefer=parse_prefer(data.get("prefer"), f),
                   prefer_seconds=f.number("prefer_seconds", 20.0),
                   prefer_last_days=f.number("prefer_last_days", 7.0))


PREFER_KINDS = ("owner", "last_agent", "open_work", "same_intent")


def parse_prefer(data: Any, f: Fields) -> tuple[str, ...]:
    """``prefer: [owner, last_agent, open_work, same_intent]``: some of these, each once,
    in order."""
    if data is None:
        return ()
    if not isinstance(data, list) or not all(isinstance(k, str) for k in data):
        raise f.error("prefer", f"must be a list of {', '.join(PREFER_KINDS)}")
    for kind in data:
        if kind not in PREFER_KINDS:
            raise f.error("prefer", f"unknown preference {kind!r}; known: "
                                    f"{', '.join(PREFER_KINDS)}")
    if len(set(data)) != len(data):
        raise f.error("prefer", "names a preference twice")
    return tuple(data)


THRESHOLDS = ("waiting", "longest_wait_seconds", "service_level")


def parse_thresholds(data: Any, where: str, sl_percent: float) -> dict[str, float]:
    """A queue's wallboard thresholds (``thresholds: {waiting, longest_wait_seconds,
    service_level}``, each optional; service_level defaults to the queue's sl_percent)."""
    f = Fields(data or {}, f"{where}.thresholds", set(THRESHOLDS))
    found = {"service_level": sl_percent}
    for key in THRESHOLDS:
        if key in (data or {}):
            found[key] = f.number(key, 0.0)
    if found["service_level"] > 100:
        raise f.error("service_level", "must be at most 100 (percent)")
    return found
