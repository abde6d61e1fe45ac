"""Ringing one leg over ARI — an agent's phone, or a number through the trunk — and waiting
for it to answer or fail, while watching another leg (the agent, who may hang up first)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence

from ccengine.telephony.ari.client import AriClient
from ccengine.telephony.ari.errors import AriError
from ccengine.telephony.ari.events import AriEvent
from ccengine.telephony.ari.router import HANGUP_EVENTS, ChannelEvents

log = logging.getLogger(__name__)

ANSWERED = "answered"
AGENT_HUNG_UP = "agent_hung_up"
# outcomes worth another attempt later (a callback's retry policy)
RETRYABLE = frozenset({"no_answer", "busy", "failed", "unreachable", AGENT_HUNG_UP})

# Q.850 causes of a leg that ended before answering
_CAUSES = {17: "busy", 16: "no_answer", 18: "no_answer", 19: "no_answer", 0: "no_answer",
           21: "rejected", 1: "invalid_number", 3: "invalid_number", 28: "invalid_number"}
# how the engine hangs up an agent's own (softphone) call that could not be completed
HANGUP_REASON = {"busy": "busy", "no_answer": "no_answer", "rejected": "rejected",
                 "invalid_number": "unallocated", "refused": "rejected"}


def outcome_of(cause: int) -> str:
    """no_answer, busy, rejected, invalid_number or failed for a hang-up cause."""
    return _CAUSES.get(cause, "failed")


async def next_events(streams: Sequence[ChannelEvents]
                      ) -> list[tuple[ChannelEvents, AriEvent]]:
    """The next event(s) of whichever streams have some; every event taken is returned."""
    tasks = {asyncio.ensure_future(s.next()): s for s in streams}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
    out = []
    for task, stream in tasks.items():
        if task.done() and not task.cancelled() and task.result() is not None:
            out.append((stream, task.result()))
    return out


async def ring(ari: AriClient, events: ChannelEvents, endpoint: str, *,
               app_args: list[str], caller_id: str, timeout: int,
               watch: ChannelEvents | None = None,
               variables: dict[str, str] | None = None) -> str:
    """Originate channel ``events.channel_id`` to ``endpoint`` into the Stasis app; wait until
    it answers (``answered``) or fails (its outcome). A hang-up on ``watch`` first cancels
    the leg (``agent_hung_up``)."""
    try:
        await ari.originate(endpoint, events.channel_id, app_args, caller_id=caller_id,
                            timeout=timeout, **({"variables": variables} if variables else {}))
    except AriError as e:
        log.warning("originate %s to %s failed: %s", events.channel_id, endpoint, e)
        return "unreachable"
    streams = [events] if watch is None else [events, watch]
    while True:
        batch = await next_events(streams)
        if any(stream is watch and event.type in HANGUP_EVENTS for stream, event in batch):
            with contextlib.suppress(AriError):
                await ari.hangup(events.channel_id)
            return AGENT_HUNG_UP
        for stream, event in batch:
            if stream is watch:
                continue
            if event.type == "StasisStart":
                return ANSWERED
            if event.type in ("ChannelDestroyed", "ChannelHangupRequest"):
                return outcome_of(event.cause)


class Ringback:
    """A ringing tone played to an answered leg while the other one rings."""

    def __init__(self, ari: AriClient, channel_id: str) -> None:
        self.ari, self.channel_id = ari, channel_id
        self.playback_id = f"ringback-{uuid.uuid4().hex}"

    async def start(self) -> None:
        with contextlib.suppress(AriError):  # a missing tone zone must not stop the call
            await self.ari.play(self.channel_id, ["tone:ring"], self.playback_id)

    async def stop(self) -> None:
        with contextlib.suppress(AriError):
            await self.ari.stop_playback(self.playback_id)
