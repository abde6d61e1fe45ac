"""What counts as a failed SIP authentication, the failures per address and the blocks.
Pure: the clock is given, nothing here touches Asterisk or a file.

Counted (Asterisk's security events, AMI class ``security``, service ``PJSIP``):

- ``ChallengeResponseFailed``: credentials were sent and did not match (a wrong password,
  or any password for a name that does not exist: Asterisk's artificial endpoint fails it
  the same way);
- ``InvalidPassword``: the same, as other channel drivers report it;
- ``FailedACL``: a request refused by an ACL, e.g. a REGISTER on the public port
  (``registrar_attempt_without_configured_aors``), which no phone of ours sends.

Not counted: ``InvalidAccountID`` (a name that does not exist) and ``ChallengeSent``. On the
phones' port a request without credentials for an unknown name raises InvalidAccountID and
one for a known name does not: counting it would make the block itself tell a scanner
which names exist. Each failed password costs one count, whether the name exists or not.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from ccengine.core.failure_window import FailureWindow
from ccengine.telephony.sip_guard.settings import SipSecurity

FAILURE_EVENTS = frozenset({"ChallengeResponseFailed", "InvalidPassword", "FailedACL"})


@dataclass(frozen=True)
class Failure:
    """One failed attempt, from one security event."""

    address: str
    kind: str          # the event's name
    account: str = ""  # the user name tried (AccountID), if any
    detail: str = ""   # FailedACL: which ACL (ACLName)

    def describe(self) -> str:
        what = f"{self.kind} ({self.detail})" if self.detail else self.kind
        return f"{what} for {self.account!r}" if self.account else what


def address_of(remote: str) -> str | None:
    """The IP address of an event's ``RemoteAddress`` (``IPV4/UDP/203.0.113.9/5060``,
    ``IPV6/UDP/2001:db8::1/5060``); None if it holds none."""
    parts = remote.split("/")
    if len(parts) < 4:
        return None
    try:
        return str(ipaddress.ip_address("/".join(parts[2:-1]).strip("[]")))
    except ValueError:
        return None


def failure_of(event: Mapping[str, Any]) -> Failure | None:
    """The failed attempt a security event reports, or None if it is not one we count."""
    kind = str(event.get("Event", ""))
    if kind not in FAILURE_EVENTS or str(event.get("Service", "")) != "PJSIP":
        return None
    address = address_of(str(event.get("RemoteAddress", "")))
    if address is None:
        return None
    account = str(event.get("AccountID", ""))
    return Failure(address, kind, "" if account == "<unknown>" else account,
                   str(event.get("ACLName", "")))


@dataclass(frozen=True)
class Block:
    """An address blocked until ``until`` (epoch seconds)."""

    address: str
    reason: str
    since: float
    until: float
    failures: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Block:
        address = str(ipaddress.ip_address(str(data["address"])))
        return cls(address, str(data["reason"]).replace("\n", " "), float(data["since"]),
                   float(data["until"]), int(data["failures"]))

    @property
    def network(self) -> str:
        """The address as an ACL entry: one host (``/32`` or ``/128``)."""
        ip = ipaddress.ip_address(self.address)
        return f"{ip}/{ip.max_prefixlen}"


@dataclass(frozen=True)
class Spared:
    """An address that reached the limit but is in ``never_block``."""

    address: str
    reason: str


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


class Blocklist:
    """Failures per address within the window, and the addresses blocked."""

    def __init__(self, settings: SipSecurity, clock: Callable[[], float],
                 blocks: Iterable[Block] = ()) -> None:
        self.settings, self.clock = settings, clock
        self.failures = FailureWindow(settings.max_failures, settings.window_seconds, clock)
        self.blocks: dict[str, Block] = {b.address: b for b in blocks}

    def failed(self, failure: Failure) -> Block | Spared | None:
        """Count one failure: the Block it caused, Spared if the address reached the limit
        but is never blocked, else None. Failures from an address already blocked (in
        flight while the block was applied) are not counted."""
        address = failure.address
        if address in self.blocks or not self.failures.add(address):
            return None
        s = self.settings
        reason = (f"{s.max_failures} failed authentications within {s.window_seconds} s "
                  f"(the last: {failure.describe()})")
        if s.never_blocked(address):
            return Spared(address, reason)
        now = self.clock()
        block = Block(address, reason, now, now + s.block_seconds, s.max_failures)
        self.blocks[address] = block
        self.failures.clear(address)
        return block

    def expired(self) -> list[Block]:
        """Remove and return the blocks whose time is up."""
        now = self.clock()
        gone = [b for b in self.blocks.values() if b.until <= now]
        for block in gone:
            del self.blocks[block.address]
        return gone

    def lift(self, address: str) -> Block | None:
        """Remove the block on ``address`` (None if it is not blocked)."""
        self.failures.clear(address)
        return self.blocks.pop(address, None)

    def next_expiry(self) -> float | None:
        return min((b.until for b in self.blocks.values()), default=None)

    def active(self) -> list[Block]:
        """The blocks, oldest first."""
        return sorted(self.blocks.values(), key=lambda b: (b.since, b.address))
