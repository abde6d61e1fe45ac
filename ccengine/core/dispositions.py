"""Wrap-up dispositions as data: a default list for every queue and, optionally, a list of
a queue's own (which replaces the default for that queue). Without any list a disposition is
free text (at most MAX_LENGTH characters)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ccengine.core.errors import ConfigError, CoreError

MAX_LENGTH = 100


class InvalidDisposition(CoreError):
    """A disposition outside the queue's list, or not a short non-empty text."""

    code = "bad_disposition"


def _names(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(where, key, "must be a non-empty list of dispositions")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_LENGTH:
            raise ConfigError(where, f"{key}[{i}]",
                              f"must be a text of 1-{MAX_LENGTH} characters, got {item!r}")
    duplicates = sorted({v for v in value if value.count(v) > 1})
    if duplicates:
        raise ConfigError(where, key, f"lists {', '.join(duplicates)} more than once")
    return tuple(value)


@dataclass(frozen=True)
class Dispositions:
    default: tuple[str, ...] | None = None
    per_queue: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, section: Any, where: str, queues: Iterable[str],
                    key: str = "dispositions") -> Dispositions:
        """From the ``dispositions:`` config section (None when absent); ConfigError
        naming ``where`` and the key on anything wrong, an unknown queue included."""
        if section is None:
            return cls()
        if not isinstance(section, Mapping):
            raise ConfigError(where, key, "must be a mapping with default and/or queues")
        for k in section:
            if k not in ("default", "queues"):
                raise ConfigError(where, f"{key}.{k}", "unknown key (default or queues)")
        default = _names(section["default"], where, f"{key}.default") \
            if "default" in section else None
        raw_queues = section.get("queues", {})
        if not isinstance(raw_queues, Mapping):
            raise ConfigError(where, f"{key}.queues", "must map queue names to lists")
        known = set(queues)
        per_queue = {}
        for name, names in raw_queues.items():
            if name not in known:
                raise ConfigError(where, f"{key}.queues.{name}", "no such queue")
            per_queue[str(name)] = _names(names, where, f"{key}.queues.{name}")
        return cls(default, per_queue)

    def to_dict(self) -> dict[str, Any]:
        """``{"default": [...] or None (any short text), "queues": {queue: [...]}}``."""
        return {"default": list(self.default) if self.default is not None else None,
                "queues": {q: list(names) for q, names in self.per_queue.items()}}

    def allowed(self, queue: str | None) -> tuple[str, ...] | None:
        """The dispositions allowed for work of ``queue``; None = any short text."""
        if queue is not None and queue in self.per_queue:
            return self.per_queue[queue]
        return self.default

    def check(self, queue: str | None, value: Any) -> str:
        """``value`` if it is a disposition allowed for ``queue``; InvalidDisposition
        (naming the allowed ones) otherwise."""
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_LENGTH \
                or "\x00" in value:
            raise InvalidDisposition(f"disposition must be a text of 1-{MAX_LENGTH} "
                                     "characters")
        allowed = self.allowed(queue)
        if allowed is not None and value not in allowed:
            where = f"queue {queue}" if queue else "this interaction"
            raise InvalidDisposition(f"{value!r} is not a disposition of {where}; one of "
                                     f"{', '.join(allowed)}")
        return value
