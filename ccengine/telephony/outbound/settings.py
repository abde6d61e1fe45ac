"""The ``trunks:``, ``outbound:`` and ``callbacks:`` config sections, validated at load.

Every value that ends up in pjsip.conf or the dialplan is checked against a strict pattern
(no host names: the carrier is an IP address, so Asterisk sends no DNS queries), and every
problem raises ConfigError naming the config file and the key (``trunks[0].host``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from ccengine.config import ConfigError, ConfigSection, EngineConfig
from ccengine.telephony.outbound.numbers import (
    CATEGORIES,
    DEFAULT_ALLOW,
    FORMATS,
    PREFIX_CHARS,
    DialPolicy,
)

TRUNK_TYPES = ("registration", "ip")
CODECS = ("ulaw", "alaw", "gsm")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
_SIP_USER = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")
_SECRET = re.compile(r"^[!-:<-~]{1,128}$")     # printable, no space, no ';' (a comment)
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]{1,253}$")
_DID = re.compile(r"^\+?[0-9]{1,20}$")
_E164ISH = re.compile(r"^\+?[0-9]{3,20}$")
_CALLER_NAME = re.compile(r"^[A-Za-z0-9 ._'&-]{0,40}$")

# callbacks' IVR prompts: sound names; "{number}" is the number read digit by digit
DEFAULT_PROMPTS: dict[str, tuple[str, ...]] = {
    "offer": ("telephone-number", "{number}", "if-correct-press", "digits/pound",
              "vm-enter-num-to-call", "astcc-followed-by-the-pound-key"),
    "offer_no_number": ("vm-enter-num-to-call", "astcc-followed-by-the-pound-key"),
    "confirm": ("you-entered", "{number}", "if-correct-press", "digits/1"),
    "refused": ("cannot-complete-as-dialed",),
    "done": ("auth-thankyou", "goodbye"),
}


@dataclass(frozen=True)
class Trunk:
    """One carrier trunk: a PJSIP endpoint the engine dials through (never the dialplan)."""

    name: str
    type: str                      # registration | ip
    host: str                      # IP address
    port: int = 5060
    username: str | None = None
    password: str | None = None
    realm: str | None = None
    from_user: str | None = None
    from_domain: str | None = None
    contact_user: str | None = None
    expiration: int = 300
    retry_seconds: int = 30
    qualify_seconds: int = 0
    codecs: tuple[str, ...] = ("alaw", "ulaw")
    match: tuple[str, ...] = ()
    dids: Mapping[str, str] = field(default_factory=dict)   # inbound number -> service number

    @property
    def auth(self) -> bool:
        return self.username is not None and self.password is not None

    def endpoint(self, number: str) -> str:
        """The ARI/dial endpoint of ``number`` through this trunk."""
        return f"PJSIP/{number}@{self.name}"

    def template_entry(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "host": self.host, "port": self.port,
                "username": self.username, "password": self.password, "realm": self.realm,
                "from_user": self.from_user, "from_domain": self.from_domain,
                "contact_user": self.contact_user or self.username or self.name,
                "expiration": self.expiration, "retry_seconds": self.retry_seconds,
                "qualify_seconds": self.qualify_seconds, "codecs": list(self.codecs),
                "match": list(self.match), "auth": self.auth, "dids": dict(self.dids)}


@dataclass(frozen=True)
class OutboundSettings:
    trunk: Trunk
    policy: DialPolicy
    caller_id: str                 # the number presented to the called party
    caller_name: str = ""
    queue: str | None = None       # agents' own calls count here (wrap-up time, reports)
    ring_seconds: int = 30         # how long a called number may ring

    @property
    def caller_id_header(self) -> str:
        name = self.caller_name or self.caller_id
        return f'"{name}" <{self.caller_id}>'


@dataclass(frozen=True)
class CallbackSettings:
    attempts: int = 3              # calls to the customer before giving up
    interval_seconds: float = 300  # between a failed attempt and the next
    ring_seconds: int = 30         # how long the customer's phone may ring per attempt
    digit_timeout: float = 6.0     # IVR: seconds to wait for the next digit
    max_tries: int = 3             # IVR: times the caller may enter a number
    poll_seconds: float = 1.0      # how often due callback requests are looked for
    prompts: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_PROMPTS))


@dataclass(frozen=True)
class Settings:
    """Everything this part reads from the config; ``outbound`` None: not configured."""

    trunks: tuple[Trunk, ...] = ()
    outbound: OutboundSettings | None = None
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    callbacks_configured: bool = False


def load_settings(config: EngineConfig) -> Settings:
    """The part's settings from ``config.raw``; ConfigError on anything wrong."""
    raw = config.raw
    source = config.source
    # agents and supervisors are PJSIP endpoints too
    endpoints = {str(u.get("id")) for u in (*config.agents, *config.supervisors)}
    trunks = _trunks(raw.get("trunks"), source, endpoints, set(config.service_numbers))
    _no_extension_to_a_trunk(raw.get("ivr"), source, trunks)
    outbound = None
    if raw.get("outbound") is not None:
        outbound = _outbound(raw["outbound"], source, trunks, config)
    callbacks_doc = raw.get("callbacks")
    callbacks = _callbacks(callbacks_doc, source, Path(config.asterisk.sounds_dir),
                           check_sounds=outbound is not None)
    if callbacks_doc is not None and outbound is None:
        raise ConfigError(source, "callbacks", "callbacks dial the customer through a trunk: "
                                               "configure outbound: as well")
    return Settings(tuple(trunks), outbound, callbacks, callbacks_doc is not None)


def _trunks(doc: Any, source: str, endpoints: set[str], services: set[str]) -> list[Trunk]:
    if doc is None:
        return []
    if not isinstance(doc, list):
        raise ConfigError(source, "trunks", "must be a list of trunks")
    trunks: list[Trunk] = []
    names: set[str] = set()
    for i, item in enumerate(doc):
        trunk = _trunk(item, source, f"trunks[{i}]", services)
        if trunk.name in names or trunk.name in endpoints or trunk.name == "anonymous":
            raise ConfigError(source, f"trunks[{i}].name", f"{trunk.name!r} is already an "
                              "agent, a supervisor, 'anonymous' or another trunk")
        names.add(trunk.name)
        trunks.append(trunk)
    return trunks


def _no_extension_to_a_trunk(ivr: Any, source: str, trunks: list[Trunk]) -> None:
    """An IVR transfer's extension (``ivr.extensions``) may not dial through a trunk:
    callers would reach it without the dialling policy."""
    extensions = ivr.get("extensions") if isinstance(ivr, Mapping) else None
    if not isinstance(extensions, Mapping):
        return
    names = {t.name for t in trunks}
    for name, endpoint in extensions.items():
        rest = str(endpoint).partition("/")[2]
        reached = {rest.split("/", 1)[0].rsplit("@", 1)[-1], rest.split("/", 1)[0]}
        for trunk in sorted(reached & names):
            raise ConfigError(source, f"ivr.extensions.{name}",
                              f"{endpoint!r} dials through trunk {trunk!r}: callers would "
                              "reach it without the dialling policy (agents dial numbers "
                              "through the API or their phone; transfers through the API)")


def _trunk(item: Any, source: str, key: str, services: set[str]) -> Trunk:
    s = ConfigSection(item, source, key, {
        "name", "type", "host", "port", "username", "password", "realm", "from_user",
        "from_domain", "contact_user", "expiration", "retry_seconds", "qualify_seconds",
        "codecs", "match", "dids"})
    name = s.text("name", pattern=_NAME, required=True,
                  what="a name (a letter, then letters, digits, '-' or '_')")
    kind = s.text("type", required=True)
    if kind not in TRUNK_TYPES:
        raise s.error("type", f"must be one of {', '.join(TRUNK_TYPES)}, got {kind!r}")
    host = str(s.text("host", required=True))
    _ip(s, "host", host)
    username = s.text("username", pattern=_SIP_USER, what="a SIP user name")
    password = s.text("password", pattern=_SECRET,
                      what="a password of printable characters without spaces or ';'")
    if kind == "registration" and (username is None or password is None):
        raise s.error("username" if username is None else "password",
                      "is required for a registration trunk")
    if (username is None) != (password is None):
        raise s.error("password" if password is None else "username",
                      "username and password go together")
    codecs = s.strings("codecs", ("alaw", "ulaw"))
    for c in codecs:
        if c not in CODECS:
            raise s.error("codecs", f"unknown codec {c!r}; known: {', '.join(CODECS)}")
    if not codecs:
        raise s.error("codecs", "must name at least one codec")
    match = s.strings("match", [host])
    if not match:
        raise s.error("match", "must list at least one address the carrier calls from")
    for m in match:
        _match_entry(s, m)
    return Trunk(
        name=str(name), type=str(kind), host=host,
        port=s.port("port", 5060), username=username, password=password,
        realm=s.text("realm", pattern=_DOMAIN, what="a realm"),
        from_user=s.text("from_user", pattern=_SIP_USER, what="a SIP user name"),
        from_domain=s.text("from_domain", pattern=_DOMAIN, what="a domain"),
        contact_user=s.text("contact_user", pattern=_SIP_USER, what="a SIP user name"),
        expiration=s.integer("expiration", 300, minimum=60, maximum=86400),
        retry_seconds=s.integer("retry_seconds", 30, minimum=1, maximum=3600),
        qualify_seconds=s.integer("qualify_seconds", 0, minimum=0, maximum=3600),
        codecs=tuple(codecs), match=tuple(match), dids=_dids(s, services))


def _ip(s: ConfigSection, key: str, value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise s.error(key, f"{value!r} is not an IP address (host names are not used: "
                           "they would make Asterisk query DNS)") from None


def _match_entry(s: ConfigSection, entry: str) -> None:
    """``ip``, ``ip/prefix`` or ``ip:port`` (IPv4) — what the identify section matches."""
    address, _, mask = entry.partition("/")
    host, sep, port = address.rpartition(":") if address.count(":") == 1 else (address, "", "")
    if not sep:
        host = address
    try:
        ipaddress.ip_network(f"{host}/{mask}" if mask else host, strict=False)
    except ValueError:
        raise s.error("match", f"{entry!r} is not an IP address, network or "
                               "address:port") from None
    if sep and (not port.isdigit() or not 0 < int(port) < 65536):
        raise s.error("match", f"{entry!r}: {port!r} is not a port")


def _dids(s: ConfigSection, services: set[str]) -> dict[str, str]:
    doc = s.data.get("dids", {})
    if not isinstance(doc, Mapping):
        raise s.error("dids", "must map inbound numbers to service numbers")
    out = {}
    for did, service in doc.items():
        did, service = str(did), str(service)
        if not _DID.match(did):
            raise s.error(f"dids.{did}", "an inbound number is digits with an optional +")
        if service not in services:
            raise s.error(f"dids.{did}", f"{service!r} is not one of the service numbers "
                                         f"{sorted(services)}")
        out[did] = service
    return out


def _outbound(doc: Any, source: str, trunks: list[Trunk], config: EngineConfig
              ) -> OutboundSettings:
    s = ConfigSection(doc, source, "outbound", {
        "trunk", "caller_id", "caller_name", "region", "format", "prefix", "allow",
        "allow_prefixes", "deny_prefixes", "queue", "ring_seconds"})
    by_name = {t.name: t for t in trunks}
    trunk_name = s.text("trunk", required=True)
    if trunk_name not in by_name:
        raise s.error("trunk", f"no trunk {trunk_name!r} in trunks: "
                               f"({', '.join(sorted(by_name)) or 'none configured'})")
    caller_id = str(s.text("caller_id", pattern=_E164ISH, required=True,
                           what="a number (digits, optional leading +)"))
    region = str(s.text("region") or config.default_region).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise s.error("region", f"{region!r} is not a region code (e.g. GB, DE, US)")
    fmt = s.text("format") or "e164"
    if fmt not in FORMATS:
        raise s.error("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    prefix = s.text("prefix") or ""
    if not PREFIX_CHARS.match(prefix) or len(prefix) > 10:
        raise s.error("prefix", "up to 10 digits, '*' or '#'")
    allow = s.strings("allow", sorted(DEFAULT_ALLOW))
    for category in allow:
        if category not in CATEGORIES:
            raise s.error("allow", f"unknown destination type {category!r}; known: "
                                   f"{', '.join(sorted(CATEGORIES))}")
    prefixes = {}
    for key in ("allow_prefixes", "deny_prefixes"):
        prefixes[key] = tuple(s.strings(key))
        for p in prefixes[key]:
            if not re.match(r"^\+[0-9]{1,15}$", p):
                raise s.error(key, f"{p!r}: prefixes are E.164, starting with +")
    queue = s.text("queue")
    queue_names = {str(q.get("name")) for q in config.queues}
    if queue is not None and queue not in queue_names:
        raise s.error("queue", f"no queue {queue!r}; known: {sorted(queue_names)}")
    policy = DialPolicy(region=region, format=fmt, prefix=prefix, allow=frozenset(allow),
                        allow_prefixes=prefixes["allow_prefixes"],
                        deny_prefixes=prefixes["deny_prefixes"])
    return OutboundSettings(
        trunk=by_name[trunk_name], policy=policy, caller_id=caller_id,
        caller_name=str(s.text("caller_name", pattern=_CALLER_NAME,
                               what="up to 40 letters, digits, spaces or . _ ' & -") or ""),
        queue=queue, ring_seconds=s.integer("ring_seconds", 30, minimum=5, maximum=300))


def _callbacks(doc: Any, source: str, sounds_dir: Path, *, check_sounds: bool
               ) -> CallbackSettings:
    s = ConfigSection({} if doc is None else doc, source, "callbacks", {
        "attempts", "interval_seconds", "ring_seconds", "digit_timeout", "max_tries",
        "poll_seconds", "prompts"})
    prompts_doc = s.data.get("prompts", {})
    if not isinstance(prompts_doc, Mapping):
        raise s.error("prompts", f"must map {', '.join(DEFAULT_PROMPTS)} to sound lists")
    for name in prompts_doc:
        if name not in DEFAULT_PROMPTS:
            raise s.error(f"prompts.{name}", f"unknown prompt; known: "
                                             f"{', '.join(DEFAULT_PROMPTS)}")
    prompts = {name: _sounds(s, f"prompts.{name}", prompts_doc.get(name, list(default)),
                             sounds_dir if check_sounds or name in prompts_doc else None)
               for name, default in DEFAULT_PROMPTS.items()}
    return CallbackSettings(
        attempts=s.integer("attempts", 3, minimum=1, maximum=20),
        interval_seconds=s.number("interval_seconds", 300, minimum=1, maximum=7 * 86400),
        ring_seconds=s.integer("ring_seconds", 30, minimum=5, maximum=300),
        digit_timeout=s.number("digit_timeout", 6, minimum=1, maximum=60),
        max_tries=s.integer("max_tries", 3, minimum=1, maximum=10),
        poll_seconds=s.number("poll_seconds", 1, minimum=0.1, maximum=60),
        prompts=prompts)


def _sounds(s: ConfigSection, key: str, value: Any, sounds_dir: Path | None
            ) -> tuple[str, ...]:
    """A prompt: sound names (each must exist under ``sounds_dir`` when given)."""
    from ccengine.telephony.ivr.flow import SOUND_EXTENSIONS, sound_exists
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v
                                                           for v in value):
        raise s.error(key, "must be a sound name or a list of sound names")
    for sound in value:
        if sound != "{number}" and sounds_dir is not None \
                and not sound_exists(sounds_dir, sound):
            raise s.error(key, f"prompt {sound!r} not found under {sounds_dir}/en "
                               f"(extensions {', '.join(SOUND_EXTENSIONS)})")
    return tuple(value)


def template_trunks(config: EngineConfig) -> list[dict[str, Any]]:
    """The trunks as the Asterisk templates see them (validated)."""
    return [t.template_entry() for t in load_settings(config).trunks]
