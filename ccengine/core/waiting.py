"""The waiting caller's experience as data and pure functions: per-queue settings
(announcements, keys, maximum wait), the caller's position in the router's order, and the
expected wait.

Config (top-level ``waiting:``, one entry per queue)::

    waiting:
      sales:
        announce: [position, expected_wait]   # what each announcement says
        announce_every: 30                    # seconds between announcements
        announce_first_after: 10              # default: announce_every
        handle_seconds: 180                   # assumed handle time until calls are handled
        max_wait: 300                         # seconds waiting for this queue, then ...
        on_max_wait: {action: queue, queue: support}
        keys:
          "1": {action: callback}
          "2": {action: voicemail}
          "9": {action: queue, queue: support}

An action is ``queue`` (keep waiting, now for another queue) or the kind of an executor
another feature registers (``voicemail``, ``callback``...): that one runs with the call's
queue as its target (or ``queue:`` when given).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive, Presence
from ccengine.core.errors import ConfigError
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.core.validate import Fields

ANNOUNCE_PARTS = ("position", "expected_wait")
KEYS = frozenset("0123456789*#")
MOVE = "queue"  # the action carried out here: keep waiting for another queue
DEFAULT_HANDLE_SECONDS = 180.0


@dataclass(frozen=True)
class WaitAction:
    """What to do with a waiting call: ``kind`` ``queue`` moves it to ``queue``; any other
    kind is run by that kind's registered executor, for ``queue`` (None: the call's)."""

    kind: str
    queue: str | None = None


@dataclass(frozen=True)
class WaitingConfig:
    queue: str
    announce: tuple[str, ...] = ANNOUNCE_PARTS
    announce_every: float | None = None       # None: no announcements
    announce_first_after: float | None = None
    handle_seconds: float = DEFAULT_HANDLE_SECONDS
    max_wait: float | None = None
    on_max_wait: WaitAction | None = None
    keys: Mapping[str, WaitAction] = field(default_factory=dict)

    FIELDS = frozenset({"announce", "announce_every", "announce_first_after",
                        "handle_seconds", "max_wait", "on_max_wait", "keys"})

    def first_announcement(self) -> float | None:
        """Seconds after the caller starts waiting for this queue of the first one."""
        if self.announce_every is None:
            return None
        return self.announce_every if self.announce_first_after is None \
            else self.announce_first_after

    def actions(self) -> Iterator[tuple[str, WaitAction]]:
        """Every configured action with its key path (``waiting.sales.keys.1``)."""
        base = f"waiting.{self.queue}"
        if self.on_max_wait is not None:
            yield f"{base}.on_max_wait", self.on_max_wait
        for digit, action in self.keys.items():
            yield f"{base}.keys.{digit}", action


def parse_waiting(data: Any, source: str, queues: Mapping[str, QueueConfig]
                  ) -> dict[str, WaitingConfig]:
    """Validate the ``waiting`` section; errors name ``source`` and the key."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(source, "waiting", "must map queue names to their waiting settings")
    out = {}
    for name, doc in data.items():
        name = str(name)
        if name not in queues:
            raise ConfigError(source, f"waiting.{name}",
                              f"no queue {name!r} (queues: {sorted(queues)})")
        if Medium.VOICE not in queues[name].media:
            raise ConfigError(source, f"waiting.{name}", "the queue takes no voice calls")
        out[name] = _parse_one(name, doc, f"{source}: waiting.{name}", queues)
    return out


def _parse_one(name: str, doc: Any, where: str, queues: Mapping[str, QueueConfig]
               ) -> WaitingConfig:
    f = Fields(doc if doc is not None else {}, where, set(WaitingConfig.FIELDS))
    data = f.data
    announce = data.get("announce", list(ANNOUNCE_PARTS))
    if (not isinstance(announce, list) or not announce
            or any(a not in ANNOUNCE_PARTS for a in announce)):
        raise f.error("announce", f"must be a non-empty list of {list(ANNOUNCE_PARTS)}")
    every = _seconds(f, "announce_every")
    first = _seconds(f, "announce_first_after", minimum=0.0)
    if first is not None and every is None:
        raise f.error("announce_first_after", "needs announce_every")
    max_wait = _seconds(f, "max_wait")
    if (max_wait is None) != ("on_max_wait" not in data):
        key = "on_max_wait" if max_wait is not None else "max_wait"
        other = "max_wait" if key == "on_max_wait" else "on_max_wait"
        raise f.error(key, f"is required with {other}")
    on_max_wait = (_action(data["on_max_wait"], f"{where}.on_max_wait", name, queues)
                   if max_wait is not None else None)
    keys_doc = data.get("keys", {})
    if not isinstance(keys_doc, Mapping):
        raise f.error("keys", 'must map a key to an action, e.g. {"1": {action: callback}}')
    keys = {}
    for key, action in keys_doc.items():
        digit = str(key)
        if digit not in KEYS:
            raise f.error(f"keys.{digit}", "must be one DTMF key: 0-9, * or #")
        keys[digit] = _action(action, f"{where}.keys.{digit}", name, queues)
    return WaitingConfig(queue=name, announce=tuple(dict.fromkeys(announce)),
                         announce_every=every, announce_first_after=first,
                         handle_seconds=f.number("handle_seconds", DEFAULT_HANDLE_SECONDS,
                                                 minimum=1.0),
                         max_wait=max_wait, on_max_wait=on_max_wait, keys=keys)


def _seconds(f: Fields, key: str, minimum: float = 1.0) -> float | None:
    if f.data.get(key) is None:
        return None
    value = f.data[key]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum:
        raise f.error(key, f"must be a number of seconds >= {minimum:g}")
    return float(value)


def _action(doc: Any, where: str, waiting_queue: str, queues: Mapping[str, QueueConfig]
            ) -> WaitAction:
    f = Fields(doc, where, {"action", "queue"})
    kind = f.text("action")
    queue = f.text("queue") if "queue" in f.data else None
    if queue is not None and queue not in queues:
        raise f.error("queue", f"no queue {queue!r} (queues: {sorted(queues)})")
    if kind == MOVE:
        if queue is None:
            raise f.error("queue", "is required: the queue the caller waits for next")
        if queue == waiting_queue:
            raise f.error("queue", "is the queue the caller is already waiting for")
        if Medium.VOICE not in queues[queue].media:
            raise f.error("queue", f"queue {queue!r} takes no voice calls")
    return WaitAction(kind, queue)


def check_executors(configs: Mapping[str, WaitingConfig], kinds: Collection[str],
                    source: str) -> None:
    """Every configured action other than ``queue`` needs a registered executor (the
    feature carrying it out must be running); ConfigError names the key otherwise."""
    for config in configs.values():
        for key, action in config.actions():
            if action.kind != MOVE and action.kind not in kinds:
                known = sorted({MOVE, *kinds})
                raise ConfigError(source, f"{key}.action",
                                  f"nothing carries out {action.kind!r} in this engine "
                                  f"(its feature is not running); known: {known}")


# ---------------------------------------------------------------------------- figures


def position(interaction_id: str, ordered: Sequence[Interaction]) -> int | None:
    """1-based place of the interaction in its queue's waiting list (in the router's
    order, see ``router.order_waiting``); None when it is not waiting (e.g. offered)."""
    for i, interaction in enumerate(ordered, start=1):
        if interaction.id == interaction_id:
            return i
    return None


def staffed(profiles: Mapping[str, AgentProfile], agents: Mapping[str, AgentLive],
            queue: QueueConfig, medium: Medium = Medium.VOICE) -> int:
    """Agents serving ``queue`` now: logged in and ready (busy ones included), with its
    skills, room for ``medium`` in their profile and a device that can take it."""
    count = 0
    for agent_id, live in agents.items():
        profile = profiles.get(agent_id)
        if (profile is not None and live.presence == Presence.AVAILABLE
                and medium in live.reachable and profile.capacity.get(medium, 0) > 0
                and profile.has_skills(queue.required_skills)):
            count += 1
    return count


def expected_wait(place: int, agents: int, handle_seconds: float) -> float | None:
    """Seconds the caller at ``place`` (1 = next) may expect to wait: ``agents`` agents
    each free up every ``handle_seconds`` on average, so one frees up every
    ``handle_seconds / agents`` and the caller is answered by the ``place``-th. None when
    no agent serves the queue (the wait cannot be estimated)."""
    if place < 1:
        raise ValueError(f"a place in a queue starts at 1, not {place}")
    if agents <= 0 or handle_seconds <= 0:
        return None
    return place * handle_seconds / agents


def whole_minutes(seconds: float) -> int:
    """An expected wait as people say it: whole minutes, rounded up, at least 1."""
    return max(1, math.ceil(seconds / 60.0 - 1e-9))


class HandleTimes:
    """Recent handle times (talk plus wrap-up) per queue: the last ``keep`` of each."""

    def __init__(self, keep: int = 20) -> None:
        self.keep = keep
        self._times: dict[str, deque[float]] = {}

    def add(self, queue: str, seconds: float) -> None:
        if seconds >= 0:
            self._times.setdefault(queue, deque(maxlen=self.keep)).append(seconds)

    def average(self, queue: str, default: float) -> float:
        """The recent average for ``queue``, or ``default`` before any call was handled."""
        times = self._times.get(queue)
        return sum(times) / len(times) if times else default
