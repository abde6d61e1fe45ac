"""The ``recording:`` config section and the ``voicemail`` IVR action: what is accepted,
and errors that name the file, line and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ccengine.config import ConfigError, load_config
from ccengine.telephony.ivr.flow import Action, load_flow
from ccengine.telephony.recording.settings import (
    Policy,
    RecordingSettings,
    VoicemailSettings,
    parse_settings,
)

QUEUES = ("sales", "support")


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    for name in ("vm-intro", "vm-goodbye", "pm-invalid-option", "custom/leave-a-message"):
        p = tmp_path / "sounds" / "en" / f"{name}.gsm"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")
    return tmp_path / "sounds"


def parse(raw: Any, sounds: Path | None = None, source: str = "engine.yaml"
          ) -> RecordingSettings:
    return parse_settings(raw, source=source, runtime_dir=Path("/run/cc"), queues=QUEUES,
                          sounds_dir=sounds)


def test_given_no_section_when_parsed_then_nothing_is_recorded_and_files_go_to_runtime_dir(
        sounds: Path) -> None:
    settings = parse(None, sounds)
    assert settings.dir == Path("/run/cc/recordings")
    assert settings.format == "wav" and settings.content_type == "audio/wav"
    assert settings.policy("sales") is Policy.NEVER and settings.policy(None) is Policy.NEVER
    assert settings.voicemail == VoicemailSettings()


def test_given_full_section_when_parsed_then_every_key_is_taken(sounds: Path) -> None:
    settings = parse({
        "dir": "/srv/recordings", "format": "gsm", "record": "on_demand",
        "queues": {"sales": {"record": "always"}, "support": "never"},
        "voicemail": {"prompt": "custom/leave-a-message", "goodbye": [],
                      "max_seconds": 60, "max_silence_seconds": 0},
    }, sounds)
    assert settings.dir == Path("/srv/recordings")
    assert settings.format == "gsm" and settings.content_type == "audio/x-gsm"
    assert settings.policy("sales") is Policy.ALWAYS
    assert settings.policy("support") is Policy.NEVER
    assert settings.policy("other") is Policy.ON_DEMAND  # the section's default
    assert settings.voicemail == VoicemailSettings(
        prompt=("custom/leave-a-message",), goodbye=(), max_seconds=60,
        max_silence_seconds=0)


def test_given_relative_dir_when_parsed_then_it_is_under_runtime_dir() -> None:
    assert parse({"dir": "rec/calls"}).dir == Path("/run/cc/rec/calls")


@pytest.mark.parametrize(("raw", "key", "words"), [
    ({"dirr": "x"}, "recording.dirr", "unknown key"),
    ("always", "recording", "must be a mapping"),
    ({"dir": ""}, "recording.dir", "directory path"),
    ({"format": "mp3"}, "recording.format", "must be one of"),
    ({"record": "sometimes"}, "recording.record", "must be one of"),
    ({"queues": ["sales"]}, "recording.queues", "must map queue names"),
    ({"queues": {"billing": "always"}}, "recording.queues.billing", "unknown queue"),
    ({"queues": {"sales": "alway"}}, "recording.queues.sales", "must be one of"),
    ({"queues": {"sales": {"record": True}}}, "recording.queues.sales.record",
     "must be one of"),
    ({"queues": {"sales": {}}}, "recording.queues.sales.record", "is required"),
    ({"queues": {"sales": {"record": "always", "keep": 3}}}, "recording.queues.sales.keep",
     "unknown key"),
    ({"voicemail": {"max_seconds": 0}}, "recording.voicemail.max_seconds", ">= 1"),
    ({"voicemail": {"max_seconds": "60"}}, "recording.voicemail.max_seconds", ">= 1"),
    ({"voicemail": {"max_silence_seconds": -1}}, "recording.voicemail.max_silence_seconds",
     ">= 0"),
    ({"voicemail": {"prompt": "no-such-prompt"}}, "recording.voicemail.prompt", "not found"),
    ({"voicemail": {"goodbye": [3]}}, "recording.voicemail.goodbye", "sound name"),
    ({"voicemail": {"greeting": "vm-intro"}}, "recording.voicemail.greeting", "unknown key"),
])
def test_given_bad_section_when_parsed_then_config_error_names_key(
        sounds: Path, raw: Any, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse(raw, sounds)
    assert e.value.key == key
    assert words in e.value.message


def test_given_config_file_when_key_is_wrong_then_error_names_file_and_line(
        tmp_path: Path, sounds: Path) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text("api:\n  port: 9000\nrecording:\n  format: wav\n  queues:\n"
                    "    sales: always\n    support: {record: maybe}\n")
    config = load_config(path, env={})
    with pytest.raises(ConfigError) as e:
        parse(config.raw.get("recording"), sounds, source=config.source)
    assert e.value.where == f"{path}:7"
    assert e.value.key == "recording.queues.support.record"
    assert "maybe" in str(e.value)


def test_given_voicemail_option_when_flow_loads_then_action_names_the_queue(
        tmp_path: Path, sounds: Path) -> None:
    flow = tmp_path / "main.yaml"
    flow.write_text('start: main\nmenus:\n  main:\n    prompt: [vm-intro]\n    options:\n'
                    '      "3": {action: voicemail, queue: support}\n'
                    '    on_timeout: {action: voicemail, queue: sales}\n'
                    '    on_max_invalid: {action: hangup}\n')
    loaded = load_flow(flow, sounds_dir=sounds, queues=QUEUES)
    menu = loaded.menus["main"]
    assert menu.options["3"] == Action("voicemail", "support")
    assert menu.on_timeout == Action("voicemail", "sales")


def test_given_voicemail_for_unknown_queue_when_flow_loads_then_error_names_key(
        tmp_path: Path, sounds: Path) -> None:
    flow = tmp_path / "main.yaml"
    flow.write_text('start: main\nmenus:\n  main:\n    prompt: [vm-intro]\n    options:\n'
                    '      "3": {action: voicemail, queue: billing}\n'
                    '    on_timeout: {action: hangup}\n    on_max_invalid: {action: hangup}\n')
    with pytest.raises(ConfigError) as e:
        load_flow(flow, sounds_dir=sounds, queues=QUEUES)
    assert e.value.key == "menus.main.options.3.queue"
    assert "billing" in e.value.message
