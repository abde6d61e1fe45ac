"""Admins change things live. With twenty calls up (two talking with agents on baresip
phones, eighteen waiting), a broken config is refused with its file and key and changes
nothing; then ``ccengine reload`` (the real command) adds an agent, changes the main menu's
prompt and the sales queue's strategy, and adds an extension in the admin's own dialplan
file: no call drops, the new agent (a new PJSIP endpoint) registers and takes the next call,
a new caller hears the new prompt while a caller who was in the IVR during the reload
keeps hearing the old one, and the custom extension answers."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from ccengine.config import ConfigError, load_config
from ccengine.engine import Engine
from tests.e2e.conftest import REPO, Rig
from tests.e2e.ports import free_port, free_range
from tests.polling import eventually
from tests.sip.sipp import CallerScript, SippCaller

pytestmark = pytest.mark.asterisk

CCENGINE = Path(sys.executable).parent / "ccengine"
AGENTS = [{"id": "alice", "name": "Alice", "skills": {"sales": 5}, "phone": "sip"},
          {"id": "bob", "name": "Bob", "skills": {"sales": 3}, "phone": "sip"}]
CAROL = {"id": "carol", "name": "Carol", "skills": {"sales": 9}, "phone": "sip"}
CUSTOM = """[ccengine-public-custom]
exten => 6000,1,Answer()
 same => n,Playback(hello-world)
 same => n,Hangup()
"""


def write(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


@contextlib.asynccontextmanager
async def engine_from_file(tmp: Path) -> AsyncIterator[tuple[Rig, Path, dict[str, Any]]]:
    """An engine whose config is a file (so a reload reads it again), its IVR flows and the
    admin's custom folder in the test's own folder."""
    (tmp / "ivr").mkdir()
    main = yaml.safe_load((REPO / "ivr" / "main.yaml").read_text())
    main["menus"]["main"]["timeout"] = 30   # time for a reload while a caller is in the menu
    (tmp / "ivr" / "main.yaml").write_text(yaml.safe_dump(main))
    (tmp / "custom").mkdir()
    rtp = free_range(200)
    doc: dict[str, Any] = {
        "runtime_dir": str(tmp / "var"), "ivr": {"dir": str(tmp / "ivr")},
        "api": {"port": free_port()}, "offer_timeout": 10,
        "asterisk": {"sip_port": free_port(), "phone_sip_port": free_port(),
                     "http_port": free_port(), "ami_port": free_port(),
                     "rtp_start": rtp, "rtp_end": rtp + 199,
                     "custom_dir": str(tmp / "custom")},
        "agents": AGENTS, "supervisors": [],
        "queues": [{"name": "sales", "media": ["voice"], "required_skills": {"sales": 1},
                    "strategy": "longest_idle", "wrapup_seconds": 1},
                   {"name": "support", "media": ["voice"], "required_skills": {"sales": 1}}],
    }
    path = tmp / "engine.yaml"
    write(path, doc)
    engine = Engine(load_config(path), load_config=lambda: load_config(path))
    await engine.start()
    async with aiohttp.ClientSession() as http:
        rig = Rig(engine, tmp, http, dict(engine.rendered.secrets.api_tokens))  # type: ignore[union-attr]
        try:
            yield rig, path, doc
        finally:
            for caller in rig.callers:
                await caller.stop()
            for phone in rig.phones.values():
                phone.stop()
            await engine.stop()


def callers(rig: Rig, name: str, count: int, script: CallerScript,
            service: str = "5000") -> SippCaller:
    many = SippCaller.many(rig.workdir, name, script, count=count, rate=20,
                           caller="07700900321", service=service,
                           target_port=rig.engine.config.asterisk.sip_port,
                           sip_port=free_port(), media_port=free_range(4),
                           control_port=free_port())
    rig.callers.append(many)
    return many


async def live_ids(rig: Rig) -> set[str]:
    return {i.id for i in await rig.engine.state.interactions()}  # type: ignore[union-attr]


async def test_given_calls_up_when_config_reloaded_then_none_drops_and_changes_apply(
        tmp_path: Path) -> None:
    async with engine_from_file(tmp_path) as (rig, path, doc):
        engine = rig.engine
        for agent in ("alice", "bob"):
            await rig.start_phone(agent)
            await rig.login(agent)
        await callers(rig, "talking", 2, CallerScript(digits="1", audio_repeats=10,
                                                      hold_ms=None, wait_bye_ms=240000)).start()
        await eventually(lambda: _busy(rig, ("alice", "bob")), 30, "two calls talking")
        await callers(rig, "waiting", 18, CallerScript(digits="1", audio=False, hold_ms=None,
                                                       wait_bye_ms=240000)).start()
        twenty = await eventually(lambda: _count(rig, 20), 40, "twenty calls up")
        etc = engine.rendered.etc_dir  # type: ignore[union-attr]
        before = {p.name: p.read_text() for p in etc.iterdir()}

        # a broken change: refused whole, naming the file and the key; nothing changes
        write(path, {**doc, "agents": [*AGENTS, {**CAROL, "skills": {"sales": 11}}]})
        with pytest.raises(ConfigError) as refused:
            await engine.reload()
        assert refused.value.key == "skills.sales" and "engine.yaml" in refused.value.where
        status, body = await _post_reload(rig)
        assert (status, body["error"]) == (400, "config_invalid")
        assert "carol" not in engine.dispatcher.profiles  # type: ignore[union-attr]
        assert {p.name: p.read_text() for p in etc.iterdir()} == before

        # a caller in the main menu during the reload: an invalid digit, sent once the
        # reload is done, replays the menu, in the flow the call started with; then 1 (sales)
        in_ivr = callers(rig, "in_ivr", 1, CallerScript(
            digits="91", first_digit_after_ms=20000, between_digits_ms=5000, audio=False,
            hold_ms=None, wait_bye_ms=240000))
        await in_ivr.start()
        ivr_id = await eventually(lambda: _new_call(rig, set(twenty)), 20,
                                  "a caller in the main menu")

        # the real change, through the real command
        main = yaml.safe_load((tmp_path / "ivr" / "main.yaml").read_text())
        main["menus"]["main"]["prompt"] = ["tt-weasels", "vm-press", "digits/1"]
        (tmp_path / "ivr" / "main.yaml").write_text(yaml.safe_dump(main))
        (tmp_path / "custom" / "extensions_custom.conf").write_text(CUSTOM)
        sales = {**doc["queues"][0], "strategy": "highest_skill"}
        write(path, {**doc, "agents": [*AGENTS, CAROL],
                     "queues": [sales, doc["queues"][1]]})
        process = await asyncio.create_subprocess_exec(
            str(CCENGINE), "--config", str(path), "reload",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        assert "pjsip.conf" in out.decode() and "extensions.conf" in out.decode()

        assert await live_ids(rig) == set(twenty)               # no call dropped, and
        assert ivr_id in engine.voice.calls                      # one still in the menu
        rig.tokens.update(engine.rendered.secrets.api_tokens)  # type: ignore[union-attr]
        assert engine.dispatcher.queues["sales"].strategy.value == "highest_skill"  # type: ignore[union-attr]
        await rig.start_phone("carol")                           # a new PJSIP endpoint
        await rig.login("carol")
        await eventually(lambda: _busy(rig, ("carol",)), 20, "carol taking the next call")
        assert set(twenty) <= await live_ids(rig)

        # queued at last (1 for sales), the caller's record holds what it heard: the menu,
        # the invalid digit's prompt and the menu again, all from the flow before the reload
        heard = await eventually(lambda: _prompts(rig, ivr_id), 40, "the caller queued")
        assert heard.count("sound:hello") == 2 and "sound:pm-invalid-option" in heard
        assert "sound:tt-weasels" not in heard

        fresh = callers(rig, "fresh", 1, CallerScript(digits="2", first_digit_after_ms=4000,
                                                      audio=False, hold_ms=8000))
        await fresh.start()
        fresh_id = await eventually(lambda: _new_call(rig, {*twenty, ivr_id}), 20,
                                    "a new caller")
        heard = await eventually(lambda: _prompts(rig, fresh_id), 20, "the new caller queued")
        assert heard[0] == "sound:tt-weasels", heard            # the new prompt

        # 6000 is no service number: only the admin's dialplan answers it (plays
        # hello-world, then hangs up: the caller waits for that BYE)
        custom = callers(rig, "custom", 1, CallerScript(audio=False, hold_ms=None,
                                                        wait_bye_ms=20000), service="6000")
        await custom.start()
        assert await custom.wait(30) == 0, custom.errors()


async def _prompts(rig: Rig, interaction_id: str) -> list[str]:
    """The sounds a caller heard in the IVR, in order (kept once the IVR is done)."""
    interaction = await rig.engine.state.get_interaction(interaction_id)  # type: ignore[union-attr]
    if interaction is None:
        return []
    return [m for p in interaction.attributes.get("ivr_prompts", []) for m in p.get("media", [])]


def _new_call(rig: Rig, known: set[str]) -> str | None:
    """A call the engine holds that is not one of ``known`` (in the IVR: not in live state
    until it is queued)."""
    return next((i for i in rig.engine.voice.calls if i not in known), None)  # type: ignore[union-attr]


async def _post_reload(rig: Rig) -> tuple[int, dict[str, Any]]:
    async with rig.http.post(f"{rig.api}/api/admin/reload", headers=rig.auth("admin")) as r:
        return r.status, await r.json()


async def _busy(rig: Rig, agents: tuple[str, ...]) -> bool:
    return all([await rig.agent_state(a) == "busy" for a in agents])


async def _count(rig: Rig, n: int) -> list[str] | None:
    ids = await live_ids(rig)
    return sorted(ids) if len(ids) == n else None
