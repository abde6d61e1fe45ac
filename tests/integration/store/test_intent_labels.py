"""Agents' intent labels in the store (ccengine/store/intent_labels.py), on both stores:
one per work, replaced by a later one; what the classifier learns from them (the work's
first inbound message); the contacts repeat-contact reports count (the label wins over the
classifier, merges followed); and the agent a repeat contact goes back to."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.named_contact import NamedContacts
from ccengine.state.memory import MemoryState
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.errors import UnknownInteraction
from ccengine.store.intent_labels import IntentLabels
from ccengine.store.messages import MessageRepository
from ccengine.store.models import InteractionRecord
from ccengine.store.timeline import Timeline

DAY = 86400.0


async def stored(db: Database, iid: str, medium: str, customer: str | None, at: float, *,
                 agent: str | None = "alice", intent: str | None = None) -> None:
    attributes: dict[str, Any] = {"intent": {"name": intent, "confidence": 0.9}} \
        if intent else {}
    async with db.session.begin() as s:
        s.add(InteractionRecord(id=iid, medium=medium, customer_id=customer, queue="sales",
                                agent_id=agent, entered_at=at, queued_at=at,
                                answered_at=at + 5 if agent else None, status="ended",
                                attributes=attributes))


async def test_given_labels_then_one_per_work_replaced_and_unknown_work_refused(
        db: Database) -> None:
    labels = IntentLabels(db)
    await stored(db, "mail-1", "email", None, 1000.0, intent="billing")
    first = await labels.put("mail-1", "refund", "billing", "alice", 2000.0)
    assert first == {"interaction_id": "mail-1", "intent": "refund", "detected": "billing",
                     "agent_id": "alice", "at": 2000.0}
    await labels.put("mail-1", "billing", "billing", "sam", 3000.0)
    assert await labels.get("mail-1") == {**first, "intent": "billing", "agent_id": "sam",
                                          "at": 3000.0}
    with pytest.raises(UnknownInteraction):
        await labels.put("nothing", "billing", None, "alice", 1.0)


async def test_given_labelled_email_chat_and_call_then_examples_from_first_inbound_message(
        db: Database) -> None:
    labels, messages = IntentLabels(db), MessageRepository(db)
    for iid, medium in (("mail-1", "email"), ("chat-1", "chat"), ("call-1", "voice")):
        await stored(db, iid, medium, None, 1000.0)
    await messages.add(medium="email", direction="in", interaction_id="mail-1",
                       subject="My bill", body="Why was I charged twice?", external_id="m1")
    await messages.add(medium="email", direction="out", interaction_id="mail-1",
                       body="Sorry about that.", external_id="m2")
    await messages.add(medium="email", direction="in", interaction_id="mail-1",
                       body="Thanks!", external_id="m3")
    await messages.add(medium="chat", direction="in", interaction_id="chat-1",
                       body="Ich möchte kündigen")
    await labels.put("mail-1", "billing", None, "alice", 10.0)
    await labels.put("chat-1", "cancel", "delivery", "alice", 20.0)
    await labels.put("call-1", "refund", None, "alice", 30.0)   # no text: teaches nothing
    assert await labels.examples() == [("\nIch möchte kündigen", "cancel"),
                                       ("My bill\nWhy was I charged twice?", "billing")]
    assert await labels.examples(limit=1) == [("\nIch möchte kündigen", "cancel")]


async def test_given_work_with_and_without_intents_then_contacts_use_label_and_survivor(
        db: Database) -> None:
    customers = CustomerRepository(db, "GB")
    jane = await customers.create(name="Jane", identities=[("email", "jane@example.org")])
    old = await customers.create(name="J. Doe", identities=[("phone", "07700900123")])
    await stored(db, "a", "email", jane["id"], 100.0, intent="billing")
    await stored(db, "b", "voice", old["id"], 200.0, agent=None)            # labelled below
    await stored(db, "c", "chat", jane["id"], 300.0, intent="delivery")     # corrected below
    await stored(db, "d", "voice", jane["id"], 400.0)                        # no intent
    await stored(db, "e", "email", None, 500.0, intent="billing")            # no customer
    await stored(db, "f", "email", jane["id"], 900.0, intent="billing")      # out of range
    labels = IntentLabels(db)
    await labels.put("b", "billing", None, "sam", 250.0)
    await labels.put("c", "cancel", "delivery", "alice", 350.0)
    await customers.merge(old["id"], jane["id"], by="sam")
    found = await labels.contacts(100.0, 900.0)
    assert sorted(found, key=lambda c: c["id"]) == [
        {"id": "a", "customer": jane["id"], "intent": "billing", "at": 100.0,
         "queue": "sales", "agent": "alice"},
        {"id": "b", "customer": jane["id"], "intent": "billing", "at": 200.0,
         "queue": "sales", "agent": None},
        {"id": "c", "customer": jane["id"], "intent": "cancel", "at": 300.0,
         "queue": "sales", "agent": "alice"}]
    page = await Timeline(db).page(jane["id"])
    assert {i["id"]: i["intent"] for i in page["items"]} == {
        "f": {"name": "billing", "confidence": 0.9}, "d": None,
        "c": {"name": "cancel", "confirmed_by": "alice"},
        "b": {"name": "billing", "confirmed_by": "sam"},
        "a": {"name": "billing", "confidence": 0.9}}


async def test_given_earlier_work_about_same_intent_then_its_agent_preferred(
        db: Database) -> None:
    now = time.time()
    customers = CustomerRepository(db, "GB")
    jane = await customers.create(name="Jane", identities=[("email", "jane@example.org")])
    await stored(db, "old", "email", jane["id"], now - 9 * DAY, agent="kim",
                 intent="billing")                                   # too long ago
    await stored(db, "mine", "email", jane["id"], now - 3 * DAY, agent="lee",
                 intent="billing")
    await stored(db, "other", "email", jane["id"], now - DAY, agent="olga",
                 intent="delivery")                                   # another intent
    await stored(db, "relabelled", "chat", jane["id"], now - 2 * DAY, agent="max",
                 intent="delivery")
    await IntentLabels(db).put("relabelled", "billing", "delivery", "max", now)
    source = NamedContacts(db, customers, MemoryState(), lambda: now)
    queue = QueueConfig("sales", frozenset({Medium.EMAIL}), {}, prefer=("same_intent",),
                        prefer_last_days=7)
    mail = Interaction("new", Medium.EMAIL, queue="sales", customer_id=jane["id"],
                       attributes={"intent": {"name": "billing", "confidence": 0.8}})
    found = await source(mail, queue)
    assert [(p.agent_id, p.reason, p.at) for p in found] == [
        ("max", "same_intent", now - 2 * DAY + 5)]
    unclassified = Interaction("new-2", Medium.EMAIL, queue="sales", customer_id=jane["id"])
    assert await source(unclassified, queue) == []
