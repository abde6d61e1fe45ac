"""The examples in README.md and docs/*.md are true: every YAML block parses, and those that
are engine config pass ``ccengine check``; every shell block is either run here or says why
not; what a run block is documented to print is what it prints.

The marks are described in test_docs_parsing.py. Run blocks of one document run in order, in
a directory of their own that holds what a clone run from its top has: ``.venv`` (this
repository's), a copy of ``ivr/``, and a runtime directory ``var/`` the embedded defaults
made (``var/secrets.json``, ``var/ccengine.db``); ``.venv/bin`` is first on PATH, and each
block runs under ``bash -e -o pipefail`` with a time limit. Blocks marked ``not run`` are
skipped, and pytest counts them.

Engine config blocks (a mapping of the config's sections) are checked on top of the
embedded defaults and the repository's IVR flows, as ``ccengine --config BLOCK check``
checks them: a block that gives ``queues`` gives every queue the defaults' people and flows
name (sales, support)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ccengine.cli import main
from ccengine.config import SECTIONS_OF_PARTS
from tests.unit.test_docs_parsing import DOCS, REPO, Block, blocks

SHELLS = {"sh", "bash", "shell", "console"}
CONFIG_SECTIONS = {"runtime_dir", "store", "state", "default_region", "service_numbers", "ivr",
                   "offer_timeout", "event_loop", "api", "asterisk", "agents", "queues",
                   "supervisors", "sessions", "metrics", *SECTIONS_OF_PARTS}
BLOCK_SECONDS = 60

ALL = [b for doc in DOCS for b in blocks(doc)]
YAML = [b for b in ALL if b.lang in ("yaml", "yml")]
SH = [b for b in ALL if b.lang in SHELLS]
RUN_DOCS = sorted({b.doc for b in SH if b.mark == "run"})


def where(b: Block) -> str:
    return b.where()


def is_engine_config(doc: object) -> bool:
    """A mapping of the engine config's sections (and nothing else)."""
    return isinstance(doc, dict) and bool(doc) and set(doc) <= CONFIG_SECTIONS


def test_given_the_guides_then_they_hold_examples_of_each_kind() -> None:
    assert len(YAML) > 20 and len(SH) > 15, (len(YAML), len(SH))
    assert [b for b in SH if b.mark == "run"], "no shell block is run"


@pytest.mark.parametrize("block", SH, ids=where)
def test_given_a_shell_block_then_it_is_run_or_says_why_not(block: Block) -> None:
    if block == SH[0] and block.doc.name == "README.md":
        pytest.skip("not run: the README's first lines, kept as they are: they install "
                    "system packages as root and run the whole suite")
    assert block.mark in ("run", "not run"), (
        f"{block.where()}: a {block.lang} block needs <!-- run --> or "
        "<!-- not run: reason --> on the line before it")
    assert block.mark == "run" or block.mark_arg, f"{block.where()}: say why it is not run"
    if block.mark == "not run":
        pytest.skip(f"not run: {block.mark_arg}")


@pytest.mark.parametrize("block", YAML, ids=where)
def test_given_a_yaml_block_then_it_parses(block: Block) -> None:
    try:
        yaml.safe_load(block.text)
    except yaml.YAMLError as e:
        raise AssertionError(f"{block.where()}: not YAML: {e}") from None


@pytest.mark.parametrize("block", YAML, ids=where)
def test_given_an_engine_config_block_then_ccengine_check_accepts_it(
        block: Block, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if block.mark == "not run":
        pytest.skip(f"not run: {block.mark_arg}")
    if block.mark == "file":
        pytest.skip("a file for the run blocks after it")
    doc = yaml.safe_load(block.text)
    if not is_engine_config(doc):
        pytest.skip("not engine config (an IVR flow, a Prometheus file...)")
    config = tmp_path / "engine.yaml"
    config.write_text(block.text)
    code = main(["--config", str(config), "--set", f"runtime_dir={tmp_path / 'var'}",
                 "--set", f"ivr.dir={REPO / 'ivr'}", "check"])
    out = capsys.readouterr()
    assert code == 0, f"{block.where()}: ccengine check refused it:\n{out.err}"


@pytest.fixture(scope="module")
def clone_like(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the run blocks find: .venv, ivr/ and a runtime directory made by the defaults."""
    top = tmp_path_factory.mktemp("clone")
    (top / ".venv").symlink_to(REPO / ".venv")
    shutil.copytree(REPO / "ivr", top / "ivr")
    env = shell_env()
    for args, stdin in ((["credentials"], None),
                        (["passwd", "admin", "--password-stdin"], "a long secret\n")):
        subprocess.run([str(REPO / ".venv/bin/ccengine"), *args], cwd=top, env=env,
                       input=stdin, text=True, capture_output=True, check=True,
                       timeout=BLOCK_SECONDS)
    return top


def shell_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCENGINE__")}
    env["PATH"] = f"{REPO / '.venv/bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.parametrize("doc", RUN_DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_given_run_blocks_when_run_then_they_succeed_and_print_what_is_documented(
        doc: Path, clone_like: Path, tmp_path: Path) -> None:
    top = tmp_path / "clone"
    shutil.copytree(clone_like, top, symlinks=True)
    found = blocks(doc)
    for i, block in enumerate(found):
        if block.mark == "file":
            (top / block.mark_arg).write_text(block.text)
            continue
        if block.mark != "run":
            continue
        script = "set -e -o pipefail\n" + block.text
        done = subprocess.run(["bash", "-c", script], cwd=top, env=shell_env(), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=BLOCK_SECONDS)
        assert done.returncode == 0, (
            f"{block.where()}: exit status {done.returncode}:\n{done.stdout}")
        after = found[i + 1] if i + 1 < len(found) else None
        if after is not None and after.mark == "output":
            assert done.stdout.rstrip("\n") == after.text.rstrip("\n"), (
                f"{block.where()}: printed\n{done.stdout}\nbut {after.where()} documents\n"
                f"{after.text}")


def test_given_the_admins_guide_then_it_shows_a_check_error_as_the_engine_prints_it() -> None:
    """The documented ``ccengine check`` refusal (run and compared by the test above) is
    there: a broken file, the command, and its exact output."""
    found = blocks(REPO / "docs" / "admins.md")
    examples = [(b, found[i + 1]) for i, b in enumerate(found[:-1])
                if b.mark == "run" and "ccengine --config" in b.text and " check" in b.text
                and found[i + 1].mark == "output"]
    assert examples, "docs/admins.md shows no ccengine check output for a broken config"
    for run, output in examples:
        name = run.text.split("--config", 1)[1].split()[0]
        assert any(b.mark == "file" and b.mark_arg == name for b in found), (
            f"{run.where()}: no <!-- file: {name} --> block before it")
        assert output.text.startswith("ccengine: configuration error: "), output.where()
