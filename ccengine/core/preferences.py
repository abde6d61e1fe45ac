"""Named-contact routing: the agents a customer's work is offered to first.

A queue may prefer, in its order, the customer's owner (an account manager), the agent who
last handled them (within ``prefer_last_days``), the agent who holds their open work on
another medium, and the agent who handled their latest contact about the same intent (a
repeat contact, within ``prefer_last_days``). When work is queued the engine looks these
up once and keeps them on the interaction (attribute ``preferred``), so the router stays a
pure function of its snapshot.

For ``prefer_seconds`` after the work was queued it goes only to a preferred agent: the
first one in order who is free takes it, and while one who could answer is busy it waits
for them. A preferred agent who cannot answer now (logged out, not ready, without the skills,
the capacity or a reachable phone for the medium) is skipped at once, and when none can, the
work goes to anyone with the skills straight away. After the preference time it is routed as
any other work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive, Presence
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig

PREFERRED = "preferred"   # the interaction attribute: [{"agent", "reason", "at"}]


@dataclass(frozen=True)
class Preference:
    agent_id: str
    reason: str                 # owner | last_agent | open_work | same_intent
    at: float | None = None     # last_agent, same_intent: when they handled the customer

    def to_dict(self) -> dict[str, Any]:
        return {"agent": self.agent_id, "reason": self.reason, "at": self.at}


def gather(order: Sequence[str], owner: str | None, last: tuple[str, float] | None,
           open_work: Sequence[str], same_intent: tuple[str, float] | None = None
           ) -> list[Preference]:
    """The preferences in the queue's ``order``, each agent once (the first reason wins)."""
    found: dict[str, list[Preference]] = {
        "owner": [Preference(owner, "owner")] if owner else [],
        "last_agent": [Preference(last[0], "last_agent", last[1])] if last else [],
        "open_work": [Preference(a, "open_work") for a in open_work],
        "same_intent": ([Preference(same_intent[0], "same_intent", same_intent[1])]
                        if same_intent else []),
    }
    out: list[Preference] = []
    for kind in order:
        for p in found.get(kind, []):
            if all(p.agent_id != q.agent_id for q in out):
                out.append(p)
    return out


def preferences_of(interaction: Interaction) -> tuple[Preference, ...]:
    """The preferences kept on the interaction (none, or a malformed value: none)."""
    raw = interaction.attributes.get(PREFERRED)
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("agent"), str):
            at = item.get("at")
            out.append(Preference(item["agent"], str(item.get("reason", "")),
                                  float(at) if isinstance(at, int | float) else None))
    return tuple(out)


def window_end(interaction: Interaction, queue: QueueConfig) -> float | None:
    """Until when the work waits for its preferred agents (None: it has none)."""
    if not queue.prefer or queue.prefer_seconds <= 0 or PREFERRED not in interaction.attributes:
        return None
    return (interaction.enqueued_at or 0.0) + queue.prefer_seconds


def can_answer(agent_id: str, agents: Mapping[str, AgentLive],
               profiles: Mapping[str, AgentProfile], medium: Medium,
               options: Sequence[Mapping[str, int]]) -> bool:
    """Whether a preferred agent could take the work soon: ready, qualified, with a phone
    (or desk) for the medium and capacity for it, even if that capacity is in use now."""
    live, profile = agents.get(agent_id), profiles.get(agent_id)
    if live is None or profile is None or live.presence != Presence.AVAILABLE:
        return False
    if medium not in live.reachable or profile.capacity.get(medium, 0) <= 0:
        return False
    return any(profile.has_skills(o) for o in options)


def why(reason: str, at: float | None, now: float) -> str:
    """Why the agent got the work, for the screen pop."""
    if reason == "owner":
        return "you are this customer's account manager"
    if reason == "open_work":
        return "you are handling this customer's other conversation"
    if reason in ("last_agent", "same_intent") and at is not None:
        days = int((now - at) // 86400)
        when = ("today" if days < 1 else "yesterday" if days < 2 else f"{days} days ago")
        if reason == "same_intent":
            return f"you handled their contact about the same thing {when}"
        return f"you spoke to them {when}"
    return "you are this customer's preferred agent"
