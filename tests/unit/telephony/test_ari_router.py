"""The event router marks a channel's stream gone once the channel has hung up for good."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.ari.router import AriEventRouter


def channel_event(kind: str, channel_id: str, **raw: Any) -> AriEvent:
    return AriEvent.from_json({"type": kind, "application": "cc",
                               "channel": {"id": channel_id, "state": "Up"}, **raw})


@pytest.mark.parametrize("event, gone", [
    (channel_event("ChannelDtmfReceived", "c1", digit="1"), False),
    (channel_event("ChannelHangupRequest", "c1", soft=True), False),   # a redirect, a move
    (channel_event("ChannelHangupRequest", "c1", cause=16), True),    # the far end hung up
    (channel_event("StasisEnd", "c1"), True),
    (channel_event("ChannelDestroyed", "c1", cause=16), True),
    (channel_event("ChannelDestroyed", "c2", cause=16), False),       # another channel's
])
def test_given_a_channel_listened_to_when_an_event_comes_then_gone_only_on_its_own_end(
        event: AriEvent, gone: bool) -> None:
    router = AriEventRouter(client=None)  # type: ignore[arg-type]
    with router.listen("c1") as events:
        router.dispatch(event)
        assert events.gone is gone
        assert events.queue.qsize() == (1 if event.channel.id == "c1" else 0)
