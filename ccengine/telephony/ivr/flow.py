"""IVR flows: YAML files under ``ivr/``, validated at load with errors naming file, line and
key. ``ivr/self_service.yaml`` shows every construct; in short::

    start: welcome                  # the node callers enter
    languages: [en, fr]             # the first is the default; every prompt must exist
                                    # in each (or {fr: {skills: {french: 1}}})
    menus:                          # one digit picks an option
      welcome:
        prompt: [hello, vm-press, digits/1]   # sound names (no extension)
        timeout: 5                  # seconds to wait for a digit once the prompt has played
        max_invalid: 2              # invalid digits replay the menu, then on_max_invalid
        options:
          "1": {action: queue, queue: sales, priority: 5, skills: {french: 2}}
          "2": {action: language, language: fr, then: {action: input, input: account}}
        on_timeout: {action: hours, hours: office}
        on_max_invalid: {action: hangup, prompt: [vm-goodbye]}
    inputs:                         # several digits into a variable
      account: {prompt: [...], max_digits: 8, then: {action: lookup, lookup: balance},
                on_timeout: ..., on_max_invalid: ...}
    lookups:                        # HTTP + JSON (see lookups.py)
      balance: {url: "{{ urls.crm }}/accounts/{{ vars.account }}", say: [...],
                then: ..., on_failure: ...}
    hours:                          # business hours and holidays in a time zone
      office: {timezone: Europe/Paris, open: {mon: ["09:00-17:00"]}, holidays: [...],
               on_open: ..., on_closed: ..., on_holiday: ...}
    recent_intents:                 # what the caller last wrote about (their newest intent)
      wrote_about: {within_hours: 168, intents: {billing: {action: menu, menu: bill}},
                    otherwise: {action: menu, menu: welcome}}

Actions: ``queue`` (queue, priority, skills), ``menu``/``input``/``lookup``/``hours``/
``recent_intent`` (go to that node), ``language`` (then), ``transfer`` (extension, timeout,
prompt, on_failure), ``hangup`` (prompt), ``voicemail`` (queue: leave a message for that
queue's agents; carried out by ccengine.telephony.recording).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from ccengine.config import ConfigError, load_yaml_with_lines, strip_lines
from ccengine.core.rules import parse_hours
from ccengine.telephony.ivr.lookups import parse_lookup
from ccengine.telephony.ivr.model import (
    NODE_ACTIONS,
    Action,
    Flow,
    HoursCheck,
    Input,
    Menu,
    RecentIntentCheck,
)
from ccengine.telephony.ivr.sounds import SOUND_EXTENSIONS, SoundLibrary, sound_exists

__all__ = ["Action", "Flow", "Menu", "load_flow", "load_flows", "register_action",
           "sound_exists"]

DIGITS = frozenset("0123456789*#")
SECTIONS = {"menus": "menu", "inputs": "input", "lookups": "lookup", "hours": "hours",
            "recent_intents": "recent_intent"}
ACTIONS = ("queue", "menu", "input", "lookup", "hours", "recent_intent", "language",
           "transfer", "hangup", "voicemail")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")
_INTENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")   # as an intent's name (intents: config)
MAX_TRANSFER_RING = 120
RECENT_HOURS, MAX_RECENT_HOURS = 7 * 24, 90 * 24  # recent_intents' within_hours

# Parsers of the action kinds other parts add (voicemail, callback, ...): given the loader
# (error(key, msg), keys(key, doc, allowed), prompt(key, value), action(key, value)), the
# key and the action's mapping, they return an Action (settings in ``params``). The runner
# ends the IVR on such an action; VoiceChannel.ivr_actions[kind] carries it out.
ActionParser = Callable[[Any, str, dict[str, Any]], Action]
EXTRA_ACTIONS: dict[str, ActionParser] = {}


def register_action(kind: str, parser: ActionParser) -> None:
    """Let flows use ``{action: kind, ...}``, validated at load by ``parser``."""
    if kind in ACTIONS or kind in EXTRA_ACTIONS:
        raise ValueError(f"IVR action {kind!r} is already defined")
    EXTRA_ACTIONS[kind] = parser


def load_flow(path: Path, *, sounds_dir: Path, queues: Collection[str],
              custom_sounds: Path | None = None, extensions: Collection[str] = (),
              urls: Mapping[str, str] | None = None, intents: Collection[str] = ()) -> Flow:
    """Load and validate one flow file; every problem raises ConfigError (file, line, key).

    ``extensions`` are what ``transfer`` may name; ``urls`` the base URLs lookups'
    templates use as ``urls.NAME``; ``custom_sounds`` the admin's prompt directory;
    ``intents`` the intents the engine's ``intents:`` defines (empty: none are, and a
    recent-intent check may name any intent the records may carry)."""
    source = str(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(source, "(file)", f"cannot read IVR flow: {e.strerror}") from e
    raw = load_yaml_with_lines(text, source)
    if not isinstance(raw, dict):
        raise ConfigError(source, "(document)", "an IVR flow must be a mapping")
    loader = _Loader(source, raw, SoundLibrary(sounds_dir, custom_sounds), queues,
                     extensions, urls or {}, intents)
    return loader.flow(path.stem)


def load_flows(ivr_dir: Path, *, sounds_dir: Path, queues: Collection[str],
               custom_sounds: Path | None = None, extensions: Collection[str] = (),
               urls: Mapping[str, str] | None = None, intents: Collection[str] = ()
               ) -> dict[str, Flow]:
    """Load every ``*.yaml`` flow in ``ivr_dir``."""
    if not ivr_dir.is_dir():
        raise ConfigError(str(ivr_dir), "ivr.dir", "IVR directory does not exist")
    return {p.stem: load_flow(p, sounds_dir=sounds_dir, queues=queues,
                              custom_sounds=custom_sounds, extensions=extensions, urls=urls,
                              intents=intents)
            for p in sorted(ivr_dir.glob("*.yaml"))}


class _Loader:
    """Validates one flow document; errors carry the line of the deepest key found."""

    def __init__(self, source: str, raw: dict[str, Any], library: SoundLibrary,
                 queues: Collection[str], extensions: Collection[str],
                 urls: Mapping[str, str], intents: Collection[str] = ()) -> None:
        self.source, self.raw, self.library = source, raw, library
        self.queues, self.extensions, self.urls = queues, extensions, urls
        self.intents = tuple(intents)
        self.doc: dict[str, Any] = strip_lines(raw)
        self.kinds: dict[str, str] = {}          # node name -> kind
        self.languages: tuple[str, ...] = ("en",)
        self.media: dict[tuple[str, str], str] = {}
        self.variables: set[str] = set()

    # -- errors
    def error(self, key: str, message: str) -> ConfigError:
        line = self._line(key)
        return ConfigError(f"{self.source}:{line}" if line else self.source, key, message)

    def _line(self, key: str) -> int | None:
        node: Any = self.raw
        line = None
        for part in re.split(r"\.|\[", key):
            part = part.rstrip("]")
            if isinstance(node, dict):
                lines = node.get("__lines__", {})
                match = next((k for k in node if k != "__lines__" and str(k) == part), None)
                if match is None:
                    break
                line = lines.get(str(match), line)
                node = node[match]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                break
        return line

    def keys(self, key: str, doc: Any, allowed: set[str]) -> dict[str, Any]:
        """``doc`` as a mapping with only ``allowed`` keys."""
        if not isinstance(doc, dict):
            raise self.error(key, "must be a mapping")
        for k in doc:
            if k not in allowed:
                raise self.error(f"{key}.{k}", f"unknown key (expected one of "
                                               f"{sorted(allowed)})")
        return doc

    # -- the document
    def flow(self, name: str) -> Flow:
        doc = self.doc
        for k in doc:
            if k not in ("start", "languages", *SECTIONS):
                raise self.error(str(k), "unknown key (expected start, languages, "
                                         f"{', '.join(SECTIONS)})")
        language_skills = self._languages(doc.get("languages", ["en"]))
        for section, kind in SECTIONS.items():
            nodes = doc.get(section, {})
            if not isinstance(nodes, dict):
                raise self.error(section, f"must map {kind} names to {kind} settings")
            for node in nodes:
                if not isinstance(node, str) or not _NAME.match(node):
                    raise self.error(f"{section}.{node}", "a name is 1-64 letters, digits, "
                                                          "_ or -")
                if node in self.kinds:
                    raise self.error(f"{section}.{node}", f"the name is already used by a "
                                                          f"{self.kinds[node]}")
                self.kinds[node] = kind
        if not self.kinds:
            raise self.error("menus", "is required and must map menu names to menus")
        start = doc.get("start")
        if not isinstance(start, str) or start not in self.kinds:
            raise self.error("start", f"must name one of the nodes: {sorted(self.kinds)}")
        self._collect_variables(doc)
        menus = {n: self._menu(n, m) for n, m in doc.get("menus", {}).items()}
        inputs = {n: self._input(n, i) for n, i in doc.get("inputs", {}).items()}
        lookups = {n: parse_lookup(self, n, d) for n, d in doc.get("lookups", {}).items()}
        hours = {n: self._hours(n, h) for n, h in doc.get("hours", {}).items()}
        recent = {n: self._recent_intent(n, r)
                  for n, r in doc.get("recent_intents", {}).items()}
        sensitive = frozenset(i.variable for i in inputs.values() if i.sensitive)
        return Flow(name=name, source=self.source, start=start, menus=menus, inputs=inputs,
                    lookups=lookups, hours=hours, recent_intents=recent,
                    languages=self.languages,
                    language_skills=language_skills, media=dict(self.media),
                    urls=dict(self.urls), sensitive=sensitive)

    def _languages(self, value: Any) -> dict[str, dict[str, int]]:
        if isinstance(value, list):
            value = {code: None for code in value} if all(
                isinstance(c, str) for c in value) else value
        if not isinstance(value, dict) or not value:
            raise self.error("languages", "must list language codes (e.g. [en, fr]) or map "
                                          "them to {skills: {...}}")
        skills: dict[str, dict[str, int]] = {}
        for code, settings in value.items():
            if not isinstance(code, str) or not _LANGUAGE.match(code):
                raise self.error(f"languages.{code}", "is not a language code (e.g. en, fr, "
                                                      "pt_BR): a folder under sounds/")
            if settings is not None:
                s = self.keys(f"languages.{code}", settings, {"skills"})
                skills[code] = self._skills(f"languages.{code}.skills", s.get("skills", {}))
        self.languages = tuple(value)
        return skills

    def _collect_variables(self, doc: dict[str, Any]) -> None:
        for name, node in doc.get("inputs", {}).items():
            if isinstance(node, dict):
                variable = node.get("variable", name)
                if not isinstance(variable, str) or not _VARIABLE.match(variable):
                    raise self.error(f"inputs.{name}.variable", "must be a name of letters, "
                                                                "digits and _ (not first)")
                self.variables.add(variable)
        for name, node in doc.get("lookups", {}).items():
            if isinstance(node, dict) and isinstance(node.get("save"), dict):
                for variable in node["save"]:
                    if not isinstance(variable, str) or not _VARIABLE.match(variable):
                        raise self.error(f"lookups.{name}.save.{variable}",
                                         "must be a name of letters, digits and _")
                    self.variables.add(variable)

    # -- pieces shared by the nodes
    def prompt(self, key: str, value: Any) -> tuple[str, ...]:
        """Sound names, each found for every language of the flow."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, "must be a sound name or a list of sound names")
        for sound in value:
            if ".." in Path(sound).parts:
                raise self.error(key, f"prompt {sound!r}: '..' is not allowed in a name")
            for language in self.languages:
                media = self.library.media(sound, language)
                if media is None:
                    raise self.error(key, f"prompt {sound!r} not found for language "
                                          f"{language!r} under {self.library.where(language)}"
                                          f" (extensions {', '.join(SOUND_EXTENSIONS)})")
                self.media[(sound, language)] = media
        return tuple(value)

    def _number(self, key: str, value: Any, *, maximum: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
                or (maximum is not None and value > maximum):
            limit = f" (at most {maximum:g})" if maximum is not None else ""
            raise self.error(key, f"must be a positive number of seconds{limit}")
        return float(value)

    def _count(self, key: str, value: Any, minimum: int, maximum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) \
                or not minimum <= value <= maximum:
            raise self.error(key, f"must be a whole number from {minimum} to {maximum}")
        return value

    def _skills(self, key: str, value: Any) -> dict[str, int]:
        if not isinstance(value, dict):
            raise self.error(key, "must map skill names to levels 1-10")
        out = {}
        for skill, level in value.items():
            if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
                raise self.error(f"{key}.{skill}", f"level must be 1-10, got {level!r}")
            out[str(skill)] = level
        return out

    def _required(self, key: str, doc: dict[str, Any], *names: str) -> None:
        for name in names:
            if name not in doc:
                raise self.error(f"{key}.{name}", "is required")

    # -- actions
    def action(self, key: str, value: Any) -> Action:
        if not isinstance(value, dict) or "action" not in value:
            raise self.error(key, f"must be a mapping with an 'action' ({', '.join(ACTIONS)})")
        kind = value["action"]
        if kind == "queue":
            d = self.keys(key, value, {"action", "queue", "priority", "skills"})
            queue = d.get("queue")
            if queue not in self.queues:
                raise self.error(f"{key}.queue", f"unknown queue {queue!r}; known: "
                                                 f"{sorted(self.queues)}")
            priority = d.get("priority", 0)
            if not isinstance(priority, int) or isinstance(priority, bool):
                raise self.error(f"{key}.priority", "must be an integer")
            return Action("queue", queue, priority,
                          skills=self._skills(f"{key}.skills", d.get("skills", {})))
        if kind in NODE_ACTIONS:
            d = self.keys(key, value, {"action", kind})
            target = d.get(kind)
            known = sorted(n for n, k in self.kinds.items() if k == kind)
            if target not in known:
                raise self.error(f"{key}.{kind}", f"unknown {kind} {target!r}; known: {known}")
            return Action(kind, target)
        if kind == "language":
            d = self.keys(key, value, {"action", "language", "then"})
            if d.get("language") not in self.languages:
                raise self.error(f"{key}.language", f"must be one of the flow's languages "
                                                     f"{list(self.languages)}")
            self._required(key, d, "then")
            return Action("language", d["language"],
                          then=self.action(f"{key}.then", d["then"]))
        if kind == "transfer":
            d = self.keys(key, value, {"action", "extension", "timeout", "prompt",
                                       "on_failure"})
            extension = str(d.get("extension", ""))
            if extension not in self.extensions:
                raise self.error(f"{key}.extension", f"unknown extension {extension!r}; "
                                                     f"known: {sorted(self.extensions)} "
                                                     "(agents and ivr.extensions)")
            self._required(key, d, "on_failure")
            return Action("transfer", extension,
                          timeout=self._number(f"{key}.timeout", d.get("timeout", 20),
                                               maximum=MAX_TRANSFER_RING),
                          prompt=self.prompt(f"{key}.prompt", d["prompt"])
                          if "prompt" in d else (),
                          on_failure=self.action(f"{key}.on_failure", d["on_failure"]))
        if kind == "voicemail":
            d = self.keys(key, value, {"action", "queue"})
            if d.get("queue") not in self.queues:
                raise self.error(f"{key}.queue", f"unknown queue {d.get('queue')!r}; known: "
                                                 f"{sorted(self.queues)}")
            return Action("voicemail", d["queue"])
        if kind == "hangup":
            d = self.keys(key, value, {"action", "prompt"})
            return Action("hangup", prompt=self.prompt(f"{key}.prompt", d["prompt"])
                          if "prompt" in d else ())
        if isinstance(kind, str) and kind in EXTRA_ACTIONS:
            return EXTRA_ACTIONS[kind](self, key, value)
        known = ", ".join((*ACTIONS, *EXTRA_ACTIONS))
        raise self.error(f"{key}.action", f"unknown action {kind!r} ({known})")

    # -- nodes
    def _menu(self, name: str, doc: Any) -> Menu:
        key = f"menus.{name}"
        m = self.keys(key, doc, {"prompt", "timeout", "max_invalid", "invalid_prompt",
                                 "options", "on_timeout", "on_max_invalid"})
        options_doc = m.get("options")
        if not isinstance(options_doc, dict) or not options_doc:
            raise self.error(f"{key}.options", "must map digits to actions")
        options: dict[str, Action] = {}
        for digit, action in options_doc.items():
            digit = str(digit)
            if digit not in DIGITS:
                raise self.error(f"{key}.options.{digit}", "must be one DTMF digit 0-9, * or #")
            options[digit] = self.action(f"{key}.options.{digit}", action)
        self._required(key, m, "on_timeout", "on_max_invalid")
        return Menu(
            name=name,
            prompt=self.prompt(f"{key}.prompt", m.get("prompt")),
            timeout=self._number(f"{key}.timeout", m.get("timeout", 5)),
            max_invalid=self._count(f"{key}.max_invalid", m.get("max_invalid", 2), 0, 20),
            invalid_prompt=self.prompt(f"{key}.invalid_prompt",
                                       m.get("invalid_prompt", ["pm-invalid-option"])),
            options=options,
            on_timeout=self.action(f"{key}.on_timeout", m["on_timeout"]),
            on_max_invalid=self.action(f"{key}.on_max_invalid", m["on_max_invalid"]),
        )

    def _input(self, name: str, doc: Any) -> Input:
        key = f"inputs.{name}"
        d = self.keys(key, doc, {"prompt", "variable", "min_digits", "max_digits",
                                 "terminator", "timeout", "digit_timeout", "pattern",
                                 "sensitive", "max_invalid", "invalid_prompt", "then",
                                 "on_timeout", "on_max_invalid"})
        self._required(key, d, "max_digits", "then", "on_timeout", "on_max_invalid")
        max_digits = self._count(f"{key}.max_digits", d["max_digits"], 1, 64)
        min_digits = self._count(f"{key}.min_digits", d.get("min_digits", 1), 1, max_digits)
        terminator = d.get("terminator", "#")
        if terminator is None:
            terminator = ""
        if terminator not in ("#", "*", ""):
            raise self.error(f"{key}.terminator", "must be '#', '*' or null (no terminator)")
        pattern = None
        if "pattern" in d:
            if not isinstance(d["pattern"], str):
                raise self.error(f"{key}.pattern", "must be a regular expression (text)")
            try:
                pattern = re.compile(d["pattern"])
            except re.error as e:
                raise self.error(f"{key}.pattern", f"bad regular expression: {e}") from e
        sensitive = d.get("sensitive", False)
        if not isinstance(sensitive, bool):
            raise self.error(f"{key}.sensitive", "must be true or false")
        return Input(
            name=name, prompt=self.prompt(f"{key}.prompt", d.get("prompt")),
            variable=d.get("variable", name), min_digits=min_digits, max_digits=max_digits,
            terminator=terminator, timeout=self._number(f"{key}.timeout", d.get("timeout", 5)),
            digit_timeout=self._number(f"{key}.digit_timeout", d.get("digit_timeout", 3)),
            pattern=pattern, sensitive=sensitive,
            max_invalid=self._count(f"{key}.max_invalid", d.get("max_invalid", 2), 0, 20),
            invalid_prompt=self.prompt(f"{key}.invalid_prompt",
                                       d.get("invalid_prompt", ["pm-invalid-option"])),
            then=self.action(f"{key}.then", d["then"]),
            on_timeout=self.action(f"{key}.on_timeout", d["on_timeout"]),
            on_max_invalid=self.action(f"{key}.on_max_invalid", d["on_max_invalid"]),
        )

    def _hours(self, name: str, doc: Any) -> HoursCheck:
        key = f"hours.{name}"
        d = self.keys(key, doc, {"timezone", "open", "holidays", "on_open", "on_closed",
                                 "on_holiday"})
        self._required(key, d, "timezone", "on_open", "on_closed")
        try:
            hours = parse_hours({k: d[k] for k in ("timezone", "open", "holidays") if k in d},
                                self.source)
        except ConfigError as e:  # parse_hours names keys as hours.<key>
            raise self.error(f"{key}.{e.key.removeprefix('hours.')}", e.message) from None
        if hours is None:
            raise self.error(key, "needs timezone and open")
        on_closed = self.action(f"{key}.on_closed", d["on_closed"])
        return HoursCheck(name=name, hours=hours,
                          on_open=self.action(f"{key}.on_open", d["on_open"]),
                          on_closed=on_closed,
                          on_holiday=self.action(f"{key}.on_holiday", d["on_holiday"])
                          if "on_holiday" in d else on_closed)

    def _recent_intent(self, name: str, doc: Any) -> RecentIntentCheck:
        key = f"recent_intents.{name}"
        d = self.keys(key, doc, {"within_hours", "intents", "otherwise"})
        self._required(key, d, "intents", "otherwise")
        cases = d["intents"]
        if not isinstance(cases, dict) or not cases:
            raise self.error(f"{key}.intents", "must map intent names to actions")
        intents: dict[str, Action] = {}
        for intent, action in cases.items():
            where = f"{key}.intents.{intent}"
            if not isinstance(intent, str) or not _INTENT.match(intent):
                raise self.error(where, "an intent's name is lower-case letters, digits and _, "
                                        "starting with a letter")
            if self.intents and intent not in self.intents:
                raise self.error(where, f"no intent {intent!r} in the engine's intents: "
                                        f"(defined: {', '.join(self.intents)})")
            intents[intent] = self.action(where, action)
        hours = self._count(f"{key}.within_hours", d.get("within_hours", RECENT_HOURS), 1,
                            MAX_RECENT_HOURS)
        return RecentIntentCheck(name=name, within=hours * 3600.0, intents=intents,
                                 otherwise=self.action(f"{key}.otherwise", d["otherwise"]))
