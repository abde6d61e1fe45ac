"""The reasons an agent may give for going not ready, as data (config
``not_ready_reasons``): reason codes, each with a label for people. Supervisors forcing a
state and the engine's own reasons (``rona``) are not limited to this list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ccengine.core.agent_state import RONA
from ccengine.core.errors import ConfigError, CoreError

KEY = "not_ready_reasons"
CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_LABEL = 60
PREFERRED_DEFAULT = "break"
DEFAULT_CODES = ("break", "lunch", "meeting", "training", "coaching")  # as defaults.yaml
# set by the engine or a supervisor, never chosen by an agent
SYSTEM_REASONS = frozenset({RONA, "supervisor"})


class InvalidReason(CoreError):
    """A not-ready reason outside the configured list (or not a reason code at all)."""

    code = "bad_reason"


@dataclass(frozen=True)
class Reason:
    code: str
    label: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label}


@dataclass(frozen=True)
class NotReadyReasons:
    reasons: tuple[Reason, ...]

    @classmethod
    def from_config(cls, value: Any, where: str, key: str = KEY) -> NotReadyReasons:
        """From the config list: reason codes (lower-case identifiers) or
        ``{code, label}`` mappings. ConfigError naming ``where`` and the key on a non-list,
        an empty list, a bad code or label, a duplicate or a system reason."""
        if not isinstance(value, list) or not value:
            raise ConfigError(where, key, "must be a non-empty list of reason codes "
                                          "(or {code, label} mappings)")
        reasons: list[Reason] = []
        for i, item in enumerate(value):
            reason = _reason(item, where, f"{key}[{i}]")
            if any(r.code == reason.code for r in reasons):
                raise ConfigError(where, f"{key}[{i}]", f"{reason.code!r} is listed twice")
            reasons.append(reason)
        return cls(tuple(reasons))

    @classmethod
    def defaults(cls) -> NotReadyReasons:
        """The list of the embedded defaults."""
        return cls.from_config(list(DEFAULT_CODES), "defaults")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    @property
    def default(self) -> str:
        """The reason of a not-ready request that names none: ``break`` if listed, else
        the first."""
        return PREFERRED_DEFAULT if PREFERRED_DEFAULT in self.codes else self.codes[0]

    def check(self, reason: Any) -> str:
        """``reason`` if it is one of the listed codes; InvalidReason naming them if not."""
        if not isinstance(reason, str) or reason not in self.codes:
            raise InvalidReason(f"reason must be one of {', '.join(self.codes)}; "
                                f"got {reason!r}")
        return reason

    def to_list(self) -> list[dict[str, str]]:
        return [r.to_dict() for r in self.reasons]


def _reason(item: Any, where: str, key: str) -> Reason:
    if isinstance(item, dict):
        unknown = set(item) - {"code", "label"}
        if unknown:
            raise ConfigError(where, f"{key}.{sorted(unknown)[0]}", "unknown key "
                                                                    "(code, label)")
        code, label = item.get("code"), item.get("label")
    else:
        code, label = item, None
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise ConfigError(where, key, f"{code!r} is not a reason code (a lower-case "
                                      "identifier: a-z, 0-9, _; at most 32 characters)")
    if code in SYSTEM_REASONS:
        raise ConfigError(where, key, f"{code!r} is a reason the engine sets itself")
    if label is None:
        label = code.replace("_", " ").capitalize()
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
        raise ConfigError(where, f"{key}.label",
                          f"must be a text of 1-{MAX_LABEL} characters, got {label!r}")
    return Reason(code, label)
