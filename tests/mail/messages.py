"""Customer mail for tests, as raw RFC 5322 bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime


def customer_mail(*, subject: str = "My order", sender: str = "Ann Smith <ann@example.org>",
                  to: str = "sales@shop.test", body: str = "Where is my order 1234?",
                  message_id: str | None = "<m1@example.org>", in_reply_to: str | None = None,
                  references: str | None = None, headers: dict[str, str] | None = None
                  ) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 5, 4, 10, 30, tzinfo=UTC))
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes(policy=policy.SMTP)


# bytes the engine cannot use as an email: no header block, no sender
UNPARSEABLE = b"\x01\x02garbage that is not a mail message\r\n\xff\xfe\r\n"
