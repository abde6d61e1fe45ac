"""The ``email:`` config section, validated at load: every problem is a ConfigError naming
the config file and the dotted key (``email.mailboxes[0].imap.port``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccengine.config import ConfigSection
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.store.errors import InvalidIdentity
from ccengine.store.identities import normalise_email

SECURITY = ("none", "starttls", "tls")


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    tls: bool = True               # implicit TLS (IMAPS, port 993); false: plain IMAP
    verify_tls: bool = True
    folder: str = "INBOX"
    processed_folder: str | None = None  # move handled mail here; else flag it \Seen
    idle: bool = True              # IMAP IDLE when the server offers it
    idle_seconds: float = 600.0    # re-issue IDLE this often (servers drop it after 30 min)
    poll_seconds: float = 30.0     # without IDLE: look for new mail this often
    timeout: float = 30.0          # one IMAP command


@dataclass(frozen=True)
class Mailbox:
    name: str
    address: str                   # replies come from it; the SMTP listener accepts mail for it
    queue: str
    priority: int = 0
    display_name: str | None = None
    imap: ImapConfig | None = None


@dataclass(frozen=True)
class ListenerConfig:
    host: str = "127.0.0.1"
    port: int = 2525
    max_message_bytes: int = 25 * 1024 * 1024
    hostname: str = "ccengine"


@dataclass(frozen=True)
class RelayConfig:
    host: str
    port: int
    security: str = "starttls"     # none | starttls | tls
    verify_tls: bool = True
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class AutoAckConfig:
    subject: str                   # jinja2 templates (sandboxed)
    body: str


@dataclass(frozen=True)
class Backoff:
    first_seconds: float
    max_seconds: float

    def after(self, attempts: int) -> float:
        """The wait after ``attempts`` failures in a row (1, 2, ...): doubling, capped."""
        return min(self.max_seconds, self.first_seconds * 2 ** max(0, attempts - 1))


@dataclass(frozen=True)
class EmailConfig:
    mailboxes: tuple[Mailbox, ...]
    relay: RelayConfig
    listener: ListenerConfig | None = None
    auto_ack: AutoAckConfig | None = None
    domain: str = "localhost"      # right-hand side of our Message-IDs
    send_retry: Backoff = Backoff(5.0, 600.0)
    reconnect: Backoff = Backoff(1.0, 60.0)

    def mailbox(self, name: str | None) -> Mailbox:
        """The mailbox called ``name`` (the first one if there is none by that name)."""
        for m in self.mailboxes:
            if m.name == name:
                return m
        return self.mailboxes[0]

    def mailbox_for(self, address: str) -> Mailbox | None:
        """The mailbox whose address is ``address`` (case-insensitive), or None."""
        wanted = address.strip().lower()
        for m in self.mailboxes:
            if m.address == wanted:
                return m
        return None


class _Section(ConfigSection):
    """The email section's reads: the shared typed reads plus addresses and secrets."""

    def address(self, key: str) -> str:
        value = self.text(key, required=True)
        assert value is not None
        try:
            return normalise_email(value)
        except InvalidIdentity as e:
            raise self.error(key, f"{value!r} is not an email address") from e

    def secret(self, key: str, file_key: str) -> str | None:
        """A password given inline or read from a file (``password_file``)."""
        if key in self.data and file_key in self.data:
            raise self.error(file_key, f"give {key} or {file_key}, not both")
        path = self.text(file_key)
        if path is None:
            return self.text(key)
        try:
            return Path(path).read_text().strip()
        except OSError as e:
            raise self.error(file_key, f"cannot read {path}: {e.strerror}") from e


def parse_email_config(raw: Any, source: str,
                       queues: Mapping[str, QueueConfig]) -> EmailConfig | None:
    """The validated ``email:`` section, or None when it is absent or empty."""
    if raw is None or raw == {}:
        return None
    top = _Section(raw, source, "email", {"mailboxes", "relay", "listener", "auto_ack",
                                          "domain", "send_retry", "reconnect"})
    boxes = raw.get("mailboxes")
    if not isinstance(boxes, list) or not boxes:
        raise top.error("mailboxes", "must be a non-empty list of mailboxes")
    mailboxes = tuple(_mailbox(top, i, b, queues) for i, b in enumerate(boxes))
    seen: set[tuple[str, str]] = set()
    for i, m in enumerate(mailboxes):
        for kind, value in (("name", m.name), ("address", m.address)):
            if (kind, value) in seen:
                raise top.error(f"mailboxes[{i}].{kind}", f"{value!r} is used twice")
            seen.add((kind, value))
    if "relay" not in raw:
        raise top.error("relay", "is required: replies and acknowledgements go out through "
                                 "this SMTP server")
    relay = _relay(top.section("relay", {"host", "port", "security", "verify_tls", "user",
                                         "password", "password_file", "timeout"}))
    listener = None
    if raw.get("listener") is not None:
        s = top.section("listener", {"host", "port", "max_message_bytes", "hostname"})
        listener = ListenerConfig(
            host=s.text("host", "127.0.0.1") or "127.0.0.1", port=s.port("port", 2525),
            max_message_bytes=s.integer("max_message_bytes", 25 * 1024 * 1024,
                                        minimum=1024, maximum=1024 ** 3),
            hostname=s.text("hostname", "ccengine") or "ccengine")
    auto_ack = None
    if raw.get("auto_ack") is not None:
        auto_ack = _auto_ack(top.section("auto_ack", {"enabled", "subject", "body"}))
    domain = top.text("domain") or mailboxes[0].address.partition("@")[2]
    return EmailConfig(mailboxes=mailboxes, relay=relay, listener=listener,
                       auto_ack=auto_ack, domain=domain,
                       send_retry=_backoff(top, "send_retry", Backoff(5.0, 600.0)),
                       reconnect=_backoff(top, "reconnect", Backoff(1.0, 60.0)))


def _mailbox(top: _Section, i: int, data: Any, queues: Mapping[str, QueueConfig]) -> Mailbox:
    s = _Section(data, top.source, f"email.mailboxes[{i}]",
                 {"name", "address", "queue", "priority", "display_name", "imap"})
    queue = s.text("queue", required=True)
    assert queue is not None
    if queue not in queues:
        raise s.error("queue", f"no queue {queue!r} (known: {', '.join(sorted(queues))})")
    if Medium.EMAIL not in queues[queue].media:
        raise s.error("queue", f"queue {queue!r} does not take email (its media: "
                               f"{', '.join(sorted(m.value for m in queues[queue].media))})")
    address = s.address("address")
    imap = None
    if data.get("imap") is not None:
        imap = _imap(s.section("imap", {"host", "port", "tls", "verify_tls", "user",
                                        "password", "password_file", "folder",
                                        "processed_folder", "idle", "idle_seconds",
                                        "poll_seconds", "timeout"}))
    return Mailbox(name=s.text("name", address.partition("@")[0]) or address, address=address,
                   queue=queue, priority=s.integer("priority", 0, minimum=-1000, maximum=1000),
                   display_name=s.text("display_name"), imap=imap)


def _imap(s: _Section) -> ImapConfig:
    tls = s.flag("tls", True)
    password = s.secret("password", "password_file")
    if password is None:
        raise s.error("password", "is required (or password_file)")
    folder = s.text("folder", "INBOX") or "INBOX"
    processed = s.text("processed_folder")
    if processed == folder:
        raise s.error("processed_folder", "must differ from folder")
    return ImapConfig(host=s.text("host", required=True) or "", port=s.port(
                          "port", 993 if tls else 143),
                      user=s.text("user", required=True) or "", password=password, tls=tls,
                      verify_tls=s.flag("verify_tls", True), folder=folder,
                      processed_folder=processed, idle=s.flag("idle", True),
                      idle_seconds=s.number("idle_seconds", 600.0, minimum=1.0),
                      poll_seconds=s.number("poll_seconds", 30.0, minimum=0.1),
                      timeout=s.number("timeout", 30.0, minimum=1.0))


def _relay(s: _Section) -> RelayConfig:
    security = s.text("security", "starttls") or "starttls"
    if security not in SECURITY:
        raise s.error("security", f"must be one of {', '.join(SECURITY)}, got {security!r}")
    default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
    user = s.text("user")
    password = s.secret("password", "password_file")
    if (user is None) != (password is None):
        raise s.error("user" if user is None else "password", "user and password go together")
    return RelayConfig(host=s.text("host", required=True) or "",
                       port=s.port("port", default_port), security=security,
                       verify_tls=s.flag("verify_tls", True), user=user, password=password,
                       timeout=s.number("timeout", 30.0, minimum=1.0))


def _auto_ack(s: _Section) -> AutoAckConfig | None:
    from ccengine.channels.email.compose import TemplateError, check_template
    if not s.flag("enabled", True):
        return None
    subject = s.text("subject", "Re: {{ subject }}") or ""
    body = s.text("body", required=True) or ""
    for key, text in (("subject", subject), ("body", body)):
        try:
            check_template(text)
        except TemplateError as e:
            raise s.error(key, str(e)) from e
    return AutoAckConfig(subject=subject, body=body)


def _backoff(top: _Section, key: str, default: Backoff) -> Backoff:
    if top.data.get(key) is None:
        return default
    s = top.section(key, {"first_seconds", "max_seconds"})
    first = s.number("first_seconds", default.first_seconds, minimum=0.01)
    most = s.number("max_seconds", max(first, default.max_seconds), minimum=0.01)
    if most < first:
        raise s.error("max_seconds", "must be at least first_seconds")
    return Backoff(first, most)
