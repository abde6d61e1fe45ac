"""A small per-key rate limiter (a token bucket refilled continuously): ``per_minute``
events, in bursts of at most that many. Keys that have refilled are forgotten, so a flood
of distinct keys cannot grow it without bound."""

from __future__ import annotations

from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float],
                 max_keys: int = 10000) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be >= 1")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def allow(self, key: str) -> bool:
        """Take one event for ``key``; False if it is over its rate (nothing is taken)."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self.max_keys:
            self._forget_full(now)
        return True

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may send again (0 if it may now)."""
        tokens, at = self._buckets.get(key, (self.capacity, self.clock()))
        tokens = min(self.capacity, tokens + (self.clock() - at) * self.rate)
        return max(0.0, (1.0 - tokens) / self.rate)

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

    def _forget_full(self, now: float) -> None:
        full = [k for k, (tokens, at) in self._buckets.items()
                if tokens + (now - at) * self.rate >= self.capacity]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) > self.max_keys:  # all busy: drop the oldest
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for k in oldest[:len(self._buckets) - self.max_keys]:
                del self._buckets[k]
