"""An agent's phone that rings out unanswered sends the agent not ready (RONA), unless the
engine and Asterisk were late meanwhile: then its answer may have waited in Asterisk's
queues, and the offer is withdrawn without blame (issue 15: never RONA for slowness)."""

from __future__ import annotations

import pytest

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.telephony.ari.legs import Unanswered
from ccengine.telephony.ari.router import AriEventRouter, ChannelEvents
from ccengine.telephony.voice import VoiceCall, VoiceChannel

RING_OUT, NO_ANSWER, REJECTED = 0, 19, 21   # a ring-out: cause 0 from Asterisk 16


class _Dispatcher:
    def __init__(self) -> None:
        self.told: list[tuple[str, ...]] = []

    async def withdraw(self, interaction_id: str, agent_id: str, reason: str) -> None:
        self.told.append(("withdraw", interaction_id, agent_id, reason))

    async def offer_failed(self, interaction_id: str, agent_id: str, reason: str,
                           offered_at: float | None = None) -> None:
        self.told.append(("failed", interaction_id, agent_id, reason))


@pytest.mark.parametrize("late, cause, declined, told", [
    (None, NO_ANSWER, False, ("failed", "i1", "alice", "no_answer")),       # no guard
    (False, NO_ANSWER, False, ("failed", "i1", "alice", "no_answer")),      # on time: RONA
    (False, RING_OUT, False, ("failed", "i1", "alice", "unreachable")),     # on time: RONA
    (True, RING_OUT, False, ("withdraw", "i1", "alice", "asterisk_late")),  # late: none
    (True, NO_ANSWER, False, ("withdraw", "i1", "alice", "asterisk_late")),
    (True, REJECTED, False, ("failed", "i1", "alice", "rejected")),         # the phone said no
    (True, NO_ANSWER, True, ("failed", "i1", "alice", "rejected")),         # the desk said no
])
async def test_given_a_phone_unanswered_when_asterisk_was_late_or_not_then_blame_follows(
        late: bool | None, cause: int, declined: bool, told: tuple[str, ...]) -> None:
    dispatcher = _Dispatcher()
    voice = VoiceChannel(None, AriEventRouter(None), dispatcher, None,  # type: ignore[arg-type]
                         persist=None, ring_timeout=10, clock=lambda: 0.0)  # type: ignore[arg-type]
    asked: list[float] = []

    def late_since(moment: float) -> bool:
        asked.append(moment)
        return bool(late)

    if late is not None:
        voice.late_since = late_since
    call = VoiceCall(Interaction("i1", Medium.VOICE, queue="sales"), "caller-1",
                     ChannelEvents("caller-1"))
    await voice._not_answered(call, "alice", Unanswered(cause, rang=True), declined,
                              offered_at=1.0, rung_at=42.0)
    assert dispatcher.told == [told]
    assert asked == ([42.0] if late is not None and cause != REJECTED and not declined
                     else [])
