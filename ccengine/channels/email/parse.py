"""Raw mail bytes -> what the engine needs of them, with the standard library's ``email``
package (policy.default). Parsing never raises: a message the engine cannot use gets a
``problem`` (the reason shown to the agent) and is still stored and queued."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from ccengine.store.errors import InvalidIdentity
from ccengine.store.identities import normalise_email

MSG_ID = re.compile(r"<([^<>\s]+)>")
MAX_BODY_CHARS = 200_000
MAX_SUBJECT_CHARS = 2_000
MAX_ID_LENGTH = 900  # the store's external_id holds 998; a longer "id" is not one
MAX_ADDRESS_LENGTH = 320
# header lines relays prepend on the way; left out of the synthetic id of a message without
# a Message-ID, so the same message delivered by two routes gets one id
TRACE_HEADERS = (b"received:", b"return-path:", b"delivered-to:", b"x-original-to:")


@dataclass(frozen=True)
class ParsedEmail:
    external_id: str                    # the Message-ID (no brackets) or "sha256:<hex>"
    message_id: str | None              # the Message-ID header's id, None if it had none
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    sender: str | None = None           # From address, normalised (lower-case)
    sender_name: str | None = None
    reply_to: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    body: str = ""
    date: float | None = None
    automatic: bool = False             # Auto-Submitted / Precedence: never auto-answer it
    report: bool = False                # multipart/report: maybe a delivery report (bounce)
    attachments: tuple[dict[str, Any], ...] = ()
    problem: str | None = None          # why the engine could not use it (None: it could)
    defects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The ids this message answers, nearest first (In-Reply-To, then References from
        the newest)."""
        seen: list[str] = []
        for i in (*self.in_reply_to, *reversed(self.references)):
            if i not in seen:
                seen.append(i)
        return tuple(seen)

    def meta(self) -> dict[str, Any]:
        """What the store keeps of it besides the columns (for threading and replies)."""
        return {"message_id": self.message_id, "in_reply_to": list(self.in_reply_to),
                "references": list(self.references), "reply_to": self.reply_to,
                "sender_name": self.sender_name, "cc": list(self.cc), "date": self.date,
                "automatic": self.automatic, "report": self.report,
                "attachments": list(self.attachments),
                "problem": self.problem, "defects": list(self.defects)}


def clean_text(text: str | None) -> str:
    """Text any store accepts: no NUL characters, no lone surrogates (from undecodable
    bytes)."""
    if not text:
        return ""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def msg_ids(value: str | None) -> tuple[str, ...]:
    """The message ids (without brackets) in a Message-ID/In-Reply-To/References value."""
    return tuple(MSG_ID.findall(value or ""))


def synthetic_id(raw: bytes) -> str:
    """A stable id for a message without a Message-ID: the hash of its bytes less the trace
    header lines relays add in front."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):  # a folded continuation of the previous header
            if not skipping:
                kept.append(line)
            continue
        skipping = line.lower().startswith(TRACE_HEADERS)
        if not skipping:
            kept.append(line)
    return "sha256:" + hashlib.sha256(b"".join(kept) + sep + body).hexdigest()


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw RFC 5322 bytes. Never raises; see ``ParsedEmail.problem``."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        return _parsed(raw, msg)  # type: ignore[arg-type]
    except Exception as e:  # a parser bug or a header it chokes on: keep it for a human
        return ParsedEmail(external_id=synthetic_id(raw), message_id=None,
                           problem=f"the message could not be parsed: {type(e).__name__}: {e}")


def _header(msg: EmailMessage, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header policy.default cannot even represent
        return None
    return None if value is None else str(value)


def _address(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    name, addr = parseaddr(value)
    name = clean_text(name)[:200] or None
    try:
        address = normalise_email(addr)
    except InvalidIdentity:
        return None, name
    return (address if len(address) <= MAX_ADDRESS_LENGTH else None), name


def _addresses(msg: EmailMessage, name: str) -> tuple[str, ...]:
    out: list[str] = []
    for _, addr in getaddresses([_header(msg, name) or ""]):
        try:
            out.append(normalise_email(addr))
        except InvalidIdentity:
            continue
    return tuple(out)


def _parsed(raw: bytes, msg: EmailMessage) -> ParsedEmail:
    defects = [type(d).__name__ for d in msg.defects]
    ids = [i for i in msg_ids(_header(msg, "Message-ID")) if len(i) <= MAX_ID_LENGTH]
    message_id = ids[0] if ids else None
    sender, sender_name = _address(_header(msg, "From"))
    reply_to, _ = _address(_header(msg, "Reply-To"))
    date = None
    if (text := _header(msg, "Date")) is not None:
        try:
            date = parsedate_to_datetime(text).timestamp()
        except (TypeError, ValueError):
            defects.append("InvalidDate")
    auto = (_header(msg, "Auto-Submitted") or "no").strip().lower()
    precedence = (_header(msg, "Precedence") or "").strip().lower()
    body, body_problem = _body(msg)
    problem = None
    if not msg.keys():
        problem = "no mail headers: this is not an email message"
    elif sender is None:
        problem = f"no usable sender address (From: {_header(msg, 'From')!r})"
    elif body_problem:
        problem = body_problem
    return ParsedEmail(
        external_id=message_id or synthetic_id(raw), message_id=message_id,
        in_reply_to=msg_ids(_header(msg, "In-Reply-To")),
        references=msg_ids(_header(msg, "References")),
        sender=sender, sender_name=sender_name, reply_to=reply_to,
        to=_addresses(msg, "To"), cc=_addresses(msg, "Cc"),
        subject=clean_text(_header(msg, "Subject")).strip()[:MAX_SUBJECT_CHARS],
        body=clean_text(body)[:MAX_BODY_CHARS],
        date=date, automatic=auto != "no" or precedence in ("bulk", "list", "junk"),
        report=msg.get_content_type() == "multipart/report",
        attachments=tuple(_attachments(msg)), problem=problem, defects=tuple(defects))


def _body(msg: EmailMessage) -> tuple[str, str | None]:
    """The text to show: text/plain if there is one, else text/html made plain."""
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except Exception as e:
        return "", f"the message structure could not be read: {e}"
    if part is None:
        return "", None  # nothing but attachments (or an empty message): still usable
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError) as e:
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if not text.strip():
            return "", f"the message text could not be decoded: {e}"
    if not isinstance(text, str):
        return "", "the message text is not text"
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.strip(), None


def _attachments(msg: EmailMessage) -> list[dict[str, Any]]:
    out = []
    try:
        for part in msg.iter_attachments():
            payload = part.get_payload(decode=True)
            out.append({"filename": clean_text(part.get_filename())[:255] or None,
                        "content_type": part.get_content_type(),
                        "size": len(payload) if isinstance(payload, bytes) else 0})
    except Exception:  # a broken MIME tree: the raw message is kept for a human
        return out
    return out


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML body (tags dropped, scripts and styles left out)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()
