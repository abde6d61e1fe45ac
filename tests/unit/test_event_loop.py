"""``event_loop``: which loop ``ccengine run`` runs on (uvloop by default)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import uvloop

from ccengine import cli
from ccengine.config import ConfigError, EngineConfig, load_config

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("overrides", "expected"), [
    ([], uvloop.Loop),
    (["event_loop=asyncio"], asyncio.BaseEventLoop),
])
def test_run_takes_the_configured_loop(overrides: list[str], expected: type,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``ccengine run`` runs the engine on the loop ``event_loop`` names (the engine itself
    is replaced: only the loop it would run on is looked at)."""
    seen: list[asyncio.AbstractEventLoop] = []

    async def fake_run(config: EngineConfig, again: object) -> int:
        seen.append(asyncio.get_running_loop())
        return 0
    monkeypatch.setattr(cli, "_run", fake_run)
    args = [a for o in overrides for a in ("--set", o)]
    assert cli.main([*args, "run"]) == 0
    assert len(seen) == 1 and isinstance(seen[0], expected)
    if expected is not uvloop.Loop:
        assert not isinstance(seen[0], uvloop.Loop)


def test_given_unknown_loop_when_checked_then_refused_naming_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["--set", f"ivr.dir={REPO / 'ivr'}", "--set", f"runtime_dir={tmp_path}",
                     "--set", "event_loop=trio", "check"])
    err = capsys.readouterr().err
    assert code == 2
    assert "event_loop: must be uvloop or asyncio" in err, err


def test_given_uvloop_missing_then_check_refuses_and_asyncio_still_passes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    with pytest.raises(ConfigError, match="event_loop: uvloop is not installed"):
        cli.loop_factory(load_config(None, env={}))
    base = ["--set", f"ivr.dir={REPO / 'ivr'}", "--set", f"runtime_dir={tmp_path}"]
    assert cli.main([*base, "check"]) == 2
    assert "uvloop is not installed" in capsys.readouterr().err
    assert cli.main([*base, "--set", "event_loop=asyncio", "check"]) == 0
