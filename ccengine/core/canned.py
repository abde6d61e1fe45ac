"""Canned responses as data (config ``canned_responses``): texts an agent inserts into a
chat or an email by shortcut or title."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ccengine.core.errors import ConfigError
from ccengine.core.media import Medium

KEY = "canned_responses"
SHORTCUT = re.compile(r"[a-z0-9_-]{1,32}")
MAX_TITLE = 100
MAX_TEXT = 5000
# the media an agent writes in from the desk
DESK_MEDIA = (Medium.CHAT, Medium.EMAIL)
_FIELDS = ("shortcut", "title", "text", "media")


@dataclass(frozen=True)
class CannedResponse:
    shortcut: str
    title: str
    text: str
    media: tuple[Medium, ...] = DESK_MEDIA

    def to_dict(self) -> dict[str, Any]:
        return {"shortcut": self.shortcut, "title": self.title, "text": self.text,
                "media": [m.value for m in self.media]}


@dataclass(frozen=True)
class CannedResponses:
    responses: tuple[CannedResponse, ...] = ()

    @classmethod
    def from_config(cls, value: Any, where: str, key: str = KEY) -> CannedResponses:
        """From the config list of ``{shortcut, title, text, media}`` (media optional:
        every desk medium). ConfigError naming ``where`` and the key on anything wrong."""
        if value is None:
            return cls()
        if not isinstance(value, list):
            raise ConfigError(where, key, "must be a list of {shortcut, title, text, media}")
        responses: list[CannedResponse] = []
        for i, item in enumerate(value):
            response = _response(item, where, f"{key}[{i}]")
            if any(r.shortcut == response.shortcut for r in responses):
                raise ConfigError(where, f"{key}[{i}].shortcut",
                                  f"{response.shortcut!r} is used twice")
            responses.append(response)
        return cls(tuple(responses))

    def search(self, query: str = "", medium: Medium | None = None
               ) -> list[CannedResponse]:
        """Responses whose shortcut or title contains ``query`` (ignoring case), those
        starting with it first, in config order otherwise; only those for ``medium`` if
        given."""
        q = query.strip().lower()
        found: list[tuple[int, int, CannedResponse]] = []
        for n, r in enumerate(self.responses):
            if medium is not None and medium not in r.media:
                continue
            names = (r.shortcut.lower(), r.title.lower())
            if any(name.startswith(q) for name in names):
                found.append((0, n, r))
            elif any(q in name for name in names):
                found.append((1, n, r))
        return [r for _, _, r in sorted(found, key=lambda t: t[:2])]


def _response(item: Any, where: str, key: str) -> CannedResponse:
    if not isinstance(item, dict):
        raise ConfigError(where, key, "must be a mapping with shortcut, title, text, media")
    for k in item:
        if k not in _FIELDS:
            raise ConfigError(where, f"{key}.{k}", f"unknown key ({', '.join(_FIELDS)})")
    shortcut = item.get("shortcut")
    if not isinstance(shortcut, str) or not SHORTCUT.fullmatch(shortcut):
        raise ConfigError(where, f"{key}.shortcut", f"{shortcut!r} is not a shortcut "
                                                    "(1-32 of a-z, 0-9, _ and -)")
    title = _text(item, "title", MAX_TITLE, where, key)
    text = _text(item, "text", MAX_TEXT, where, key)
    media = item.get("media")
    if media is None:
        return CannedResponse(shortcut, title, text)
    allowed = ", ".join(m.value for m in DESK_MEDIA)
    if not isinstance(media, list) or not media:
        raise ConfigError(where, f"{key}.media", f"must be a non-empty list of: {allowed}")
    chosen: list[Medium] = []
    for j, m in enumerate(media):
        if m not in [d.value for d in DESK_MEDIA] or Medium(m) in chosen:
            raise ConfigError(where, f"{key}.media[{j}]",
                              f"{m!r} is not a desk medium ({allowed}) or is listed twice")
        chosen.append(Medium(m))
    return CannedResponse(shortcut, title, text, tuple(chosen))


def _text(item: dict[str, Any], name: str, longest: int, where: str, key: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > longest:
        shown = value if not isinstance(value, str) or len(value) < 40 else value[:40] + "..."
        raise ConfigError(where, f"{key}.{name}",
                          f"must be a text of 1-{longest} characters, got {shown!r}")
    return value
