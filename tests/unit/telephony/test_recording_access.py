"""Who may hear which recording, where recording files may be, how long they are, and the
ARI router handing recording and playback events to their own listeners."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest

from ccengine.core.agent import AgentProfile
from ccengine.core.queue import QueueConfig
from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.ari.router import AriEventRouter
from ccengine.telephony.recording.feature import Access, handled_by
from ccengine.telephony.recording.files import (
    RecordingFileMissing,
    RecordingFiles,
    audio_duration,
)

QUEUES = {name: QueueConfig.from_mapping({"name": name, "required_skills": {name: 1}}, name)
          for name in ("sales", "support")}
AGENTS = {a: AgentProfile.from_mapping({"id": a, "skills": skills}, a)
          for a, skills in (("alice", {"sales": 5}), ("bob", {"support": 5}),
                            ("carol", {"sales": 2, "support": 2}))}
ACCESS = Access(QUEUES, AGENTS, {"sam": frozenset({"sales"}), "sue": None})


def recording(kind: str = "call", queue: str = "sales") -> Any:
    return {"id": "r1", "kind": kind, "queue": queue}


def test_given_agents_and_supervisors_when_queues_asked_then_skills_and_scope_decide() -> None:
    assert ACCESS.queues_of("alice", "agent") == ["sales"]
    assert ACCESS.queues_of("carol", "agent") == ["sales", "support"]
    assert ACCESS.queues_of("nobody", "agent") == []
    assert ACCESS.queues_of("sam", "supervisor") == ["sales"]
    assert ACCESS.queues_of("sue", "supervisor") == ["sales", "support"]  # no scope: all
    assert ACCESS.queues_of("admin", "admin") == ["sales", "support"]


def test_given_call_recording_when_people_ask_then_only_handling_agent_and_bosses() -> None:
    call = recording()
    assert ACCESS.may_hear("alice", "agent", call, {"alice", "bob"})
    assert ACCESS.may_hear("bob", "agent", call, {"alice", "bob"})  # took it over
    assert not ACCESS.may_hear("carol", "agent", call, {"alice"})   # same queue, not hers
    assert ACCESS.may_hear("sam", "supervisor", call, set())
    assert not ACCESS.may_hear("sam", "supervisor", recording(queue="support"), set())
    assert ACCESS.may_hear("sue", "supervisor", recording(queue="support"), set())
    assert ACCESS.may_hear("admin", "admin", call, set())


def test_given_voicemail_when_people_ask_then_the_queues_agents_and_supervisors() -> None:
    message = recording("voicemail", "sales")
    assert ACCESS.may_hear("alice", "agent", message, set())
    assert ACCESS.may_hear("carol", "agent", message, set())
    assert not ACCESS.may_hear("bob", "agent", message, set())
    assert ACCESS.may_hear("sam", "supervisor", message, set())
    assert not ACCESS.may_hear("sam", "supervisor", recording("voicemail", "support"), set())


def test_given_stored_interaction_when_handlers_asked_then_every_answering_agent() -> None:
    stored = {"agent_id": "bob", "events": [
        {"kind": "offered", "agent_id": "carol"}, {"kind": "answered", "agent_id": "alice"},
        {"kind": "answered", "agent_id": "bob"}]}
    assert handled_by(stored) == {"alice", "bob"}
    assert handled_by({"agent_id": None, "events": []}) == set()
    assert handled_by(None) == set()


@pytest.fixture
def files(tmp_path: Path) -> RecordingFiles:
    f = RecordingFiles(tmp_path / "recordings", tmp_path / "spool", ari=None)  # type: ignore[arg-type]
    f.prepare()
    return f


def test_given_stored_paths_when_resolved_then_nothing_outside_the_directory(
        files: RecordingFiles, tmp_path: Path) -> None:
    inside = files.dir / "2026" / "01" / "02" / "r1.wav"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"RIFF")
    (tmp_path / "secret").write_text("x")
    (files.dir / "link").symlink_to(tmp_path / "secret")
    assert files.resolve("2026/01/02/r1.wav") == inside
    for bad in ("../secret", "2026/../../secret", str(tmp_path / "secret"), "link", ".",
                "", None, "2026/01/02/missing.wav"):
        with pytest.raises(RecordingFileMissing):
            files.resolve(bad)


async def test_given_spool_file_when_collected_then_moved_with_duration(
        files: RecordingFiles) -> None:
    spooled = files.spool / "ccengine-r1.wav"
    with wave.open(str(spooled), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * 12000)
    relative, seconds = await files.collect("ccengine-r1", "wav", "r1", 1767323045.0)
    assert relative == "2026/01/02/r1.wav"
    assert seconds == pytest.approx(1.5)
    assert not spooled.exists()
    target = files.dir / relative
    assert target.stat().st_mode & 0o077 == 0  # owner only


def test_given_headerless_formats_when_measured_then_from_size(tmp_path: Path) -> None:
    for fmt, size, seconds in (("gsm", 3300, 2.0), ("ulaw", 4000, 0.5), ("sln", 32000, 2.0)):
        p = tmp_path / f"x.{fmt}"
        p.write_bytes(b"\0" * size)
        assert audio_duration(p, fmt) == pytest.approx(seconds)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF")
    assert audio_duration(broken, "wav") == 0.0


def ari_event(kind: str, **raw: Any) -> AriEvent:
    return AriEvent.from_json({"type": kind, "application": "cc", **raw})


def test_given_recording_events_when_dispatched_then_own_listener_first_else_channel() -> None:
    router = AriEventRouter(client=None)  # type: ignore[arg-type]
    finished = ari_event("RecordingFinished", recording={
        "name": "ccengine-r1", "target_uri": "channel:c1"})
    other = ari_event("RecordingFinished", recording={
        "name": "ccengine-r2", "target_uri": "channel:c1"})
    bridge = ari_event("RecordingStarted", recording={
        "name": "ccengine-r3", "target_uri": "bridge:b1"})
    played = ari_event("PlaybackFinished", playback={"id": "p1", "target_uri": "channel:c1"})
    with router.listen("c1") as channel, router.listen("recording:ccengine-r1") as own, \
            router.listen("playback:p1") as playback:
        for event in (finished, other, bridge, played):
            router.dispatch(event)
        assert [e.raw["recording"]["name"] for e in _drain(own)] == ["ccengine-r1"]
        assert [e.type for e in _drain(playback)] == ["PlaybackFinished"]
        # a recording without a listener of its own goes to the channel it records
        assert [e.raw["recording"]["name"] for e in _drain(channel)] == ["ccengine-r2"]


def _drain(events: Any) -> list[AriEvent]:
    out = []
    while not events.queue.empty():
        out.append(events.queue.get_nowait())
    return out
