"""The wallboard's queue tiles, kept live from the dispatcher's events: per queue and
medium, what waits now and today's figures (counted as reports count them,
``ccengine.reporting.intervals``), plus the service level over a rolling window.

Finished work is added once to the day's tally and to the tally of the minute it was
queued in; work still in flight (waiting, or with an agent) is counted on top when a tile
is made, so a tile always agrees with a report of the same day. No I/O: the caller seeds it
from the store and live state at start and feeds it events."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ccengine.core.events import (
    AgentStateChanged,
    Event,
    InteractionAnswered,
    InteractionCancelled,
    InteractionChange,
    InteractionEnded,
    InteractionQueued,
    InteractionRequeued,
    InteractionUpdated,
)
from ccengine.core.interaction import Interaction
from ccengine.core.queue import QueueConfig
from ccengine.reporting.intervals import (
    LiveWork,
    ReportOptions,
    Tally,
    Work,
    count_work,
    figures,
)
from ccengine.store.agent_events import WRAP_ENDS

_WRAPPING_KEPT = 10_000   # finished work whose wrap-up may still be reported


Key = tuple[str, str]   # queue, medium


class LiveTiles:
    def __init__(self, queues: Mapping[str, QueueConfig], *, timezone: str,
                 short_abandon_seconds: float, variant: str = "abandons_against",
                 window_minutes: int = 60, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.window_minutes = window_minutes
        self.configure(queues, timezone, short_abandon_seconds, variant)
        self.day_start = self._midnight(clock())
        self.day: dict[Key, Tally] = {}
        self.minutes: dict[Key, dict[int, Tally]] = {}
        self.live: dict[str, LiveWork] = {}
        self.wrapping: OrderedDict[str, LiveWork] = OrderedDict()
        self.wrap_started: OrderedDict[tuple[str, str], float] = OrderedDict()

    def configure(self, queues: Mapping[str, QueueConfig], timezone: str,
                  short_abandon_seconds: float, variant: str = "abandons_against") -> None:
        """New queues or reporting settings (a reload)."""
        self.queues, self.tz, self.variant = dict(queues), ZoneInfo(timezone), variant
        self.options = ReportOptions(
            by=(), thresholds={n: q.sl_seconds for n, q in queues.items()},
            short_abandon_seconds=short_abandon_seconds)

    def keys(self) -> list[Key]:
        """Every tile: each queue's media, in config order."""
        return [(name, m.value) for name, q in self.queues.items()
                for m in sorted(q.media, key=lambda m: m.value)]

    # ------------------------------------------------------------------ feeding
    def seed(self, finished: Iterable[Work], in_flight: Iterable[Interaction]) -> None:
        """Today's finished work (from the store, with its ``wrapup_seconds``) and the
        work live now."""
        for w in finished:
            self._finish(w, getattr(w, "wrapup_seconds", 0.0))
        for interaction in in_flight:
            work = LiveWork.of(interaction)
            if work is not None:
                self.live[work.id] = work

    def on_event(self, event: Event) -> Key | None:
        """Take one dispatcher event; the tile it changed, if any."""
        self._roll(event.at)
        if isinstance(event, AgentStateChanged):
            return self._agent_changed(event)
        if not isinstance(event, InteractionChange):
            return None
        work = LiveWork.of(event.interaction)
        if work is None:
            return None
        if isinstance(event, InteractionEnded | InteractionCancelled):
            self.live.pop(work.id, None)
            self._finish(work, 0.0)
            if work.answered_at is not None:
                self.wrapping[work.id] = work
                while len(self.wrapping) > _WRAPPING_KEPT:
                    self.wrapping.popitem(last=False)
        elif isinstance(event, InteractionQueued | InteractionAnswered | InteractionRequeued
                        | InteractionUpdated) or work.id in self.live:
            self.live[work.id] = work
        return (work.queue, work.medium)

    def _agent_changed(self, event: AgentStateChanged) -> Key | None:
        """A wrap-up of finished work that ends adds its time to the work's tallies."""
        iid = event.data.get("interaction_id")
        if not isinstance(iid, str):
            return None
        key = (event.agent_id, iid)
        if event.cause == "wrap_up":
            self.wrap_started[key] = event.at
            while len(self.wrap_started) > _WRAPPING_KEPT:
                self.wrap_started.popitem(last=False)
            return None
        if event.cause not in WRAP_ENDS or key not in self.wrap_started:
            return None
        seconds = event.at - self.wrap_started.pop(key)
        work = self.wrapping.get(iid)
        if work is None:
            return None
        for tally in self._tallies(work):
            tally.wrapup_total += seconds
        return (work.queue, work.medium)

    def _finish(self, work: Work, wrapup: float) -> None:
        for tally in self._tallies(work):
            count_work(tally, work, self.options, wrapup)

    def _tallies(self, work: Work) -> list[Tally]:
        key = (work.queue, work.medium)
        found = []
        if work.queued_at >= self.day_start:
            found.append(self.day.setdefault(key, Tally()))
        minute = int(work.queued_at // 60)
        if minute >= self._first_minute():
            found.append(self.minutes.setdefault(key, {}).setdefault(minute, Tally()))
        return found

    def _first_minute(self) -> int:
        return int(self.clock() // 60) - self.window_minutes + 1

    def _roll(self, now: float) -> None:
        """A new day starts at local midnight: today's tallies start again."""
        midnight = self._midnight(now)
        if midnight > self.day_start:
            self.day_start, self.day = midnight, {}

    def _midnight(self, t: float) -> float:
        local = datetime.fromtimestamp(t, self.tz)
        return datetime.combine(local.date(), datetime.min.time(), tzinfo=self.tz).timestamp()

    # ------------------------------------------------------------------ tiles
    def tile(self, key: Key, waiting: Iterable[Interaction],
             agents: Mapping[str, int]) -> dict[str, Any]:
        """The tile of ``key``: ``waiting`` is the queue's waiting work (any media), and
        ``agents`` the queue's agents by state."""
        now = self.clock()
        self._roll(now)
        queue, medium = key
        day = copy.copy(self.day.get(key) or Tally())
        first = self._first_minute()
        window = Tally()
        for minute, tally in list(self.minutes.get(key, {}).items()):
            if minute < first:
                del self.minutes[key][minute]
            else:
                window.add(tally)
        for work in self.live.values():
            if (work.queue, work.medium) != key:
                continue
            if work.queued_at >= self.day_start:
                count_work(day, work, self.options, 0.0)
            if work.queued_at // 60 >= first:
                count_work(window, work, self.options, 0.0)
        waits = [i.enqueued_at or now for i in waiting
                 if i.queue == queue and str(i.medium) == medium]
        today = figures(day, False)
        rolling = figures(window, False)
        tile = {"queue": queue, "medium": medium, "waiting": len(waits),
                "oldest_queued_at": min(waits) if waits else None,
                "longest_wait_seconds": round(now - min(waits), 1) if waits else 0.0,
                "today": today, "window": {"minutes": self.window_minutes,
                                           "service_level": rolling["service_level"],
                                           "offered": rolling["offered"]},
                "agents": dict(agents)}
        config = self.queues.get(queue)
        # what the figures are judged by: a page can say why a tile is red, and see the
        # longest wait cross its limit between two tiles
        tile["targets"] = {"thresholds": dict(config.thresholds) if config else {},
                           "sl_seconds": config.sl_seconds if config else None,
                           "service_level": self.variant}
        tile["breaches"] = self._breaches(queue, tile)
        return tile

    def _breaches(self, queue: str, tile: dict[str, Any]) -> list[str]:
        config = self.queues.get(queue)
        limits = {"service_level": config.sl_percent, **config.thresholds} \
            if config is not None else {}
        found = []
        if "waiting" in limits and tile["waiting"] > limits["waiting"]:
            found.append("waiting")
        if "longest_wait_seconds" in limits and \
                tile["longest_wait_seconds"] > limits["longest_wait_seconds"]:
            found.append("longest_wait_seconds")
        level = tile["today"]["service_level"][self.variant]
        if "service_level" in limits and level is not None and level < limits["service_level"]:
            found.append("service_level")
        return found
