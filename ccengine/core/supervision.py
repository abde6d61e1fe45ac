"""Supervisors as configured, the supervision modes and who may supervise which call.

Pure: the telephony side (ccengine.telephony.supervision) carries the modes out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ccengine.core.agent import PHONES
from ccengine.core.errors import ConfigError, CoreError
from ccengine.core.validate import Fields


class Mode(StrEnum):
    """What the supervisor does on a call."""

    MONITOR = "monitor"   # listens to caller and agent; nobody hears the supervisor
    WHISPER = "whisper"   # the agent hears the supervisor, the caller does not
    BARGE = "barge"       # three-way: caller and agent both hear the supervisor

    @classmethod
    def parse(cls, value: Any) -> Mode:
        try:
            return cls(value)
        except ValueError:
            raise BadMode(f"mode must be one of {', '.join(m.value for m in cls)}, "
                          f"not {value!r}") from None


class SupervisionError(CoreError):
    code = "supervision_invalid"


class BadMode(SupervisionError):
    code = "bad_mode"


class NotYourQueue(SupervisionError):
    """The supervisor does not supervise the call's queue."""

    code = "forbidden"


class SupervisorUnreachable(SupervisionError):
    """The supervisor's phone is not registered (or not reachable) right now."""

    code = "supervisor_unreachable"


class SupervisorBusy(SupervisionError):
    """The supervisor's phone is already on another supervised call."""

    code = "supervisor_busy"


class NothingToSupervise(SupervisionError):
    """The call has no agent connected (still waiting, ringing, or being transferred)."""

    code = "no_agent_on_call"


class NotSupervising(SupervisionError):
    code = "supervision_not_found"


@dataclass(frozen=True)
class SupervisorProfile:
    """One supervisor: the queues whose calls they may supervise (``"*"``: every queue)."""

    id: str
    name: str
    queues: frozenset[str]
    phone: str = "webrtc"  # the desk's WebRTC softphone, or "sip": a phone of their own

    FIELDS = frozenset({"id", "name", "queues", "sip_password", "api_token", "phone"})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str,
                     known_queues: Iterable[str]) -> SupervisorProfile:
        """Build and validate a supervisor from config; errors name ``where`` and the key."""
        f = Fields(data, where, set(cls.FIELDS))
        sup_id = f.text("id")
        if not sup_id.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise f.error("id", "may hold only letters, digits, '-', '_' and '.' "
                                "(it is also the supervisor's SIP user name)")
        queues = data.get("queues", [])
        if queues == "*":
            queues = ["*"]
        if not isinstance(queues, list) or not queues \
                or not all(isinstance(q, str) and q for q in queues):
            raise f.error("queues", 'must be a non-empty list of queue names (or "*")')
        known = set(known_queues)
        for q in queues:
            if q != "*" and q not in known:
                raise f.error("queues", f"no queue {q!r}; known: {sorted(known)}")
        return cls(id=sup_id, name=f.text("name", sup_id), queues=frozenset(queues),
                   phone=f.choice("phone", PHONES, "webrtc"))

    def covers(self, queue: str | None) -> bool:
        """True when this supervisor may supervise a call of ``queue``."""
        return "*" in self.queues or (queue is not None and queue in self.queues)


def build_supervisors(items: Iterable[Mapping[str, Any]], source: str,
                      known_queues: Iterable[str], agent_ids: Iterable[str]
                      ) -> dict[str, SupervisorProfile]:
    """The configured supervisors by id, validated: unique ids that are neither an agent's
    nor "admin" (each is a SIP user name as well as an API user)."""
    queues, agents = list(known_queues), set(agent_ids)
    out: dict[str, SupervisorProfile] = {}
    for i, item in enumerate(items):
        where = f"{source}: supervisors[{i}]"
        sup = SupervisorProfile.from_mapping(item, where, queues)
        if sup.id in agents:
            raise ConfigError(where, "id", f"{sup.id!r} is already an agent's id")
        if sup.id == "admin":
            raise ConfigError(where, "id", "'admin' is reserved for the admin user")
        if sup.id in out:
            raise ConfigError(where, "id", f"{sup.id!r} is used twice")
        out[sup.id] = sup
    return out


def check_may_supervise(role: str, user_id: str, queue: str | None,
                        supervisors: Mapping[str, SupervisorProfile]) -> None:
    """NotYourQueue unless the user is an admin or a supervisor of ``queue``."""
    if role == "admin":
        return
    profile = supervisors.get(user_id) if role == "supervisor" else None
    if profile is None:
        raise NotYourQueue(f"{user_id} ({role}) may not supervise calls")
    if not profile.covers(queue):
        raise NotYourQueue(f"{user_id} does not supervise queue {queue!r}")


def visible_queues(role: str, user_id: str,
                   supervisors: Mapping[str, SupervisorProfile]) -> frozenset[str] | None:
    """The queues whose live calls the user may see: None for every queue (admins,
    supervisors of "*"); NotYourQueue for anyone else."""
    if role == "admin":
        return None
    profile = supervisors.get(user_id) if role == "supervisor" else None
    if profile is None:
        raise NotYourQueue(f"{user_id} ({role}) has no supervisor view")
    return None if "*" in profile.queues else profile.queues
