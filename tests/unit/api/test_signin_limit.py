"""Failed sign-ins counted per user name and per address in a sliding window (pure code,
time given by the test)."""

from __future__ import annotations

import pytest

from ccengine.api.signin_limit import FailureWindow, Locked, SignInLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_given_failures_below_limit_when_asked_then_allowed() -> None:
    clock = Clock()
    window = FailureWindow(3, 60, clock)
    assert window.add("alice") is False
    assert window.add("alice") is False
    assert window.retry_after("alice") == 0


def test_given_limit_reached_when_asked_then_refused_until_oldest_leaves_window() -> None:
    clock = Clock()
    window = FailureWindow(3, 60, clock)
    window.add("alice")            # t=1000
    clock.now = 1010
    window.add("alice")
    clock.now = 1020
    assert window.add("alice") is True   # this one locks
    assert window.retry_after("alice") == pytest.approx(40)   # 1000 + 60 - 1020
    clock.now = 1059.5
    assert window.retry_after("alice") == pytest.approx(0.5)
    clock.now = 1060
    assert window.retry_after("alice") == 0
    assert window.add("alice") is True   # 1010, 1020, 1060: locked again until 1070
    assert window.retry_after("alice") == pytest.approx(10)


def test_given_old_failures_when_window_slides_then_forgotten() -> None:
    clock = Clock()
    window = FailureWindow(2, 60, clock)
    window.add("alice")
    clock.now += 61
    assert window.add("alice") is False
    assert len(window) == 1
    clock.now += 61
    assert window.retry_after("alice") == 0 and len(window) == 0


def test_given_flood_of_names_when_table_full_then_it_stays_bounded() -> None:
    clock = Clock()
    window = FailureWindow(2, 60, clock, max_keys=100)
    window.add("victim")
    window.add("victim")
    for i in range(1000):
        clock.now += 0.001
        window.add(f"made-up-{i}")
        assert len(window) <= 100
    assert window.add("made-up-999") is True  # the newest key kept its failure


def test_given_user_and_address_when_failing_then_each_counted_and_success_clears_user() -> None:
    clock = Clock()
    limiter = SignInLimiter(per_user=2, per_address=3, window_seconds=300, clock=clock)
    assert limiter.failed("alice", "10.0.0.1") == []
    assert limiter.failed("alice", "10.0.0.2") == [Locked("user", "alice", 2, 300.0)]
    assert limiter.retry_after("alice", "10.0.0.9") == 300
    assert limiter.retry_after("bob", "10.0.0.1") == 0
    limiter.succeeded("alice")
    assert limiter.retry_after("alice", "10.0.0.9") == 0
    assert limiter.failed("bob", "10.0.0.1") == []
    assert limiter.failed("carol", "10.0.0.1") == [Locked("address", "10.0.0.1", 3, 300.0)]
    assert limiter.retry_after("dave", "10.0.0.1") == 300
    limiter.succeeded("dave")  # a success does not clear the address
    assert limiter.retry_after("dave", "10.0.0.1") == 300


def test_given_bad_limits_when_built_then_refused() -> None:
    with pytest.raises(ValueError):
        FailureWindow(0, 60, Clock())
