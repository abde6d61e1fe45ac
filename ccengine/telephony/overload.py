"""Admission control: while the engine cannot keep up, new callers are refused at the door.

Two measures of how late the engine and its Asterisk are, each watched on its own:
- every ARI event carries the time Asterisk made it: how long it took to reach the engine
  (Asterisk's event queue for the application, the websocket, the engine's loop);
- how long each ARI request took, a free connection's wait included (Asterisk's HTTP
  threads and each channel's own thread, which carries out what is asked of a channel in
  Stasis, and the engine's loop).
When one of them is over ``lag_seconds``, and still is ``hold_seconds`` later, calls
already in take longer at every step, and a caller taken in now would wait in silence and
hang up before an agent answers (the voice benchmark at overload). So the guard sets the
Asterisk global ``CCENGINE_BUSY`` to 1, and the dialplan refuses new callers on the service
numbers and trunk numbers before answering them: SIP 503 (cause 34), which a carrier can
route elsewhere. Calls already in go on. Once both measures are under a quarter of
``lag_seconds`` for ``3 × hold_seconds`` (or nothing was measured that long), the global
goes back to 0.

A short stall (a machine busy for a moment) makes a burst of late events that drains at
once; it is not overload and refuses nobody: the lateness must last ``hold_seconds``.

An event's lag is measured against the smallest seen so far, so a constant difference
between Asterisk's clock and the engine's (Asterisk on another machine) does not count.

The ``overload:`` config section::

    overload:
      enabled: true        # refuse new callers while the engine is overloaded
      lag_seconds: 1.0     # events this late, or requests this slow ...
      hold_seconds: 1.0    # ... for this long: refuse; calm for 3 × this long: accept again
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ccengine.config import ConfigSection
from ccengine.telephony.ari.client import AriClient
from ccengine.telephony.ari.errors import AriError
from ccengine.telephony.ari.events import AriEvent

log = logging.getLogger(__name__)

SECTION = "overload"
KEYS = frozenset({"enabled", "lag_seconds", "hold_seconds"})
BUSY_VAR = "CCENGINE_BUSY"          # 1: the dialplan refuses new callers
REFUSED_VAR = "CCENGINE_REFUSED"    # how many it refused since Asterisk started
CALM_FACTOR = 3.0                   # calm this many hold_seconds before accepting again
CHECK_SECONDS = 0.5                 # how often the guard looks (and keeps the global set)
WINDOW_SECONDS = 0.25               # measures are judged by the worst in each such window


@dataclass(frozen=True)
class OverloadSettings:
    enabled: bool = True
    lag_seconds: float = 1.0
    hold_seconds: float = 1.0


def parse_overload(doc: Any, source: str) -> OverloadSettings:
    """The ``overload:`` section (None: the defaults), validated."""
    s = ConfigSection({} if doc is None else doc, source, SECTION, KEYS)
    default = OverloadSettings()
    return OverloadSettings(
        enabled=s.flag("enabled", default.enabled),
        lag_seconds=s.number("lag_seconds", default.lag_seconds, minimum=0.1, maximum=60),
        hold_seconds=s.number("hold_seconds", default.hold_seconds, minimum=0.5, maximum=60))


def event_time(event: AriEvent) -> float | None:
    """When Asterisk made the event (epoch seconds), None if it carries no time."""
    stamp = event.raw.get("timestamp")
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


class LagMeter:
    """Decides, from measures of lateness, whether the engine is overloaded (pure: no I/O).

    Measures are judged by the worst in each WINDOW_SECONDS: a late one among many quick
    ones (a slow request among fast ones) still counts, and the lateness must be seen in
    every window for ``hold_seconds``."""

    def __init__(self, settings: OverloadSettings, clock: Callable[[], float]) -> None:
        self.settings, self.clock = settings, clock
        self.busy = False
        self.since: float | None = None        # busy since
        self._baseline: float | None = None    # the smallest event lag seen (clocks)
        self._late_since: float | None = None  # windows late since (not busy yet)
        self._calm_since: float | None = None  # windows calm since (busy)
        self._last_measure = clock()
        self._window_start = self._last_measure
        self._worst: float | None = None       # the worst measure in the open window
        self.lag = 0.0                         # the worst in the last closed window

    def observe(self, made_at: float) -> bool | None:
        """One event made at ``made_at`` (by Asterisk's clock): see observe_lag."""
        raw = self.clock() - made_at
        self._baseline = raw if self._baseline is None else min(self._baseline, raw)
        return self.observe_lag(raw - self._baseline)

    def observe_lag(self, lag: float) -> bool | None:
        """One measure of lateness: True when the engine just became overloaded, False
        when it just recovered, None when nothing changed."""
        now = self.clock()
        change = self._close(now) if now - self._window_start >= WINDOW_SECONDS else None
        self._last_measure = now
        self._worst = lag if self._worst is None else max(self._worst, lag)
        return change

    def _close(self, now: float) -> bool | None:
        """Judge the window that ends now by its worst measure."""
        worst, self._worst, self._window_start = self._worst, None, now
        s = self.settings
        if worst is None:            # nothing measured: neither late nor calm by itself
            return self.check(now)
        self.lag = worst
        if not self.busy:
            if worst < s.lag_seconds:
                self._late_since = None
                return None
            if self._late_since is None:
                self._late_since = now
            if now - self._late_since >= s.hold_seconds:
                self.busy, self.since, self._late_since = True, now, None
                self._calm_since = None
                return True
            return None
        if worst >= s.lag_seconds / 4:
            self._calm_since = None
        elif self._calm_since is None:
            self._calm_since = now
        return self.check(now)

    def check(self, now: float | None = None) -> bool | None:
        """Close a window left open, then: False when a busy engine has been calm long
        enough (or measured nothing for that long): it accepts callers again."""
        now = self.clock() if now is None else now
        if self._worst is not None and now - self._window_start >= WINDOW_SECONDS:
            return self._close(now)
        if not self.busy:
            return None
        calm = CALM_FACTOR * self.settings.hold_seconds
        quiet = now - self._last_measure >= calm
        if quiet or (self._calm_since is not None and now - self._calm_since >= calm):
            self.busy, self._calm_since = False, None
            return False
        return None


class OverloadGuard:
    """Feeds the router's events to a LagMeter and keeps ``CCENGINE_BUSY`` in Asterisk in
    step with it; logs each episode once, when it starts and when it ends."""

    def __init__(self, ari: AriClient, settings: OverloadSettings,
                 clock: Callable[[], float] = time.time) -> None:
        self.ari, self.clock = ari, clock
        self.events = LagMeter(settings, clock)     # ARI events: how late they arrive
        self.requests = LagMeter(settings, clock)   # ARI requests: how long they take
        self.meters = (self.events, self.requests)
        self.episodes = 0
        self.since: float | None = None
        self._wake = asyncio.Event()
        self._refused_before = 0
        self._episode = False   # an episode logged as started, not yet as ended

    @property
    def settings(self) -> OverloadSettings:
        return self.events.settings

    @settings.setter
    def settings(self, new: OverloadSettings) -> None:
        for meter in self.meters:
            meter.settings = new
        self._wake.set()

    @property
    def busy(self) -> bool:
        return any(m.busy for m in self.meters)

    def observe(self, event: AriEvent) -> None:
        """The router's hook: called for every ARI event, in order."""
        if not self.settings.enabled:
            return
        made_at = event_time(event)
        if made_at is not None and self.events.observe(made_at) is not None:
            self._wake.set()

    def observe_request(self, seconds: float) -> None:
        """The ARI client's hook: called with each request's duration."""
        if self.settings.enabled and self.requests.observe_lag(seconds) is not None:
            self._wake.set()

    def view(self) -> dict[str, Any]:
        busy = self.busy
        return {"ok": not busy, "enabled": self.settings.enabled,
                "refusing_callers": busy, "since": self.since if busy else None,
                "event_lag_seconds": round(self.events.lag, 3),
                "request_seconds": round(self.requests.lag, 3), "episodes": self.episodes}

    def _lateness(self) -> str:
        return (f"events {self.events.lag:.1f} s late, requests taking "
                f"{self.requests.lag:.1f} s")

    async def run(self) -> None:
        """Until cancelled: the global set as the meters say (again every CHECK_SECONDS
        while busy: a dialplan reload resets it to 0)."""
        shown = False   # what Asterisk was last told
        await self._set(False)
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CHECK_SECONDS):
                    await self._wake.wait()
            self._wake.clear()
            for meter in self.meters:
                if not self.settings.enabled:
                    meter.busy = False
                meter.check()
            busy = self.busy
            if busy and not self._episode:
                self._episode, self.episodes = True, self.episodes + 1
                self.since = self.clock()
                self._refused_before = await self._refused()
                log.warning("overload: Asterisk and the engine are late (%s); new callers "
                            "are refused (SIP 503) until they catch up", self._lateness())
            elif self._episode and not busy:
                self._episode = False
                refused = await self._refused() - self._refused_before
                log.warning("overload over after %.1f s: callers accepted again; %d refused",
                            self.clock() - (self.since or 0), refused)
            if busy or shown != busy:
                shown = busy if await self._set(busy) else shown

    async def _set(self, busy: bool) -> bool:
        try:
            await self.ari.set_global(BUSY_VAR, "1" if busy else "0")
            return True
        except AriError as e:   # Asterisk away: tried again at the next check
            log.info("overload: could not set %s: %s", BUSY_VAR, e)
            return False

    async def _refused(self) -> int:
        try:
            return int(await self.ari.get_global(REFUSED_VAR) or 0)
        except (AriError, ValueError):
            return 0
