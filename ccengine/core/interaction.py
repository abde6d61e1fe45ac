"""An interaction: one piece of customer work (a call, a chat, an email) and its history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ccengine.core.media import Medium


@dataclass(frozen=True)
class InteractionEvent:
    kind: str
    at: float
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Interaction:
    id: str
    medium: Medium
    queue: str | None = None
    priority: int = 0
    required_skills: dict[str, int] = field(default_factory=dict)
    customer_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    enqueued_at: float | None = None
    sl_target_seconds: float | None = None
    agent_id: str | None = None
    events: list[InteractionEvent] = field(default_factory=list)

    def record(self, kind: str, at: float, **data: Any) -> None:
        """Append a timestamped event to the interaction's history."""
        self.events.append(InteractionEvent(kind, at, data))

    def timestamp(self, kind: str) -> float | None:
        """When ``kind`` last happened (e.g. "queued", "answered"), or None."""
        for event in reversed(self.events):
            if event.kind == kind:
                return event.at
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "medium": str(self.medium), "queue": self.queue,
            "priority": self.priority, "required_skills": dict(self.required_skills),
            "customer_id": self.customer_id, "attributes": dict(self.attributes),
            "created_at": self.created_at, "enqueued_at": self.enqueued_at,
            "sl_target_seconds": self.sl_target_seconds, "agent_id": self.agent_id,
            "events": [{"kind": e.kind, "at": e.at, "data": e.data} for e in self.events],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Interaction:
        return cls(
            id=d["id"], medium=Medium(d["medium"]), queue=d.get("queue"),
            priority=int(d.get("priority", 0)),
            required_skills=dict(d.get("required_skills", {})),
            customer_id=d.get("customer_id"), attributes=dict(d.get("attributes", {})),
            created_at=float(d.get("created_at", 0.0)), enqueued_at=d.get("enqueued_at"),
            sl_target_seconds=d.get("sl_target_seconds"), agent_id=d.get("agent_id"),
            events=[InteractionEvent(e["kind"], e["at"], dict(e.get("data", {})))
                    for e in d.get("events", [])],
        )
