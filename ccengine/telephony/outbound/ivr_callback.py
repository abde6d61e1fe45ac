"""The IVR action ``callback``: a caller leaves a number to be called back instead of
waiting, and keeps their place.

The caller hears the number they are calling from and presses # to take it, or types
another number and #. The number is read back; 1 confirms. A number the dialling policy
refuses is explained and asked again (``callbacks.max_tries`` times). Once confirmed, a
callback request enters the queue keeping the call's place (its ``enqueued_at``), the caller
hears a goodbye and the call ends. A caller already waiting in the queue (a key while
waiting: the waiting room calls this same executor with the call still queued, held out of
routing, and is meanwhile the only reader of the call's events) is taken out of the queue
with the callback booked; if they give up, they stay in it, in their place. A caller who
gives up in the IVR waits in the queue.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from ccengine.core.errors import UnknownInteraction
from ccengine.dispatcher import Dispatcher
from ccengine.telephony.ari.errors import AriError, AriNotFound
from ccengine.telephony.ivr.flow import EXTRA_ACTIONS, Action, register_action
from ccengine.telephony.outbound.numbers import (
    BadNumber,
    Destination,
    DialPolicy,
    NumberRefused,
)
from ccengine.telephony.outbound.requests import CallbackRequests
from ccengine.telephony.outbound.settings import CallbackSettings
from ccengine.telephony.voice import CallerGone, CallerLeg, VoiceCall, VoiceChannel

log = logging.getLogger(__name__)

DIGITS = "0123456789"


def parse_callback_action(loader: Any, key: str, doc: dict[str, Any]) -> Action:
    """``{action: callback, queue: <name>}`` in an IVR flow, checked when flows load."""
    d = loader.keys(key, doc, {"action", "queue"})
    queue = d.get("queue")
    if queue not in loader.queues:
        raise loader.error(f"{key}.queue", f"unknown queue {queue!r}; known: "
                                           f"{sorted(loader.queues)}")
    return Action("callback", str(queue))


# flows may use the action as soon as this part is imported (the engine imports it)
if "callback" not in EXTRA_ACTIONS:
    register_action("callback", parse_callback_action)


def expand(prompts: tuple[str, ...], number: str) -> tuple[str, ...]:
    """The prompt's sounds with ``{number}`` read digit by digit."""
    out: list[str] = []
    for sound in prompts:
        if sound == "{number}":
            out.extend(f"digits/{d}" for d in number if d in DIGITS)
        else:
            out.append(sound)
    return tuple(out)


async def collect_number(leg: CallerLeg, prompts: tuple[str, ...], timeout: float,
                         max_digits: int = 20) -> str | None:
    """Play ``prompts`` and collect digits up to ``#`` ("" for # alone; * starts over);
    None if the caller stops typing for ``timeout`` seconds or types too many."""
    digit = await leg.play(prompts)
    typed = ""
    while True:
        if digit is None:
            digit = await leg.get_digit(timeout)
        if digit is None:
            return None
        if digit == "#":
            return typed
        if digit == "*":
            typed = ""
        elif digit in DIGITS:
            typed += digit
            if len(typed) > max_digits:
                return None
        digit = None


class IvrCallback:
    """The executor registered as ``VoiceChannel.ivr_actions["callback"]``."""

    def __init__(self, voice: VoiceChannel, dispatcher: Dispatcher,
                 requests: CallbackRequests, settings: CallbackSettings, *,
                 clock: Callable[[], float]) -> None:
        self.voice, self.ari, self.dispatcher = voice, voice.ari, dispatcher
        self.requests, self.settings, self.clock = requests, settings, clock
        self.prompts = settings.prompts

    async def __call__(self, call: VoiceCall, action: Action) -> None:
        interaction = call.interaction
        queued = interaction.queue is not None  # waiting (held) in a queue, not in the IVR
        leg = CallerLeg(self.voice, call)
        with contextlib.suppress(AriNotFound):
            await self.ari.stop_moh(call.caller_channel)
        try:
            destination = await self._ask(leg, call, queued)
        except CallerGone:
            call.hung_up_by = "caller"
            if queued:
                raise  # the waiting room ends the held call as abandoned
            interaction.record("abandoned", self.clock(), stage="callback")
            return
        if destination is None:
            await self._keep_waiting(call, action, queued)
            return
        try:
            row = await self.requests.request(
                number=destination.e164, queue=action.target, due_at=None, via="ivr",
                by="caller", priority=interaction.priority,
                enqueued_at=interaction.enqueued_at, from_interaction=interaction.id,
                name=interaction.attributes.get("caller_name") or None)
        except Exception:
            log.exception("callback request of %s failed: the caller keeps waiting",
                          interaction.id)
            await self._keep_waiting(call, action, queued)
            return
        interaction.attributes["callback_id"] = row["id"]
        await self._note(call, queued, "callback_requested", callback_id=row["id"],
                         number=destination.e164, callback_interaction=row["interaction_id"])
        if queued:  # out of the queue: the callback has its place now
            with contextlib.suppress(UnknownInteraction):
                await self.dispatcher.cancel(interaction.id, "callback_requested",
                                             callback_id=row["id"],
                                             callback_interaction=row["interaction_id"])
        with contextlib.suppress(CallerGone, AriError):
            await leg.play(self.prompts["done"])
        call.hung_up_by = "system"
        with contextlib.suppress(AriError):
            await self.ari.hangup(call.caller_channel)
        if queued:
            call.done.set()

    async def _ask(self, leg: CallerLeg, call: VoiceCall, queued: bool
                   ) -> Destination | None:
        """The number to call back, confirmed by the caller; None if they gave up."""
        policy = self.requests.policy
        calling = str(call.interaction.attributes.get("caller_number") or "")
        usable = _allowed(policy, calling)
        for _ in range(self.settings.max_tries):
            if usable is not None:
                offer = expand(self.prompts["offer"], policy.speakable(calling))
            else:
                offer = self.prompts["offer_no_number"]
            typed = await collect_number(leg, offer, self.settings.digit_timeout)
            if typed is None:
                continue
            if typed == "":
                destination = usable
            else:
                destination = _allowed(policy, typed)
                if destination is None:
                    await self._note(call, queued, "callback_number_refused", typed=typed)
                    await leg.play(self.prompts["refused"])
                    continue
            if destination is None:
                continue
            said = calling if typed == "" else typed
            answer = await leg.play(expand(self.prompts["confirm"], policy.speakable(said)))
            if answer is None:
                answer = await leg.get_digit(self.settings.digit_timeout)
            if answer == "1":
                return destination
        return None

    async def _keep_waiting(self, call: VoiceCall, action: Action, queued: bool) -> None:
        """No callback after all: the caller waits in the queue (on music)."""
        await self._note(call, queued, "callback_not_requested")
        if queued:
            return  # still in the queue, in their place: the waiting room goes on
        call.interaction.queue = action.target
        await self.voice.persist(call.interaction)
        with contextlib.suppress(AriNotFound):
            await self.ari.start_moh(call.caller_channel)
        await self.dispatcher.enqueue(call.interaction)

    async def _note(self, call: VoiceCall, queued: bool, kind: str, **data: object) -> None:
        """Record on the call's interaction: the live one while queued, else the local one
        (stored when the call ends)."""
        if queued:
            with contextlib.suppress(UnknownInteraction):
                await self.dispatcher.record(call.interaction.id, kind, **data)
                return
        call.interaction.record(kind, self.clock(), **data)


def _allowed(policy: DialPolicy, number: str) -> Destination | None:
    try:
        return policy.check(number) if number else None
    except (BadNumber, NumberRefused):
        return None
