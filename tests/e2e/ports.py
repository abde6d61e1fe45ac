"""Free loopback ports for test servers (never the machine's default service ports).

A port found free is bound by its server a moment later (Asterisk takes a second or two to
start), so two picks must not meet in that moment:
- each pytest-xdist worker picks from a share of its own of the range, so two workers
  never pick the same port;
- a process never hands out a port again while it is among the last ones it handed out,
  so one test's several servers (Asterisk's SIP, HTTP and AMI ports, picked together
  before it binds any) never get the same one.
TCP and SIP ports come from below Linux's ephemeral range (32768-60999), so an outgoing
connection elsewhere in the suite cannot take one between the check and the bind.
"""

from __future__ import annotations

import os
import random
import re
import socket

PORTS = (20000, 32767)       # TCP/UDP servers: below the ephemeral range
RANGES = (40000, 60000)      # RTP port ranges (UDP)
# the ports handed out last (oldest first), per pool: more than one test uses, and few
# enough that a worker's share keeps room for a range of 200 between them
_KEPT = {PORTS: 500, RANGES: 400}
_handed: dict[tuple[int, int], dict[int, None]] = {PORTS: {}, RANGES: {}}


def _free(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def share(low: int, high: int) -> tuple[int, int]:
    """This xdist worker's share of ``low``-``high`` (all of it outside xdist)."""
    match = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if match is None or count <= 1:
        return low, high
    size = (high - low) // count
    start = low + (int(match.group(1)) % count) * size
    return start, start + size - 1


def _fresh(pool: tuple[int, int], first: int, size: int) -> bool:
    handed = _handed[pool]
    return not any(p in handed for p in range(first, first + size))


def _hand_out(pool: tuple[int, int], first: int, size: int) -> None:
    handed = _handed[pool]
    for p in range(first, first + size):
        handed.pop(p, None)
        handed[p] = None
    while len(handed) > _KEPT[pool]:
        del handed[next(iter(handed))]


def free_port(span: int = 1) -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (with the ``span - 1`` ports after
    it: baresip also listens for SIP over TLS on its SIP port + 1)."""
    low, high = share(*PORTS)
    for _ in range(500):
        port = random.randint(low, high - span)
        if _fresh(PORTS, port, span) and all(
                _free(socket.SOCK_STREAM, p) and _free(socket.SOCK_DGRAM, p)
                for p in range(port, port + span)):
            _hand_out(PORTS, port, span)
            return port
    raise RuntimeError("no free port found")


def free_range(size: int) -> int:
    """The first port of ``size`` consecutive UDP ports free on 127.0.0.1 (even start)."""
    low, high = share(*RANGES)
    for _ in range(500):
        start = random.randrange(low + low % 2, high - size, 2)
        if _fresh(RANGES, start, size) and all(_free(socket.SOCK_DGRAM, p)
                                       for p in range(start, start + size)):
            _hand_out(RANGES, start, size)
            return start
    raise RuntimeError("no free port range found")
