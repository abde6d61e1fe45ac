"""The ``intents:`` config section: the intents admins define, each with example phrases and
an optional route, and how the classifier uses them (docs/intents.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ccengine.config import ConfigSection
from ccengine.intents.model import DEFAULT_THRESHOLD, MAX_CHARS, MIN_PER_INTENT, Example

SECTION = "intents"
KEYS = frozenset({"threshold", "retrain_minutes", "min_examples", "definitions"})
DEFINITION_KEYS = frozenset({"name", "examples", "route"})
ROUTE_KEYS = frozenset({"queue", "skills"})
NAME = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")
MAX_DEFINITIONS = 200


@dataclass(frozen=True)
class IntentRoute:
    """Where work of this intent goes when the classifier is confident enough: a queue, or
    required skills (name: minimum level 1-10)."""

    queue: str | None = None
    skills: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class IntentDefinition:
    name: str
    examples: tuple[str, ...] = ()
    route: IntentRoute | None = None


@dataclass(frozen=True)
class IntentSettings:
    threshold: float = DEFAULT_THRESHOLD   # below it a message has no intent
    retrain_minutes: int = 60              # 0: retrained only on demand
    min_examples: int = MIN_PER_INTENT     # per intent, to train at all
    definitions: tuple[IntentDefinition, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.definitions)

    def examples(self) -> Iterator[Example]:
        """The admins' example phrases as (text, intent)."""
        for d in self.definitions:
            for text in d.examples:
                yield text, d.name


def load_intents(data: Mapping[str, Any] | None, where: str) -> IntentSettings:
    """The ``intents:`` section (None: the defaults, no intents), validated: every error
    names ``where`` (the config file, with the line when it can be found) and the key."""
    s = ConfigSection({} if data is None else data, where, SECTION, KEYS)
    default = IntentSettings()
    raw = s.data.get("definitions", [])
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise s.error("definitions", "must be a list of intents: {name, examples, route}")
    if len(raw) > MAX_DEFINITIONS:
        raise s.error("definitions", f"at most {MAX_DEFINITIONS} intents, got {len(raw)}")
    definitions, seen = [], set()
    for n, item in enumerate(raw):
        d = _definition(ConfigSection(item, where, f"{SECTION}.definitions[{n}]",
                                      DEFINITION_KEYS))
        if d.name in seen:
            raise s.error(f"definitions[{n}].name", f"{d.name!r} is defined twice")
        seen.add(d.name)
        definitions.append(d)
    return IntentSettings(
        threshold=s.number("threshold", default.threshold, minimum=0.0, maximum=1.0),
        retrain_minutes=s.integer("retrain_minutes", default.retrain_minutes, minimum=0,
                                  maximum=7 * 24 * 60),
        min_examples=s.integer("min_examples", default.min_examples, minimum=1,
                               maximum=1000),
        definitions=tuple(definitions))


def _definition(d: ConfigSection) -> IntentDefinition:
    name = d.text("name", required=True, pattern=NAME,
                  what="a lower-case name of letters, digits and _ starting with a letter "
                       "(up to 64)")
    assert name is not None
    raw = d.data.get("examples", [])
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise d.error("examples", "must be a list of example phrases")
    examples = []
    for n, text in enumerate(raw):
        if not isinstance(text, str) or not text.strip():
            raise d.error(f"examples[{n}]", f"must be a non-empty phrase, got {text!r}")
        if len(text) > MAX_CHARS:
            raise d.error(f"examples[{n}]", f"is {len(text)} characters, at most "
                                            f"{MAX_CHARS}")
        examples.append(text)
    route = None
    if d.data.get("route") is not None:
        route = _route(d.section("route", ROUTE_KEYS))
    return IntentDefinition(name, tuple(examples), route)


def _route(r: ConfigSection) -> IntentRoute:
    queue = r.text("queue")
    skills = r.data.get("skills")
    if (queue is None) == (skills is None):
        raise r.error("", "must name either a queue ({queue: billing}) or required skills "
                          "({skills: {billing: 1}}), not both")
    if skills is None:
        return IntentRoute(queue=queue)
    if not isinstance(skills, Mapping) or not skills:
        raise r.error("skills", "must map skill names to minimum levels 1-10")
    out = {}
    for skill, level in skills.items():
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            raise r.error(f"skills.{skill}", f"level must be a whole number 1-10, got "
                                             f"{level!r}")
        out[str(skill)] = level
    return IntentRoute(skills=MappingProxyType(out))
