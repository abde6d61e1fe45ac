"""The event router marks a channel's stream gone once the channel has hung up for good, and
hangs up a leg that reaches Stasis with nobody waiting for it."""

from __future__ import annotations

import asyncio
import logging
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


class _Client:
    def __init__(self) -> None:
        self.hung_up: list[str] = []

    async def hangup(self, channel_id: str) -> None:
        self.hung_up.append(channel_id)


async def test_given_leg_reaching_stasis_after_its_waiter_left_then_hung_up_without_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    client = _Client()
    router = AriEventRouter(client=client)  # type: ignore[arg-type]
    with router.listen("agent-1"):
        pass  # the offer was withdrawn before the agent's leg answered
    caplog.set_level(logging.INFO, logger="ccengine.telephony.ari.router")
    router.dispatch(channel_event("StasisStart", "agent-1", args=["agent", "i1"]))
    router.dispatch(channel_event("StasisStart", "stray-1", args=["bogus"]))
    await asyncio.sleep(0)
    assert client.hung_up == ["agent-1", "stray-1"]
    assert [r.levelname for r in caplog.records if "agent-1" in r.getMessage()] == ["INFO"]
    assert [r.levelname for r in caplog.records if "'bogus'" in r.getMessage()] == ["WARNING"]
