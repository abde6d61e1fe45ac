"""Admission control: while the engine cannot keep up, a share of new callers is refused at
the door, as large as it takes and no larger.

Two measures of how late the engine and its Asterisk are, each watched on its own:
- every ARI event carries the time Asterisk made it: how long it took to reach the engine
  (Asterisk's event queue for the application, the websocket, the engine's loop);
- how long the oldest ARI request still unanswered has waited, read every
  ``WINDOW_SECONDS``, a free connection's wait included (Asterisk's HTTP threads and each
  channel's own thread, which carries out what is asked of a channel in Stasis, and the
  engine's loop). Read while requests are out, not as each answer comes: at 40 calls/s
  Asterisk fell behind for seconds at a time, and the answers that came once it caught up
  reported durations of 4-7 s for seconds more, so a meter fed with them went on refusing
  more callers after the backlog was gone (the voice benchmark, 2026-12-07).
When one of them is over ``lag_seconds``, and still is ``hold_seconds`` later, calls
already in take longer at every step, and a caller taken in now would wait in silence and
hang up before an agent answers (the voice benchmark at overload). So the guard starts
refusing a share of new callers: it sets the Asterisk global ``CCENGINE_REFUSE`` to a
percentage, and the dialplan refuses that share of new callers on the service numbers and
trunk numbers (at random, each caller on their own) before answering them: SIP 503 (cause
34), which a carrier can route elsewhere. Calls already in go on.

The share follows the lateness, judged every ``WINDOW_SECONDS`` by the worst measure in
the window, smoothed over the windows (the trend):
- an episode starts with ``START``;
- the trend over ``lag_seconds`` and not falling (the backlog not draining): the share
  grows by ``RISE`` for each ``lag_seconds`` of it;
- the trend falling but still over ``lag_seconds`` (what is refused is enough), or
  between half of ``lag_seconds`` and ``lag_seconds`` (near the limit): the share stays;
- the trend under half of ``lag_seconds``, or nothing measured: it shrinks by ``FALL``,
  and at 0 the episode is over.
So an engine a little past its capacity refuses about its excess, in place of all callers
for seconds at a time; the further past, the larger the share. A short stall (a machine
busy for a moment) makes a burst of late events that drains at once; it is not overload
and refuses nobody: the lateness must last ``hold_seconds``. Nothing measured for
``3 × hold_seconds`` ends an episode at once (no calls, nothing to be late).

An event's lag is measured against the smallest seen so far, so a constant difference
between Asterisk's clock and the engine's (Asterisk on another machine) does not count.

The ``overload:`` config section::

    overload:
      enabled: true        # refuse new callers while the engine is overloaded
      lag_seconds: 1.0     # events this late, or a request unanswered this long ...
      hold_seconds: 1.0    # ... for this long: start refusing a share of new callers
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
REFUSE_VAR = "CCENGINE_REFUSE"      # the percentage of new callers the dialplan refuses
REFUSED_VAR = "CCENGINE_REFUSED"    # how many it refused since Asterisk started
QUIET_FACTOR = 3.0                  # nothing measured this many hold_seconds: episode over
CHECK_SECONDS = 0.5                 # how often the guard sets the global again while busy
WINDOW_SECONDS = 0.25               # measures are judged by the worst in each such window
                                    # (and the oldest request is read this often)
SMOOTH = 0.3                        # the trend: each window's worst weighs this much
START = 0.1                         # the share refused when an episode starts
RISE = 0.0075                       # share added per window while not catching up (per lag):
                                    # slow, as the work of a caller refused now would have
                                    # come over the next seconds of their call
FALL = 0.025                        # share taken off per calm window (0.1 a second)


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
    """Decides, from measures of lateness, which share of new callers to refuse (pure: no
    I/O); the module's docstring says how.

    Measures are judged by the worst in each WINDOW_SECONDS: a late one among many quick
    ones (a slow request among fast ones) still counts, and the lateness must be seen in
    every window for ``hold_seconds`` before anyone is refused."""

    def __init__(self, settings: OverloadSettings, clock: Callable[[], float]) -> None:
        self.settings, self.clock = settings, clock
        self.busy = False                      # refusing a share of callers
        self.share = 0.0                       # that share, 0 to 1
        self.since: float | None = None        # busy since
        self._baseline: float | None = None    # the smallest event lag seen (clocks)
        self._late_since: float | None = None  # windows late since (not busy yet)
        self._last_measure = clock()
        self._window_start = self._last_measure
        self._worst: float | None = None       # the worst measure in the open window
        self.lag = 0.0                         # the worst in the last closed window
        self.trend = 0.0                       # the windows' worst, smoothed

    def observe(self, made_at: float) -> bool | None:
        """One event made at ``made_at`` (by Asterisk's clock): see observe_lag."""
        raw = self.clock() - made_at
        self._baseline = raw if self._baseline is None else min(self._baseline, raw)
        return self.observe_lag(raw - self._baseline)

    def observe_lag(self, lag: float) -> bool | None:
        """One measure of lateness: True when the engine just became overloaded, False
        when it just recovered, None when nothing changed (the share may have)."""
        now = self.clock()
        change = self._close(now) if now - self._window_start >= WINDOW_SECONDS else None
        self._last_measure = now
        self._worst = lag if self._worst is None else max(self._worst, lag)
        return change

    def _close(self, now: float) -> bool | None:
        """Judge the window that ends now by its worst measure."""
        worst, self._worst, self._window_start = self._worst, None, now
        s = self.settings
        if worst is None:            # nothing measured: calm, as far as anyone can tell
            return self._calm()
        before = self.trend
        self.lag, self.trend = worst, before + SMOOTH * (worst - before)
        if not self.busy:
            if worst < s.lag_seconds:
                self._late_since = None
                return None
            if self._late_since is None:
                self._late_since = now
            if now - self._late_since < s.hold_seconds:
                return None
            self.busy, self.since, self._late_since = True, now, None
            self.share = START
            return True
        if self.trend >= s.lag_seconds:
            if self.trend >= before:     # not catching up: refuse more, the more the later
                self.share = min(1.0, self.share + RISE * self.trend / s.lag_seconds)
            return None
        if self.trend >= s.lag_seconds / 2:
            return None
        return self._calm()

    def _calm(self) -> bool | None:
        """A calm window (or one with nothing measured): the trend eases, the share shrinks."""
        self.trend *= 1 - SMOOTH
        if not self.busy:
            return None
        self.share = max(0.0, self.share - FALL)
        return self._over() if self.share <= 0 else None

    def _over(self) -> bool:
        self.busy, self.share = False, 0.0
        return False

    def check(self, now: float | None = None) -> bool | None:
        """Close a window left open (or judge the windows with nothing in them), then:
        False when a busy engine has just stopped refusing anyone."""
        now = self.clock() if now is None else now
        if now - self._window_start < WINDOW_SECONDS:
            return None
        if self._worst is not None:
            return self._close(now)
        if not self.busy:
            self._window_start = now
            return None
        if now - self._last_measure >= QUIET_FACTOR * self.settings.hold_seconds:
            return self._over()          # no calls at all: nothing left to be late
        change = None
        while change is None and now - self._window_start >= WINDOW_SECONDS:
            self._window_start += WINDOW_SECONDS
            change = self._calm()
        self._window_start = max(self._window_start, now - WINDOW_SECONDS)
        return change


class OverloadGuard:
    """Feeds the router's events and the age of the ARI client's oldest unanswered request
    to a LagMeter each, and keeps ``CCENGINE_REFUSE`` in Asterisk at the larger of their
    shares; logs each episode once, when it starts and when it ends."""

    def __init__(self, ari: AriClient, settings: OverloadSettings,
                 clock: Callable[[], float] = time.time) -> None:
        self.ari, self.clock = ari, clock
        self.events = LagMeter(settings, clock)     # ARI events: how late they arrive
        self.requests = LagMeter(settings, clock)   # ARI requests: how long unanswered
        self.meters = (self.events, self.requests)
        self.episodes = 0
        self.since: float | None = None
        self._wake = asyncio.Event()
        self._refused_before = 0
        self._episode = False   # an episode logged as started, not yet as ended
        self.most = 0           # the largest percentage refused in the episode
        self.calm_since: float | None = None   # when the last episode ended (clock)
        self._shown = 0         # the percentage Asterisk was last told
        self._told_at = 0.0     # when (monotonic)

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

    @property
    def percent(self) -> int:
        """The percentage of new callers refused now (0 while not busy; at least 1 while
        busy, so that a busy engine always refuses someone)."""
        if not self.busy:
            return 0
        return max(1, min(100, round(100 * max(m.share for m in self.meters))))

    def late_since(self, moment: float) -> bool:
        """Whether the engine and Asterisk were late (an episode on) at any time since
        ``moment`` (by ``clock``): an agent's phone not answered meanwhile may never have
        had its answer heard (VoiceChannel.late_since)."""
        return self._episode or self.busy or (
            self.calm_since is not None and self.calm_since >= moment)

    def observe(self, event: AriEvent) -> None:
        """The router's hook: called for every ARI event, in order."""
        if not self.settings.enabled:
            return
        made_at = event_time(event)
        if made_at is not None:
            self._changed(self.events.observe(made_at))

    def observe_requests(self) -> None:
        """Read how long the oldest unanswered ARI request has waited (every window)."""
        if self.settings.enabled:
            self._changed(self.requests.observe_lag(self.ari.oldest_request_age()))

    def _changed(self, change: bool | None) -> None:
        """Wake the loop when an episode starts or ends or the share refused changed."""
        if change is not None or self.percent != self._shown:
            self._wake.set()

    def view(self) -> dict[str, Any]:
        busy = self.busy
        return {"ok": not busy, "enabled": self.settings.enabled,
                "refusing_callers": busy, "refused_percent": self.percent,
                "since": self.since if busy else None,
                "event_lag_seconds": round(self.events.lag, 3),
                "request_seconds": round(self.requests.lag, 3), "episodes": self.episodes}

    def _lateness(self) -> str:
        return (f"events {self.events.lag:.1f} s late, a request unanswered for "
                f"{self.requests.lag:.1f} s")

    async def run(self) -> None:
        """Until cancelled: the oldest request read every window, and the global set as
        the meters say (again every CHECK_SECONDS while busy: a dialplan reload resets it
        to 0)."""
        await self._set(0)
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WINDOW_SECONDS):
                    await self._wake.wait()
            self._wake.clear()
            self.observe_requests()
            for meter in self.meters:
                if not self.settings.enabled:
                    meter.busy, meter.share = False, 0.0
                meter.check()
            busy, percent = self.busy, self.percent
            if busy and not self._episode:
                self._episode, self.episodes, self.most = True, self.episodes + 1, 0
                self.since = self.clock()
                self._refused_before = await self._refused()
                log.warning("overload: Asterisk and the engine are late (%s); a share of new "
                            "callers is refused (SIP 503) until they catch up",
                            self._lateness())
            elif self._episode and not busy:
                self._episode, self.calm_since = False, self.clock()
                refused = await self._refused() - self._refused_before
                log.warning("overload over after %.1f s: callers accepted again; %d refused "
                            "(at most %d %% of new callers)", self.clock() - (self.since or 0),
                            refused, self.most)
            self.most = max(self.most, percent)
            if self._shown != percent or (
                    busy and time.monotonic() - self._told_at >= CHECK_SECONDS):
                await self._set(percent)

    async def _set(self, percent: int) -> bool:
        try:
            await self.ari.set_global(REFUSE_VAR, str(percent))
            self._shown, self._told_at = percent, time.monotonic()
            return True
        except AriError as e:   # Asterisk away: tried again at the next check
            log.info("overload: could not set %s: %s", REFUSE_VAR, e)
            return False

    async def _refused(self) -> int:
        try:
            return int(await self.ari.get_global(REFUSED_VAR) or 0)
        except (AriError, ValueError):
            return 0
