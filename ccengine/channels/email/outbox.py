"""The outbox: stored outbound mail (replies, acknowledgements) goes out through the SMTP
relay. A message is stored ``queued`` before anyone is told it will be sent; a failed
attempt leaves it ``failed`` with the error and a time for the next attempt (doubling, up
to the configured maximum), so nothing is lost to a relay being down or to a restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiosmtplib

from ccengine.channels.email.config import Backoff, RelayConfig
from ccengine.store.messages import MessageRepository, MessageView

log = logging.getLogger(__name__)

MEDIUM = "email"
QUEUED, SENT, FAILED = "queued", "sent", "failed"
BATCH = 200
MAX_ERROR = 1000

Sender = Callable[..., Awaitable[Any]]


class Outbox:
    """Sends stored outbound email, oldest first, retrying failures with backoff."""

    def __init__(self, relay: RelayConfig, retry: Backoff, messages: MessageRepository, *,
                 clock: Callable[[], float], send: Sender = aiosmtplib.send) -> None:
        self.relay, self.retry, self.messages = relay, retry, messages
        self.clock, self._send = clock, send
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something new is queued: look now rather than at the next retry time."""
        self._wake.set()

    async def run(self) -> None:
        """Send forever (a task the channel owns)."""
        while True:
            self._wake.clear()
            try:
                next_due = await self.flush()
            except Exception:
                log.exception("outbox: sending failed; trying again shortly")
                next_due = self.clock() + self.retry.first_seconds
            wait = None if next_due is None else max(0.05, next_due - self.clock())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def flush(self) -> float | None:
        """Send everything due now; returns when the next retry is due (None: nothing
        waits)."""
        next_due: float | None = None
        for state in (QUEUED, FAILED):
            for m in await self.messages.in_state(MEDIUM, state, limit=BATCH):
                if m["direction"] != "out":
                    continue
                due = float(m["meta"].get("next_attempt_at", 0.0))
                if due > self.clock():
                    next_due = due if next_due is None else min(next_due, due)
                    continue
                retry_at = await self.send_one(m)
                if retry_at is not None:
                    next_due = retry_at if next_due is None else min(next_due, retry_at)
        return next_due

    async def send_one(self, m: MessageView) -> float | None:
        """One attempt; returns the next attempt's time if it failed."""
        raw = await self.messages.raw(m["id"])
        meta = dict(m["meta"])
        attempts = int(meta.get("attempts", 0)) + 1
        meta["attempts"] = attempts
        r = self.relay
        try:
            if raw is None:
                raise ValueError("the stored message has no raw bytes to send")
            await self._send(raw, sender=m["sender"], recipients=list(m["recipients"]),
                             hostname=r.host, port=r.port, use_tls=r.security == "tls",
                             start_tls=r.security == "starttls",
                             validate_certs=r.verify_tls, username=r.user,
                             password=r.password, timeout=r.timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as e:
            error = f"{type(e).__name__}: {e}"[:MAX_ERROR]
            retry_at = self.clock() + self.retry.after(attempts)
            meta["next_attempt_at"] = retry_at
            log.warning("outbox: message %s to %s not sent (attempt %d): %s; next try in "
                        "%.0f s", m["id"], m["recipients"], attempts, error,
                        retry_at - self.clock())
            await self.messages.update(m["id"], state=FAILED, error=error, meta=meta)
            return retry_at
        meta["sent_at"] = self.clock()
        meta.pop("next_attempt_at", None)
        await self.messages.update(m["id"], state=SENT, error=None, meta=meta)
        log.info("outbox: message %s sent to %s", m["id"], m["recipients"])
        return None
