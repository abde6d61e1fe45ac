"""The ``recording:`` config section::

    recording:
      dir: recordings          # relative paths are under runtime_dir
      format: wav              # wav | gsm | ulaw | alaw | sln
      record: never            # the policy of queues not listed below
      queues:
        sales: {record: always}        # or the short form  sales: always
        support: {record: on_demand}
      voicemail:
        prompt: [vm-intro]     # played before the beep
        goodbye: [vm-goodbye]  # played after the message, before hanging up
        max_seconds: 180       # longest message
        max_silence_seconds: 10  # silence that ends a message (0: never)

Every problem raises ConfigError naming the file (and line when the section comes from
a config file), the key and what is wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from ccengine.config import ConfigSection
from ccengine.telephony.ivr.flow import sound_exists

SECTION = "recording"
# formats Asterisk writes with the modules the engine loads, and how they are served
CONTENT_TYPES = {"wav": "audio/wav", "gsm": "audio/x-gsm", "ulaw": "audio/basic",
                 "alaw": "audio/x-alaw-basic", "sln": "audio/L16;rate=8000"}


class Policy(StrEnum):
    """Whether a queue's calls are recorded once caller and agent are bridged."""

    ALWAYS = "always"
    NEVER = "never"
    ON_DEMAND = "on_demand"     # only when the agent (or a supervisor) starts it


@dataclass(frozen=True)
class VoicemailSettings:
    prompt: tuple[str, ...] = ("vm-intro",)
    goodbye: tuple[str, ...] = ("vm-goodbye",)
    max_seconds: int = 180
    max_silence_seconds: int = 10


@dataclass(frozen=True)
class RecordingSettings:
    dir: Path
    format: str = "wav"
    default: Policy = Policy.NEVER
    queues: Mapping[str, Policy] = field(default_factory=dict)
    voicemail: VoicemailSettings = field(default_factory=VoicemailSettings)

    def policy(self, queue: str | None) -> Policy:
        """The recording policy of calls answered in ``queue``."""
        return self.queues.get(queue or "", self.default)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def _prompt(s: ConfigSection, key: str, default: tuple[str, ...],
            sounds_dir: Path | None) -> tuple[str, ...]:
    value = s.data.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise s.error(key, "must be a sound name or a list of sound names")
    for sound in value:
        if sounds_dir is not None and not sound_exists(sounds_dir, sound):
            raise s.error(key, f"prompt {sound!r} not found under {sounds_dir}/en")
    return tuple(value)


def parse_settings(raw: Any, *, source: str, runtime_dir: Path, queues: Collection[str],
                   sounds_dir: Path | None = None) -> RecordingSettings:
    """The recording settings from the config's ``recording`` section (None: defaults).
    ``queues`` are the configured queue names; prompts are checked under ``sounds_dir``."""
    s = ConfigSection({} if raw is None else raw, source, SECTION,
                      {"dir", "format", "record", "queues", "voicemail"})
    directory = s.data.get("dir", "recordings")
    if not isinstance(directory, str) or not directory.strip():
        raise s.error("dir", "must be a directory path")
    path = Path(directory)
    fmt = s.data.get("format", "wav")
    if fmt not in CONTENT_TYPES:
        raise s.error("format", f"must be one of {sorted(CONTENT_TYPES)}, got {fmt!r}")
    default = _policy(s, "record", s.data.get("record", Policy.NEVER.value))
    policies: dict[str, Policy] = {}
    per_queue = s.data.get("queues", {})
    if not isinstance(per_queue, Mapping):
        raise s.error("queues", "must map queue names to {record: always|never|on_demand}")
    for name, value in per_queue.items():
        key = f"queues.{name}"
        if name not in queues:
            raise s.error(key, f"unknown queue {name!r}; known: {sorted(queues)}")
        if isinstance(value, Mapping):
            q = ConfigSection(value, source, f"{SECTION}.{key}", {"record"})
            if "record" not in value:
                raise q.error("record", "is required")
            policies[str(name)] = _policy(q, "record", value["record"])
        else:
            policies[str(name)] = _policy(s, key, value)
    v = s.section("voicemail", {"prompt", "goodbye", "max_seconds", "max_silence_seconds"})
    defaults = VoicemailSettings()
    voicemail = VoicemailSettings(
        prompt=_prompt(v, "prompt", defaults.prompt, sounds_dir),
        goodbye=_prompt(v, "goodbye", defaults.goodbye, sounds_dir),
        max_seconds=v.integer("max_seconds", defaults.max_seconds, minimum=1),
        max_silence_seconds=v.integer("max_silence_seconds", defaults.max_silence_seconds))
    return RecordingSettings(dir=path if path.is_absolute() else runtime_dir / path,
                             format=fmt, default=default, queues=policies,
                             voicemail=voicemail)


def _policy(s: ConfigSection, key: str, value: Any) -> Policy:
    try:
        return Policy(value)
    except ValueError:
        raise s.error(key, f"must be one of {[p.value for p in Policy]}, "
                           f"got {value!r}") from None
