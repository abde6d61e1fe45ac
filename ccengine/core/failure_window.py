"""Failures per key (a user name, an address) in a sliding window: the sign-in limits
(``api/signin_limit.py``) and the SIP edge's blocks (``telephony/sip_guard/``) count with it.
Each table keeps at most ``max_keys`` keys (keys without a failure in the window go first,
then those whose last failure is oldest), so a flood of made-up keys cannot grow it without
bound."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


class FailureWindow:
    """Failures per key within a sliding window of ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float],
                 max_keys: int = 10000) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        failures = self._recent(key, self.clock())
        if failures is None or len(failures) < self.limit:
            return 0.0
        # the attempt is allowed again once fewer than `limit` failures are in the window
        return failures[len(failures) - self.limit] + self.window - self.clock()

    def add(self, key: str) -> bool:
        """Count one failure for ``key``; True when this one reached the limit."""
        now = self.clock()
        failures = self._recent(key, now)
        if failures is None:
            failures = self._failures[key] = deque()
        failures.append(now)
        if len(self._failures) > self.max_keys:
            self._shrink(now)  # this key, the newest, stays
        return len(failures) == self.limit

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def _shrink(self, now: float) -> None:
        for key in [k for k, f in self._failures.items() if f[-1] <= now - self.window]:
            del self._failures[key]
        excess = len(self._failures) - self.max_keys
        if excess > 0:
            oldest = sorted(self._failures, key=lambda k: self._failures[k][-1])[:excess]
            for key in oldest:
                del self._failures[key]
