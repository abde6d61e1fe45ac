"""The recordings index on SQLite and PostgreSQL: rows per interaction, pause intervals,
the voicemail work list with caller and customer, and "handled" decided once."""

from __future__ import annotations

import asyncio

import pytest

from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.errors import InvalidRecord
from ccengine.store.interactions import InteractionRepository
from ccengine.store.recordings import (
    RecordingRepository,
    UnknownRecording,
    VoicemailAlreadyHandled,
    VoicemailNotReady,
)
from ccengine.store.records import EventData, InteractionData

LEFT = [EventData("entered", 100.0), EventData("voicemail_left", 120.0),
        EventData("ended", 130.0)]


async def stored_call(db: Database, iid: str, number: str = "+447700900123",
                      events: list[EventData] = LEFT) -> str:
    customers = CustomerRepository(db, "GB")
    customer = await customers.get_or_create_by_identity("phone", number)
    await InteractionRepository(db).save(InteractionData(
        id=iid, medium="voice", customer_id=customer["id"],
        attributes={"caller_number": number}, events=events))
    return customer["id"]


async def test_given_call_recording_when_paused_and_finished_then_row_follows(
        db: Database) -> None:
    repo = RecordingRepository(db)
    row = await repo.add(id="a" * 32, interaction_id="i1", kind="call", queue="sales",
                         name="ccengine-a", format="wav", started_at=100.0,
                         started_by="policy")
    assert row["state"] == "recording" and row["paused"] == [] and row["path"] is None
    await repo.update(row["id"], state="paused", paused=[[105.0, None]])
    done = await repo.update(row["id"], state="done", paused=[[105.0, 111.0]],
                             path="2026/01/01/a.wav", duration=24.0, ended_at=130.0)
    assert done["paused"] == [{"from": 105.0, "to": 111.0}]
    assert (done["state"], done["path"], done["duration"]) == ("done", "2026/01/01/a.wav", 24)
    await repo.add(id="b" * 32, interaction_id="i1", kind="call", queue="support",
                   name="ccengine-b", format="wav", started_at=140.0)
    await repo.add(id="c" * 32, interaction_id="i2", kind="call", queue="sales",
                   name="ccengine-c", format="wav", started_at=90.0)
    assert [r["id"] for r in await repo.for_interaction("i1")] == ["a" * 32, "b" * 32]
    assert await repo.get("d" * 32) is None


async def test_given_bad_values_when_written_then_refused(db: Database) -> None:
    repo = RecordingRepository(db)
    with pytest.raises(InvalidRecord):
        await repo.add(id="a" * 32, interaction_id="i1", kind="email", queue=None,
                       name="x", format="wav", started_at=1.0)
    await repo.add(id="a" * 32, interaction_id="i1", kind="call", queue=None, name="x",
                   format="wav", started_at=1.0)
    with pytest.raises(InvalidRecord):
        await repo.update("a" * 32, state="lost")
    with pytest.raises(InvalidRecord):
        await repo.update("a" * 32, kind="voicemail")
    with pytest.raises(UnknownRecording):
        await repo.update("b" * 32, state="done")


async def test_given_voicemails_when_listed_then_finished_ones_of_the_queues_with_caller(
        db: Database) -> None:
    customer = await stored_call(db, "i1")
    repo = RecordingRepository(db)
    for rid, iid, queue, started, state in (("1" * 32, "i1", "sales", 110.0, "done"),
                                            ("2" * 32, "i2", "sales", 120.0, "done"),
                                            ("3" * 32, "i3", "support", 130.0, "done"),
                                            ("4" * 32, "i4", "sales", 140.0, "failed")):
        await repo.add(id=rid, interaction_id=iid, kind="voicemail", queue=queue,
                       name=f"ccengine-{rid}", format="wav", started_at=started)
        await repo.update(rid, state=state)
    await repo.add(id="5" * 32, interaction_id="i1", kind="call", queue="sales", name="c",
                   format="wav", started_at=150.0)
    listed = await repo.voicemails(["sales"])
    assert [v["id"] for v in listed] == ["2" * 32, "1" * 32]  # newest first
    assert listed[1]["caller_number"] == "+447700900123"
    assert listed[1]["customer"] == {"id": customer, "name": None}
    assert listed[0]["caller_number"] is None and listed[0]["customer"] is None
    assert [v["id"] for v in await repo.voicemails(["sales", "support"], limit=1)] \
        == ["3" * 32]
    assert await repo.voicemails([]) == []


async def test_given_voicemail_when_two_mark_it_handled_then_one_wins_and_history_says_so(
        db: Database) -> None:
    await stored_call(db, "i1")
    repo = RecordingRepository(db)
    rid = "1" * 32
    await repo.add(id=rid, interaction_id="i1", kind="voicemail", queue="sales", name="v",
                   format="wav", started_at=110.0)
    await repo.update(rid, state="done")
    results = await asyncio.gather(repo.mark_handled(rid, "alice", 200.0),
                                   repo.mark_handled(rid, "carol", 200.5),
                                   return_exceptions=True)
    winners = [r for r in results if isinstance(r, dict)]
    assert len(winners) == 1
    assert [type(r) for r in results if not isinstance(r, dict)] == [VoicemailAlreadyHandled]
    assert (await repo.get(rid))["handled_by"] == winners[0]["handled_by"]
    assert await repo.voicemails(["sales"], handled=False) == []
    assert [v["id"] for v in await repo.voicemails(["sales"], handled=True)] == [rid]
    events = (await InteractionRepository(db).get("i1"))["events"]
    assert [(e["seq"], e["kind"], e["agent_id"]) for e in events] == [
        (0, "entered", None), (1, "voicemail_left", None), (2, "ended", None),
        (3, "voicemail_handled", winners[0]["handled_by"])]
    with pytest.raises(UnknownRecording):
        await repo.mark_handled("9" * 32, "alice", 1.0)
    await repo.add(id="8" * 32, interaction_id="i1", kind="call", queue="sales", name="c",
                   format="wav", started_at=1.0)
    with pytest.raises(UnknownRecording):  # a call recording is nobody's work item
        await repo.mark_handled("8" * 32, "alice", 1.0)


async def test_given_call_still_being_stored_when_voicemail_handled_then_refused_unchanged(
        db: Database) -> None:
    await stored_call(db, "i1", events=LEFT[:2])  # left, not yet ended
    repo = RecordingRepository(db)
    rid = "1" * 32
    await repo.add(id=rid, interaction_id="i1", kind="voicemail", queue="sales", name="v",
                   format="wav", started_at=110.0)
    with pytest.raises(VoicemailNotReady):
        await repo.mark_handled(rid, "alice", 200.0)
    assert (await repo.get(rid))["handled_by"] is None
    await InteractionRepository(db).save(InteractionData(id="i1", medium="voice",
                                                         events=LEFT))
    assert (await repo.mark_handled(rid, "alice", 201.0))["handled_by"] == "alice"
    kinds = [e["kind"] for e in (await InteractionRepository(db).get("i1"))["events"]]
    assert kinds == ["entered", "voicemail_left", "ended", "voicemail_handled"]
