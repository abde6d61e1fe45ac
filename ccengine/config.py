"""The one engine config loader: embedded defaults < YAML file < environment < CLI overrides.

The result is frozen at start. Anything missing or wrong fails at once with a
:class:`ConfigError` naming the file, the line (when known), the key and what is wrong.
"""

from __future__ import annotations

import copy
import math
import os
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ccengine.core.errors import ConfigError

__all__ = ["ConfigError", "ConfigSection", "EngineConfig", "MetricsSettings", "SessionSettings",
           "SignInLimit", "load_config", "locate"]

ENV_PREFIX = "CCENGINE__"
# top-level sections that channels and features beyond voice read (and validate) themselves
# from ``EngineConfig.raw``
SECTIONS_OF_PARTS = frozenset({"email", "chat", "callbacks", "trunks", "recording",
                               "supervision", "waiting", "outbound", "dispositions",
                               "webrtc", "not_ready_reasons", "canned_responses",
                               "sip_security", "overload", "reporting", "intents",
                               "next_best_action", "campaigns"})
EVENT_LOOPS = ("uvloop", "asyncio")  # the loops ``ccengine run`` can run on (event_loop)


@dataclass(frozen=True)
class AsteriskConfig:
    """How to run the project-private Asterisk (every port is configurable)."""

    binary: str
    modules_dir: str
    sounds_dir: str
    moh_dir: str
    bind: str            # SIP and RTP
    control_bind: str    # ARI (http) and AMI: loopback unless the engine runs elsewhere
    sip_port: int        # the public port: callers and carriers
    http_port: int
    ami_port: int
    rtp_start: int
    rtp_end: int
    app: str
    manage: bool
    # the admin's own pjsip_custom.conf and extensions_custom.conf, included as they are
    custom_dir: str | None = None
    phone_sip_port: int = 5062  # agents' and supervisors' SIP phones register here
    # a caller's or carrier's call that sends no audio this long is hung up (0: never)
    media_timeout: int = 120


@dataclass(frozen=True)
class ApiConfig:
    host: str
    port: int
    # where customers reach the engine's public pages (knowledge articles) through your web
    # proxy, for links sent to them; None: http://<host>:<port>
    public_url: str | None = None

    @property
    def public_base(self) -> str:
        """The base of links sent to customers (no trailing slash)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


@dataclass(frozen=True)
class SignInLimit:
    """Failed sign-ins allowed within ``window_seconds`` before further attempts get 429."""

    per_user: int = 5
    per_address: int = 20
    window_seconds: int = 300


@dataclass(frozen=True)
class SessionSettings:
    """Sign-in sessions of the web pages (``sessions:``; docs/admins.md "Signing in")."""

    idle_minutes: int = 480        # a session unused this long ends
    max_hours: int = 12            # every session ends this long after sign-in
    secure_cookie: bool = False    # the cookie is sent over https only
    signin_limit: SignInLimit = field(default_factory=SignInLimit)


@dataclass(frozen=True)
class MetricsSettings:
    """``GET /metrics`` (``metrics:``; docs/metrics.md): served to a loopback peer without a
    token; from any other address with ``Authorization: Bearer <token>`` (this token, or an
    admin's or a supervisor's API token). None: loopback and those API tokens only."""

    token: str | None = None


@dataclass(frozen=True)
class EngineConfig:
    """The whole engine configuration, frozen."""

    source: str
    runtime_dir: Path
    store_url: str
    state_backend: str
    redis_url: str
    redis_prefix: str
    default_region: str
    service_numbers: tuple[str, ...]
    ivr_dir: Path
    ivr_entry: str
    offer_timeout: float
    api: ApiConfig
    asterisk: AsteriskConfig
    agents: tuple[Mapping[str, Any], ...]
    queues: tuple[Mapping[str, Any], ...]
    supervisors: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # service number -> IVR flow (ivr.numbers; each is also a service number)
    ivr_numbers: Mapping[str, str] = field(default_factory=dict)
    ivr_sounds_dir: Path | None = None   # the admin's prompts: <dir>/<language>/NAME
    event_loop: str = "uvloop"           # the loop `ccengine run` runs on: uvloop or asyncio
    sessions: SessionSettings = field(default_factory=SessionSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    # reporting.queue_log: the app_queue-format queue log (docs/queue_log.md); None: off
    queue_log: Path | None = None


# ---------------------------------------------------------------------------- loading


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that remembers the line of every mapping key."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    mapping["__lines__"] = lines
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def load_yaml_with_lines(text: str, source: str) -> Any:
    """Parse YAML, keeping key line numbers under ``__lines__``; errors name the file."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError(where, "(document)", f"invalid YAML: {getattr(e, 'problem', e)}") from e


def strip_lines(value: Any) -> Any:
    """Remove the ``__lines__`` bookkeeping from a parsed document."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__lines__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(dict(out[k]), v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _set_path(doc: dict[str, Any], dotted: str, raw: str) -> None:
    parts = [p for p in dotted.lower().split(".") if p]
    node = doc
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError("override", dotted, "is not a section")
    node[parts[-1]] = yaml.safe_load(raw) if raw != "" else ""


def defaults_text() -> str:
    return resources.files("ccengine").joinpath("defaults.yaml").read_text()


def load_config(
    path: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Sequence[str] = (),
) -> EngineConfig:
    """Load the engine config: defaults < file < env (CCENGINE__A__B=v) < ``key.sub=value``."""
    doc = strip_lines(load_yaml_with_lines(defaults_text(), "ccengine/defaults.yaml"))
    source = "embedded defaults"
    lines: dict[str, int] = {}
    base_dir = Path.cwd()
    if path is not None:
        p = Path(path)
        try:
            text = p.read_text()
        except OSError as e:
            raise ConfigError(str(p), "(file)", f"cannot read: {e.strerror}") from e
        parsed = load_yaml_with_lines(text, str(p))
        if parsed is None:
            parsed = {"__lines__": {}}
        if not isinstance(parsed, dict):
            raise ConfigError(str(p), "(document)", "must be a mapping of sections")
        lines = parsed.get("__lines__", {})
        doc = _deep_merge(doc, strip_lines(parsed))
        source = str(p)
        base_dir = p.resolve().parent
    for name, value in (os.environ if env is None else env).items():
        if name.startswith(ENV_PREFIX):
            _set_path(doc, name[len(ENV_PREFIX) :].replace("__", "."), value)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError("command line", item, "an override must look like key.sub=value")
        _set_path(doc, key, value)
    return _build(doc, source, lines, base_dir)


class _Reader:
    """Typed access to one section, raising ConfigError with file:line and dotted key."""

    def __init__(self, data: Mapping[str, Any], prefix: str, source: str,
                 lines: Mapping[str, int]) -> None:
        self.data, self.prefix, self.source, self.lines = data, prefix, source, lines

    def where(self, key: str) -> str:
        top = (self.prefix.split(".")[0] if self.prefix else key)
        line = self.lines.get(top)
        return f"{self.source}:{line}" if line else self.source

    def key(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in self.data:
            raise ConfigError(self.where(key), self.key(key), "is required")
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else "/".join(t.__name__ for t in kind)
            raise ConfigError(self.where(key), self.key(key),
                              f"must be {names}, got {type(value).__name__} {value!r}")
        return value

    def port(self, key: str) -> int:
        value = self.get(key, int)
        if not 0 < value < 65536:
            raise ConfigError(self.where(key), self.key(key), f"{value} is not a TCP/UDP port")
        return value

    def section(self, key: str) -> _Reader:
        return _Reader(self.get(key, dict), self.key(key), self.source, self.lines)

    def unknown(self, known: set[str]) -> None:
        for k in self.data:
            if k not in known:
                raise ConfigError(self.where(k), self.key(k), "unknown key")


def _items(r: _Reader, key: str) -> tuple[Mapping[str, Any], ...]:
    value = r.get(key, list)
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ConfigError(r.where(key), f"{key}[{i}]", "must be a mapping")
    return tuple(value)


def _build(doc: Mapping[str, Any], source: str, lines: Mapping[str, int],
           base_dir: Path) -> EngineConfig:
    r = _Reader(doc, "", source, lines)
    r.unknown({"runtime_dir", "store", "state", "default_region", "service_numbers", "ivr",
               "offer_timeout", "event_loop", "api", "asterisk", "agents", "queues",
               "supervisors", "sessions", "metrics", *SECTIONS_OF_PARTS})
    runtime_dir = (base_dir / r.get("runtime_dir", str)).resolve()
    store = r.section("store")
    store.unknown({"url"})
    store_url = store.get("url", str).replace("{runtime_dir}", str(runtime_dir))
    state = r.section("state")
    state.unknown({"backend", "redis_url", "redis_prefix"})
    backend = state.get("backend", str)
    if backend not in ("memory", "redis"):
        raise ConfigError(state.where("backend"), "state.backend", "must be memory or redis")
    ivr = r.section("ivr")
    ivr.unknown({"dir", "entry", "numbers", "sounds_dir", "urls", "extensions"})
    ivr_numbers = _ivr_numbers(ivr)
    api = r.section("api")
    api.unknown({"host", "port", "public_url"})
    public_url = api.data.get("public_url")
    if public_url is not None and (not isinstance(public_url, str) or not re.fullmatch(
            r"https?://[^\s/?#]+(/[^\s?#]*)?", public_url)):
        raise ConfigError(api.where("public_url"), "api.public_url",
                          "must be null or an http(s) address such as "
                          "https://help.example.com")
    a = r.section("asterisk")
    a.unknown({"binary", "modules_dir", "sounds_dir", "moh_dir", "bind", "control_bind", "sip_port",
               "phone_sip_port", "http_port", "ami_port", "rtp_start", "rtp_end", "app",
               "manage", "custom_dir", "media_timeout"})
    numbers = r.get("service_numbers", list)
    if not numbers or not all(isinstance(n, (str, int)) for n in numbers):
        raise ConfigError(r.where("service_numbers"), "service_numbers",
                          "must be a non-empty list of numbers")
    event_loop = r.get("event_loop", str)
    if event_loop not in EVENT_LOOPS:
        raise ConfigError(r.where("event_loop"), "event_loop", "must be uvloop or asyncio")
    rtp_start, rtp_end = a.port("rtp_start"), a.port("rtp_end")
    if a.port("phone_sip_port") == a.port("sip_port"):
        raise ConfigError(a.where("phone_sip_port"), "asterisk.phone_sip_port",
                          "must differ from asterisk.sip_port (callers and carriers use that "
                          "one; phones register on this one)")
    if rtp_end <= rtp_start:
        raise ConfigError(a.where("rtp_end"), "asterisk.rtp_end", "must be above rtp_start")
    media_timeout = a.data.get("media_timeout", 120)
    if isinstance(media_timeout, bool) or not isinstance(media_timeout, int) \
            or not (media_timeout == 0 or 10 <= media_timeout <= 86400):
        raise ConfigError(a.where("media_timeout"), "asterisk.media_timeout",
                          "must be 0 (never) or whole seconds from 10 to 86400")
    return EngineConfig(
        source=source,
        runtime_dir=runtime_dir,
        store_url=store_url,
        state_backend=backend,
        redis_url=state.get("redis_url", str),
        redis_prefix=state.get("redis_prefix", str),
        default_region=r.get("default_region", str),
        service_numbers=tuple(dict.fromkeys([*(str(n) for n in numbers), *ivr_numbers])),
        ivr_dir=(base_dir / ivr.get("dir", str)).resolve()
        if not Path(ivr.get("dir", str)).is_absolute() else Path(ivr.get("dir", str)),
        ivr_entry=ivr.get("entry", str),
        offer_timeout=r.get("offer_timeout", float),
        api=ApiConfig(host=api.get("host", str), port=api.port("port"), public_url=public_url),
        asterisk=AsteriskConfig(
            binary=a.get("binary", str), modules_dir=a.get("modules_dir", str),
            sounds_dir=a.get("sounds_dir", str), moh_dir=a.get("moh_dir", str),
            bind=a.get("bind", str), control_bind=a.get("control_bind", str),
            sip_port=a.port("sip_port"), phone_sip_port=a.port("phone_sip_port"),
            http_port=a.port("http_port"), ami_port=a.port("ami_port"),
            rtp_start=rtp_start, rtp_end=rtp_end, app=a.get("app", str),
            manage=a.get("manage", bool), media_timeout=media_timeout,
            custom_dir=str(_path(base_dir, a.get("custom_dir", str)))
            if a.data.get("custom_dir") is not None else None,
        ),
        agents=_items(r, "agents"),
        queues=_items(r, "queues"),
        supervisors=_items(r, "supervisors"),
        raw=doc,
        ivr_numbers=ivr_numbers,
        event_loop=event_loop,
        sessions=_sessions(doc.get("sessions"), source),
        metrics=_metrics(doc.get("metrics", {}), source),
        queue_log=_queue_log(doc.get("reporting"), source, runtime_dir),
        ivr_sounds_dir=_path(base_dir, ivr.get("sounds_dir", str))
        if ivr.data.get("sounds_dir") is not None else None,
    )


SESSION_KEYS = frozenset({"idle_minutes", "max_hours", "secure_cookie", "signin_limit"})
SIGNIN_LIMIT_KEYS = frozenset({"per_user", "per_address", "window_seconds"})


def _sessions(doc: Any, source: str) -> SessionSettings:
    """``sessions:``, the web pages' sign-in sessions and the limit on failed sign-ins."""
    s = ConfigSection(doc, source, "sessions", SESSION_KEYS)
    limit = s.section("signin_limit", SIGNIN_LIMIT_KEYS)
    # keys left out (``--set sessions={...}`` replaces the whole section) take the defaults
    default, default_limit = SessionSettings(), SignInLimit()
    return SessionSettings(
        idle_minutes=s.integer("idle_minutes", default.idle_minutes, minimum=1,
                               maximum=60 * 24 * 30),
        max_hours=s.integer("max_hours", default.max_hours, minimum=1, maximum=24 * 30),
        secure_cookie=s.flag("secure_cookie", default.secure_cookie),
        signin_limit=SignInLimit(
            per_user=limit.integer("per_user", default_limit.per_user, minimum=1,
                                   maximum=1000),
            per_address=limit.integer("per_address", default_limit.per_address, minimum=1,
                                      maximum=100000),
            window_seconds=limit.integer("window_seconds", default_limit.window_seconds,
                                         minimum=1, maximum=24 * 3600)))


METRICS_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{16,256}\Z")  # a bearer token's characters


def _metrics(doc: Any, source: str) -> MetricsSettings:
    """``metrics:``, who may read GET /metrics from beyond loopback. A wrong token is
    described, never echoed (it is a secret)."""
    s = ConfigSection(doc, source, "metrics", {"token"})
    token = s.data.get("token")
    if token is None:
        return MetricsSettings()
    if not isinstance(token, str):
        got = f"a {'number' if isinstance(token, int | float) else type(token).__name__}"
    elif not METRICS_TOKEN.match(token):
        allowed = re.fullmatch(r"[A-Za-z0-9._~+/=-]*", token) is not None
        got = f"{len(token)} characters" + ("" if allowed else ", some not allowed")
    else:
        return MetricsSettings(token=token)
    raise s.error("token", "must be null or text of 16 to 256 letters, digits and ._~+/=- "
                           f"(quote it in YAML if it could read as a number), got {got}")


def _queue_log(doc: Any, source: str, runtime_dir: Path) -> Path | None:
    """``reporting.queue_log`` (the rest of ``reporting:`` is ccengine/reporting/settings.py's):
    a file path (relative: under runtime_dir), or false, null or "" for none. Left out of a
    ``reporting:`` section: the default, ``queue_log`` in runtime_dir."""
    if not isinstance(doc, Mapping) or "queue_log" not in doc:
        return runtime_dir / "queue_log"
    value = doc["queue_log"]
    if value is None or value is False or value == "":
        return None
    key = "reporting.queue_log"
    if not isinstance(value, str) or "\0" in value:
        raise ConfigError(locate(source, key), key, "must be a file path, or false to write "
                          f"no queue log, got {value!r}")
    path = Path(value) if Path(value).is_absolute() else runtime_dir / value
    if path.is_dir():
        raise ConfigError(locate(source, key), key,
                          f"{value!r} is a folder: name the file in it (e.g. queue_log)")
    return path


def _path(base_dir: Path, value: str) -> Path:
    return Path(value) if Path(value).is_absolute() else (base_dir / value).resolve()


def _ivr_numbers(ivr: _Reader) -> dict[str, str]:
    """``ivr.numbers: {"5001": self_service}``: service numbers with their own flow."""
    numbers = ivr.data.get("numbers") or {}
    if not isinstance(numbers, Mapping):
        raise ConfigError(ivr.where("numbers"), "ivr.numbers",
                          "must map service numbers to flow names")
    out = {}
    for number, flow in numbers.items():
        if not re.fullmatch(r"\+?[0-9]{1,31}", str(number)):
            raise ConfigError(ivr.where("numbers"), f"ivr.numbers.{number}",
                              "is not a service number (digits, optional leading +)")
        if not isinstance(flow, str) or not flow:
            raise ConfigError(ivr.where("numbers"), f"ivr.numbers.{number}",
                              "must name a flow (a file ivr/NAME.yaml)")
        out[str(number)] = flow
    return out


# ---------------------------------------------------------------------------- parts' sections
_KEY_PARTS = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def locate(source: str, key: str) -> str:
    """``source:line`` of the deepest part of the dotted ``key`` (``trunks[0].host``) found
    in the config file ``source``; ``source`` itself when it is not a readable YAML file
    (embedded defaults, overrides) or the key's first part is not in it."""
    try:
        doc: Any = load_yaml_with_lines(Path(source).read_text(), source)
    except (OSError, ConfigError):
        return source
    line = None
    for index, name in _KEY_PARTS.findall(key):
        if index:
            if not isinstance(doc, list) or int(index) >= len(doc):
                break
            doc = doc[int(index)]
        elif isinstance(doc, dict) and name in doc:
            line = doc.get("__lines__", {}).get(name, line)
            doc = doc[name]
        else:
            break
    return f"{source}:{line}" if line else source


class ConfigSection:
    """Typed reads from one mapping of a part's config section (``config.raw``); every
    problem raises ConfigError naming the file (and line, see ``locate``), the dotted key
    and what is wrong. Text given as an empty string counts as not given."""

    def __init__(self, data: Any, source: str, key: str,
                 allowed: Collection[str] | None = None) -> None:
        self.data, self.source, self.key = data, source, key
        if not isinstance(data, Mapping):
            raise self.error("", "must be a mapping")
        if allowed is not None:
            for k in data:
                if k not in allowed:
                    raise self.error(str(k), "unknown key (allowed: "
                                             f"{', '.join(sorted(allowed))})")

    def error(self, key: str, message: str) -> ConfigError:
        full = f"{self.key}.{key}" if key else self.key
        return ConfigError(locate(self.source, full), full, message)

    def section(self, key: str, allowed: Collection[str] | None = None) -> ConfigSection:
        """The mapping under ``key`` (absent: empty), read the same way."""
        return type(self)(self.data.get(key, {}), self.source, f"{self.key}.{key}", allowed)

    def text(self, key: str, default: str | None = None, *, required: bool = False,
             pattern: re.Pattern[str] | None = None, what: str = "") -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required and default is None:
                raise self.error(key, "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.error(key, f"must be text, got {value!r}")
        text = str(value)
        if pattern is not None and not pattern.match(text):
            raise self.error(key, f"{text!r} is not {what or 'valid here'}")
        return text

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {value!r}")
        return value

    def integer(self, key: str, default: int | None, *, minimum: int = 0,
                maximum: int | None = None) -> int:
        """A whole number in bounds; a default of None makes it required."""
        value = self.data.get(key, default)
        if value is None:
            raise self.error(key, "is required")
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum \
                or (maximum is not None and value > maximum):
            raise self.error(key, f"must be a whole number {_bounds(minimum, maximum)}, "
                                  f"got {value!r}")
        return value

    def number(self, key: str, default: float, *, minimum: float = 0.0,
               maximum: float = math.inf, unit: str = "") -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not minimum <= value <= maximum:
            what = f"a number of {unit}" if unit else "a number"
            limit = None if maximum == math.inf else maximum
            raise self.error(key, f"must be {what} {_bounds(minimum, limit)}, got {value!r}")
        return float(value)

    def port(self, key: str, default: int | None = None) -> int:
        return self.integer(key, default, minimum=1, maximum=65535)

    def strings(self, key: str, default: Collection[str] = ()) -> list[str]:
        value = self.data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, (str, int))
                                                  and not isinstance(v, bool) for v in value):
            raise self.error(key, "must be a list of text values")
        return [str(v) for v in value]


def _bounds(minimum: float, maximum: float | None) -> str:
    return f">= {_num(minimum)}" if maximum is None else \
        f"from {_num(minimum)} to {_num(maximum)}"


def _num(value: float) -> str:
    """A bound as people write it: 2592000, not 2.592e+06."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
