"""``metrics.token``: who may read GET /metrics from beyond loopback. A wrong value stops
the engine (and fails ``ccengine check``) naming the file, the line and the key, without
echoing the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccengine.cli import main
from ccengine.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
GOOD = "Abc.def_ghi~jkl+mno/pq=r-0123"


def test_given_no_metrics_section_then_no_token() -> None:
    assert load_config(None, env={}).metrics.token is None


def test_given_a_token_in_file_env_or_command_line_then_it_is_taken(tmp_path: Path) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text(f"metrics:\n  token: {GOOD}\n")
    assert load_config(f, env={}).metrics.token == GOOD
    env = {"CCENGINE__METRICS__TOKEN": "from-the-environment-0123"}
    assert load_config(f, env=env).metrics.token == "from-the-environment-0123"
    assert load_config(f, env=env, overrides=["metrics.token=null"]).metrics.token is None


@pytest.mark.parametrize(("value", "problem"), [
    ("short", "got 5 characters"),
    ("'with spaces in it, not allowed'", "some not allowed"),
    ("12345678901234567890", "got a number"),
    ("[a, b]", "got a list"),
])
def test_given_a_bad_token_then_error_names_file_line_and_key(
        tmp_path: Path, value: str, problem: str) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text(f"api:\n  port: 8470\nmetrics:\n  token: {value}\n")
    with pytest.raises(ConfigError) as e:
        load_config(f, env={})
    assert (e.value.key, e.value.where) == ("metrics.token", f"{f}:4")
    assert problem in e.value.message
    assert "with spaces" not in e.value.message    # a secret is described, never shown


def test_given_an_unknown_metrics_key_then_refused() -> None:
    with pytest.raises(ConfigError) as e:
        load_config(None, env={}, overrides=["metrics={tokens: x}"])
    assert e.value.key == "metrics.tokens"


def test_given_a_bad_token_when_checked_then_refused(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--set", f"ivr.dir={REPO / 'ivr'}", "--set", f"runtime_dir={tmp_path}",
                 "--set", "metrics.token=tooshort", "check"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "configuration error" in err and "metrics.token" in err, err
