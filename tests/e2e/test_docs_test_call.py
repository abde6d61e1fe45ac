"""The hand-made test call of docs/getting-started.md ("Placing a test call by hand") works
as written: its sipp command, run against a test engine, places a call that gets past the
IVR (no digit: the main menu's timeout sends it to sales) to alice, who is logged in by the
guide's curl line and answers on a SIP phone; and the call stays up after the answer.

Substitutions, and only these: the engine's addresses (the test engine listens on free
ports: its public SIP port for ``127.0.0.1:5060``, its API for ``http://127.0.0.1:8470``),
sipp's own ports (``-p``, ``-mp``, ``-cp``: free ports, for tests running side by side),
and ``-nostdin`` added, since sipp here runs without a terminal. ``-d 60000`` is kept: the
test watches the call stay up for a while after the answer and then ends sipp itself."""

from __future__ import annotations

import asyncio
import os
import re
import shlex

import pytest

from tests.e2e.conftest import REPO, Rig, eventually
from tests.e2e.ports import free_port, free_range

pytestmark = pytest.mark.asterisk

GUIDE = REPO / "docs" / "getting-started.md"
UP_AFTER_ANSWER = 10.0  # seconds the call is watched staying up once answered


def guide_block() -> str:
    """The first shell block under the guide's "Placing a test call by hand"."""
    text = GUIDE.read_text()
    section = text.split("## Placing a test call by hand", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "no sh block under 'Placing a test call by hand'"
    return match.group(1)


def line_of(block: str, program: str) -> str:
    lines = [ln for ln in block.splitlines() if ln.startswith(program + " ")]
    assert len(lines) == 1, f"one {program} line expected in the guide's block: {lines}"
    return lines[0]


def substitute(args: list[str], old: str, new: str) -> list[str]:
    assert args.count(old) == 1, f"{old!r} once in {args}"
    return [new if a == old else a for a in args]


def option(args: list[str], name: str, value: str) -> list[str]:
    at = args.index(name)
    return [*args[:at + 1], value, *args[at + 2:]]


async def test_given_the_guides_test_call_when_run_as_written_then_alice_answers_and_it_stays_up(
        rig: Rig) -> None:
    block = guide_block()
    sipp = shlex.split(line_of(block, "sipp"))
    assert "-d" in sipp, "the guide's sipp command keeps no call up after the answer (-d)"
    sip_port = rig.engine.config.asterisk.sip_port
    sipp = substitute(sipp, "127.0.0.1:5060", f"127.0.0.1:{sip_port}")
    for name, port in (("-p", free_port()), ("-mp", free_range(4)), ("-cp", free_port())):
        sipp = option(sipp, name, str(port))
    sipp.append("-nostdin")
    curl = line_of(block, "curl")             # run by sh, as typed: $ALICE_TOKEN expands
    assert curl.count("http://127.0.0.1:8470/") == 1, curl
    curl = curl.replace("http://127.0.0.1:8470/", rig.api + "/")

    await rig.start_phone("alice")              # a SIP phone registered as alice (auto-answer)
    feed = await rig.open_feed("alice")
    env = {**os.environ, "ALICE_TOKEN": rig.tokens["alice"]}
    login = await asyncio.create_subprocess_exec(
        "sh", "-c", curl, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await login.communicate()
    assert login.returncode == 0, out
    assert await rig.agent_state("alice") == "available", out

    log = open(rig.workdir / "guide-sipp.log", "wb")  # noqa: ASYNC230 - handed to the child
    caller = await asyncio.create_subprocess_exec(
        *sipp, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, cwd=rig.workdir)
    log.close()
    try:
        # the main menu plays, waits 5 s for a digit, then queues the call for sales
        await eventually(lambda: feed.offers(), 30, "the guide's call offered to alice")
        offer = feed.offers()[0]
        assert (offer["medium"], offer["queue"]) == ("voice", "sales"), offer
        assert "main:timeout" in offer["ivr_path"], offer

        async def talking() -> bool:
            return await rig.agent_state("alice") == "busy"
        await eventually(talking, 15, "alice's phone answered and bridged to the caller")
        await asyncio.sleep(UP_AFTER_ANSWER)
        assert caller.returncode is None, "sipp ended the call right after the answer"
        view = await rig.call_api("GET", "/api/agents/alice", "alice")
        assert view["state"] == "busy", view
        assert [s["interaction_id"] for s in view["slots"]] == [offer["interaction_id"]], view
    finally:
        if caller.returncode is None:
            caller.kill()
        await caller.wait()
