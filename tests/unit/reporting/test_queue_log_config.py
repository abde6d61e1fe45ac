"""``reporting.queue_log``: where the queue log goes (on by default, in runtime_dir), how it
is turned off, and a wrong value refused with its file, line and key (also by
``ccengine check``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccengine.cli import main
from ccengine.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[3]


def queue_log(tmp_path: Path, *overrides: str) -> Path | None:
    return load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}", *overrides]
                       ).queue_log


def test_given_defaults_then_queue_log_in_runtime_dir(tmp_path: Path) -> None:
    assert queue_log(tmp_path) == tmp_path / "queue_log"
    # a reporting section without the key (e.g. replaced whole on the command line)
    assert queue_log(tmp_path, "reporting={timezone: UTC}") == tmp_path / "queue_log"


@pytest.mark.parametrize(("value", "expected"), [
    ("logs/queue_log", "{runtime}/logs/queue_log"),
    ("/var/log/ccengine/queue_log", "/var/log/ccengine/queue_log"),
    ("false", None), ("null", None), ("''", None),
])
def test_given_a_path_or_off_then_taken(tmp_path: Path, value: str,
                                        expected: str | None) -> None:
    got = queue_log(tmp_path, f"reporting.queue_log={value}")
    assert got == (None if expected is None else Path(expected.format(runtime=tmp_path)))


@pytest.mark.parametrize(("yaml_text", "problem"), [
    ("reporting:\n  queue_log: true\n", "must be a file path, or false"),
    ("reporting:\n  queue_log: 7\n", "must be a file path, or false"),
    ("reporting:\n  queue_log: [a]\n", "must be a file path, or false"),
    ("reporting:\n  queue_log: .\n", "is a folder"),
])
def test_given_a_bad_value_when_loading_then_file_line_and_key(
        tmp_path: Path, yaml_text: str, problem: str) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text(f"runtime_dir: {tmp_path}\n{yaml_text}")
    with pytest.raises(ConfigError) as e:
        load_config(f, env={})
    assert (e.value.where, e.value.key) == (f"{f}:3", "reporting.queue_log")
    assert problem in e.value.message


def test_given_a_bad_value_when_checked_then_refused_naming_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--set", f"ivr.dir={REPO / 'ivr'}", "--set", f"runtime_dir={tmp_path}",
                 "--set", "reporting.queue_log=yes", "check"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "configuration error" in err and "reporting.queue_log" in err, err
