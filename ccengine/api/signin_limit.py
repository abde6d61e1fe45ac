"""Limits on failed sign-ins: per user name (whether it exists or not) and per client
address, each a count of failures in a sliding window. Once a key has ``limit`` failures
within ``window`` seconds, every attempt for it is refused (no password is checked) until
the oldest of those failures leaves the window; attempts refused that way are not counted.
A success clears the user name's failures (not the address's).

The counts live in this process's memory: with several engine nodes each node counts its
own, so an attacker spreading attempts over N nodes gets N times the allowance. Each table
keeps at most ``max_keys`` keys (keys without a failure in the window go first, then those
whose last failure is oldest), so a flood of made-up names cannot grow it without bound."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


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


@dataclass(frozen=True)
class Locked:
    """A key that has just reached its limit (for the log)."""

    what: str      # "user" or "address"
    key: str
    failures: int
    seconds: float


class SignInLimiter:
    """Failed sign-ins per user name and per client address (see the module's docstring)."""

    def __init__(self, per_user: int, per_address: int, window_seconds: float,
                 clock: Callable[[], float], max_keys: int = 10000) -> None:
        self.users = FailureWindow(per_user, window_seconds, clock, max_keys)
        self.addresses = FailureWindow(per_address, window_seconds, clock, max_keys)

    def retry_after(self, user: str, address: str) -> float:
        """Seconds until this user name and address may try again; 0 when they may now."""
        return max(self.users.retry_after(user), self.addresses.retry_after(address), 0.0)

    def failed(self, user: str, address: str) -> list[Locked]:
        """Count a failed attempt; the keys it locked (for the log)."""
        locked = []
        for what, table, key in (("user", self.users, user),
                                 ("address", self.addresses, address)):
            if table.add(key):
                locked.append(Locked(what, key, table.limit, table.retry_after(key)))
        return locked

    def succeeded(self, user: str) -> None:
        """A right password: the user name's failures are forgotten."""
        self.users.clear(user)
