"""The one agent state machine for every medium.

An agent has a presence (logged out, available, not ready with a reason) and one slot per
interaction it holds: offered (reserved until a deadline) -> busy -> wrap-up (until a time)
-> released. Capacity per medium and blocking rules are data on the AgentProfile.

Every transition is a pure function returning ``(new_state, AgentStateChanged)``; a refused
transition raises InvalidTransition and changes nothing (states are immutable).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ccengine.core.agent import AgentProfile
from ccengine.core.errors import InvalidTransition, NotInWrapUp
from ccengine.core.events import AgentStateChanged
from ccengine.core.media import Medium


class Presence(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    NOT_READY = "not_ready"


class SlotState(StrEnum):
    OFFERED = "offered"
    BUSY = "busy"
    WRAP_UP = "wrap_up"


RONA = "rona"  # reason code: ring no answer / rejected offer


@dataclass(frozen=True)
class Slot:
    interaction_id: str
    medium: Medium
    state: SlotState
    since: float
    until: float | None = None  # offer deadline or wrap-up end


@dataclass(frozen=True)
class AgentLive:
    """An agent's live state."""

    agent_id: str
    presence: Presence = Presence.LOGGED_OUT
    reason: str = ""
    since: float = 0.0
    slots: tuple[Slot, ...] = ()
    idle_since: float = 0.0           # when the agent last had no work (longest-idle routing)
    reachable: frozenset[Medium] = frozenset(Medium)  # devices that can take each medium

    # ---------------------------------------------------------------- queries
    def display(self) -> str:
        """One word for people: logged_out, not_ready, offered, busy, wrap_up, available."""
        if self.presence == Presence.LOGGED_OUT:
            return "logged_out"
        states = {s.state for s in self.slots}
        for state in (SlotState.BUSY, SlotState.OFFERED, SlotState.WRAP_UP):
            if state in states:
                return state.value
        return self.presence.value

    def slot(self, interaction_id: str) -> Slot | None:
        for s in self.slots:
            if s.interaction_id == interaction_id:
                return s
        return None

    def load(self, medium: Medium) -> int:
        return sum(1 for s in self.slots if s.medium == medium)

    def occupancy(self, profile: AgentProfile) -> float:
        """Share of total capacity in use (least-occupied routing)."""
        total = sum(profile.capacity.values()) or 1
        return len(self.slots) / total

    def can_take(self, profile: AgentProfile, medium: Medium) -> bool:
        """May this agent be offered one more interaction of ``medium`` now?"""
        if self.presence != Presence.AVAILABLE or medium not in self.reachable:
            return False
        if self.load(medium) >= profile.capacity.get(medium, 0):
            return False
        return not any(medium in profile.blocks.get(s.medium, ()) for s in self.slots
                       if s.state != SlotState.WRAP_UP)

    def to_dict(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "presence": self.presence.value,
                "reason": self.reason, "since": self.since, "idle_since": self.idle_since,
                "reachable": sorted(m.value for m in self.reachable),
                "slots": [{"interaction_id": s.interaction_id, "medium": s.medium.value,
                           "state": s.state.value, "since": s.since, "until": s.until}
                          for s in self.slots]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AgentLive:
        return cls(agent_id=d["agent_id"], presence=Presence(d["presence"]),
                   reason=d.get("reason", ""), since=float(d.get("since", 0.0)),
                   idle_since=float(d.get("idle_since", 0.0)),
                   reachable=frozenset(Medium(m) for m in d.get("reachable", [])),
                   slots=tuple(Slot(s["interaction_id"], Medium(s["medium"]),
                                    SlotState(s["state"]), s["since"], s.get("until"))
                               for s in d.get("slots", [])))


Result = tuple[AgentLive, AgentStateChanged]


def _changed(old: AgentLive, new: AgentLive, at: float, cause: str, **data: Any) -> Result:
    return new, AgentStateChanged(at=at, agent_id=new.agent_id, old=old.display(),
                                  new=new.display(), reason=new.reason, cause=cause,
                                  data=data)


def _refuse(live: AgentLive, action: str, why: str) -> InvalidTransition:
    return InvalidTransition(f"agent {live.agent_id}: cannot {action} while "
                             f"{live.display()}: {why}")


# -------------------------------------------------------------------- presence
def login(live: AgentLive, now: float) -> Result:
    if live.presence != Presence.LOGGED_OUT:
        raise _refuse(live, "log in", "already logged in")
    new = replace(live, presence=Presence.AVAILABLE, reason="", since=now, idle_since=now)
    return _changed(live, new, now, "login")


def logout(live: AgentLive, now: float) -> Result:
    if live.presence == Presence.LOGGED_OUT:
        raise _refuse(live, "log out", "not logged in")
    if any(s.state != SlotState.WRAP_UP for s in live.slots):
        raise _refuse(live, "log out", "work is offered or in progress")
    new = replace(live, presence=Presence.LOGGED_OUT, reason="", since=now, slots=())
    return _changed(live, new, now, "logout")


def set_not_ready(live: AgentLive, now: float, reason: str) -> Result:
    if live.presence == Presence.LOGGED_OUT:
        raise _refuse(live, "go not ready", "not logged in")
    if not reason:
        raise InvalidTransition("a not-ready state needs a reason code")
    new = replace(live, presence=Presence.NOT_READY, reason=reason, since=now)
    return _changed(live, new, now, "not_ready")


def set_available(live: AgentLive, now: float) -> Result:
    if live.presence != Presence.NOT_READY:
        raise _refuse(live, "become available", "only a not-ready agent can")
    new = replace(live, presence=Presence.AVAILABLE, reason="", since=now,
                  idle_since=now if not live.slots else live.idle_since)
    return _changed(live, new, now, "ready")


def force(live: AgentLive, now: float, presence: Presence, reason: str, by: str) -> Result:
    """A supervisor sets the presence. Logging out an agent with live work is refused."""
    if presence == Presence.LOGGED_OUT:
        new, _ = logout(live, now)
    elif presence == Presence.NOT_READY:
        if live.presence == Presence.LOGGED_OUT:
            raise _refuse(live, "be forced not ready", "not logged in")
        new = replace(live, presence=Presence.NOT_READY, reason=reason or "supervisor",
                      since=now)
    else:
        new = replace(live, presence=Presence.AVAILABLE, reason="", since=now,
                      idle_since=now if live.presence == Presence.LOGGED_OUT else
                      live.idle_since)
    return _changed(live, new, now, "forced", by=by)


def set_reachable(live: AgentLive, medium: Medium, reachable: bool) -> AgentLive:
    media = live.reachable | {medium} if reachable else live.reachable - {medium}
    return replace(live, reachable=frozenset(media))


# -------------------------------------------------------------------- work
def offer(live: AgentLive, profile: AgentProfile, interaction_id: str, medium: Medium,
          now: float, deadline: float) -> Result:
    if live.slot(interaction_id) is not None:
        raise _refuse(live, f"be offered {interaction_id}", "already holds it")
    if not live.can_take(profile, medium):
        raise _refuse(live, f"be offered {medium.value}", "no capacity or not available")
    slot = Slot(interaction_id, medium, SlotState.OFFERED, now, deadline)
    return _changed(live, replace(live, slots=(*live.slots, slot)), now, "offered",
                    interaction_id=interaction_id)


def _replace_slot(live: AgentLive, interaction_id: str, slot: Slot | None) -> AgentLive:
    slots = tuple(s for s in live.slots if s.interaction_id != interaction_id)
    if slot is not None:
        slots = (*slots, slot)
    return replace(live, slots=slots)


def _need(live: AgentLive, interaction_id: str, state: SlotState, action: str) -> Slot:
    slot = live.slot(interaction_id)
    if slot is None or slot.state != state:
        found = slot.state.value if slot else "nothing"
        raise _refuse(live, action, f"{interaction_id} is {found}, not {state.value}")
    return slot


def accept(live: AgentLive, interaction_id: str, now: float) -> Result:
    slot = _need(live, interaction_id, SlotState.OFFERED, "accept")
    new = _replace_slot(live, interaction_id, replace(slot, state=SlotState.BUSY, since=now,
                                                      until=None))
    return _changed(live, new, now, "answered", interaction_id=interaction_id)


def fail_offer(live: AgentLive, interaction_id: str, now: float, why: str) -> Result:
    """Ring-no-answer or reject: the offer ends and the agent goes not ready (RONA)."""
    _need(live, interaction_id, SlotState.OFFERED, "fail an offer")
    new = replace(_replace_slot(live, interaction_id, None), presence=Presence.NOT_READY,
                  reason=RONA, since=now)
    return _changed(live, new, now, "rona", interaction_id=interaction_id, why=why)


def withdraw_offer(live: AgentLive, interaction_id: str, now: float) -> Result:
    """The customer left while the offer rang: the agent is free again, no penalty."""
    _need(live, interaction_id, SlotState.OFFERED, "withdraw an offer")
    new = _replace_slot(live, interaction_id, None)
    if not new.slots:
        new = replace(new, idle_since=now)
    return _changed(live, new, now, "withdrawn", interaction_id=interaction_id)


def end(live: AgentLive, interaction_id: str, now: float, wrapup_seconds: float) -> Result:
    """The interaction ended: its slot goes to wrap-up for ``wrapup_seconds``."""
    slot = _need(live, interaction_id, SlotState.BUSY, "end")
    if wrapup_seconds <= 0:
        return release(replace(live, slots=tuple(
            replace(s, state=SlotState.WRAP_UP) if s.interaction_id == interaction_id else s
            for s in live.slots)), interaction_id, now)
    new = _replace_slot(live, interaction_id, replace(slot, state=SlotState.WRAP_UP,
                                                      since=now, until=now + wrapup_seconds))
    return _changed(live, new, now, "wrap_up", interaction_id=interaction_id)


def release(live: AgentLive, interaction_id: str, now: float) -> Result:
    """Wrap-up is over: the slot is freed."""
    _need(live, interaction_id, SlotState.WRAP_UP, "finish wrap-up")
    new = _replace_slot(live, interaction_id, None)
    if not new.slots:
        new = replace(new, idle_since=now)
    return _changed(live, new, now, "released", interaction_id=interaction_id)


def end_wrap_up(live: AgentLive, interaction_id: str, now: float, by: str = "") -> Result:
    """The agent (or a supervisor, ``by``) ends a wrap-up before its time: the slot is freed
    now. NotInWrapUp if the agent holds no wrap-up of that interaction."""
    slot = live.slot(interaction_id)
    if slot is None or slot.state != SlotState.WRAP_UP:
        found = slot.state.value if slot else "nothing"
        raise NotInWrapUp(f"agent {live.agent_id}: {interaction_id} is {found}, not in "
                          "wrap-up")
    new = _replace_slot(live, interaction_id, None)
    if not new.slots:
        new = replace(new, idle_since=now)
    return _changed(live, new, now, "wrap_up_ended", interaction_id=interaction_id,
                    **({"by": by} if by else {}))
