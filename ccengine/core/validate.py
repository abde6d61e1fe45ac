"""Small validators for building core objects from config mappings (errors name the key)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ccengine.core.errors import ConfigError
from ccengine.core.media import Medium


class Fields:
    """Typed reads from one mapping; every problem raises ConfigError(where, key, ...)."""

    def __init__(self, data: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(where, "(item)", "must be a mapping")
        for key in data:
            if key not in allowed:
                raise ConfigError(where, str(key), f"unknown key (allowed: {sorted(allowed)})")
        self.data, self.where = data, where

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.where, key, message)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
            raise self.error(key, "is required and must be a non-empty string")
        return str(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        """One of ``choices`` (the first place a wrong value is named with the choices)."""
        value = self.data.get(key, default)
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return str(value)

    def number(self, key: str, default: float, *, minimum: float = 0) -> float:
        value = self.data.get(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum:
            raise self.error(key, f"must be a number >= {minimum}")
        return float(value)

    def integer(self, key: str, default: int, *, minimum: int = 0, maximum: int | None = None
                ) -> int:
        value = self.data.get(key, default)
        if (not isinstance(value, int) or isinstance(value, bool) or value < minimum
                or (maximum is not None and value > maximum)):
            bound = f" and <= {maximum}" if maximum is not None else ""
            raise self.error(key, f"must be a whole number >= {minimum}{bound}")
        return value

    def skills(self, key: str) -> dict[str, int]:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.error(key, "must map skill names to levels 1-10")
        out = {}
        for name, level in value.items():
            if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 10:
                raise self.error(f"{key}.{name}", f"level must be 1-10, got {level!r}")
            out[str(name)] = level
        return out

    def media(self, key: str, default: list[str]) -> frozenset[Medium]:
        value = self.data.get(key, default)
        if not isinstance(value, list) or not value:
            raise self.error(key, f"must be a list of media: {[m.value for m in Medium]}")
        return frozenset(medium(self, key, v) for v in value)

    def capacity(self, key: str) -> dict[Medium, int]:
        value = self.data.get(key, {"voice": 1})
        if not isinstance(value, Mapping):
            raise self.error(key, "must map media to how many at once, e.g. {voice: 1}")
        out = {}
        for m, n in value.items():
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise self.error(f"{key}.{m}", "must be a whole number >= 0")
            out[medium(self, key, m)] = n
        return out


def medium(fields: Fields, key: str, value: Any) -> Medium:
    try:
        return Medium(value)
    except ValueError as e:
        raise fields.error(key, f"unknown medium {value!r}; known: "
                                f"{[m.value for m in Medium]}") from e
