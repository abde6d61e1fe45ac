"""Interactions on SQLite and PostgreSQL: upsert with idempotent event appends (also under
concurrent saves), derived milestones and status, notes, dispositions, filtered lists."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.errors import InvalidRecord, UnknownCustomer, UnknownInteraction
from ccengine.store.interactions import InteractionRepository
from ccengine.store.records import EventData, InteractionData


def a_call(iid: str = "call-1", entered: float = 1000.0) -> InteractionData:
    return InteractionData(iid, "voice", queue="sales", priority=1,
                           attributes={"caller_number": "+442079460958", "ivr_path": ["1"]},
                           events=[EventData("entered", entered),
                                   EventData("ivr_done", entered + 4),
                                   EventData("queued", entered + 5)])


async def test_given_interaction_saved_twice_when_read_then_events_not_duplicated(
        db: Database) -> None:
    repo = InteractionRepository(db)
    call = a_call()
    assert await repo.save(call) == 3
    assert await repo.save(call) == 0
    call.events += [EventData("offered", 1006.0, {"agent_id": "alice"}),
                    EventData("answered", 1010.0, {"agent_id": "alice"})]
    assert await repo.save(call) == 2
    assert await repo.save(call) == 0

    record = await repo.get("call-1")
    assert record is not None
    assert [(e["seq"], e["kind"]) for e in record["events"]] == [
        (0, "entered"), (1, "ivr_done"), (2, "queued"), (3, "offered"), (4, "answered")]
    assert record["events"][4]["agent_id"] == "alice"
    assert record["status"] == "answered" and record["agent_id"] == "alice"
    assert record["from_address"] == record["caller_number"] == "+442079460958"
    assert record["ivr_path"] == ["1"]
    assert record["timestamps"] == {"entered": 1000.0, "ivr_done": 1004.0, "queued": 1005.0,
                                    "offered": 1006.0, "answered": 1010.0, "ended": None}


async def test_given_two_nodes_saving_same_interaction_at_once_then_one_copy(
        db: Database) -> None:
    repos = [InteractionRepository(db) for _ in range(6)]
    await asyncio.gather(*(r.save(a_call("race")) for r in repos))
    record = await repos[0].get("race")
    assert record is not None and len(record["events"]) == 3


async def test_given_ended_call_when_saved_then_status_and_who_hung_up(db: Database) -> None:
    repo = InteractionRepository(db)
    call = a_call()
    call.events.append(EventData("ended", 1100.0, {"hung_up_by": "agent"}))
    await repo.save(call)
    record = await repo.get("call-1")
    assert record is not None
    assert (record["status"], record["hung_up_by"], record["timestamps"]["ended"]) == \
        ("ended", "agent", 1100.0)
    call.events.append(EventData("ended", 1200.0, {"hung_up_by": "martian"}))
    with pytest.raises(InvalidRecord, match="hung_up_by"):
        await repo.save(call)


@dataclass
class CoreLikeEvent:
    kind: str
    at: float
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class CoreLikeInteraction:
    id: str
    medium: str
    customer_id: str | None = None
    queue: str | None = None
    priority: int = 0
    agent_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[CoreLikeEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Changed:
    interaction: CoreLikeInteraction


async def test_given_dict_or_foreign_object_or_event_when_saved_then_recorded(
        db: Database) -> None:
    repo = InteractionRepository(db)
    await repo.save({"id": "mail-1", "medium": "email",
                     "attributes": {"from": "jane@example.com"},
                     "events": [{"kind": "entered", "at": 5.0}]})
    await repo.on_event(Changed(CoreLikeInteraction("chat-1", "chat", events=[
        CoreLikeEvent("entered", 6.0), CoreLikeEvent("queued", 7.0)])))
    await repo.on_event(object())  # events without an interaction are ignored
    mail, chat = await repo.get("mail-1"), await repo.get("chat-1")
    assert mail is not None and chat is not None
    assert (mail["medium"], mail["from_address"], mail["status"]) == \
        ("email", "jane@example.com", "new")
    assert (chat["medium"], chat["status"], len(chat["events"])) == ("chat", "queued", 2)
    assert await repo.get("nothing") is None


async def test_given_notes_and_disposition_when_saved_again_then_both_kept(
        db: Database) -> None:
    repo = InteractionRepository(db)
    call = a_call()
    await repo.save(call)
    first = await repo.add_note("call-1", "alice", "wants a refund", at=1020.0)
    await repo.add_note("call-1", "bob", "refund approved", at=1030.0)
    await repo.set_disposition("call-1", "refund")
    call.events.append(EventData("ended", 1100.0, {"hung_up_by": "caller"}))
    await repo.save(call)

    record = await repo.get("call-1")
    assert record is not None and record["disposition"] == "refund"
    assert [(n["author"], n["text"]) for n in record["notes"]] == [
        ("alice", "wants a refund"), ("bob", "refund approved")]
    assert first["interaction_id"] == "call-1" and first["at"] == 1020.0
    assert await repo.notes("call-1") == record["notes"]
    with pytest.raises(UnknownInteraction) as err:
        await repo.add_note("nope", "alice", "x")
    assert err.value.code == "interaction_not_found"
    with pytest.raises(InvalidRecord):
        await repo.add_note("call-1", "alice", "   ")
    with pytest.raises(UnknownInteraction):
        await repo.set_disposition("nope", "sale")


async def test_given_mixed_interactions_when_listed_with_filters_then_matching_newest_first(
        db: Database) -> None:
    repo = InteractionRepository(db)
    for i, (medium, queue) in enumerate([("voice", "sales"), ("email", "support"),
                                         ("chat", "sales"), ("voice", "support")]):
        await repo.save(InteractionData(f"i{i}", medium, queue=queue,
                                        events=[EventData("entered", 100.0 + i)]))
    assert [r["id"] for r in await repo.list()] == ["i3", "i2", "i1", "i0"]
    assert [r["id"] for r in await repo.list(medium="voice")] == ["i3", "i0"]
    assert [r["id"] for r in await repo.list(queue="sales", since=101.0)] == ["i2"]
    assert [r["id"] for r in await repo.list(until=102.0, limit=1)] == ["i1"]
    assert [r["id"] for r in await repo.list(limit=2, offset=1)] == ["i2", "i1"]
    assert await repo.list(status="ended") == []
    with pytest.raises(InvalidRecord):
        await repo.list(limit=-1)


async def test_given_bad_record_when_saved_then_invalid_record_and_nothing_stored(
        db: Database) -> None:
    repo = InteractionRepository(db)
    with pytest.raises(InvalidRecord, match="medium"):
        await repo.save({"id": "x", "medium": 3})
    with pytest.raises(InvalidRecord, match="customer_id"):
        await repo.save(InteractionData("y", "voice", customer_id=42))  # type: ignore[arg-type]
    with pytest.raises(UnknownCustomer) as err:
        await repo.save(InteractionData("z", "voice", customer_id="no-such-customer"))
    assert err.value.code == "customer_not_found"
    assert await repo.list() == []


async def test_given_merged_customer_when_interaction_saved_under_old_id_then_survivor(
        db: Database) -> None:
    customers, repo = CustomerRepository(db, "GB"), InteractionRepository(db)
    old = await customers.get_or_create_by_identity("email", "old@example.com")
    new = await customers.get_or_create_by_identity("email", "new@example.com")
    await customers.merge(old["id"], new["id"])
    await repo.save(InteractionData("late", "email", customer_id=old["id"]))
    record = await repo.get("late")
    assert record is not None and record["customer_id"] == new["id"]
