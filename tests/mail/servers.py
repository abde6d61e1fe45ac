"""The mail servers tests run: a private dovecot (IMAP) and an aiosmtpd sink (the relay)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from tests.mail.dovecot import Dovecot
from tests.mail.sink import SmtpSink


@contextlib.asynccontextmanager
async def running_dovecot(port: int, users: dict[str, str]) -> AsyncIterator[Dovecot]:
    server = Dovecot(port, users)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@contextlib.asynccontextmanager
async def running_sink(port: int) -> AsyncIterator[SmtpSink]:
    sink = SmtpSink(port)
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


def email_config(address: str, password: str, imap_port: int, relay_port: int, *,
                 queue: str = "sales", **extra: Any) -> dict[str, Any]:
    """The engine's ``email:`` section for one mailbox on the private dovecot, replies to
    the sink, quick reconnects; ``extra`` adds or replaces top-level keys."""
    return {
        "domain": address.partition("@")[2],
        "mailboxes": [{"name": queue, "address": address, "queue": queue,
                       "imap": {"host": "127.0.0.1", "port": imap_port, "tls": False,
                                "user": address, "password": password, "timeout": 5}}],
        "relay": {"host": "127.0.0.1", "port": relay_port, "security": "none"},
        "reconnect": {"first_seconds": 0.2, "max_seconds": 1},
        **extra,
    }
