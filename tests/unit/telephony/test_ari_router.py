"""The event router marks a channel's stream gone once the channel has hung up for good,
hangs up a leg that reaches Stasis with nobody waiting for it, and, while an originate
without a channel id is out, holds the events of channels nobody listens to yet for the
listener its answer brings."""

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


def _ringing(channel_id: str) -> AriEvent:
    return AriEvent.from_json({"type": "ChannelStateChange", "application": "cc",
                               "channel": {"id": channel_id, "state": "Ringing"}})


async def test_given_an_originate_out_when_its_leg_events_come_first_then_listen_gets_them(
        ) -> None:
    """A leg originated without a channel id is named by the originate's answer; its
    events that come before it are held and handed, in order, to its listener."""
    client = _Client()
    router = AriEventRouter(client=client)  # type: ignore[arg-type]
    with router.expecting():
        router.dispatch(_ringing("new-1"))
        router.dispatch(channel_event("StasisStart", "new-1", args=["agent", "i1"]))
        router.dispatch(_ringing("other"))    # another leg's, held for its own listener
    await asyncio.sleep(0)
    assert client.hung_up == []                 # the answered leg is not rejected
    with router.listen("new-1") as events:
        assert [events.queue.get_nowait().type for _ in range(2)] == [
            "ChannelStateChange", "StasisStart"]
        assert events.queue.empty() and not events.gone
    with router.listen("other") as events:
        assert events.queue.get_nowait().channel.state == "Ringing"


async def test_given_a_held_leg_that_ended_when_listened_to_then_it_is_gone() -> None:
    router = AriEventRouter(client=_Client())  # type: ignore[arg-type]
    with router.expecting():
        router.dispatch(channel_event("ChannelDestroyed", "new-1", cause=17))
    with router.listen("new-1") as events:
        assert events.gone and events.queue.get_nowait().cause == 17


async def test_given_no_originate_out_then_unknown_legs_events_are_not_held() -> None:
    client = _Client()
    router = AriEventRouter(client=client)  # type: ignore[arg-type]
    router.dispatch(_ringing("stray"))
    router.dispatch(channel_event("StasisStart", "stray", args=["agent", "i1"]))
    await asyncio.sleep(0)
    assert client.hung_up == ["stray"]          # rejected at once, as before
    with router.listen("stray") as events:
        assert events.queue.empty()


async def test_given_a_stasis_start_with_a_handler_when_an_originate_is_out_then_handled(
        ) -> None:
    router = AriEventRouter(client=_Client())  # type: ignore[arg-type]
    started: list[str] = []

    async def inbound(event: AriEvent, _events: Any) -> None:
        started.append(event.channel.id)

    router.on_stasis_start("inbound", inbound)
    with router.expecting():
        router.dispatch(_ringing("caller-1"))   # held (it could have been a new leg's)
        router.dispatch(channel_event("StasisStart", "caller-1", args=["inbound"]))
    await asyncio.sleep(0.01)
    assert started == ["caller-1"]


async def test_given_a_held_leg_in_stasis_never_claimed_then_hung_up_after_the_hold(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from ccengine.telephony.ari import router as router_module
    monkeypatch.setattr(router_module, "HELD_SECONDS", 0.1)
    client = _Client()
    router = AriEventRouter(client=client)  # type: ignore[arg-type]
    with router.expecting():
        router.dispatch(channel_event("StasisStart", "lost-1", args=["agent", "i1"]))
        router.dispatch(_ringing("ended-1"))
        router.dispatch(channel_event("StasisStart", "ended-1", args=["agent", "i2"]))
        router.dispatch(channel_event("StasisEnd", "ended-1"))   # ended by itself
    await asyncio.sleep(0.05)
    assert client.hung_up == []                 # still within the hold
    await asyncio.sleep(0.15)
    assert client.hung_up == ["lost-1"]
    assert any("lost-1" in r.getMessage() and r.levelname == "WARNING"
               for r in caplog.records)
    with router.listen("lost-1") as events:     # let go: nothing left to hand over
        assert events.queue.empty()
