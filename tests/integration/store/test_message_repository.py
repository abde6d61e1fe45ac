"""Messages: stored once per (medium, external id), found by thread, updated in place."""

from __future__ import annotations

import asyncio

import pytest

from ccengine.store.db import Database
from ccengine.store.errors import InvalidRecord
from ccengine.store.messages import MessageRepository


async def test_given_a_stored_message_when_stored_again_then_the_first_comes_back(
        db: Database) -> None:
    repo = MessageRepository(db)
    first, created = await repo.add(medium="email", direction="in", external_id="<a@x>",
                                    body="hello", raw=b"raw bytes", sender="c@example.com")
    again, created_again = await repo.add(medium="email", direction="in",
                                          external_id="<a@x>", body="other")
    assert created and not created_again
    assert again["id"] == first["id"] and again["body"] == "hello"
    assert await repo.raw(first["id"]) == b"raw bytes"


async def test_given_concurrent_writers_of_one_message_then_one_row(db: Database) -> None:
    repo = MessageRepository(db)
    results = await asyncio.gather(*(repo.add(medium="email", direction="in",
                                              external_id="<same@x>", body=str(i))
                                     for i in range(5)))
    assert len({m["id"] for m, _ in results}) == 1
    assert sum(created for _, created in results) == 1


async def test_given_a_thread_when_a_reply_names_it_then_its_interaction_is_found(
        db: Database) -> None:
    repo = MessageRepository(db)
    await repo.add(medium="email", direction="in", external_id="<root@x>",
                   interaction_id="i-1")
    await repo.add(medium="email", direction="out", external_id="<reply@us>",
                   interaction_id="i-1")
    assert await repo.interaction_of("email", ["<nope@x>", "<reply@us>"]) == "i-1"
    assert await repo.interaction_of("email", ["<nope@x>"]) is None
    assert await repo.interaction_of("chat", ["<root@x>"]) is None  # other medium


async def test_given_messages_then_the_conversation_and_states_are_listed(
        db: Database) -> None:
    repo = MessageRepository(db)
    a, _ = await repo.add(medium="chat", direction="in", body="hi", interaction_id="c-1")
    b, _ = await repo.add(medium="chat", direction="out", body="hello", interaction_id="c-1")
    await repo.update(a["id"], state="queued")
    assert [m["body"] for m in await repo.for_interaction("c-1")] == ["hi", "hello"]
    assert [m["id"] for m in await repo.in_state("chat", "received")] == [b["id"]]
    with pytest.raises(InvalidRecord):
        await repo.update(a["id"], body="changed")
    with pytest.raises(InvalidRecord):
        await repo.add(medium="chat", direction="sideways")


async def test_given_a_thread_over_two_interactions_then_for_thread_lists_all_in_order(
        db: Database) -> None:
    repo = MessageRepository(db)
    for external_id, interaction in (("a@x", "i-1"), ("b@us", "i-1"), ("c@x", "i-2")):
        await repo.add(medium="email", direction="in", external_id=external_id,
                       interaction_id=interaction, thread_key="a@x")
    await repo.add(medium="email", direction="in", external_id="other@x",
                   interaction_id="i-3", thread_key="other@x")
    await repo.add(medium="chat", direction="in", external_id="a@x", thread_key="a@x")
    thread = await repo.for_thread("email", "a@x")
    assert [(m["external_id"], m["interaction_id"]) for m in thread] == [
        ("a@x", "i-1"), ("b@us", "i-1"), ("c@x", "i-2")]
    assert await repo.for_thread("email", "none") == []
