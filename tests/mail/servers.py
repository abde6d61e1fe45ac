"""The mail servers tests run: a private dovecot (IMAP) and an aiosmtpd sink (the relay)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

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
