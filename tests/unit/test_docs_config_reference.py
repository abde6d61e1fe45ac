"""Every config key of ccengine/defaults.yaml is in the admins' configuration reference
(docs/admins.md "Configuration reference"), written as its dotted path in backquotes
(``sessions.signin_limit.per_user``; the keys of a list's items as ``agents[].id``): the
keys ``yaml.safe_load`` finds, and those of the optional sections defaults.yaml shows
commented out (``# chat:`` and the lines under it). A key missing fails naming it."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ccengine.config import defaults_text
from tests.unit.test_docs_parsing import REPO

ADMINS = REPO / "docs" / "admins.md"


def paths(value: Any, prefix: str = "") -> list[str]:
    """Every mapping key's dotted path; list items add ``[]`` to their list's path."""
    out: list[str] = []
    if isinstance(value, dict):
        for key, sub in value.items():
            if not isinstance(key, str) or "<" in key or "..." in key:
                continue       # a placeholder of a commented-out example: <inbound number>
            path = f"{prefix}.{key}" if prefix else key
            out += [path, *paths(sub, path)]
    elif isinstance(value, list):
        for item in value:
            out += paths(item, f"{prefix}[]")
    return list(dict.fromkeys(out))


def commented_sections(text: str) -> list[dict[str, Any]]:
    """The optional sections defaults.yaml shows commented out: a ``# name:`` line at the
    margin and the ``#   ...`` lines under it, parsed once uncommented."""
    found, current = [], None
    for line in text.split("\n"):
        if re.match(r"^# [a-z_]+:(\s|$)", line):
            current = [line[2:]]
            found.append(current)
        elif current is not None and re.match(r"^#\s{2,}\S", line):
            current.append(line[2:])
        else:
            current = None
    sections = []
    for lines in found:
        doc = yaml.safe_load("\n".join(lines))
        if isinstance(doc, dict) and any(isinstance(v, (dict, list)) for v in doc.values()):
            sections.append(doc)       # (``# email: not set by default...`` is prose)
    return sections


def reference() -> str:
    text = ADMINS.read_text()
    start = text.index("\n## Configuration reference\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def documented() -> set[str]:
    return set(re.findall(r"`([a-z_][a-z0-9_.\[\]]*)`", reference()))


def test_given_defaults_then_every_key_is_in_the_admins_reference() -> None:
    keys = paths(yaml.safe_load(defaults_text()))
    assert len(keys) > 80, keys
    missing = [k for k in keys if k not in documented()]
    assert not missing, f"keys of defaults.yaml missing from docs/admins.md's reference: {missing}"


def test_given_the_commented_out_sections_then_their_keys_are_in_the_reference() -> None:
    sections = commented_sections(defaults_text())
    names = {name for doc in sections for name in doc}
    assert {"chat", "webrtc", "trunks", "outbound", "callbacks"} <= names, names
    keys = [k for doc in sections for k in paths(doc)]
    missing = [k for k in keys if k not in documented()]
    assert not missing, f"keys of defaults.yaml missing from docs/admins.md's reference: {missing}"


def test_given_a_key_missing_from_the_reference_then_it_is_named() -> None:
    keys = paths(yaml.safe_load("api: {port: 1}\nagents: [{id: a, nope_key: 1}]\n"))
    assert keys == ["api", "api.port", "agents", "agents[].id", "agents[].nope_key"]
    assert [k for k in keys if k not in documented()] == ["agents[].nope_key"]
