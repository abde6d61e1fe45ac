"""``event_loop``: which loop ``ccengine run`` runs on (uvloop by default)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import uvloop

from ccengine.cli import loop_factory, main
from ccengine.config import load_config

REPO = Path(__file__).resolve().parents[2]


def test_default_is_uvloop_and_asyncio_is_the_stdlib_loop() -> None:
    factory = loop_factory(load_config(None, env={}))
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    assert loop_factory(load_config(None, env={}, overrides=["event_loop=asyncio"])) is None
    with asyncio.Runner(loop_factory=None) as runner:
        assert not isinstance(runner.get_loop(), uvloop.Loop)


def test_given_unknown_loop_when_checked_then_refused_naming_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--set", f"ivr.dir={REPO / 'ivr'}", "--set", f"runtime_dir={tmp_path}",
                 "--set", "event_loop=trio", "check"])
    err = capsys.readouterr().err
    assert code == 2
    assert "event_loop: must be uvloop or asyncio" in err, err


def test_given_uvloop_missing_then_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    with pytest.raises(Exception, match="event_loop: uvloop is not installed"):
        loop_factory(load_config(None, env={}))
