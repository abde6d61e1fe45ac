"""Bounces of campaign mail: reading delivery status notifications (DSNs, RFC 3464 in a
multipart/report, RFC 3462/6522) and deciding when an address is suppressed (pure: no
I/O, no clock reads).

``read_dsn(raw)`` reads a DSN: per recipient its Final-Recipient, Original-Recipient,
Action, Status and Diagnostic-Code; the report's Reporting-MTA and Original-Envelope-Id;
and, from the returned headers, the bounced mail's Message-ID and campaign header, which
is how the engine finds the campaign mail that bounced. Anything that is not a DSN (a
customer's mail, an out-of-office reply, a read receipt) gives None. It never raises:
bounces come from anywhere and some are broken.

Each recipient's report is one of three classes (``classify``):

- ``permanent``: Action ``failed`` with a 5.x.x status (no such user, domain gone);
- ``temporary``: a 4.x.x status or Action ``delayed`` (mailbox full, server down);
- ``other``: anything else (delivered, relayed, expanded, or too broken to tell). A report
  without ``Action: failed`` is never taken as permanent.

``suppression(history, settings)`` decides from an address's bounce history: one
permanent failure suppresses it at once; ``soft_bounce_limit`` temporary failures (of
different messages) within ``soft_bounce_days`` suppress it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser, Parser
from email.utils import parseaddr
from enum import StrEnum
from typing import Any

from ccengine.channels.email.parse import MAX_ADDRESS_LENGTH, MAX_ID_LENGTH, clean_text, msg_ids
from ccengine.core.validate import Fields
from ccengine.store.errors import InvalidIdentity
from ccengine.store.identities import normalise_email

ACTIONS = ("failed", "delayed", "delivered", "relayed", "expanded")
STATUS_PARTS = ("message/delivery-status", "message/global-delivery-status")
RETURNED_PARTS = ("text/rfc822-headers", "message/rfc822", "message/global",
                  "message/global-headers")
CAMPAIGN_HEADER = "X-CCEngine-Campaign"   # set on campaign mail (mailing.py)
MAX_RECIPIENTS = 1000                     # a report naming more is read up to this many
MAX_FIELD_CHARS = 1000                    # diagnostics and MTA names are cut to this
DAY = 86400.0

_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_ADDRESS_TYPE = re.compile(r"^\s*([A-Za-z0-9-]+)\s*;(.*)$", re.DOTALL)
_UNITEXT = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
_BLANK_LINE = re.compile(r"\r?\n[ \t]*\r?\n")


class BounceClass(StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    OTHER = "other"


def classify(action: str | None, status: str | None) -> BounceClass:
    """The class of one recipient's report (see the module's docstring)."""
    if action in ("delivered", "relayed", "expanded"):
        return BounceClass.OTHER
    if action == "failed" and status is not None and status.startswith("5."):
        return BounceClass.PERMANENT
    if action == "delayed" or (status is not None and status.startswith("4.")):
        return BounceClass.TEMPORARY
    return BounceClass.OTHER


@dataclass(frozen=True)
class DsnRecipient:
    """One recipient's report. Addresses are lower-case, without the ``rfc822;`` type;
    a field that is missing or unreadable is None."""

    final_recipient: str | None
    original_recipient: str | None = None
    action: str | None = None           # one of ACTIONS
    status: str | None = None           # "5.1.1" (from Diagnostic-Code when Status lacks it)
    diagnostic_code: str | None = None  # the remote server's words, type dropped
    remote_mta: str | None = None

    @property
    def bounce_class(self) -> BounceClass:
        return classify(self.action, self.status)


@dataclass(frozen=True)
class Bounce:
    """One entry of an address's bounce history (``at``: Unix time of the report)."""

    at: float
    bounce_class: BounceClass
    message_id: str | None = None       # the bounced mail; reports of one mail count once
    status: str | None = None


@dataclass(frozen=True)
class Dsn:
    recipients: tuple[DsnRecipient, ...]
    original_message_id: str | None = None   # the bounced mail's Message-ID, no brackets
    original_campaign: str | None = None     # its X-CCEngine-Campaign header
    original_envelope_id: str | None = None  # the ENVID given when it was sent
    reporting_mta: str | None = None

    def bounces(self, at: float) -> tuple[tuple[str, Bounce], ...]:
        """(address, Bounce) for each recipient with an address whose report is a
        permanent or temporary failure: what the engine adds to bounce histories."""
        return tuple((r.final_recipient, Bounce(at, r.bounce_class, self.original_message_id,
                                                r.status))
                     for r in self.recipients
                     if r.final_recipient is not None
                     and r.bounce_class is not BounceClass.OTHER)


# ------------------------------------------------------------------ reading
def read_dsn(raw: bytes) -> Dsn | None:
    """The DSN in ``raw`` (RFC 5322 bytes), or None if it is not one. Never raises."""
    try:
        return _read(raw)
    except Exception:  # a parser bug on hostile input: not a report we can use
        return None


def _read(raw: bytes) -> Dsn | None:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if msg.get_content_type() != "multipart/report" or not msg.is_multipart():
        return None
    parts = [p for p in msg.iter_parts() if isinstance(p, Message)]
    status = next((p for p in parts if p.get_content_type() in STATUS_PARTS), None)
    if status is None:
        return None  # a read receipt (disposition-notification) or another report
    per_message: dict[str, str] = {}
    recipients: list[DsnRecipient] = []
    for block in _field_blocks(status):
        for key in ("reporting-mta", "original-envelope-id"):  # even if run together
            if key in block:                                  # with a recipient's
                per_message.setdefault(key, block[key])
        if "final-recipient" in block or "action" in block or "status" in block:
            if len(recipients) < MAX_RECIPIENTS:
                recipients.append(_recipient(block))
    returned = next((p for p in parts if p.get_content_type() in RETURNED_PARTS), None)
    headers = _returned_headers(returned) if returned is not None else {}
    ids = [i for i in msg_ids(headers.get("message-id")) if len(i) <= MAX_ID_LENGTH]
    return Dsn(recipients=tuple(recipients),
               original_message_id=ids[0] if ids else None,
               original_campaign=_text(headers.get(CAMPAIGN_HEADER.lower()), 200),
               original_envelope_id=_text(per_message.get("original-envelope-id"),
                                          MAX_ID_LENGTH),
               reporting_mta=_typed(per_message.get("reporting-mta")))


def _field_blocks(part: Message) -> list[dict[str, str]]:
    """The report's field blocks (per-message, then per-recipient), names lower-case."""
    payload = part.get_payload()
    if isinstance(payload, list):
        # message/delivery-status: the parser made each block a header-only message;
        # other message/* types give one message whose body holds the other blocks
        blocks = []
        for sub in payload:
            if isinstance(sub, Message):
                blocks.append(_fields(sub))
                body = None if sub.is_multipart() else sub.get_payload(decode=True)
                if isinstance(body, bytes) and body.strip():
                    blocks.extend(_text_blocks(body.decode("utf-8", "replace")))
        return blocks
    data = part.get_payload(decode=True)
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(payload)
    return _text_blocks(text)


def _text_blocks(text: str) -> list[dict[str, str]]:
    parser = Parser(policy=policy.default)
    return [_fields(parser.parsestr(block.strip("\r\n") + "\n", headersonly=True))
            for block in _BLANK_LINE.split(text) if block.strip()]


def _fields(msg: Message) -> dict[str, str]:
    """A block's fields (first of each name), unfolded, white space collapsed. Values
    are read raw: report fields are not RFC 2047-encoded, and global (RFC 6533) reports
    carry UTF-8 as is."""
    out: dict[str, str] = {}
    for name, value in msg.raw_items():
        key = name.strip().lower()
        if key not in out and isinstance(value, str):
            text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            out[key] = " ".join(clean_text(text).split())
    return out


def _recipient(block: Mapping[str, str]) -> DsnRecipient:
    action_words = block.get("action", "").lower().split()
    action = action_words[0] if action_words and action_words[0] in ACTIONS else None
    diagnostic = block.get("diagnostic-code") or block.get("x-exim-diagnostic")
    status = _status(block.get("status")) or _status(diagnostic)
    return DsnRecipient(final_recipient=_address(block.get("final-recipient")),
                        original_recipient=_address(block.get("original-recipient")),
                        action=action, status=status,
                        diagnostic_code=_typed(diagnostic),
                        remote_mta=_typed(block.get("remote-mta")))


def _status(text: str | None) -> str | None:
    match = _STATUS.search(text or "")
    return ".".join(match.groups()) if match else None


def _typed(value: str | None) -> str | None:
    """A field's value without its type (``dns; mx.example`` -> ``mx.example``)."""
    if value is None:
        return None
    match = _ADDRESS_TYPE.match(value)
    return _text(match.group(2) if match else value, MAX_FIELD_CHARS)


def _address(value: str | None) -> str | None:
    """An address-type field's address (``rfc822; Ann@Example.org`` -> ann@example.org);
    None if there is none."""
    text = _typed(value)
    if not text:
        return None
    if value is not None and value.strip().lower().startswith("utf-8"):
        text = _UNITEXT.sub(_unitext_char, text)
    _, addr = parseaddr(text)
    try:
        address = normalise_email(addr or text.strip("<> "))
    except InvalidIdentity:
        return None
    return address if len(address) <= MAX_ADDRESS_LENGTH else None


def _unitext_char(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return chr(code) if 0x80 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF \
        else match.group(0)


def _returned_headers(part: Message) -> dict[str, str]:
    """The returned message's header fields (a text/rfc822-headers part or the message)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return _fields(payload[0]) if payload and isinstance(payload[0], Message) else {}
    data = part.get_payload(decode=True)
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(payload)
    head = _BLANK_LINE.split(text, maxsplit=1)[0]
    return _fields(Parser(policy=policy.default).parsestr(head + "\n", headersonly=True))


def _text(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


# ------------------------------------------------------------------ suppression
@dataclass(frozen=True)
class SuppressionSettings:
    soft_bounce_limit: int = 3       # temporary failures (of different mails) ...
    soft_bounce_days: float = 7.0    # ... within this many days suppress the address

    FIELDS = frozenset({"soft_bounce_limit", "soft_bounce_days"})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> SuppressionSettings:
        """The ``bounces:`` block; errors name ``where`` and the key."""
        f = Fields(data, where, set(cls.FIELDS))
        days = f.number("soft_bounce_days", 7.0)
        if days <= 0:
            raise f.error("soft_bounce_days", "must be a number of days above 0")
        return cls(soft_bounce_limit=f.integer("soft_bounce_limit", 3, minimum=1),
                   soft_bounce_days=days)


@dataclass(frozen=True)
class Suppression:
    suppress: bool
    reason: str                          # for people: why (or why not)
    bounce_class: BounceClass | None = None   # the kind of failure that decided it
    at: float | None = None              # when the deciding bounce came


def suppression(history: Iterable[Bounce],
                settings: SuppressionSettings = SuppressionSettings()) -> Suppression:
    """Whether an address with this bounce history gets no more campaign mail, and why.

    A permanent failure suppresses at once. Temporary failures suppress when
    ``soft_bounce_limit`` of them, each about a different mail (a delay warning and the
    final failure of one mail count once), came within any ``soft_bounce_days``."""
    events = sorted(history, key=lambda b: b.at)
    for b in events:
        if b.bounce_class is BounceClass.PERMANENT:
            return Suppression(True, f"permanent failure{_of(b)} on {_when(b.at)}",
                               BounceClass.PERMANENT, b.at)
    seen: set[str] = set()
    temporary: list[Bounce] = []
    for b in events:
        if b.bounce_class is BounceClass.TEMPORARY:
            if b.message_id is not None:
                if b.message_id in seen:
                    continue
                seen.add(b.message_id)
            temporary.append(b)
    window, limit = settings.soft_bounce_days * DAY, settings.soft_bounce_limit
    first = 0
    for last, b in enumerate(temporary):
        while b.at - temporary[first].at > window:
            first += 1
        if last - first + 1 >= limit:
            return Suppression(True, f"{limit} temporary failures within "
                                     f"{settings.soft_bounce_days:g} days, the last"
                                     f"{_of(b)} on {_when(b.at)}",
                               BounceClass.TEMPORARY, b.at)
    return Suppression(False, f"{len(temporary)} temporary failure(s), none permanent; "
                              f"{limit} within {settings.soft_bounce_days:g} days suppress")


def _of(b: Bounce) -> str:
    return f" ({b.status})" if b.status else ""


def _when(at: float) -> str:
    try:
        return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return f"Unix time {at}"

