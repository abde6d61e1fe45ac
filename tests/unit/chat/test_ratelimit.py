"""The per-key rate limiter: bursts up to the rate, refills over time, bounded memory."""

from __future__ import annotations

from ccengine.channels.chat.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_given_rate_then_burst_allowed_then_refused_until_refilled() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock)  # one every 10 s, bursts of 6
    assert [limiter.allow("a") for _ in range(7)] == [True] * 6 + [False]
    assert limiter.allow("b")  # keys are apart
    assert 9.9 < limiter.retry_after("a") <= 10.0
    clock.now += 10
    assert limiter.allow("a") and not limiter.allow("a")


def test_given_many_keys_then_memory_stays_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock, max_keys=100)
    for i in range(1000):
        limiter.allow(f"k{i}")
    assert len(limiter._buckets) <= 101
