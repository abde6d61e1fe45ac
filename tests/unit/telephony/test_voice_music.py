"""A queued caller's music starts only once they have waited MUSIC_AFTER_SECONDS: an agent
who answers sooner needs neither its start nor its stop (issue 15, part 5: two of a call's
ten ARI requests), and whatever is asked of the caller's media first settles it."""

from __future__ import annotations

import asyncio

import pytest

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.telephony import voice as voice_module
from ccengine.telephony.ari.router import ChannelEvents
from ccengine.telephony.voice import VoiceCall, settle_music
from tests.unit.telephony.test_voice_teardown import _voice

AFTER = 0.05


@pytest.fixture(autouse=True)
def _short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voice_module, "MUSIC_AFTER_SECONDS", AFTER)


def _queued_call() -> VoiceCall:
    return VoiceCall(Interaction("i1", Medium.VOICE, queue="sales"), "caller-i1",
                     ChannelEvents("caller-i1"))


async def test_given_an_agent_answers_before_the_music_then_none_is_asked_or_stopped() -> None:
    voice, ari, dispatcher = _voice()
    call = _queued_call()
    call.music = asyncio.ensure_future(voice._music_soon(call))
    await voice._bridge(call, "alice", "leg-1")
    await asyncio.sleep(AFTER * 3)
    assert ari.asked == [("create_bridge", "bridge-i1"),
                         ("add_to_bridge", "caller-i1", "leg-1")]
    assert dispatcher.told == [("accepted", "i1", "alice")]


async def test_given_the_caller_waited_then_music_plays_and_is_stopped_before_the_bridge(
        ) -> None:
    voice, ari, _ = _voice()
    call = _queued_call()
    call.music = asyncio.ensure_future(voice._music_soon(call))
    await asyncio.sleep(AFTER * 3)
    assert ari.asked == [("start_moh", "caller-i1")]
    await voice._bridge(call, "alice", "leg-1")
    assert ari.asked.index(("stop_moh", "caller-i1")) < ari.asked.index(
        ("add_to_bridge", "caller-i1", "leg-1"))


async def test_given_media_asked_before_the_music_then_it_never_starts_later() -> None:
    voice, ari, _ = _voice()
    call = _queued_call()
    call.music = asyncio.ensure_future(voice._music_soon(call))
    await settle_music(call)   # e.g. the caller pressed a key whose action plays something
    await asyncio.sleep(AFTER * 3)
    assert ari.asked == [] and call.music is None and not call.music_asked


async def test_given_the_music_being_asked_when_settled_then_it_reached_asterisk_first(
        ) -> None:
    voice, ari, _ = _voice()
    call = _queued_call()
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow_start(channel_id: str, moh_class: str = "default") -> None:
        started.set()
        await release.wait()
        ari.asked.append(("start_moh", channel_id))
    ari.start_moh = slow_start  # type: ignore[method-assign]
    call.music = asyncio.ensure_future(voice._music_soon(call))
    await asyncio.wait_for(started.wait(), 1)
    settling = asyncio.ensure_future(settle_music(call))
    await asyncio.sleep(0.01)
    assert not settling.done()    # waits for the request under way
    release.set()
    await asyncio.wait_for(settling, 1)
    assert ari.asked == [("start_moh", "caller-i1")] and call.music_asked
