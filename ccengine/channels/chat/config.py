"""The ``chat:`` config section, validated when the engine is built: every problem is a
ConfigError naming the config file and the key (``chat.idle_timeout``...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ccengine.config import ConfigSection
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig

KEYS = frozenset({"enabled", "allowed_origins", "entry_points", "default_entry",
                  "idle_timeout", "reconnect_grace", "max_message_chars", "max_sessions",
                  "sessions_per_minute", "messages_per_minute", "callback_queue"})


@dataclass(frozen=True)
class EntryPoint:
    """A public name a site's widget starts chats with, and the queue it leads to."""

    name: str
    queue: str
    priority: int = 0


@dataclass(frozen=True)
class ChatSettings:
    enabled: bool = False
    allowed_origins: frozenset[str] = frozenset()
    entry_points: Mapping[str, EntryPoint] = field(default_factory=dict)
    default_entry: str = ""
    idle_timeout: float = 600.0       # seconds without a message once an agent has joined
    reconnect_grace: float = 30.0     # seconds a visitor may be away before the chat ends
    max_message_chars: int = 2000
    max_sessions: int = 500           # chats open at once on this engine node
    sessions_per_minute: int = 10     # new chats per visitor address
    messages_per_minute: int = 60     # visitor messages per chat
    callback_queue: str | None = None  # callbacks asked for in a chat; None: the chat's queue

    def origin_allowed(self, origin: str) -> bool:
        return "*" in self.allowed_origins or origin.lower().rstrip("/") in self.allowed_origins


def _origin(s: ConfigSection, i: int, value: Any) -> str:
    key = f"allowed_origins[{i}]"
    if value == "*":
        return "*"
    if not isinstance(value, str):
        raise s.error(key, f"must be an origin like https://www.example.com, got {value!r}")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc \
            or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise s.error(key, f"{value!r} is not an origin (scheme://host[:port], no path)")
    return f"{parts.scheme}://{parts.netloc}".lower()


def _entry_points(s: ConfigSection, queues: Mapping[str, QueueConfig]) -> dict[str, EntryPoint]:
    doc = s.data.get("entry_points")
    if not isinstance(doc, Mapping) or not doc:
        raise s.error("entry_points", "must map entry-point names to {queue: NAME} "
                                      "(at least one)")
    out = {}
    for name, spec in doc.items():
        key = f"entry_points.{name}"
        if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
            raise s.error(key, "entry-point names hold only letters, digits, '-' and '_'")
        if isinstance(spec, str):
            spec = {"queue": spec}
        if not isinstance(spec, Mapping):
            raise s.error(key, "must be a queue name or {queue: NAME, priority: N}")
        unknown = set(spec) - {"queue", "priority"}
        if unknown:
            raise s.error(f"{key}.{sorted(unknown)[0]}", "unknown key (queue, priority)")
        queue = spec.get("queue")
        if queue not in queues:
            raise s.error(f"{key}.queue", f"no queue {queue!r}")
        if Medium.CHAT not in queues[queue].media:
            raise s.error(f"{key}.queue", f"queue {queue!r} does not take chat "
                                          "(add chat to its media)")
        priority = spec.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise s.error(f"{key}.priority", f"must be a whole number, got {priority!r}")
        out[name] = EntryPoint(name, queue, priority)
    return out


def load_chat_settings(raw: Mapping[str, Any], source: str,
                       queues: Mapping[str, QueueConfig]) -> ChatSettings:
    """The chat settings from the engine's raw config (``raw["chat"]``); disabled when the
    section is absent or ``enabled: false``."""
    doc = raw.get("chat")
    if doc is None:
        return ChatSettings()
    s = ConfigSection(doc, source, "chat", KEYS)
    if not s.flag("enabled", True):
        return ChatSettings()
    origins = doc.get("allowed_origins", [])
    if not isinstance(origins, list):
        raise s.error("allowed_origins", "must be a list of origins (https://host[:port]) "
                                         "or [\"*\"]")
    entry_points = _entry_points(s, queues)
    default_entry = doc.get("default_entry", next(iter(entry_points)))
    if default_entry not in entry_points:
        raise s.error("default_entry", f"no entry point {default_entry!r} "
                                       f"(known: {', '.join(entry_points)})")
    callback_queue = doc.get("callback_queue")
    if callback_queue is not None:
        if callback_queue not in queues:
            raise s.error("callback_queue", f"no queue {callback_queue!r}")
        if Medium.CALLBACK not in queues[callback_queue].media:
            raise s.error("callback_queue", f"queue {callback_queue!r} does not take "
                                            "callback")
    settings = ChatSettings(
        enabled=True,
        allowed_origins=frozenset(_origin(s, i, o) for i, o in enumerate(origins)),
        entry_points=entry_points, default_entry=default_entry,
        idle_timeout=s.number("idle_timeout", 600.0, minimum=1.0, unit="seconds"),
        reconnect_grace=s.number("reconnect_grace", 30.0, unit="seconds"),
        max_message_chars=s.integer("max_message_chars", 2000, minimum=1, maximum=20000),
        max_sessions=s.integer("max_sessions", 500, minimum=1),
        sessions_per_minute=s.integer("sessions_per_minute", 10, minimum=1),
        messages_per_minute=s.integer("messages_per_minute", 60, minimum=1),
        callback_queue=callback_queue)
    return settings
