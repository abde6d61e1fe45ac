"""The screen-pop feed looks the customer up only for an agent whose desktop is open: the
lookup (profile and history, several queries) is the pop's cost, and without a socket
nobody would see it (on several engine nodes, only the node holding the socket pays)."""

from __future__ import annotations

from typing import Any

from ccengine.core.events import InteractionOffered
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
