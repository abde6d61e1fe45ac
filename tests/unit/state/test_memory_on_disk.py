"""The embedded live state kept on disk: an engine restarted on the same runtime directory
reads back who waits (in order, with their original wait), what each agent holds and their
presence; a damaged file starts an empty state, with an error logged."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ccengine.core import agent_state as sm
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.state import memory
from ccengine.state.memory import MemoryState

PROFILE = AgentProfile("alice", "Alice", {}, {Medium.VOICE: 1})


async def test_given_state_changed_when_reloaded_from_its_file_then_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "COMPACT_AFTER", 4)   # the file rewritten on the way too
    path = tmp_path / "live-state.json"
    state = MemoryState.load(path)
    await state.put_agent(sm.login(AgentLive("alice"), 1.0)[0])
    for n, at in (("c1", 10.0), ("c2", 20.0), ("c3", 30.0)):
        i = Interaction(n, Medium.VOICE, queue="sales", enqueued_at=at,
                        attributes={"caller_channel": f"ch-{n}"})
        i.record("queued", at, queue="sales")
        await state.put_interaction(i)
        await state.enqueue(n)
    assert await state.claim("c1")
    await state.reserve(PROFILE, "c1", Medium.VOICE, 40.0, 60.0)
    again = MemoryState.load(path)   # no close: as after a SIGKILL
    assert sorted(i.id for i in await again.waiting()) == ["c2", "c3"]
    assert [(i.id, i.enqueued_at) for i in sorted(await again.interactions(),
                                                   key=lambda i: i.id)] == [
        ("c1", 10.0), ("c2", 20.0), ("c3", 30.0)]
    c2 = await again.get_interaction("c2")
    assert c2 is not None and c2.attributes == {"caller_channel": "ch-c2"}
    assert [e.kind for e in c2.events] == ["queued"]
    assert await again.get_agent("alice") == await state.get_agent("alice")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    for s in (state, again):
        await s.close()


async def test_given_a_damaged_file_when_loaded_then_empty_and_said(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "live-state.json"
    for text in ("{not json", json.dumps({"format": 99}), json.dumps({"format": 1})):
        path.write_text(text)
        with caplog.at_level(logging.ERROR):
            state = MemoryState.load(path)
        assert await state.interactions() == [] and await state.agents() == {}
        assert "cannot be read" in caplog.text
        await state.close()
        caplog.clear()


async def test_given_a_journal_line_cut_short_when_loaded_then_every_whole_change_is_kept(
        tmp_path: Path) -> None:
    path = tmp_path / "live-state.json"
    state = MemoryState.load(path)
    for n in ("c1", "c2"):
        await state.put_interaction(Interaction(n, Medium.VOICE, queue="sales",
                                                enqueued_at=1.0))
        await state.enqueue(n)
    journal = path.with_suffix(".journal")
    journal.write_text(journal.read_text() + '["enqueue","c')   # killed mid-write
    again = MemoryState.load(path)
    assert sorted(i.id for i in await again.waiting()) == ["c1", "c2"]
    assert journal.read_text() == ""   # folded into the file at load
    for s in (state, again):
        await s.close()
