"""Customer mail for tests, as raw RFC 5322 bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
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


def delivery_report(recipients: list[dict[str, str]], *,
                    per_message: dict[str, str] | None = None,
                    returned: bytes | None = None, returned_type: str = "text/rfc822-headers",
                    report_type: str = "delivery-status") -> bytes:
    """A bounce as a mail server sends it (RFC 3464 in a multipart/report): an
    explanation, the delivery-status blocks (``per_message``, then one per entry of
    ``recipients``) and the returned mail's headers (``returned_type``
    text/rfc822-headers) or whole message (message/rfc822). ``returned`` defaults to
    ``customer_mail()``; ``b""`` leaves the returned part out."""
    report = MIMEMultipart("report", report_type=report_type)
    report["From"] = "MAILER-DAEMON@mx.shop.test (Mail Delivery System)"
    report["To"] = "campaigns@shop.test"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Date"] = format_datetime(datetime(2026, 5, 4, 10, 31, tzinfo=UTC))
    report["Message-ID"] = "<dsn.1@mx.shop.test>"
    report["Auto-Submitted"] = "auto-replied"
    report.attach(MIMEText("This is the mail system at host mx.shop.test.\n\n"
                           "I'm sorry to have to inform you that your message could not\n"
                           "be delivered to one or more recipients.\n"))
    status = MIMEBase("message", report_type)  # message/delivery-status, ...
    blocks = []
    for fields in [per_message or {"Reporting-MTA": "dns; mx.shop.test"}, *recipients]:
        block = Message()
        for name, value in fields.items():
            block[name] = value
        blocks.append(block)
    if report_type == "delivery-status":
        status.set_payload(blocks)
    else:  # the stdlib writes other message/* parts from (ASCII) text
        status.set_payload("\n".join("".join(f"{k}: {v}\n" for k, v in b.items())
                                      for b in blocks))
    report.attach(status)
    original = customer_mail() if returned is None else returned
    if original and returned_type == "message/rfc822":
        report.attach(MIMEMessage(message_from_bytes(original)))
    elif original:
        head = original.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode()
        report.attach(MIMEText(head + "\n", returned_type.split("/")[1]))
    return report.as_bytes(policy=policy.SMTP)
