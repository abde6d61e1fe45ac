"""Plain values going in and out of the repositories. The store does not import the core:
``InteractionData`` (or a dict of the same fields, or any object with these attributes,
such as the core's interaction) is what ``InteractionRepository.save`` takes; the views are
what the repositories return (plain dicts, ready for JSON)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from ccengine.store.errors import InvalidRecord

MILESTONES = ("entered", "ivr_done", "queued", "offered", "answered", "ended")
HUNG_UP_BY = ("caller", "agent", "system")


@dataclass(frozen=True)
class EventData:
    """One event of an interaction's history (``kind`` at ``at`` epoch seconds)."""

    kind: str
    at: float
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class InteractionData:
    """An interaction as the store records it. ``medium`` is a plain string ("voice",
    "email", "chat", ...); ``events`` is the full history so far, oldest first (saving
    appends the ones not stored yet)."""

    id: str
    medium: str
    queue: str | None = None
    priority: int = 0
    customer_id: str | None = None
    agent_id: str | None = None
    status: str | None = None
    disposition: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[EventData] = field(default_factory=list)


class IdentityView(TypedDict):
    kind: str
    value: str


class CustomerView(TypedDict):
    id: str
    name: str | None
    tier: str
    attributes: dict[str, Any]
    created_at: float
    updated_at: float
    identities: list[IdentityView]


class EventView(TypedDict):
    seq: int
    kind: str
    at: float
    agent_id: str | None
    data: dict[str, Any]


class NoteView(TypedDict):
    id: int
    interaction_id: str
    author: str
    text: str
    at: float


class InteractionView(TypedDict):
    id: str
    medium: str
    customer_id: str | None
    queue: str | None
    priority: int
    status: str
    disposition: str | None
    agent_id: str | None
    from_address: str | None
    caller_number: str | None  # the same as from_address; kept for existing readers
    hung_up_by: str | None
    ivr_path: list[Any]
    attributes: dict[str, Any]
    timestamps: dict[str, float | None]
    events: list[EventView]
    notes: list[NoteView]


class UserView(TypedDict):
    id: str
    name: str | None
    role: str
    tenant: str
    has_password: bool


class ConfigView(TypedDict):
    name: str
    config: dict[str, Any]
    updated_at: float


def _get(source: Any, name: str, default: Any = None) -> Any:
    if isinstance(source, Mapping):
        return source.get(name, default)
    return getattr(source, name, default)


def text_field(value: Any, name: str, *, required: bool = False,
               max_length: int | None = None) -> str | None:
    """``value`` as text (an enum member gives its value); InvalidRecord otherwise."""
    value = getattr(value, "value", value)
    if value is None or value == "":
        if required:
            raise InvalidRecord(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise InvalidRecord(f"{name} must be text, not {type(value).__name__}")
    if max_length is not None and len(value) > max_length:
        raise InvalidRecord(f"{name} is longer than {max_length} characters")
    return value


def timestamp_field(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        raise InvalidRecord(f"{name} must be a finite number of epoch seconds, not {value!r}")
    return float(value)


def to_event(source: Any, index: int) -> EventData:
    """An EventData from an EventData, a dict or any object with kind/at/data."""
    where = f"events[{index}]"
    kind = text_field(_get(source, "kind"), f"{where}.kind", required=True, max_length=40)
    data = _get(source, "data")
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise InvalidRecord(f"{where}.data must be a mapping")
    return EventData(str(kind), timestamp_field(_get(source, "at"), f"{where}.at"),
                     dict(data))


def to_interaction(source: Any) -> InteractionData:
    """An InteractionData from an InteractionData, a dict or any object with the same
    attributes; InvalidRecord naming the field if one is missing or of the wrong type."""
    priority = _get(source, "priority")
    priority = 0 if priority is None else priority
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise InvalidRecord(f"priority must be an integer, not {priority!r}")
    attributes = _get(source, "attributes")
    attributes = {} if attributes is None else attributes
    if not isinstance(attributes, Mapping):
        raise InvalidRecord("attributes must be a mapping")
    events = _get(source, "events")
    events = [] if events is None else events
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
        raise InvalidRecord("events must be a list of events")
    return InteractionData(
        id=str(text_field(_get(source, "id"), "id", required=True, max_length=64)),
        medium=str(text_field(_get(source, "medium"), "medium", required=True,
                              max_length=16)),
        queue=text_field(_get(source, "queue"), "queue", max_length=100),
        priority=priority,
        customer_id=text_field(_get(source, "customer_id"), "customer_id", max_length=36),
        agent_id=text_field(_get(source, "agent_id"), "agent_id", max_length=100),
        status=text_field(_get(source, "status"), "status", max_length=16),
        disposition=text_field(_get(source, "disposition"), "disposition", max_length=100),
        attributes=dict(attributes),
        events=[to_event(e, i) for i, e in enumerate(events)],
    )
