"""Campaign mail: templates, signed unsubscribe links and the message itself (pure: no
I/O, no clock reads).

1. ``load_templates`` compiles a campaign step's subject, text and (optional) HTML
   templates once, at load, in jinja2's immutable sandbox with ``StrictUndefined``: a
   syntax error, an unknown name, an attribute starting with ``_`` or anything the
   sandbox refuses on sample values raises ``TemplateError`` naming the template and line.
2. ``render`` fills them in for one customer (``RenderError`` if that customer's data
   does not fit, e.g. an attribute the template needs is missing). Customer values are
   data: ``{{ name }}`` with a name of ``{{7*7}}`` prints ``{{7*7}}``; in the HTML part
   ``<script>`` prints ``&lt;script&gt;``.
3. ``unsubscribe_token`` / ``read_unsubscribe_token``: who unsubscribes from what, signed
   (HMAC-SHA256) so that nobody can unsubscribe someone else; ``unsubscribe_link`` makes
   the HTTPS link (``<base>/u/<token>``) and the optional mailto.
4. ``campaign_message`` builds the mail: From, To, Subject, Date, Message-ID, the text (and
   HTML) body, ``List-Unsubscribe`` with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
   (RFC 8058) and ``X-CCEngine-Campaign``, by which the engine matches replies and bounces
   (with the Message-ID it records). A header value from data with a line break or
   another control character raises ``HeaderError`` instead of going into the mail.

Typical use, per customer::

    token = unsubscribe_token(secret, customer_id, campaign_id, address)
    link = unsubscribe_link("https://cc.shop.test", token, "unsubscribe@shop.test")
    mail = render(templates, recipient, campaign="Spring sale", unsubscribe_url=link.url)
    msg = campaign_message(sender="news@shop.test", recipient=recipient, mail=mail,
                           campaign_id=campaign_id, unsubscribe=link,
                           domain="shop.test", now=now)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from ccengine.campaigns.bounces import CAMPAIGN_HEADER
from ccengine.store.errors import InvalidIdentity
from ccengine.store.identities import normalise_email

# what a template may use (docs: campaigns, "Templates"; template_values below)
CONTEXT = frozenset({"name", "email", "tier", "attributes", "campaign", "unsubscribe_url"})
MAX_RENDERED_CHARS = 1_000_000    # a rendered body longer than this is refused
MAX_SUBJECT_CHARS = 500
MAX_REPEAT = 100_000              # "x" * n and [..] * n in templates: at most this long
MAX_INT_BITS = 4096               # n * m and n ** m in templates: at most this large
ONE_CLICK = "List-Unsubscribe=One-Click"
# unsubscribe tokens: version byte + customer \0 campaign \0 address + 16-byte HMAC-SHA256
TOKEN_VERSION = b"1"
MAC_BYTES = 16
MIN_SECRET_BYTES = 16
MAX_TOKEN_ID_CHARS = 100          # customer and campaign ids in a token
MAX_ADDRESS_CHARS = 320
MAX_TOKEN_CHARS = 1024
_MAC_CONTEXT = b"ccengine-unsubscribe\x00"   # the secret signs nothing else alike
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")  # no CR/LF, no controls
_HEADER_TOKEN = re.compile(r"[!-~]{1,200}")   # printable ASCII without spaces
_URL = re.compile(r"https://[A-Za-z0-9._~:/?#\[\]@!$&'()*+;=%-]+")  # no spaces, <>",
_DOMAIN = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                     r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
_MAILTO_ADDRESS = re.compile(r"[a-z0-9._+-]{1,64}@[a-z0-9.-]{1,253}")
_MSG_ID = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}@[A-Za-z0-9.-]{1,253}")


class TemplateError(ValueError):
    """A template that does not load: ``name`` (e.g. ``campaigns.spring.subject``),
    ``line`` (None when not known) and ``message``."""

    def __init__(self, name: str, line: int | None, message: str) -> None:
        self.name, self.line, self.message = name, line, message
        where = f"{name}, line {line}" if line else name
        super().__init__(f"{where}: {message}")


class RenderError(TemplateError):
    """A template that loaded but cannot be filled in for one customer."""


class HeaderError(ValueError):
    """A header value (from data) that cannot safely go into a mail header."""


# ------------------------------------------------------------------ templates
class _Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, with ``*`` and ``**`` bounded: without the bound,
    ``{{ 9 ** 999999999 }}`` or ``{{ "x" * 10**10 }}`` would hang the engine or take its
    memory, even at load (jinja2 computes constant expressions when it compiles)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any,
                   right: Any) -> Any:
        if _too_big(operator, left, right):
            raise SecurityError(f"numbers above {MAX_INT_BITS} bits or texts and lists "
                                f"longer than {MAX_REPEAT} items")
        return super().call_binop(context, operator, left, right)


def _too_big(operator: str, left: Any, right: Any) -> bool:
    ints = all(isinstance(v, int) for v in (left, right))
    if operator == "**":
        return ints and right > 0 and abs(left).bit_length() * right > MAX_INT_BITS
    if ints:
        return abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS
    return any(isinstance(seq, (str, list, tuple)) and isinstance(n, int)
               and len(seq) * n > MAX_REPEAT for seq, n in ((left, right), (right, left)))


TEXT = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False)
HTML = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=True)


@dataclass(frozen=True)
class Recipient:
    """The customer a campaign mail goes to; ``attributes`` are their profile fields."""

    customer_id: str
    address: str
    name: str | None = None
    tier: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


SAMPLE = Recipient(customer_id="c-1", address="ann@example.org", name="Ann Smith",
                   tier="standard")


@dataclass(frozen=True)
class CampaignTemplates:
    name: str
    subject: jinja2.Template
    text: jinja2.Template
    html: jinja2.Template | None = None


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None = None


def load_templates(name: str, *, subject: Any, text: Any, html: Any = None
                   ) -> CampaignTemplates:
    """Compile and check a campaign mail's templates (TemplateError naming
    ``<name>.subject``, ``<name>.text`` or ``<name>.html`` and the line)."""
    templates = CampaignTemplates(
        name=name, subject=_compile(TEXT, f"{name}.subject", subject),
        text=_compile(TEXT, f"{name}.text", text),
        html=None if html is None else _compile(HTML, f"{name}.html", html))
    try:
        render(templates, SAMPLE, campaign="Sample campaign",
               unsubscribe_url="https://example.org/u/sample")
    except RenderError as e:
        # what the sandbox refuses, or a subject of several lines, is the template's
        # fault; other errors may come from the sample customer (no attributes) and are
        # left to the real customers
        if e.__cause__ is None or isinstance(e.__cause__, SecurityError):
            raise TemplateError(e.name, e.line, e.message) from e
    return templates


def _compile(env: _Sandbox, name: str, source: Any) -> jinja2.Template:
    if not isinstance(source, str):
        raise TemplateError(name, None, "must be text (a jinja2 template)")
    try:
        ast = env.parse(source)
        known = CONTEXT | set(env.globals)
        unknown = meta.find_undeclared_variables(ast) - known
        if unknown:
            uses = sorted((n.lineno, n.name) for n in ast.find_all(nodes.Name)
                          if n.name in unknown)
            line, first = uses[0] if uses else (None, min(unknown))
            raise TemplateError(name, line, f"unknown name {first!r}; a template may use "
                                            f"{sorted(CONTEXT)}")
        for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
            attr = node.attr if isinstance(node, nodes.Getattr) else \
                node.arg.value if isinstance(node.arg, nodes.Const) else None
            if isinstance(attr, str) and attr.startswith("_"):
                raise TemplateError(name, node.lineno, f"not allowed in a template: "
                                                       f"names starting with '_' ({attr!r})")
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(name, e.lineno, e.message or str(e)) from e


def template_values(recipient: Recipient, *, campaign: str, unsubscribe_url: str
                    ) -> dict[str, Any]:
    """What templates see: the customer's values as plain text, numbers, lists and
    mappings (nothing with methods of its own)."""
    return {"name": recipient.name or "", "email": recipient.address,
            "tier": recipient.tier or "", "attributes": _plain(recipient.attributes),
            "campaign": campaign, "unsubscribe_url": unsubscribe_url}


def _plain(value: Any, depth: int = 0) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth > 10:
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    return str(value)


def render(templates: CampaignTemplates, recipient: Recipient, *, campaign: str,
           unsubscribe_url: str) -> RenderedMail:
    """The mail for one customer (RenderError naming the template, and the line when
    known). The subject must come out as one line."""
    values = template_values(recipient, campaign=campaign, unsubscribe_url=unsubscribe_url)
    name = templates.name
    subject = _render(templates.subject, f"{name}.subject", values).strip()
    if _UNSAFE.search(subject):
        raise RenderError(f"{name}.subject", None, "the subject must be one line without "
                                                   "control characters")
    if len(subject) > MAX_SUBJECT_CHARS:
        raise RenderError(f"{name}.subject", None, f"the subject is longer than "
                                                   f"{MAX_SUBJECT_CHARS} characters")
    return RenderedMail(
        subject=subject, text=_render(templates.text, f"{name}.text", values),
        html=None if templates.html is None else _render(templates.html, f"{name}.html",
                                                         values))


def _render(template: jinja2.Template, name: str, values: Mapping[str, Any]) -> str:
    try:
        out = template.render(values)
    except SecurityError as e:
        raise RenderError(name, _template_line(e), f"not allowed in a template: {e}") from e
    except jinja2.TemplateError as e:
        raise RenderError(name, _template_line(e), e.message or str(e)) from e
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as e:
        raise RenderError(name, _template_line(e), f"{type(e).__name__}: {e}") from e
    if len(out) > MAX_RENDERED_CHARS:
        raise RenderError(name, None, f"longer than {MAX_RENDERED_CHARS} characters")
    return out


def _template_line(exc: BaseException) -> int | None:
    """The template line an error came from (jinja2 rewrites tracebacks to show it)."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# ------------------------------------------------------------------ unsubscribe tokens
def unsubscribe_token(secret: bytes, customer_id: str, campaign_id: str, address: str
                      ) -> str:
    """A URL-safe token naming who unsubscribes (customer, address) from which campaign,
    signed with ``secret`` (HMAC-SHA256, cut to 16 bytes). It does not expire. ValueError
    for a secret shorter than 16 bytes or a value that does not fit."""
    _check_secret(secret)
    fields = (_token_field("customer_id", customer_id, MAX_TOKEN_ID_CHARS),
              _token_field("campaign_id", campaign_id, MAX_TOKEN_ID_CHARS),
              _token_field("address", _email(address), MAX_ADDRESS_CHARS))
    payload = TOKEN_VERSION + b"\x00".join(f.encode() for f in fields)
    return _b64(payload + _mac(secret, payload))


def read_unsubscribe_token(secret: bytes, token: Any) -> tuple[str, str, str] | None:
    """(customer_id, campaign_id, address) of a token made with ``secret``; None for
    anything else (tampered, garbage, too long, another secret). Never raises on the
    token."""
    _check_secret(secret)
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS \
            or not _TOKEN.fullmatch(token):
        return None
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if _b64(data) != token:  # one token per signed value: no variant spellings
        return None
    payload, mac = data[:-MAC_BYTES], data[-MAC_BYTES:]
    if not payload or not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    if payload[:1] != TOKEN_VERSION:
        return None
    try:
        fields = payload[1:].decode("utf-8").split("\x00")
    except UnicodeDecodeError:
        return None
    if len(fields) != 3 or not all(fields):
        return None
    return fields[0], fields[1], fields[2]


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the unsubscribe secret must be at least {MIN_SECRET_BYTES} bytes")


def _token_field(name: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
        raise ValueError(f"{name} must be text of 1-{limit} characters without NUL")
    return value


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _MAC_CONTEXT + payload, hashlib.sha256).digest()[:MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _email(address: Any) -> str:
    try:
        return normalise_email(address if isinstance(address, str) else "")
    except InvalidIdentity as e:
        raise ValueError(f"not an email address: {address!r}") from e


@dataclass(frozen=True)
class UnsubscribeLink:
    token: str
    url: str                    # https://<base>/u/<token>
    mailto: str | None = None   # mailto:<address>?subject=unsubscribe%20<token>


def unsubscribe_link(base_url: str, token: str, mailto_address: str | None = None
                     ) -> UnsubscribeLink:
    """The link to ``token`` under ``base_url`` (the engine's public HTTPS address), and
    a mailto to ``mailto_address`` carrying the token in its subject. ValueError for a
    base URL that is not plain HTTPS or an address that is not one."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token) \
            or len(token) > MAX_TOKEN_CHARS:
        raise ValueError("not an unsubscribe token")
    url = f"{str(base_url).rstrip('/')}/u/{token}"
    if not _URL.fullmatch(url) or "," in url:
        raise ValueError(f"the unsubscribe base URL must be an https:// URL without "
                         f"spaces, commas, quotes or angle brackets, got {base_url!r}")
    mailto = None
    if mailto_address is not None:
        address = mailto_address.strip().lower() if isinstance(mailto_address, str) else ""
        if not _MAILTO_ADDRESS.fullmatch(address):
            raise ValueError(f"the unsubscribe address must be a plain address such as "
                             f"unsubscribe@shop.test, got {mailto_address!r}")
        mailto = f"mailto:{address}?subject=unsubscribe%20{token}"
    return UnsubscribeLink(token=token, url=url, mailto=mailto)


# ------------------------------------------------------------------ the message
class _Verbatim(str):
    """A header written as given, one given line per folded line. The stdlib would
    RFC 2047-encode a long URL, which readers of List-Unsubscribe do not decode."""

    name: str
    lines: tuple[str, ...]

    def __new__(cls, name: str, *lines: str) -> _Verbatim:
        obj = super().__new__(cls, " ".join(lines))
        obj.name, obj.lines = name, lines
        return obj

    def fold(self, *, policy: Policy) -> str:
        linesep = policy.linesep
        folded = f"{self.name}: " + f"{linesep} ".join(self.lines) + linesep
        if any(len(line) > 998 for line in folded.split(linesep)):
            raise HeaderError(f"{self.name} is longer than a mail header line may be")
        return folded


def campaign_message(*, sender: str, recipient: Recipient, mail: RenderedMail,
                     campaign_id: str, unsubscribe: UnsubscribeLink, domain: str,
                     now: float, sender_name: str | None = None, reply_to: str | None = None,
                     message_id: str | None = None) -> EmailMessage:
    """The campaign mail to ``recipient``. ``message_id`` (no brackets) is made up under
    ``domain`` when not given; ``now`` (Unix time) is its Date. HeaderError when a value
    cannot safely go into a header (a line break in the customer's name, ...)."""
    if not _DOMAIN.fullmatch(str(domain)):
        raise HeaderError(f"not a domain name: {domain!r}")
    mid = message_id if message_id is not None else \
        f"campaign.{secrets.token_hex(16)}@{domain}"
    if not isinstance(mid, str) or not _MSG_ID.fullmatch(mid):
        raise HeaderError(f"not a Message-ID (without brackets): {mid!r}")
    if not isinstance(campaign_id, str) or not _HEADER_TOKEN.fullmatch(campaign_id):
        raise HeaderError(f"campaign id {campaign_id!r}: must be 1-200 printable ASCII "
                          "characters without spaces")
    msg = EmailMessage()
    msg["From"] = _address("From", sender, sender_name)
    msg["To"] = _address("To", recipient.address, recipient.name)
    if reply_to is not None:
        msg["Reply-To"] = _address("Reply-To", reply_to, None)
    msg["Subject"] = _text("Subject", mail.subject)
    msg["Date"] = format_datetime(datetime.fromtimestamp(now, UTC))
    msg["Message-ID"] = f"<{mid}>"
    msg[CAMPAIGN_HEADER] = _Verbatim(CAMPAIGN_HEADER, campaign_id)
    links = [f"<{unsubscribe.url}>"] + ([f"<{unsubscribe.mailto}>"] if unsubscribe.mailto
                                        else [])
    for link in links:
        _text("List-Unsubscribe", link)
    msg["List-Unsubscribe"] = _Verbatim("List-Unsubscribe", *(
        [f"{link}," for link in links[:-1]] + links[-1:]))
    msg["List-Unsubscribe-Post"] = _Verbatim("List-Unsubscribe-Post", ONE_CLICK)
    msg.set_content(mail.text)
    if mail.html is not None:
        msg.add_alternative(mail.html, subtype="html")
    return msg


def _text(header: str, value: Any) -> str:
    if not isinstance(value, str) or _UNSAFE.search(value):
        raise HeaderError(f"{header}: {value!r} has a line break or control character")
    return value


def _address(header: str, address: str, name: str | None) -> Address:
    _text(header, address)
    display = _text(header, name or "").strip()
    try:
        return Address(display_name=display, addr_spec=_email(address))
    except Exception as e:  # not an address, or one the stdlib cannot write
        raise HeaderError(f"{header}: unusable address {address!r}: {e}") from e
