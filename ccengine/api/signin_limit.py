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

from collections.abc import Callable
from dataclasses import dataclass

from ccengine.core.failure_window import FailureWindow

__all__ = ["FailureWindow", "Locked", "SignInLimiter"]


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
