"""What an IVR flow is made of once loaded: nodes (menus, digit inputs, lookups, hours
checks, recent-intent checks) and the actions that lead from one to the next. Built by
``flow.load_flow``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2

from ccengine.core.rules import BusinessHours

# actions that go to a node of the flow; their target is the node's name
NODE_ACTIONS = ("menu", "input", "lookup", "hours", "recent_intent")


@dataclass(frozen=True)
class Action:
    """A step out of a node: go to a node, set the language, or end the IVR.

    ``kind`` is queue | menu | input | lookup | hours | language | transfer | hangup |
    voicemail, or a kind another part parses and executes (its settings in ``params``).
    """

    kind: str
    target: str = ""                # queue, node, language or extension
    priority: int = 0               # queue
    skills: Mapping[str, int] = field(default_factory=dict)   # queue: required skills
    prompt: tuple[str, ...] = ()    # hangup, transfer: played first
    timeout: float = 0.0            # transfer: seconds the extension rings
    then: Action | None = None      # language: where the caller goes next
    on_failure: Action | None = None  # transfer: no answer, busy or unreachable
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Menu:
    """Play a prompt, take one digit, follow the option it names."""

    name: str
    prompt: tuple[str, ...]
    timeout: float
    max_invalid: int
    invalid_prompt: tuple[str, ...]
    options: Mapping[str, Action]
    on_timeout: Action
    on_max_invalid: Action


@dataclass(frozen=True)
class Input:
    """Collect several digits (ended by the terminator, the maximum length or a pause)
    into the IVR variable ``variable``."""

    name: str
    prompt: tuple[str, ...]
    variable: str
    min_digits: int
    max_digits: int
    terminator: str                 # "" when only length or a pause ends the input
    timeout: float                  # for the first digit, once the prompt has played
    digit_timeout: float            # between digits
    pattern: re.Pattern[str] | None
    sensitive: bool                 # masked wherever it is recorded or shown
    max_invalid: int
    invalid_prompt: tuple[str, ...]
    then: Action
    on_timeout: Action
    on_max_invalid: Action

    def accepts(self, value: str) -> bool:
        """Is ``value`` a valid entry (length, then the pattern or digits only)?"""
        if not self.min_digits <= len(value) <= self.max_digits:
            return False
        if self.pattern is not None:
            return self.pattern.fullmatch(value) is not None
        return value.isdigit()


@dataclass(frozen=True)
class Say:
    """One part of reading a lookup's answer back to the caller.

    ``kind`` prompt (fixed sounds), digits | number | characters (the value of ``field``
    spoken by Asterisk) or prompt_by (the sounds ``choices`` names for the field's value).
    """

    kind: str
    prompt: tuple[str, ...] = ()
    key: str = ""                   # the field of the answer (dotted path)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Branch:
    """Choose the next action by the value of a field of a lookup's answer."""

    key: str                        # the field (dotted path) whose value chooses
    cases: Mapping[str, Action]
    default: Action | None


@dataclass(frozen=True)
class Lookup:
    """An HTTP request to a self-service backend whose JSON answer is read back to the
    caller, saved into variables and/or chooses the branch."""

    name: str
    method: str
    url: jinja2.Template
    headers: Mapping[str, jinja2.Template]
    body: Any                       # None, a template, or a JSON tree of templates
    timeout: float
    save: Mapping[str, str]         # variable -> field of the answer
    say: tuple[Say, ...]
    branch: Branch | None
    then: Action | None
    on_failure: Action


@dataclass(frozen=True)
class HoursCheck:
    """Branch on business hours and holidays in a site's time zone."""

    name: str
    hours: BusinessHours
    on_open: Action
    on_closed: Action
    on_holiday: Action              # on_closed unless given


@dataclass(frozen=True)
class RecentIntentCheck:
    """Branch on what the caller last wrote or spoke about: their customer's newest intent
    (any medium, from the store) within ``within`` seconds."""

    name: str
    within: float                   # seconds
    intents: Mapping[str, Action]   # intent name -> where the caller goes
    otherwise: Action               # no customer, no recent intent, another one, a failure


Node = Menu | Input | Lookup | HoursCheck | RecentIntentCheck


@dataclass(frozen=True)
class Flow:
    name: str
    source: str
    start: str
    menus: Mapping[str, Menu]
    inputs: Mapping[str, Input] = field(default_factory=dict)
    lookups: Mapping[str, Lookup] = field(default_factory=dict)
    hours: Mapping[str, HoursCheck] = field(default_factory=dict)
    recent_intents: Mapping[str, RecentIntentCheck] = field(default_factory=dict)
    languages: tuple[str, ...] = ("en",)       # the first is the caller's to begin with
    language_skills: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # (prompt, language) -> what to ask Asterisk to play (a packaged sound's name, or
    # "sound:<path>" of an admin-supplied file); every prompt of the flow is in it
    media: Mapping[tuple[str, str], str] = field(default_factory=dict)
    urls: Mapping[str, str] = field(default_factory=dict)
    sensitive: frozenset[str] = frozenset()    # variables masked in records

    def _nodes(self) -> dict[str, Mapping[str, Node]]:
        return {"menu": self.menus, "input": self.inputs, "lookup": self.lookups,
                "hours": self.hours, "recent_intent": self.recent_intents}

    def node(self, kind: str, name: str) -> Node:
        return self._nodes()[kind][name]

    def kind_of(self, name: str) -> str:
        for kind, table in self._nodes().items():
            if name in table:
                return kind
        raise KeyError(name)

    def media_of(self, prompts: tuple[str, ...], language: str) -> tuple[str, ...]:
        """What to play for ``prompts`` in ``language`` (packaged names stay as they are)."""
        return tuple(self.media.get((p, language), p) for p in prompts)
