"""The overload guard's lag meter: when it starts refusing callers and when it stops (its
effect on real callers, a SIP 503, is proven against Asterisk in tests/e2e)."""

from __future__ import annotations

import pytest

from ccengine.core.errors import ConfigError
from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.overload import (
    CALM_FACTOR,
    LagMeter,
    OverloadSettings,
    event_time,
    parse_overload,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def feed(meter: LagMeter, clock: Clock, lag: float, seconds: float,
         every: float = 0.05) -> list[bool]:
    """Events every ``every`` s for ``seconds``, each ``lag`` s late: the changes seen."""
    changes = []
    end = clock.now + seconds
    while clock.now < end:
        clock.now += every
        change = meter.observe(clock.now - lag)
        if change is not None:
            changes.append(change)
    return changes


def test_given_events_late_for_hold_seconds_when_observed_then_busy_and_calm_ends_it() -> None:
    clock = Clock()
    meter = LagMeter(OverloadSettings(lag_seconds=1.0, hold_seconds=1.0), clock)
    assert feed(meter, clock, 0.002, 2) == []           # on time: the baseline
    assert feed(meter, clock, 1.5, 0.9) == []           # late, not yet for hold_seconds
    assert feed(meter, clock, 1.5, 0.5) == [True]       # late for a second: refuse
    assert meter.busy and meter.since == pytest.approx(clock.now, abs=0.5)
    assert feed(meter, clock, 0.5, 5) == []             # better, not calm (>= lag / 4)
    assert feed(meter, clock, 0.01, CALM_FACTOR - 0.3) == []
    assert feed(meter, clock, 0.01, 0.7) == [False]     # calm for 3 × hold: accept
    assert not meter.busy


def test_given_one_slow_measure_among_quick_ones_when_it_lasts_then_busy() -> None:
    """Requests: a slow one in every window counts, however many quick ones come too."""
    clock = Clock()
    meter = LagMeter(OverloadSettings(lag_seconds=1.0, hold_seconds=1.0), clock)
    changes = []
    for n in range(300):          # every 10 ms, one request in ten takes 2 s
        clock.now += 0.01
        change = meter.observe_lag(2.0 if n % 10 == 0 else 0.005)
        if change is not None:
            changes.append((change, round(n * 0.01, 2)))
    assert [c for c, _ in changes] == [True] and 1.0 <= changes[0][1] <= 1.6, changes


def test_given_a_short_stall_when_its_late_burst_drains_at_once_then_nobody_is_refused() -> None:
    clock = Clock()
    meter = LagMeter(OverloadSettings(lag_seconds=1.0, hold_seconds=1.0), clock)
    feed(meter, clock, 0.002, 1)
    # a 3 s stall: 60 events made meanwhile, read within 30 ms once the engine runs again
    made = [clock.now + i * 0.05 for i in range(60)]
    clock.now += 3
    for at in made:
        clock.now += 0.0005
        assert meter.observe(at) is None
    assert feed(meter, clock, 0.002, 2) == [] and not meter.busy


def test_given_busy_when_no_event_comes_for_the_calm_time_then_it_accepts_again() -> None:
    clock = Clock()
    meter = LagMeter(OverloadSettings(lag_seconds=1.0, hold_seconds=0.5), clock)
    feed(meter, clock, 0.0, 1)
    assert feed(meter, clock, 2.0, 1.0) == [True]
    clock.now += CALM_FACTOR * 0.5 - 0.1
    assert meter.check() is None
    clock.now += 0.2
    assert meter.check() is False and not meter.busy


def test_given_a_constant_clock_difference_when_events_are_on_time_then_not_busy() -> None:
    clock = Clock()
    meter = LagMeter(OverloadSettings(lag_seconds=1.0, hold_seconds=1.0), clock)
    # Asterisk's clock 30 s behind the engine's: every event looks 30 s old
    assert feed(meter, clock, 30.0, 5) == [] and meter.lag < 0.01


def test_given_ari_timestamps_when_read_then_epoch_seconds_or_none() -> None:
    def event(stamp: object) -> AriEvent:
        return AriEvent.from_json({"type": "ChannelStateChange", "timestamp": stamp})
    assert event_time(event("2026-12-06T16:00:00.250+0000")) == 1796572800.25
    assert event_time(event("not a time")) is None
    assert event_time(event(None)) is None


def test_given_bad_overload_config_when_parsed_then_clear_errors() -> None:
    assert parse_overload(None, "<test>") == OverloadSettings()
    assert parse_overload({"enabled": False, "lag_seconds": 2}, "<test>") == \
        OverloadSettings(enabled=False, lag_seconds=2.0)
    with pytest.raises(ConfigError, match="lag_seconds"):
        parse_overload({"lag_seconds": 0}, "<test>")
    with pytest.raises(ConfigError, match="refuse"):
        parse_overload({"refuse": True}, "<test>")


class FakeAri:
    """What the guard asks of ARI: Asterisk's globals, kept in a dict."""

    def __init__(self) -> None:
        self.globals: dict[str, str] = {"CCENGINE_REFUSED": "0"}
        self.sets: list[tuple[str, str]] = []

    async def set_global(self, name: str, value: str) -> None:
        self.sets.append((name, value))
        self.globals[name] = value

    async def get_global(self, name: str) -> str:
        return self.globals.get(name, "")


async def test_given_slow_requests_when_they_last_then_the_guard_refuses_and_counts_the_refused(  # noqa: E501
        caplog: pytest.LogCaptureFixture) -> None:
    import asyncio
    import contextlib
    import logging
    caplog.set_level(logging.WARNING, logger="ccengine.telephony.overload")

    from ccengine.telephony.overload import OverloadGuard
    ari = FakeAri()
    guard = OverloadGuard(ari, OverloadSettings(lag_seconds=0.5, hold_seconds=0.5))  # type: ignore[arg-type]
    task = asyncio.ensure_future(guard.run())
    try:
        await asyncio.sleep(0.05)
        assert ari.globals["CCENGINE_BUSY"] == "0"
        for _ in range(50):   # requests taking 0.8 s, for about a second
            guard.observe_request(0.8)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        assert guard.busy and ari.globals["CCENGINE_BUSY"] == "1"
        view = guard.view()
        assert (view["ok"], view["refusing_callers"], view["request_seconds"],
                view["episodes"]) == (False, True, 0.8, 1)
        ari.globals["CCENGINE_REFUSED"] = "7"     # the dialplan refused seven callers
        for _ in range(100):  # quick requests for about 2 s (> 3 × hold_seconds)
            guard.observe_request(0.01)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.6)
        assert not guard.busy and ari.globals["CCENGINE_BUSY"] == "0"
        assert guard.view()["ok"] is True
        lines = [r.getMessage() for r in caplog.records]
        assert lines[0] == ("overload: Asterisk and the engine are late (events 0.0 s late, "
                            "requests taking 0.8 s); new callers are refused (SIP 503) "
                            "until they catch up")
        assert lines[1].startswith("overload over after ") and lines[1].endswith(
            ": callers accepted again; 7 refused"), lines
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
