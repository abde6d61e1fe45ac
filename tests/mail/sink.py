"""An SMTP sink for tests (aiosmtpd on the test's event loop): the relay the engine sends
replies through. It keeps what it receives and can refuse the next few messages."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    port: int
    received: list[Received] = field(default_factory=list)
    refuse_next: int = 0          # answer 451 to this many DATA commands
    refused: int = 0
    server: asyncio.Server | None = None
    # every connection it accepted: closed at stop (Python 3.11's Server.close leaves them
    # open, and one left by a killed engine, its reading paused, would trip the loop's end)
    sessions: list[SMTP] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_next > 0:
            self.refuse_next -= 1
            self.refused += 1
            return "451 4.3.0 sink says: try again later"
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), raw))
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        def session() -> SMTP:
            smtp = SMTP(self, hostname="sink.test", loop=loop)
            self.sessions.append(smtp)
            return smtp
        self.server = await loop.create_server(session, host="127.0.0.1", port=self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for smtp in self.sessions:
            transport = smtp.transport
            if transport is not None and not transport.is_closing():
                transport.close()
        self.sessions.clear()
        await asyncio.sleep(0)   # the loop finishes closing them
