"""IVR flows: YAML files under ``ivr/``, validated at load with errors naming file, line and key.

A flow file::

    start: main
    menus:
      main:
        prompt: [hello, vm-press, digits/1]   # Asterisk sound names (no extension)
        timeout: 5          # seconds to wait for a digit once the prompt has played
        max_invalid: 2      # invalid digits replay the menu this often, then on_max_invalid
        invalid_prompt: [pm-invalid-option]
        options:
          "1": {action: queue, queue: sales}
          "2": {action: menu, menu: other}
        on_timeout: {action: queue, queue: support}
        on_max_invalid: {action: queue, queue: support}

Actions: ``queue`` (queue, optional priority), ``menu`` (go to another menu), ``hangup``,
``voicemail`` (queue: leave a message for that queue's agents), ``callback`` (queue: leave a
number to be called back, keeping the place in that queue).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccengine.config import ConfigError, load_yaml_with_lines, strip_lines

DIGITS = frozenset("0123456789*#")
SOUND_EXTENSIONS = (".gsm", ".wav", ".ulaw", ".alaw", ".sln", ".g722", ".wav49")


@dataclass(frozen=True)
class Action:
    kind: str            # queue | menu | hangup | voicemail | callback
    target: str = ""     # queue name (queue, voicemail, callback) or menu name
    priority: int = 0


@dataclass(frozen=True)
class Menu:
    name: str
    prompt: tuple[str, ...]
    timeout: float
    max_invalid: int
    invalid_prompt: tuple[str, ...]
    options: Mapping[str, Action]
    on_timeout: Action
    on_max_invalid: Action


@dataclass(frozen=True)
class Flow:
    name: str
    source: str
    start: str
    menus: Mapping[str, Menu]


class _Where:
    def __init__(self, source: str, lines: Mapping[str, int]) -> None:
        self.source, self.lines = source, lines

    def error(self, key: str, message: str) -> ConfigError:
        line = self.lines.get(key.split(".")[0])
        return ConfigError(f"{self.source}:{line}" if line else self.source, key, message)


def sound_exists(sounds_dir: Path, name: str, language: str = "en") -> bool:
    """True when Asterisk can play sound ``name`` (absolute path or under sounds/<lang>)."""
    base = Path(name) if name.startswith("/") else sounds_dir / language / name
    return any(base.with_name(base.name + ext).exists() for ext in SOUND_EXTENSIONS)


def load_flow(path: Path, *, sounds_dir: Path, queues: Collection[str]) -> Flow:
    """Load and validate one flow file; every problem raises ConfigError (file, line, key)."""
    source = str(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(source, "(file)", f"cannot read IVR flow: {e.strerror}") from e
    doc = load_yaml_with_lines(text, source)
    if not isinstance(doc, dict):
        raise ConfigError(source, "(document)", "an IVR flow must be a mapping")
    w = _Where(source, doc.get("__lines__", {}))
    doc = strip_lines(doc)
    for key in doc:
        if key not in ("start", "menus"):
            raise w.error(key, "unknown key (expected start, menus)")
    menus_doc = doc.get("menus")
    if not isinstance(menus_doc, dict) or not menus_doc:
        raise w.error("menus", "is required and must map menu names to menus")
    start = doc.get("start")
    if not isinstance(start, str) or start not in menus_doc:
        raise w.error("start", f"must name one of the menus: {sorted(menus_doc)}")
    menus = {name: _menu(w, name, m, sounds_dir, queues, set(menus_doc))
             for name, m in menus_doc.items()}
    return Flow(name=path.stem, source=source, start=start, menus=menus)


def _prompt(w: _Where, key: str, value: Any, sounds_dir: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise w.error(key, "must be a sound name or a list of sound names")
    for sound in value:
        if not sound_exists(sounds_dir, sound):
            raise w.error(key, f"prompt {sound!r} not found under {sounds_dir}/en "
                               f"(extensions {', '.join(SOUND_EXTENSIONS)})")
    return tuple(value)


def _action(w: _Where, key: str, value: Any, queues: Collection[str],
            menus: set[str]) -> Action:
    if not isinstance(value, dict) or "action" not in value:
        raise w.error(key, "must be a mapping with an 'action' (queue, menu, hangup, "
                           "voicemail, callback)")
    kind = value["action"]
    if kind == "queue":
        queue = value.get("queue")
        if queue not in queues:
            raise w.error(f"{key}.queue", f"unknown queue {queue!r}; known: {sorted(queues)}")
        priority = value.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise w.error(f"{key}.priority", "must be an integer")
        return Action("queue", queue, priority)
    if kind == "menu":
        target = value.get("menu")
        if target not in menus:
            raise w.error(f"{key}.menu", f"unknown menu {target!r}; known: {sorted(menus)}")
        return Action("menu", target)
    if kind == "hangup":
        return Action("hangup")
    if kind == "voicemail":  # a message for the queue's agents (telephony/recording)
        queue = value.get("queue")
        if queue not in queues:
            raise w.error(f"{key}.queue", f"unknown queue {queue!r}; known: {sorted(queues)}")
        return Action("voicemail", queue)
    if kind == "callback":  # the caller leaves a number and keeps their place in the queue
        queue = value.get("queue")
        if queue not in queues:
            raise w.error(f"{key}.queue", f"unknown queue {queue!r}; known: {sorted(queues)}")
        return Action("callback", queue)
    raise w.error(f"{key}.action", f"unknown action {kind!r} (queue, menu, hangup, "
                                   "voicemail, callback)")


def _menu(w: _Where, name: str, m: Any, sounds_dir: Path, queues: Collection[str],
          menus: set[str]) -> Menu:
    key = f"menus.{name}"
    if not isinstance(m, dict):
        raise w.error(key, "must be a mapping")
    allowed = {"prompt", "timeout", "max_invalid", "invalid_prompt", "options", "on_timeout",
               "on_max_invalid"}
    for k in m:
        if k not in allowed:
            raise w.error(f"{key}.{k}", f"unknown key (expected one of {sorted(allowed)})")
    timeout = m.get("timeout", 5)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise w.error(f"{key}.timeout", "must be a positive number of seconds")
    max_invalid = m.get("max_invalid", 2)
    if not isinstance(max_invalid, int) or isinstance(max_invalid, bool) or max_invalid < 0:
        raise w.error(f"{key}.max_invalid", "must be a whole number >= 0")
    options_doc = m.get("options")
    if not isinstance(options_doc, dict) or not options_doc:
        raise w.error(f"{key}.options", "must map digits to actions")
    options: dict[str, Action] = {}
    for digit, action in options_doc.items():
        digit = str(digit)
        if digit not in DIGITS:
            raise w.error(f"{key}.options.{digit}", "must be one DTMF digit 0-9, * or #")
        options[digit] = _action(w, f"{key}.options.{digit}", action, queues, menus)
    for branch in ("on_timeout", "on_max_invalid"):
        if branch not in m:
            raise w.error(f"{key}.{branch}", "is required")
    return Menu(
        name=name,
        prompt=_prompt(w, f"{key}.prompt", m.get("prompt"), sounds_dir),
        timeout=float(timeout),
        max_invalid=max_invalid,
        invalid_prompt=_prompt(w, f"{key}.invalid_prompt",
                               m.get("invalid_prompt", ["pm-invalid-option"]), sounds_dir),
        options=options,
        on_timeout=_action(w, f"{key}.on_timeout", m["on_timeout"], queues, menus),
        on_max_invalid=_action(w, f"{key}.on_max_invalid", m["on_max_invalid"], queues, menus),
    )


def load_flows(ivr_dir: Path, *, sounds_dir: Path, queues: Collection[str]) -> dict[str, Flow]:
    """Load every ``*.yaml`` flow in ``ivr_dir``."""
    if not ivr_dir.is_dir():
        raise ConfigError(str(ivr_dir), "ivr.dir", "IVR directory does not exist")
    return {p.stem: load_flow(p, sounds_dir=sounds_dir, queues=queues)
            for p in sorted(ivr_dir.glob("*.yaml"))}
