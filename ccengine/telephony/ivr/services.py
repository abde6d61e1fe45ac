"""The IVR's outside world for one call: lookups over HTTP (aiohttp), transfers to an
extension over ARI (originate, bridge with the caller, follow until either hangs up) and
the caller's recent intent (read from the store by the finder the engine gives)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp

from ccengine.telephony.ari.errors import AriError
from ccengine.telephony.ari.legs import wait_answer
from ccengine.telephony.ari.router import HANGUP_EVENTS, ChannelEvents
from ccengine.telephony.ivr.lookups import MAX_ANSWER_BYTES, HttpAnswer, HttpRequest
from ccengine.telephony.ivr.runner import TRANSFER_ANSWERED, IntentAnswer
from ccengine.telephony.voice import CallerGone, CallerLeg, VoiceCall, VoiceChannel

log = logging.getLogger(__name__)

TRANSFER_ARG = "ivr-transfer"   # first Stasis argument of an extension's leg
_FAILED_LEG = {17: "busy", 21: "busy", 18: "no_answer", 19: "no_answer", 16: "no_answer"}
# a customer's newest intent: (customer id, the call's own interaction id to leave out,
# within seconds) -> {"name", "confidence", "medium", "interaction_id", ...} or None (as
# ccengine.cti.customers.newest_intent); raises when the store fails
IntentFinder = Callable[[str, str, float], Awaitable[Mapping[str, Any] | None]]
INTENT_LOOKUP_SECONDS = 3.0   # the caller waits in silence meanwhile: then "unavailable"


async def http_lookup(session: aiohttp.ClientSession, request: HttpRequest) -> HttpAnswer:
    """Send ``request``; the JSON answer, or why there is none (never raises)."""
    try:
        async with asyncio.timeout(request.timeout):
            async with session.request(request.method, request.url,
                                       headers=dict(request.headers),
                                       data=request.body) as r:
                raw = await r.content.read(MAX_ANSWER_BYTES + 1)
                if r.status >= 400:
                    return HttpAnswer(f"http_{r.status}")
    except TimeoutError:
        return HttpAnswer("timeout")
    except (aiohttp.ClientError, OSError, ValueError) as e:
        log.info("IVR lookup %s %s failed: %s", request.method, request.url, e)
        return HttpAnswer("unreachable")
    if len(raw) > MAX_ANSWER_BYTES:
        return HttpAnswer("too_large")
    try:
        return HttpAnswer("ok", json.loads(raw))
    except (ValueError, UnicodeDecodeError):
        return HttpAnswer("not_json")


class CallServices:
    """IvrServices of one call (the runner's clock, HTTP and transfers)."""

    def __init__(self, voice: VoiceChannel, call: VoiceCall, leg: CallerLeg,
                 http: aiohttp.ClientSession, endpoints: Mapping[str, str],
                 clock: Callable[[], float] = time.time,
                 intents: IntentFinder | None = None) -> None:
        self.voice, self.call, self.leg, self.session = voice, call, leg, http
        self.endpoints, self.clock, self.intents = endpoints, clock, intents

    def now(self) -> float:
        return self.clock()

    async def http(self, request: HttpRequest) -> HttpAnswer:
        return await http_lookup(self.session, request)

    async def recent_intent(self, within: float) -> IntentAnswer:
        """The newest intent of the caller's customer (linked before the IVR runs, by the
        caller's number); never raises."""
        interaction = self.call.interaction
        if not interaction.customer_id:
            return IntentAnswer("unknown_caller")
        if self.intents is None:
            return IntentAnswer("unavailable")
        try:
            async with asyncio.timeout(INTENT_LOOKUP_SECONDS):
                found = await self.intents(interaction.customer_id, interaction.id, within)
        except Exception as e:  # the store is down or slow: the caller goes on
            log.warning("IVR recent intent of %s (customer %s) unavailable: %r",
                        interaction.id, interaction.customer_id, e)
            return IntentAnswer("unavailable")
        if found is None:
            return IntentAnswer("none")
        confidence = found.get("confidence")
        return IntentAnswer("found", str(found["name"]),
                            float(confidence) if isinstance(confidence, (int, float)) else None,
                            str(found.get("medium") or ""),
                            str(found.get("interaction_id") or ""))

    async def transfer(self, extension: str, timeout: float) -> str:
        """Ring the extension; once it answers it is bridged with the caller and a task
        follows it (the call ends when it hangs up). The caller hanging up while it
        rings raises CallerGone (the extension's leg is hung up)."""
        endpoint = self.endpoints.get(extension)
        if endpoint is None:
            return "unavailable"
        ari, call = self.voice.ari, self.call
        outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        channel_id = f"ivrxfer-{uuid.uuid4().hex}"
        task = self.voice.router.spawn(self._leg(endpoint, channel_id, timeout, outcome),
                                       f"ivr-transfer-{call.interaction.id}")
        with contextlib.suppress(AriError):
            await ari.ring(call.caller_channel)
        try:
            result = await self._outcome_or_hangup(outcome)
        except BaseException:
            task.cancel()
            raise
        finally:
            with contextlib.suppress(AriError):
                await ari.ring_stop(call.caller_channel)
        return result

    async def _outcome_or_hangup(self, outcome: asyncio.Future[str]) -> str:
        while True:
            waiter = asyncio.ensure_future(self.call.events.next())
            try:
                await asyncio.wait({outcome, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            if waiter.done() and not waiter.cancelled():
                event = waiter.result()
                if event is not None and event.type in HANGUP_EVENTS:
                    raise CallerGone()  # checked first: a hang-up must never be lost
            if outcome.done():
                return outcome.result()

    async def _leg(self, endpoint: str, channel_id: str, timeout: float,
                   outcome: asyncio.Future[str]) -> None:
        ari, call = self.voice.ari, self.call
        caller = call.interaction.attributes.get("caller_number") or "anonymous"
        with self.voice.router.listen(channel_id) as events:
            try:
                await ari.originate(endpoint, channel_id, [TRANSFER_ARG, call.interaction.id],
                                    caller_id=f'"{caller}" <{caller}>',
                                    timeout=max(1, int(timeout)))
            except AriError as e:
                log.info("IVR transfer of %s to %s failed: %s", call.interaction.id,
                         endpoint, e)
                outcome.set_result("unavailable")
                return
            answered = False
            try:
                failure = await self._ringing(events)
                if failure is not None:
                    outcome.set_result(failure)
                    return
                await self._bridge(channel_id)
                answered = True
                outcome.set_result(TRANSFER_ANSWERED)
                await self._follow(events)
            finally:
                if not answered:
                    with contextlib.suppress(AriError):
                        await ari.hangup(channel_id)

    async def _ringing(self, events: ChannelEvents) -> str | None:
        """None once the extension answers, else why it did not (a phone that rang until
        the timeout ends with no cause: no_answer)."""
        unanswered = await wait_answer(events)
        if unanswered is None:
            return None
        log.info("IVR transfer leg %s ended unanswered (cause %s, rang: %s)",
                 events.channel_id, unanswered.cause, unanswered.rang)
        if unanswered.cause in _FAILED_LEG:
            return _FAILED_LEG[unanswered.cause]
        return "no_answer" if unanswered.rang else "unavailable"

    async def _bridge(self, channel_id: str) -> None:
        ari, call = self.voice.ari, self.call
        call.agent_channel = channel_id  # hung up with the call (VoiceChannel._finish)
        call.bridge_id = f"bridge-{call.interaction.id}"
        with contextlib.suppress(AriError):
            await ari.ring_stop(call.caller_channel)
        await ari.create_bridge(call.bridge_id, "mixing")
        await ari.add_to_bridge(call.bridge_id, [call.caller_channel, channel_id])

    async def _follow(self, events: ChannelEvents) -> None:
        call = self.call
        while not call.done.is_set():
            event = await events.next()
            if event is not None and event.type in HANGUP_EVENTS:
                call.agent_channel = None
                if call.hung_up_by is None:
                    call.hung_up_by = "agent"   # the extension's side ended the call
                call.done.set()


def install(voice: VoiceChannel, http: aiohttp.ClientSession,
            endpoints: Mapping[str, str], clock: Callable[[], float] = time.time,
            intents: IntentFinder | None = None) -> None:
    """Give ``voice``'s IVR its lookups, transfers (an answered transfer ends the IVR
    with the caller bridged to the extension; VoiceChannel follows the call) and the
    callers' recent intents (``intents``; None: always unavailable)."""
    voice.ivr_services = lambda call, leg: CallServices(voice, call, leg, http, endpoints,
                                                        clock, intents)
