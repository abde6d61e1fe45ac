"""The chat: config section is validated at load; every error names the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ccengine.channels.chat.config import ChatSettings, load_chat_settings
from ccengine.config import load_config
from ccengine.core.errors import ConfigError
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.engine import Engine

REPO = Path(__file__).resolve().parents[3]
QUEUES = {"sales": QueueConfig("sales", frozenset({Medium.CHAT, Medium.CALLBACK})),
          "voice": QueueConfig("voice", frozenset({Medium.VOICE}))}


def settings(**chat: Any) -> ChatSettings:
    return load_chat_settings({"chat": {"entry_points": {"web": "sales"}, **chat}},
                              "engine.yaml", QUEUES)


def test_given_no_chat_section_or_disabled_then_chat_is_off() -> None:
    assert not load_chat_settings({}, "engine.yaml", QUEUES).enabled
    assert not load_chat_settings({"chat": {"enabled": False, "idle_timeout": "junk"}},
                                  "engine.yaml", QUEUES).enabled


def test_given_full_section_then_values_read() -> None:
    s = settings(allowed_origins=["https://Shop.Example.com/", "http://127.0.0.1:8080"],
                 entry_points={"web": "sales", "vip": {"queue": "sales", "priority": 5}},
                 default_entry="vip", idle_timeout=120, reconnect_grace=10,
                 max_message_chars=500, max_sessions=20, sessions_per_minute=5,
                 messages_per_minute=30, callback_queue="sales")
    assert s.enabled
    assert s.allowed_origins == {"https://shop.example.com", "http://127.0.0.1:8080"}
    assert s.origin_allowed("https://shop.example.com")
    assert not s.origin_allowed("https://shop.example.com.evil.net")
    assert s.entry_points["vip"].priority == 5 and s.default_entry == "vip"
    assert (s.idle_timeout, s.reconnect_grace, s.max_message_chars) == (120.0, 10.0, 500)
    assert s.callback_queue == "sales"


@pytest.mark.parametrize(("chat", "key", "words"), [
    ({"colour": "blue"}, "chat.colour", "unknown key"),
    ({"enabled": "yes"}, "chat.enabled", "true or false"),
    ({"idle_timeout": 0}, "chat.idle_timeout", ">= 1"),
    ({"idle_timeout": "10m"}, "chat.idle_timeout", "number of seconds"),
    ({"reconnect_grace": -1}, "chat.reconnect_grace", ">= 0"),
    ({"max_message_chars": 0}, "chat.max_message_chars", "from 1 to 20000"),
    ({"max_message_chars": 50000}, "chat.max_message_chars", "from 1 to 20000"),
    ({"sessions_per_minute": True}, "chat.sessions_per_minute", "whole number"),
    ({"allowed_origins": "https://a.example"}, "chat.allowed_origins", "list"),
    ({"allowed_origins": ["https://a.example/path"]}, "chat.allowed_origins[0]",
     "not an origin"),
    ({"allowed_origins": ["a.example"]}, "chat.allowed_origins[0]", "not an origin"),
    ({"entry_points": {}}, "chat.entry_points", "at least one"),
    ({"entry_points": {"web": "nowhere"}}, "chat.entry_points.web.queue", "no queue"),
    ({"entry_points": {"web": "voice"}}, "chat.entry_points.web.queue", "does not take chat"),
    ({"entry_points": {"web": {"queue": "sales", "priority": "high"}}},
     "chat.entry_points.web.priority", "whole number"),
    ({"entry_points": {"web": {"queue": "sales", "skill": 1}}},
     "chat.entry_points.web.skill", "unknown key"),
    ({"entry_points": {"a b": "sales"}}, "chat.entry_points.a b", "letters, digits"),
    ({"default_entry": "vip"}, "chat.default_entry", "no entry point"),
    ({"callback_queue": "voice"}, "chat.callback_queue", "does not take callback"),
])
def test_given_bad_value_then_config_error_names_key(chat: dict[str, Any], key: str,
                                                     words: str) -> None:
    with pytest.raises(ConfigError) as e:
        settings(**chat)
    assert e.value.key == key
    assert e.value.where == "engine.yaml"
    assert words in e.value.message


def test_given_bad_chat_config_file_then_engine_refuses_at_load(tmp_path: Path) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text(f"ivr: {{dir: {REPO / 'ivr'}}}\n"
                    "chat:\n  entry_points: {web: sales}\n  idle_timeout: -5\n")
    config = load_config(path, env={})
    with pytest.raises(ConfigError) as e:
        Engine(config)
    assert str(e.value).startswith(f"{path}:4: chat.idle_timeout: ")


def test_given_good_chat_config_file_then_engine_has_chat_settings(tmp_path: Path) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text(f"ivr: {{dir: {REPO / 'ivr'}}}\n"
                    "chat:\n  allowed_origins: ['https://www.example.com']\n"
                    "  entry_points: {web: sales, help: support}\n")
    engine = Engine(load_config(path, env={}))
    assert engine.chat_settings.enabled
    assert set(engine.chat_settings.entry_points) == {"web", "help"}
