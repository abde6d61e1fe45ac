"""Following a leg the engine originated into its Stasis application until it answers."""

from __future__ import annotations

from dataclasses import dataclass

from ccengine.telephony.ari.router import ChannelEvents

ENDED_UNANSWERED = frozenset({"ChannelDestroyed", "ChannelHangupRequest"})


@dataclass(frozen=True)
class Unanswered:
    """How an originated leg ended before answering: its Q.850 hang-up cause, and whether
    the phone was seen ringing (a phone that rang out until the timeout ends with no
    cause)."""

    cause: int
    rang: bool


async def wait_answer(events: ChannelEvents) -> Unanswered | None:
    """None once the leg answers (its StasisStart arrives), else how it ended."""
    rang = False
    while True:
        event = await events.next()
        if event is None:
            continue
        if event.type == "StasisStart":
            return None
        rang = rang or (event.channel is not None and event.channel.state == "Ringing")
        if event.type in ENDED_UNANSWERED:
            return Unanswered(event.cause, rang)
