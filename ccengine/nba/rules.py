"""Next-best-action rules (``next_best_action:`` in the config): each matches the work's
intent, the customer's tier and attributes and their recent intents, and gives the agent a
prompt ("offer the loyalty discount") and maybe an article. Validated at load like every
other section (file, line and key on any error); matched by a pure function."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ccengine.config import ConfigSection, locate
from ccengine.core.errors import ConfigError

SECTION = "next_best_action"
RULE_KEYS = frozenset({"name", "when", "prompt", "article"})
WHEN_KEYS = frozenset({"intent", "tier", "attributes", "recent_intent"})
NAME = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*\Z")
PROMPT_MAX = 300
MAX_RULES = 500


@dataclass(frozen=True)
class Rule:
    name: str
    prompt: str
    article: str | None = None            # a knowledge article's slug to suggest with it
    intent: tuple[str, ...] = ()           # any of these (empty: any intent or none)
    tier: tuple[str, ...] = ()             # any of these customer tiers
    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    recent_intent: tuple[str, ...] = ()    # any of these among the customer's recent ones


@dataclass(frozen=True)
class Facts:
    """What a rule may look at, for one piece of work."""

    intent: str | None = None
    tier: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    recent_intents: Sequence[str] = ()


def load_rules(data: Any, where: str, intents: Sequence[str] = ()) -> tuple[Rule, ...]:
    """The ``next_best_action:`` list (None: no rules). With ``intents`` (the defined
    intents' names), a rule naming another intent is refused."""
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ConfigError(locate(where, SECTION), SECTION,
                          "must be a list of rules: {name, when, prompt, article}")
    if len(data) > MAX_RULES:
        raise ConfigError(locate(where, SECTION), SECTION,
                          f"at most {MAX_RULES} rules, got {len(data)}")
    rules, seen = [], set()
    for n, item in enumerate(data):
        r = ConfigSection(item, where, f"{SECTION}[{n}]", RULE_KEYS)
        name = r.text("name", required=True, pattern=NAME,
                      what="a lower-case name (letters, digits, _)")
        assert name is not None
        if name in seen:
            raise r.error("name", f"{name!r} is used by another rule")
        seen.add(name)
        prompt = r.text("prompt", required=True)
        assert prompt is not None
        if len(prompt) > PROMPT_MAX:
            raise r.error("prompt", f"at most {PROMPT_MAX} characters")
        article = r.text("article", pattern=SLUG, what="an article's slug")
        w = r.section("when", WHEN_KEYS)
        wanted = {key: _names(w, key) for key in ("intent", "tier", "recent_intent")}
        if intents:
            for key in ("intent", "recent_intent"):
                for intent in wanted[key]:
                    if intent not in intents:
                        raise w.error(key, f"no intent {intent!r} (defined: "
                                           f"{', '.join(intents)})")
        attributes = w.data.get("attributes", {})
        if not isinstance(attributes, Mapping) or not all(
                isinstance(k, str) and isinstance(v, (str, int, float, bool))
                for k, v in attributes.items()):
            raise w.error("attributes", "must map attribute names to plain values")
        rules.append(Rule(name, prompt, article, wanted["intent"], wanted["tier"],
                          MappingProxyType(dict(attributes)), wanted["recent_intent"]))
    return tuple(rules)


def _names(w: ConfigSection, key: str) -> tuple[str, ...]:
    value = w.data.get(key)
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and NAME.match(v) for v in items):
        raise w.error(key, "must be a lower-case name or a list of them")
    return tuple(items)


def matches(rule: Rule, facts: Facts) -> bool:
    if rule.intent and facts.intent not in rule.intent:
        return False
    if rule.tier and facts.tier not in rule.tier:
        return False
    if rule.recent_intent and not set(rule.recent_intent) & set(facts.recent_intents):
        return False
    return all(facts.attributes.get(k) == v for k, v in rule.attributes.items())


def prompts(rules: Sequence[Rule], facts: Facts) -> list[dict[str, Any]]:
    """The prompts of every rule that matches, in the config's order."""
    return [{"rule": r.name, "prompt": r.prompt, "article": r.article}
            for r in rules if matches(r, facts)]
