"""Chat text is plain text. It is stored exactly as the sender wrote it, and delivered as
plain text (``text``) plus an HTML-escaped copy (``html``) for a desktop that inserts HTML,
so no message can inject markup or script anywhere. What is refused (with a stable code):
empty text, text over the length limit, control characters other than tab and line breaks,
lone surrogates and bidirectional overrides (used to disguise text)."""

from __future__ import annotations

import html
import unicodedata

from ccengine.core.errors import CoreError

ALLOWED_CONTROLS = frozenset("\t\n\r")
# explicit direction overrides/isolates: they make text read differently from what it is
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class BadText(CoreError):
    """Chat text that is not a non-empty string."""

    code = "bad_text"


class TextTooLong(CoreError):
    code = "message_too_long"


class ControlCharacters(CoreError):
    code = "control_characters"


def check_text(value: object, max_chars: int, what: str = "text") -> str:
    """The text, unchanged, if it may be stored and delivered; raises BadText,
    TextTooLong or ControlCharacters otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise BadText(f"{what} must be non-empty text")
    if len(value) > max_chars:
        raise TextTooLong(f"{what} is {len(value)} characters; the limit is {max_chars}")
    for ch in value:
        if ch in ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in BIDI_CONTROLS:
            raise ControlCharacters(f"{what} holds a control character U+{ord(ch):04X}")
    return value


def check_optional(value: object, max_chars: int, what: str) -> str | None:
    """An optional short field (a visitor's name): None when absent or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_text(value, max_chars, what).strip()


def as_html(text: str) -> str:
    """The text escaped for insertion into HTML, line breaks kept as <br>."""
    escaped = html.escape(text, quote=True)
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
