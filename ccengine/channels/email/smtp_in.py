"""The SMTP listener: mail for a configured mailbox address is accepted directly (aiosmtpd,
run on the engine's own event loop, loopback unless configured). 250 is answered only after
the message is stored; a recipient that is no mailbox of ours is refused at RCPT (the
sending server bounces it), and a store failure answers 451 so the sender tries again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from ccengine.channels.email.config import EmailConfig, ListenerConfig, Mailbox
from ccengine.store.messages import MessageView

log = logging.getLogger(__name__)
# aiosmtpd logs every SMTP command of every session at INFO: keep its warnings only
logging.getLogger("mail.log").setLevel(logging.WARNING)

Store = Callable[[bytes, Mailbox, dict[str, Any]], Awaitable[MessageView]]
Process = Callable[[int], Awaitable[None]]


class _Handler:
    def __init__(self, config: EmailConfig, store: Store, process: Process,
                 spawn: Callable[[Awaitable[None]], None]) -> None:
        self.config, self.store, self.process, self.spawn = config, store, process, spawn

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if self.config.mailbox_for(address) is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw or "").encode("utf-8", "surrogateescape")
        mailbox = next(m for m in (self.config.mailbox_for(a) for a in envelope.rcpt_tos)
                       if m is not None)
        try:
            message = await self.store(raw, mailbox, {
                "smtp_from": envelope.mail_from, "smtp_to": list(envelope.rcpt_tos),
                "smtp_peer": str(session.peer[0]) if session.peer else None})
        except Exception:
            log.exception("SMTP: could not store a message from %s", envelope.mail_from)
            return "451 4.3.0 cannot store the message now; try again later"
        self.spawn(self.process(message["id"]))
        return "250 2.0.0 stored"


async def start_listener(config: EmailConfig, listener: ListenerConfig, store: Store,
                         process: Process, spawn: Callable[[Awaitable[None]], None]
                         ) -> asyncio.Server:
    """Listen for SMTP on ``listener.host:port``; close the returned server to stop."""
    loop = asyncio.get_running_loop()
    handler = _Handler(config, store, process, spawn)
    factory = partial(SMTP, handler, data_size_limit=listener.max_message_bytes,
                      hostname=listener.hostname, decode_data=False, loop=loop,
                      ident="ccengine")
    server = await loop.create_server(factory, host=listener.host, port=listener.port)
    log.info("email: SMTP listener on %s:%s for %s", listener.host, listener.port,
             ", ".join(m.address for m in config.mailboxes))
    return server
