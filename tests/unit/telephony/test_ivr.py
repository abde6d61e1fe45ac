"""IVR flows: load-time validation and the runner's branches (no Asterisk needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccengine.config import ConfigError
from ccengine.telephony.ivr.flow import load_flow
from ccengine.telephony.ivr.runner import run_flow

REPO = Path(__file__).resolve().parents[3]
SOUNDS = Path("/usr/share/asterisk/sounds")


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    """A private sounds dir with the prompts the test flows use."""
    for name in ("hello", "pm-invalid-option", "vm-press", "vm-for", "digits/1", "digits/2"):
        p = tmp_path / "sounds" / "en" / f"{name}.gsm"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")
    return tmp_path / "sounds"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "flow.yaml"
    p.write_text(text)
    return p


FLOW = """\
start: main
menus:
  main:
    prompt: [hello]
    timeout: 3
    max_invalid: 2
    options:
      "1": {action: queue, queue: sales}
      "2": {action: queue, queue: support, priority: 5}
      "9": {action: menu, menu: more}
    on_timeout: {action: queue, queue: sales}
    on_max_invalid: {action: queue, queue: support}
  more:
    prompt: hello
    options:
      "0": {action: hangup}
    on_timeout: {action: menu, menu: main}
    on_max_invalid: {action: hangup}
"""


class ScriptedCaller:
    """A caller that presses the given digits (None = stays silent) in order."""

    def __init__(self, presses: list[str | None]) -> None:
        self.presses = list(presses)
        self.played: list[tuple[str, ...]] = []

    async def play(self, prompts: tuple[str, ...], language: str | None = None
                   ) -> str | None:
        self.played.append(prompts)
        return None

    async def get_digit(self, timeout: float) -> str | None:
        return self.presses.pop(0) if self.presses else None


@pytest.mark.parametrize(("presses", "kind", "target", "path"), [
    (["1"], "queue", "sales", ["main:1"]),
    (["2"], "queue", "support", ["main:2"]),
    ([None], "queue", "sales", ["main:timeout"]),
    (["7", "1"], "queue", "sales", ["main:7:invalid", "main:1"]),
    (["7", "8", "5"], "queue", "support",
     ["main:7:invalid", "main:8:invalid", "main:5:invalid"]),
    (["9", "0"], "hangup", "", ["main:9", "more:0"]),
])
async def test_given_caller_presses_when_running_then_branch_and_path_follow(
        tmp_path: Path, sounds: Path, presses: list[str | None], kind: str, target: str,
        path: list[str]) -> None:
    flow = load_flow(write(tmp_path, FLOW), sounds_dir=sounds, queues={"sales", "support"})
    result = await run_flow(flow, ScriptedCaller(presses))
    assert (result.action.kind, result.action.target, result.path) == (kind, target, path)


async def test_given_invalid_digit_when_running_then_invalid_prompt_and_menu_replay(
        tmp_path: Path, sounds: Path) -> None:
    flow = load_flow(write(tmp_path, FLOW), sounds_dir=sounds, queues={"sales", "support"})
    caller = ScriptedCaller(["4", "2"])
    result = await run_flow(flow, caller)
    assert caller.played == [("hello",), ("pm-invalid-option",), ("hello",)]
    assert result.action.priority == 5


@pytest.mark.parametrize(("change", "key", "message"), [
    (("queue: sales}", "queue: nowhere}"), "menus.main.options.1.queue", "unknown queue"),
    (("prompt: [hello]", "prompt: [no-such-sound]"), "menus.main.prompt", "not found"),
    (('"9": {action: menu, menu: more}', '"9": {action: menu, menu: gone}'),
     "menus.main.options.9.menu", "unknown menu"),
    (('"1": {action', '"12": {action'), "menus.main.options.12", "one DTMF digit"),
    (("timeout: 3", "timeout: -1"), "menus.main.timeout", "positive"),
    (("start: main", "start: nope"), "start", "must name one of the nodes"),
    (("    on_timeout: {action: queue, queue: sales}\n", ""), "menus.main.on_timeout",
     "is required"),
])
def test_given_a_broken_flow_when_loading_then_error_names_file_line_and_key(
        tmp_path: Path, sounds: Path, change: tuple[str, str], key: str, message: str) -> None:
    path = write(tmp_path, FLOW.replace(*change, 1))
    with pytest.raises(ConfigError) as e:
        load_flow(path, sounds_dir=sounds, queues={"sales", "support"})
    assert e.value.key == key
    assert message in e.value.message
    assert e.value.where.startswith(f"{path}:")


@pytest.mark.skipif(not SOUNDS.exists(), reason="needs the Asterisk sounds package")
def test_given_the_shipped_main_flow_when_loading_then_it_is_valid() -> None:
    flow = load_flow(REPO / "ivr" / "main.yaml", sounds_dir=SOUNDS,
                     queues={"sales", "support"})
    assert flow.menus["main"].options["1"].target == "sales"
    assert flow.menus["main"].options["2"].target == "support"


class BargingCaller(ScriptedCaller):
    """Presses the next digit while the invalid-option prompt is still playing."""

    async def play(self, prompts: tuple[str, ...], language: str | None = None
                   ) -> str | None:
        self.played.append(prompts)
        if prompts == ("pm-invalid-option",) and self.presses:
            return self.presses.pop(0)
        return None


async def test_given_digit_during_invalid_prompt_when_running_then_it_answers_the_menu(
        tmp_path: Path, sounds: Path) -> None:
    flow = load_flow(write(tmp_path, FLOW), sounds_dir=sounds, queues={"sales", "support"})
    caller = BargingCaller(["4", "2"])
    result = await run_flow(flow, caller)
    assert result.path == ["main:4:invalid", "main:2"]
    assert caller.played == [("hello",), ("pm-invalid-option",)]
