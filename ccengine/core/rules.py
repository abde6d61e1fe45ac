"""Business rules as data: overflow, key accounts, escalation, business hours and holidays.

Everything here is pure: rules are parsed and validated once from config (errors name the
key) and then evaluated against a given ``now`` (a UNIX timestamp). Time zones are loaded
when the config is read, so evaluating them touches no file.

Overflow rules fire once an interaction has waited ``after_seconds`` and add up:
``widen_skills`` lowers every required skill minimum (not below 1), ``add_queue_agents``
lets agents who meet another queue's skills take the work, ``raise_priority`` adds to its
priority. A queue outside its hours (or on a holiday) routes nothing to its own agents; an
``add_queue_agents`` overflow to a queue that is open still lets its work go there
(follow the sun).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccengine.core.errors import ConfigError
from ccengine.core.interaction import Interaction
from ccengine.core.validate import Fields

if TYPE_CHECKING:
    from ccengine.core.queue import QueueConfig
    from ccengine.core.router import RoutingSnapshot

KEY_ACCOUNT = "key_account"   # attributes["customer_tier"] value that earns key_account_boost
ESCALATED = "escalated"       # event kind the dispatcher records when it applies an escalation
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

T = TypeVar("T")


# ------------------------------------------------------------------ overflow
@dataclass(frozen=True)
class OverflowRule:
    """One step of overflow; it applies from ``after_seconds`` of waiting on."""

    after_seconds: float
    widen_skills: int = 0                 # lower every required minimum by this many levels
    add_queue_agents: str | None = None   # agents skilled for this other queue may take it
    raise_priority: int = 0               # added to the interaction's priority

    FIELDS = frozenset({"after_seconds", "widen_skills", "add_queue_agents",
                        "raise_priority"})


def waited(interaction: Interaction, now: float) -> float:
    """Seconds in queue (0 for an interaction with no enqueued_at)."""
    queued = interaction.enqueued_at if interaction.enqueued_at is not None else now
    return max(0.0, now - queued)


def fired(queue: QueueConfig, wait: float) -> list[OverflowRule]:
    """The overflow rules of ``queue`` in force after ``wait`` seconds."""
    return [r for r in queue.overflow if wait >= r.after_seconds]


def priority_bonus(interaction: Interaction, queue: QueueConfig, wait: float) -> float:
    """Key account boost plus every fired ``raise_priority``."""
    bonus = 0
    if queue.key_account_boost and is_key_account(interaction):
        bonus += queue.key_account_boost
    for rule in queue.overflow:
        if rule.raise_priority and wait >= rule.after_seconds:
            bonus += rule.raise_priority
    return bonus


def fixed_bonus(interaction: Interaction, queue: QueueConfig) -> int:
    """The part of the bonus that does not change while waiting (key accounts)."""
    if queue.key_account_boost and is_key_account(interaction):
        return queue.key_account_boost
    return 0


def is_key_account(interaction: Interaction) -> bool:
    return interaction.attributes.get("customer_tier") == KEY_ACCOUNT


def priority_thresholds(queue: QueueConfig) -> tuple[float, ...]:
    """Waits (ascending, distinct) at which the queue's priority rules change the order."""
    return tuple(sorted({r.after_seconds for r in queue.overflow if r.raise_priority}))


def widen(skills: Mapping[str, int], levels: int) -> dict[str, int]:
    """Every minimum lowered by ``levels``, never below 1."""
    return {name: max(1, level - levels) for name, level in skills.items()}


def skill_options(base: Mapping[str, int], interaction_skills: Mapping[str, int],
                  queue: QueueConfig, wait: float, queues: Mapping[str, QueueConfig],
                  opened: Callable[[QueueConfig], bool]) -> list[dict[str, int]]:
    """The skill sets, any one of which lets an agent take this interaction now.

    ``base`` is the queue's and interaction's requirement merged; it counts only while the
    queue is open. Each fired ``add_queue_agents`` adds that (open) queue's requirement
    merged with the interaction's own. Fired ``widen_skills`` lower them all.
    """
    rules = fired(queue, wait)
    levels = sum(r.widen_skills for r in rules)
    options: list[dict[str, int]] = []
    if opened(queue):
        options.append(dict(base))
    for rule in rules:
        other = queues.get(rule.add_queue_agents or "")
        if other is None or not opened(other):
            continue
        skills = dict(other.required_skills)
        for name, level in interaction_skills.items():
            skills[name] = max(level, skills.get(name, 0))
        options.append(skills)
    return [widen(o, levels) for o in options] if levels else options


def parse_overflow(data: Any, where: str, queue_name: str) -> tuple[OverflowRule, ...]:
    """``overflow: [{after_seconds: 60, widen_skills: 2}, ...]`` (order does not matter)."""
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ConfigError(where, "overflow", "must be a list of rules, e.g. "
                                             "[{after_seconds: 60, widen_skills: 1}]")
    rules = []
    for n, doc in enumerate(data):
        key = f"overflow[{n}]"

        def build(doc: Any = doc) -> OverflowRule:
            f = Fields(doc, where, set(OverflowRule.FIELDS))
            if "after_seconds" not in doc:
                raise f.error("after_seconds", "is required")
            other = doc.get("add_queue_agents")
            if other is not None:
                other = f.text("add_queue_agents")
                if other == queue_name:
                    raise f.error("add_queue_agents", "must name another queue")
            rule = OverflowRule(after_seconds=f.number("after_seconds", 0.0),
                                widen_skills=f.integer("widen_skills", 0, maximum=9),
                                add_queue_agents=other,
                                raise_priority=f.integer("raise_priority", 0,
                                                         minimum=-1000, maximum=1000))
            if not (rule.widen_skills or rule.add_queue_agents or rule.raise_priority):
                raise ConfigError(where, "(item)", "needs an action: widen_skills, "
                                                   "add_queue_agents or raise_priority")
            return rule
        rules.append(_nested(where, key, build))
    return tuple(sorted(rules, key=lambda r: r.after_seconds))


# ------------------------------------------------------------------ escalation
class EscalationKind(StrEnum):
    RAISE_PRIORITY = "raise_priority"   # detail: the amount (int)
    TRANSFER = "transfer"               # detail: the queue to move it to
    ALERT = "alert"                     # detail: the message for supervisors


@dataclass(frozen=True)
class EscalateTo:
    kind: EscalationKind
    detail: str | int


@dataclass(frozen=True)
class Escalation:
    """A decision for the dispatcher to apply (and record as an ``escalated`` event)."""

    interaction_id: str
    kind: EscalationKind
    detail: str | int
    queue: str = ""
    waited: float = 0.0


def parse_escalate_to(data: Any, where: str, queue_name: str) -> EscalateTo:
    """``supervisor`` | ``{supervisor: message}`` | ``{queue: name}`` | ``{raise_priority: N}``."""
    hint = ("must be 'supervisor', {supervisor: message}, {queue: name} or "
            "{raise_priority: N}")
    if data == "supervisor":
        return EscalateTo(EscalationKind.ALERT, "")
    if not isinstance(data, Mapping) or len(data) != 1:
        raise ConfigError(where, "escalate_to", hint)

    def build() -> EscalateTo:
        f = Fields(data, where, {"supervisor", "queue", "raise_priority"})
        if "queue" in data:
            target = f.text("queue")
            if target == queue_name:
                raise f.error("queue", "must name another queue")
            return EscalateTo(EscalationKind.TRANSFER, target)
        if "raise_priority" in data:
            return EscalateTo(EscalationKind.RAISE_PRIORITY,
                              f.integer("raise_priority", 0, minimum=1, maximum=1000))
        message = data["supervisor"]
        if not isinstance(message, str):
            raise f.error("supervisor", "must be a message (text)")
        return EscalateTo(EscalationKind.ALERT, message)
    return _nested(where, "escalate_to", build)


def already_escalated(interaction: Interaction, queue: str) -> bool:
    """An ``escalated`` event from ``queue`` was recorded since the interaction was queued."""
    since = interaction.enqueued_at if interaction.enqueued_at is not None else 0.0
    return any(e.kind == ESCALATED and e.at >= since and e.data.get("queue") == queue
               for e in interaction.events)


def escalations(snapshot: RoutingSnapshot, now: float) -> list[Escalation]:
    """Waiting interactions past their queue's ``escalate_after_seconds``, with what to do.

    Pure; the dispatcher applies them and records an ``escalated`` event with
    ``queue=<queue name>`` so the same queue does not escalate the same wait twice.
    Ordered longest wait first.
    """
    out: list[Escalation] = []
    for name, items in snapshot.waiting.items():
        queue = snapshot.queues.get(name)
        if queue is None or queue.escalate_to is None or queue.escalate_after_seconds is None:
            continue
        target = queue.escalate_to
        for i in items:
            wait = waited(i, now)
            if wait < queue.escalate_after_seconds or already_escalated(i, name):
                continue
            detail = target.detail
            if target.kind == EscalationKind.ALERT and not detail:
                detail = (f"{i.id} has waited {wait:.0f} s in {name} "
                          f"(agreed {queue.escalate_after_seconds:.0f} s)")
            out.append(Escalation(i.id, target.kind, detail, name, wait))
    out.sort(key=lambda e: (-e.waited, e.interaction_id))
    return out


# ------------------------------------------------------------------ business hours
@dataclass(frozen=True)
class BusinessHours:
    """Opening hours per weekday (local time, minutes from midnight) and holidays."""

    zone: ZoneInfo
    open: Mapping[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # 0 = mon
    holidays: frozenset[dt.date] = frozenset()

    FIELDS = frozenset({"timezone", "open", "holidays"})

    @property
    def timezone(self) -> str:
        return self.zone.key

    def is_holiday(self, now: float) -> bool:
        """Is ``now`` on one of the holidays (a local date in this time zone)?"""
        return dt.datetime.fromtimestamp(now, self.zone).date() in self.holidays

    def is_open(self, now: float) -> bool:
        local = dt.datetime.fromtimestamp(now, self.zone)
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        return any(start <= minute < end for start, end in self.open.get(local.weekday(), ()))


def is_open(queue: QueueConfig, now: float) -> bool:
    """Is ``queue`` open at UNIX time ``now``? A queue without ``hours`` is always open."""
    return queue.hours is None or queue.hours.is_open(now)


def load_zone(name: str) -> ZoneInfo:
    """The named IANA time zone (read once, when config is loaded)."""
    return ZoneInfo(name)


def parse_hours(data: Any, where: str) -> BusinessHours | None:
    """``hours: {timezone: Europe/London, open: {mon: ["08:00-18:00"]}, holidays: [...]}``.

    A day left out of ``open`` is closed; ``24:00`` ends a range at midnight.
    """
    if data is None:
        return None

    def build() -> BusinessHours:
        f = Fields(data, where, set(BusinessHours.FIELDS))
        name = f.text("timezone")
        try:
            zone = load_zone(name)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise f.error("timezone", f"unknown time zone {name!r} "
                                      "(use an IANA name such as Europe/London)") from e
        days = data.get("open", {})
        if not isinstance(days, Mapping):
            raise f.error("open", "must map days (mon..sun) to lists of 'HH:MM-HH:MM'")
        opening: dict[int, tuple[tuple[int, int], ...]] = {}
        for day, ranges in days.items():
            if day not in DAYS:
                raise f.error(f"open.{day}", f"unknown day; use {list(DAYS)}")
            if ranges is None:
                ranges = []
            if not isinstance(ranges, list):
                raise f.error(f"open.{day}", "must be a list of 'HH:MM-HH:MM' ranges")
            opening[DAYS.index(day)] = tuple(sorted(
                _time_range(f, f"open.{day}[{n}]", r) for n, r in enumerate(ranges)))
        holidays = data.get("holidays", [])
        if not isinstance(holidays, list):
            raise f.error("holidays", "must be a list of dates (YYYY-MM-DD)")
        return BusinessHours(zone, opening, frozenset(
            _date(f, f"holidays[{n}]", d) for n, d in enumerate(holidays)))
    return _nested(where, "hours", build)


def _time_range(f: Fields, key: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, str) or value.count("-") != 1:
        raise f.error(key, f"must be 'HH:MM-HH:MM', got {value!r}")
    start, end = (_minutes(f, key, part.strip()) for part in value.split("-"))
    if end <= start:
        raise f.error(key, f"{value!r} must end after it starts (split overnight ranges "
                           "over two days)")
    return start, end


def _minutes(f: Fields, key: str, text: str) -> int:
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise f.error(key, f"bad time {text!r}; use HH:MM")
    total = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or total > 24 * 60:
        raise f.error(key, f"bad time {text!r}; use 00:00 to 24:00")
    return total


def _date(f: Fields, key: str, value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # YAML parses bare dates
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as e:
        raise f.error(key, f"bad date {value!r}; use YYYY-MM-DD") from e


# ------------------------------------------------------------------ references
def validate_references(queues: Mapping[str, QueueConfig], where: str = "queues") -> None:
    """Every queue named by ``add_queue_agents`` or ``escalate_to.queue`` must exist."""
    for name, queue in queues.items():
        for n, rule in enumerate(queue.overflow):
            if rule.add_queue_agents is not None and rule.add_queue_agents not in queues:
                raise ConfigError(f"{where}: {name}", f"overflow[{n}].add_queue_agents",
                                  f"unknown queue {rule.add_queue_agents!r}; known: "
                                  f"{sorted(queues)}")
        target = queue.escalate_to
        if (target is not None and target.kind == EscalationKind.TRANSFER
                and target.detail not in queues):
            raise ConfigError(f"{where}: {name}", "escalate_to.queue",
                              f"unknown queue {target.detail!r}; known: {sorted(queues)}")


def _nested(where: str, prefix: str, build: Callable[[], T]) -> T:
    """Run ``build`` and put ``prefix`` in front of the key any ConfigError names."""
    try:
        return build()
    except ConfigError as e:
        key = prefix if e.key == "(item)" else f"{prefix}.{e.key}"
        raise ConfigError(where, key, e.message) from None

