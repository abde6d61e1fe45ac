"""The screen-pop feed looks the customer up only for an agent whose desktop is open: the
lookup (profile and history, several queries) is the pop's cost, and without a socket
nobody would see it (on several engine nodes, only the node holding the socket pays)."""

from __future__ import annotations

import asyncio
from typing import Any

from ccengine.core.errors import UnknownAgent
from ccengine.core.events import (
    AgentStateChanged,
    InteractionCancelled,
    InteractionOffered,
    InteractionQueued,
)
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.cti.screenpop import ScreenPopFeed
from tests.feeds import RecordingSocket


async def test_given_offer_then_customer_looked_up_only_for_agent_with_open_desktop() -> None:
    looked_up: list[str] = []

    async def enrich(interaction: Interaction) -> dict[str, Any]:
        looked_up.append(interaction.id)
        return {"id": "c1", "name": "Ada"}

    feed = ScreenPopFeed(enrich=enrich)
    alice = RecordingSocket()
    feed.add("alice", alice)
    call = Interaction("i1", Medium.VOICE, queue="sales",
                       attributes={"caller_number": "+441234567890"})
    await feed.on_event(InteractionOffered(1.0, call, "bob"))  # bob: no desktop open
    assert looked_up == []
    await feed.on_event(InteractionOffered(2.0, call, "alice"))
    assert looked_up == ["i1"]
    assert [(m["type"], m["interaction_id"], m["customer"]["name"]) for m in alice.sent] == [
        ("offer", "i1", "Ada")]

    feed.remove("alice", alice)  # the desktop closed: back to no lookup
    await feed.on_event(InteractionOffered(3.0, call, "alice"))
    assert looked_up == ["i1"]


class Views:
    """Live state as the feed reads it; the first agent_view waits for ``gate``."""

    def __init__(self) -> None:
        self.gate, self.reading = asyncio.Event(), asyncio.Event()
        self.reads: list[str] = []
        self.state = "available"

    async def agent_view(self, agent_id: str) -> dict[str, Any]:
        self.reads.append(agent_id)
        self.reading.set()
        if len(self.reads) == 1:
            await self.gate.wait()
        if agent_id == "sam":
            raise UnknownAgent(agent_id)
        return {"id": agent_id, "state": self.state}

    def offer_expires_at(self, medium: Medium, offered_at: float) -> float:
        return offered_at + (8 if medium == Medium.VOICE else 30)


async def test_given_a_change_while_the_hello_is_built_when_opening_then_hello_goes_first(
) -> None:
    views = Views()
    feed = ScreenPopFeed(views=views)
    socket = RecordingSocket()
    opening = asyncio.ensure_future(feed.open("alice", socket))
    await asyncio.wait_for(views.reading.wait(), 5)
    views.state = "not_ready"
    await feed.on_event(AgentStateChanged(2.0, "alice", "available", "not_ready", "lunch",
                                          "not_ready"))
    assert socket.sent == []          # held back until the hello is out
    views.gate.set()
    await opening
    assert [(m["type"], m["agent"]["state"]) for m in socket.sent] == [
        ("hello", "not_ready"), ("state", "not_ready")]
    assert socket.sent[1]["reason"] == "lunch" and socket.sent[1]["by"] is None


async def test_given_feeds_when_states_change_then_only_open_agents_read_and_told() -> None:
    views = Views()
    views.gate.set()
    feed = ScreenPopFeed(views=views)
    sam = RecordingSocket()
    await feed.open("sam", sam)
    assert sam.sent == [{"type": "hello", "agent_id": "sam", "agent": None}]
    await feed.on_event(AgentStateChanged(1.0, "bob", "available", "busy", "", "answered"))
    assert views.reads == ["sam"]     # bob has no feed open: nothing read, nothing sent
    call = Interaction("i1", Medium.VOICE, queue="sales")
    alice = RecordingSocket()
    feed.add("alice", alice)
    await feed.on_event(InteractionOffered(100.0, call, "alice"))
    assert (alice.sent[0]["offered_at"], alice.sent[0]["expires_at"]) == (100.0, 108.0)


async def test_given_desk_open_when_work_queued_then_its_customer_is_ready_before_the_offer(
        ) -> None:
    looked_up: list[str] = []
    release = asyncio.Event()

    async def enrich(interaction: Interaction) -> dict[str, Any]:
        looked_up.append(interaction.id)
        await release.wait()
        return {"id": "c1", "name": "Ada"}

    feed = ScreenPopFeed(enrich=enrich)
    alice = RecordingSocket()
    feed.add("alice", alice)
    call = Interaction("i1", Medium.VOICE, queue="sales")
    await feed.on_event(InteractionQueued(1.0, call))   # the lookup starts while it waits
    await asyncio.sleep(0)
    assert looked_up == ["i1"]
    release.set()
    await asyncio.sleep(0)
    await feed.on_event(InteractionOffered(2.0, call, "alice"))
    assert looked_up == ["i1"]   # not again at the offer
    assert [m["customer"]["name"] for m in alice.sent] == ["Ada"]

    gone = Interaction("i2", Medium.VOICE, queue="sales")
    release.clear()
    await feed.on_event(InteractionQueued(3.0, gone))
    await asyncio.sleep(0)
    await feed.on_event(InteractionCancelled(4.0, gone, "abandoned"))   # dropped unused
    assert "i2" not in feed._customers  # noqa: SLF001 - what is kept for waiting work
