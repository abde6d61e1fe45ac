"""The config loader: precedence, freezing and errors that name file, line and key."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from ccengine.config import ConfigError, load_config


def test_given_no_file_when_loading_then_embedded_defaults_apply() -> None:
    config = load_config(None, env={})
    assert config.source == "embedded defaults"
    assert config.api.host == "127.0.0.1"
    assert config.asterisk.bind == "127.0.0.1"
    assert config.state_backend == "memory"
    assert config.store_url.startswith("sqlite+aiosqlite:///")
    assert {a["id"] for a in config.agents} == {"alice", "bob"}


def test_given_file_env_and_cli_when_loading_then_cli_beats_env_beats_file(
        tmp_path: Path) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text("api:\n  port: 9001\nasterisk:\n  sip_port: 6001\n  ami_port: 6002\n")
    config = load_config(f, env={"CCENGINE__API__PORT": "9002",
                                 "CCENGINE__ASTERISK__SIP_PORT": "6003"},
                         overrides=["api.port=9003"])
    assert config.api.port == 9003
    assert config.asterisk.sip_port == 6003
    assert config.asterisk.ami_port == 6002
    assert config.runtime_dir == (tmp_path / "var").resolve()


def test_given_a_loaded_config_when_changing_it_then_it_is_frozen() -> None:
    config = load_config(None, env={})
    with pytest.raises(FrozenInstanceError):
        config.api = None  # type: ignore[misc]


def test_given_a_bad_port_when_loading_then_error_names_file_line_and_key(
        tmp_path: Path) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text("# comment\napi:\n  port: 70000\n")
    with pytest.raises(ConfigError) as e:
        load_config(f, env={})
    assert e.value.key == "api.port"
    assert e.value.where == f"{f}:2"
    assert "not a TCP/UDP port" in str(e.value)


def test_given_an_unknown_key_when_loading_then_it_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text("asterisk:\n  sip_prot: 5070\n")
    with pytest.raises(ConfigError, match="asterisk.sip_prot: unknown key"):
        load_config(f, env={})


def test_given_desk_lists_in_a_file_when_loading_then_they_replace_the_defaults(
        tmp_path: Path) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text("not_ready_reasons: [lunch, {code: admin, label: Paperwork}]\n"
                 "canned_responses: []\n")
    raw = load_config(f, env={}).raw
    assert raw["not_ready_reasons"] == ["lunch", {"code": "admin", "label": "Paperwork"}]
    assert raw["canned_responses"] == []
    assert len(load_config(None, env={}).raw["not_ready_reasons"]) == 5


def test_given_broken_yaml_when_loading_then_error_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text("api:\n  port: [1,\n")
    with pytest.raises(ConfigError, match="invalid YAML") as e:
        load_config(f, env={})
    assert e.value.where.startswith(f"{f}:")


def test_given_a_wrong_type_when_loading_then_error_says_what_was_expected() -> None:
    with pytest.raises(ConfigError, match="offer_timeout: must be float, got str"):
        load_config(None, env={}, overrides=["offer_timeout=soon"])


def test_given_an_override_without_equals_when_loading_then_it_is_refused() -> None:
    with pytest.raises(ConfigError, match="key.sub=value"):
        load_config(None, env={}, overrides=["api.port"])


def test_given_nested_key_when_located_then_file_and_line_of_deepest_part_found(
        tmp_path: Path) -> None:
    from ccengine.config import locate
    f = tmp_path / "engine.yaml"
    f.write_text("email:\n  mailboxes:\n    - address: a@shop.test\n      imap:\n"
                 "        port: 0\n")
    assert locate(str(f), "email.mailboxes[0].imap.port") == f"{f}:5"
    assert locate(str(f), "email.mailboxes[3].imap") == f"{f}:2"      # no 4th mailbox
    assert locate(str(f), "chat.idle_timeout") == str(f)             # not in the file
    assert locate("embedded defaults", "email.relay") == "embedded defaults"


def test_given_no_sessions_section_when_loading_then_documented_defaults_apply() -> None:
    from ccengine.config import SessionSettings, SignInLimit
    sessions = load_config(None, env={}).sessions
    assert sessions == SessionSettings(idle_minutes=480, max_hours=12, secure_cookie=False,
                                       signin_limit=SignInLimit(5, 20, 300))


def test_given_sessions_in_file_env_and_cli_when_loading_then_each_key_taken(
        tmp_path: Path) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text("sessions:\n  idle_minutes: 30\n  signin_limit:\n    per_user: 3\n")
    sessions = load_config(f, env={"CCENGINE__SESSIONS__SECURE_COOKIE": "true"},
                           overrides=["sessions.signin_limit.window_seconds=60"]).sessions
    assert (sessions.idle_minutes, sessions.max_hours, sessions.secure_cookie) == (30, 12, True)
    limit = sessions.signin_limit
    assert (limit.per_user, limit.per_address, limit.window_seconds) == (3, 20, 60)


@pytest.mark.parametrize(("yaml_text", "key", "line", "problem"), [
    ("sessions:\n  idle_minutes: 0\n", "sessions.idle_minutes", 2, "whole number"),
    ("sessions:\n  idle_minutes: soon\n", "sessions.idle_minutes", 2, "whole number"),
    ("sessions:\n  max_hours: 721\n", "sessions.max_hours", 2, "from 1 to 720"),
    ("sessions:\n  max_hours: 1.5\n", "sessions.max_hours", 2, "whole number"),
    ("sessions:\n  secure_cookie: yes please\n", "sessions.secure_cookie", 2, "true or false"),
    ("sessions:\n  idle_minute: 5\n", "sessions.idle_minute", 2, "unknown key"),
    ("sessions:\n  signin_limit:\n    per_user: -1\n", "sessions.signin_limit.per_user", 3,
     "whole number"),
    ("sessions:\n  signin_limit:\n    per_address: true\n",
     "sessions.signin_limit.per_address", 3, "whole number"),
    ("sessions:\n  signin_limit:\n    window_seconds: 0\n",
     "sessions.signin_limit.window_seconds", 3, "whole number"),
    ("sessions:\n  signin_limit:\n    per_hour: 5\n", "sessions.signin_limit.per_hour", 3,
     "unknown key"),
    ("sessions:\n  signin_limit: 5\n", "sessions.signin_limit", 2, "must be a mapping"),
    ("# sessions off?\nsessions: null\n", "sessions", 2, "must be a mapping"),
])
def test_given_a_bad_sessions_value_when_loading_then_error_names_file_line_and_key(
        tmp_path: Path, yaml_text: str, key: str, line: int, problem: str) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text(yaml_text)
    with pytest.raises(ConfigError) as e:
        load_config(f, env={})
    assert (e.value.key, e.value.where) == (key, f"{f}:{line}")
    assert problem in e.value.message


def test_given_whole_sessions_section_on_command_line_when_loading_then_rest_default() -> None:
    sessions = load_config(None, env={}, overrides=["sessions={secure_cookie: true}"]).sessions
    assert (sessions.secure_cookie, sessions.idle_minutes,
            sessions.signin_limit.per_address) == (True, 480, 20)


def test_given_a_media_timeout_when_loading_then_whole_seconds_or_zero_only() -> None:
    assert load_config(None, env={}).asterisk.media_timeout == 120
    assert load_config(None, env={}, overrides=["asterisk.media_timeout=0"]
                       ).asterisk.media_timeout == 0
    for bad in ("5", "1.5", "true", "-1", "'2m'"):
        with pytest.raises(ConfigError, match="asterisk.media_timeout: must be 0 .never. or "
                                              "whole seconds from 10 to 86400"):
            load_config(None, env={}, overrides=[f"asterisk.media_timeout={bad}"])
