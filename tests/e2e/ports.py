"""Free loopback ports for test servers (never the machine's default service ports)."""

from __future__ import annotations

import random
import socket


def _free(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(span: int = 1) -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (with the ``span - 1`` ports after
    it: baresip also listens for SIP over TLS on its SIP port + 1)."""
    for _ in range(200):
        # below Linux's ephemeral range (32768-60999): an outgoing connection elsewhere
        # in the suite cannot take the port between this check and the server's bind
        port = random.randint(20000, 32767 - span)
        if all(_free(socket.SOCK_STREAM, p) and _free(socket.SOCK_DGRAM, p)
               for p in range(port, port + span)):
            return port
    raise RuntimeError("no free port found")


def free_range(size: int) -> int:
    """The first port of ``size`` consecutive UDP ports free on 127.0.0.1 (even start)."""
    for _ in range(200):
        start = random.randrange(40000, 60000 - size, 2)
        if all(_free(socket.SOCK_DGRAM, p) for p in range(start, start + size)):
            return start
    raise RuntimeError("no free port range found")
