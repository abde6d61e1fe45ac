"""Bounds of a customer's profile fields: the display name, the tier and the free-form
attributes. Text is stored as given (escaping is the reader's job) but length-limited and
free of NUL characters, which PostgreSQL cannot store."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from ccengine.store.errors import InvalidRecord

MAX_NAME = 200
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 64
MAX_ATTRIBUTE_TEXT = 1000
MAX_ATTRIBUTES_JSON = 16 * 1024
TIER_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
KEY_PATTERN = re.compile(rf"[A-Za-z0-9_.-]{{1,{MAX_ATTRIBUTE_KEY}}}")


def plain_text(value: Any, name: str, max_length: int, *, required: bool = False) -> str | None:
    """``value`` as text of at most ``max_length`` characters without NUL; None stays None
    (InvalidRecord if required)."""
    if value is None:
        if required:
            raise InvalidRecord(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise InvalidRecord(f"{name} must be text, not {type(value).__name__}")
    if required and not value.strip():
        raise InvalidRecord(f"{name} must not be empty")
    if len(value) > max_length:
        raise InvalidRecord(f"{name} is longer than {max_length} characters")
    if "\x00" in value:
        raise InvalidRecord(f"{name} must not contain NUL characters")
    return value


def name_field(value: Any) -> str | None:
    """A display name (None clears it)."""
    return plain_text(value, "name", MAX_NAME)


def tier_field(value: Any) -> str:
    """A tier such as "standard" or "key_account": lower-case letters, digits, "_"."""
    if not isinstance(value, str) or not TIER_PATTERN.fullmatch(value):
        raise InvalidRecord(f"tier must be 1-40 lower-case letters, digits or '_' starting "
                            f"with a letter, not {value!r}")
    return value


def _attribute_value(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise InvalidRecord(f"attributes.{key} must be a finite number")
        return value
    if isinstance(value, str):
        return plain_text(value, f"attributes.{key}", MAX_ATTRIBUTE_TEXT)
    raise InvalidRecord(f"attributes.{key} must be text, a number, true/false or null, "
                        f"not {type(value).__name__}")


def patched_attributes(current: Mapping[str, Any] | None,
                       patch: Any) -> dict[str, Any]:
    """``current`` with ``patch`` applied: each key set to its value, a null value removes
    the key. InvalidRecord if a key or value is out of bounds or the result too big."""
    if not isinstance(patch, Mapping):
        raise InvalidRecord("attributes must be an object of key: value")
    result = dict(current or {})
    for key, value in patch.items():
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            raise InvalidRecord(f"attribute key {key!r} must be 1-{MAX_ATTRIBUTE_KEY} "
                                "letters, digits, '_', '.' or '-'")
        checked = _attribute_value(key, value)
        if checked is None:
            result.pop(key, None)
        else:
            result[key] = checked
    if len(result) > MAX_ATTRIBUTES:
        raise InvalidRecord(f"a customer has at most {MAX_ATTRIBUTES} attributes")
    if len(json.dumps(result, ensure_ascii=False)) > MAX_ATTRIBUTES_JSON:
        raise InvalidRecord(f"attributes are larger than {MAX_ATTRIBUTES_JSON} characters "
                            "as JSON")
    return result
