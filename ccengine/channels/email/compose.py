"""Outgoing mail: an agent's reply (threaded: In-Reply-To, References, "Re:" subject, a
Message-ID of ours) and the automatic acknowledgement rendered from a sandboxed jinja2
template."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

MAX_REFERENCES = 20
RE_PREFIX = re.compile(r"^\s*(re|aw|sv)\s*:", re.IGNORECASE)
# what an acknowledgement template may use
TEMPLATE_FIELDS = {"subject": "Order 1234", "sender": "ann@example.com",
                   "sender_name": "Ann", "queue": "support", "mailbox": "support",
                   "interaction_id": "email-1",
                   # knowledge articles matching the mail (the acknowledgement's; may be [])
                   "articles": [{"title": "Tracking your order",
                                 "url": "https://help.example.com/kb/tracking-your-order"}]}

_env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined,
                            keep_trailing_newline=True)


class TemplateError(ValueError):
    """A template that does not compile or uses something it may not."""


def check_template(text: str) -> None:
    """Compile and try a template on sample values (TemplateError on any problem)."""
    render_template(text, TEMPLATE_FIELDS)


def render_template(text: str, values: Mapping[str, Any]) -> str:
    """Render a sandboxed template; unknown names are errors, not empty strings."""
    try:
        return _env.from_string(text).render(**values)
    except TemplateSyntaxError as e:
        raise TemplateError(f"template syntax error, line {e.lineno}: {e.message}") from e
    except UndefinedError as e:
        raise TemplateError(f"{e.message}; a template may use "
                            f"{', '.join(sorted(TEMPLATE_FIELDS))}") from e
    except SecurityError as e:
        raise TemplateError(f"not allowed in a template: {e}") from e


def reply_subject(subject: str | None) -> str:
    """"Re: " + the subject, unless it already starts with a reply prefix."""
    subject = (subject or "").strip()
    return subject if RE_PREFIX.match(subject) else f"Re: {subject}".rstrip()


@dataclass(frozen=True)
class Original:
    """What a reply needs of the message it answers."""

    message_id: str | None               # its Message-ID (no brackets), None if it had none
    references: Sequence[str]
    subject: str | None
    reply_to: str                         # where the answer goes


@dataclass(frozen=True)
class Outgoing:
    message_id: str                       # no brackets; the stored external_id
    sender: str
    recipients: tuple[str, ...]
    subject: str
    raw: bytes


def threading_headers(original: Original) -> tuple[str | None, str | None]:
    """(In-Reply-To, References) for an answer to ``original``."""
    if original.message_id is None:
        return None, None
    refs = [*original.references, original.message_id][-MAX_REFERENCES:]
    return f"<{original.message_id}>", " ".join(f"<{r}>" for r in refs)


def compose(*, original: Original, sender: str, sender_name: str | None, body: str,
            domain: str, subject: str | None = None, message_id: str | None = None,
            automatic: bool = False, now: float | None = None) -> Outgoing:
    """An answer to ``original`` from ``sender``. ``message_id`` (no brackets) is made
    unique when not given; ``automatic`` marks it Auto-Submitted (RFC 3834)."""
    msg = EmailMessage()
    local, _, host = sender.partition("@")
    msg["From"] = Address(display_name=sender_name or "", username=local, domain=host)
    msg["To"] = original.reply_to
    msg["Subject"] = subject if subject is not None else reply_subject(original.subject)
    msg["Date"] = format_datetime(datetime.fromtimestamp(now or time.time(), UTC))
    mid = message_id or make_msgid(idstring="ccengine", domain=domain)[1:-1]
    msg["Message-ID"] = f"<{mid}>"
    in_reply_to, references = threading_headers(original)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    if automatic:
        msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(body)
    return Outgoing(message_id=mid, sender=sender, recipients=(original.reply_to,),
                    subject=str(msg["Subject"]), raw=msg.as_bytes(policy=policy.SMTP))


def ack_message_id(inbound_external_id: str, domain: str) -> str:
    """The acknowledgement's Message-ID is derived from the message it acknowledges, so
    processing that message again after a crash stores (and sends) no second one."""
    digest = hashlib.sha256(inbound_external_id.encode()).hexdigest()[:24]
    return f"ack.{digest}@{domain}"
