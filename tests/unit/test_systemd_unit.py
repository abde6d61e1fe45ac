"""The shipped systemd unit runs ``ccengine run`` with restart on failure, and its stop
leaves Asterisk (and the calls) up: only the engine's process is signalled."""

from __future__ import annotations

import configparser
from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "ccengine.service"


def test_given_the_unit_then_restart_on_failure_and_stop_signals_the_engine_alone() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(UNIT.read_text())
    service = unit["Service"]
    assert service["ExecStart"].endswith(" run") and "ccengine" in service["ExecStart"]
    assert service["Restart"] == "on-failure"
    assert service["KillMode"] == "process"   # Asterisk, in its own session, keeps calls
    assert service["KillSignal"] == "SIGTERM"  # the engine's clean stop
    assert unit["Install"]["WantedBy"] == "multi-user.target"
