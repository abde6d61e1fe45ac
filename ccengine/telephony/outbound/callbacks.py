"""The callback channel adapter (Medium.CALLBACK), registered with the dispatcher.

When routing offers a callback to an agent, the engine rings the agent's phone first (not
answering is a RONA, as for calls: the agent goes not ready and the callback goes back to
the head of its queue). Once the agent answers (busy), it dials the customer's number
through the trunk — the agent hears ringing — and bridges them; the call then goes on like
any answered call (transfers, wrap-up). If the customer does not answer, is busy or the
call fails, the attempt's outcome is stored on the interaction (``callback_attempt``) and
on the request, the agent goes to wrap-up, and the request is scheduled again after
``callbacks.interval_seconds`` until ``callbacks.attempts`` attempts were made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable

from ccengine.core.errors import CoreError, UnknownInteraction
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.cti.screenpop import PREVIEW_EVENTS
from ccengine.dispatcher import Dispatcher
from ccengine.store.callbacks import UnknownCallback
from ccengine.telephony.ari.errors import AriError
from ccengine.telephony.outbound.calls import OutboundCalls
from ccengine.telephony.outbound.legs import ANSWERED, RETRYABLE, ring
from ccengine.telephony.outbound.numbers import BadNumber, NumberRefused
from ccengine.telephony.outbound.requests import CallbackRequests
from ccengine.telephony.outbound.settings import CallbackSettings
from ccengine.telephony.voice import INTERACTION_HEADER_VAR, VoiceChannel

log = logging.getLogger(__name__)

CAMPAIGN = "campaign"   # the attribute of a campaign's call (ccengine/campaigns)

# how an agent's leg that did not answer counts for the dispatcher (RONA reasons)
_AGENT_FAILURE = {"no_answer": "no_answer", "busy": "rejected", "rejected": "rejected"}


class NotPreviewing(CoreError):
    """No preview of this work is waiting for this agent's decision."""

    code = "preview_conflict"


PREVIEW_ACTIONS = ("call", "skip")


class CallbackChannel:
    """Carries out "offer this callback to this agent": agent first, then the customer.

    A preview campaign's call (``campaign.mode: preview``) is not rung at once: the agent
    takes it at once (busy with it: nothing else is offered) and sees the customer; the
    call starts when they say so (``preview(..., "call")``), or they skip the customer
    (``"skip"``: the work ends, the campaign tries them again later)."""

    medium = Medium.CALLBACK

    def __init__(self, voice: VoiceChannel, dispatcher: Dispatcher, calls: OutboundCalls,
                 requests: CallbackRequests, settings: CallbackSettings, *,
                 clock: Callable[[], float]) -> None:
        self.voice, self.ari, self.dispatcher = voice, voice.ari, dispatcher
        self.calls, self.requests, self.settings, self.clock = calls, requests, settings, clock
        self._deciding = asyncio.Lock()   # one preview decision at a time on this node
        # a campaign's call, just before it is dialled: None to go on, else why not (the
        # campaign has moved the customer on; ccengine/campaigns/calls.py)
        self.before_dial: Callable[[Interaction], Awaitable[str | None]] | None = None

    @property
    def offer_seconds(self) -> float:
        """The agent's phone rings as long as for a call (then RONA)."""
        return self.voice.offer_seconds

    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        if interaction.id in self.voice.calls:
            # the customer is already on the line (a transfer of a connected callback
            # came back to the queue): ring the agent and bridge, as for any call
            await self.voice.offer(interaction, agent_id)
            return
        campaign = interaction.attributes.get(CAMPAIGN)
        if isinstance(campaign, dict) and campaign.get("mode") == "preview":
            await self._show_preview(interaction, agent_id)
            return
        self.voice.router.spawn(self._attempt(interaction, agent_id),
                                f"callback-{interaction.id}-{agent_id}")

    async def _show_preview(self, interaction: Interaction, agent_id: str) -> None:
        """The agent takes the preview at once and decides when to call."""
        if await self._not_to_dial(interaction, agent_id, accepted=False):
            return
        try:
            await self.dispatcher.offer_accepted(interaction.id, agent_id)
        except CoreError:   # cancelled meanwhile
            return
        await self.dispatcher.record(interaction.id, "preview", agent_id=agent_id)

    async def previewing(self, interaction_id: str) -> str | None:
        """The agent a preview waits for, or None: read from the work's own history (in
        the live state every engine node shares, so any node can take the decision and
        a restarted one still knows): its latest preview event is ``preview`` or
        ``preview_call_failed``."""
        try:
            interaction = await self.dispatcher.live_interaction(interaction_id)
        except UnknownInteraction:
            return None
        campaign = interaction.attributes.get(CAMPAIGN)
        if not isinstance(campaign, dict) or campaign.get("mode") != "preview":
            return None
        steps = [e for e in interaction.events if e.kind in PREVIEW_EVENTS]
        if not steps or steps[-1].kind not in ("preview", "preview_call_failed"):
            return None
        return interaction.agent_id

    async def preview(self, interaction_id: str, agent_id: str, action: str) -> None:
        """The agent's decision on a preview: ``call`` (their phone rings, then the
        customer's) or ``skip``. NotPreviewing when no preview waits for them."""
        if action not in PREVIEW_ACTIONS:
            raise NotPreviewing(f"action must be one of {', '.join(PREVIEW_ACTIONS)}")
        async with self._deciding:
            if await self.previewing(interaction_id) != agent_id:
                raise NotPreviewing(f"no preview of {interaction_id} waits for {agent_id}")
            interaction = await self.dispatcher.record(interaction_id, f"preview_{action}",
                                                       agent_id=agent_id)
        if action == "call":
            self.voice.router.spawn(self._attempt(interaction, agent_id, accepted=True),
                                    f"callback-{interaction_id}-{agent_id}")
            return
        info = interaction.attributes.get("callback") or {}
        with contextlib.suppress(UnknownCallback):
            await self.requests.attempt_failed(str(info.get("id", "")),
                                               int(info.get("attempts", 0)) + 1, "skipped",
                                               retry_at=None)
        await self.dispatcher.interaction_ended(interaction_id, agent_id,
                                                reason="preview_skipped", hung_up_by="agent")

    async def _attempt(self, interaction: Interaction, agent_id: str, *,
                       accepted: bool = False) -> None:
        iid = interaction.id
        if await self._not_to_dial(interaction, agent_id, accepted=accepted):
            return
        info = interaction.attributes.get("callback") or {}
        row_id, number = str(info.get("id", "")), str(info.get("number", ""))
        attempt = int(info.get("attempts", 0)) + 1
        # a campaign's call is one attempt (the campaign retries it, within its calling
        # window) and rings as long as the campaign says (at least 15 s)
        campaign = interaction.attributes.get(CAMPAIGN)
        limit = 1 if campaign else self.settings.attempts
        ring_seconds = float(campaign.get("ring_seconds", self.settings.ring_seconds)) \
            if isinstance(campaign, dict) else self.settings.ring_seconds
        agent_channel = f"callback-agent-{uuid.uuid4().hex}"
        with self.voice.router.listen(agent_channel) as agent_events:
            outcome = await ring(self.ari, agent_events, f"PJSIP/{agent_id}",
                                 app_args=["callback", iid],
                                 caller_id=f'"Callback" <{number}>',
                                 timeout=int(self.voice.ring_timeout),
                                 variables={INTERACTION_HEADER_VAR: iid})
            if outcome != ANSWERED and accepted:
                # a preview: the agent's own phone did not answer; they decide again
                await self.dispatcher.record(iid, "preview_call_failed", agent_id=agent_id,
                                             outcome=outcome)
                return
            if outcome != ANSWERED:
                await self.dispatcher.offer_failed(
                    iid, agent_id, _AGENT_FAILURE.get(outcome, "unreachable"))
                return
            try:
                if not accepted:
                    await self.dispatcher.offer_accepted(iid, agent_id)
            except CoreError:  # cancelled while the agent's phone rang
                with contextlib.suppress(AriError):
                    await self.ari.hangup(agent_channel)
                return
            await self.requests.attempt_started(row_id)
            await self.dispatcher.record(iid, "callback_dialling", attempt=attempt,
                                         number=number, agent_id=agent_id)
            try:
                destination = self.calls.policy.check(number)
            except (BadNumber, NumberRefused) as e:  # the policy changed since the request
                log.warning("callback %s to %s refused: %s", row_id, number, e)
                outcome = "refused"
            else:
                outcome = await self.calls.connect(
                    iid, agent_id, agent_channel, agent_events, destination, agent_up=True,
                    ring_seconds=ring_seconds)
            if outcome == ANSWERED:  # the call took place and is over
                await self.requests.attempt_connected(row_id, attempt)
                return
            with contextlib.suppress(AriError):
                await self.ari.hangup(agent_channel)
        await self._failed(iid, agent_id, row_id, number, attempt, outcome, limit)

    async def _not_to_dial(self, interaction: Interaction, agent_id: str, *,
                           accepted: bool) -> bool:
        """A campaign's call the campaign no longer wants dialled (checked just before):
        taken back from the agent without blame (ended, if they had taken it already),
        its request given up. Whether it was."""
        if self.before_dial is None or CAMPAIGN not in interaction.attributes:
            return False
        try:
            why = await self.before_dial(interaction)
        except Exception:   # the campaign's own trouble: the call goes on as placed
            log.exception("campaign call %s: the check before dialling failed",
                          interaction.id)
            return False
        if why is None:
            return False
        iid = interaction.id
        log.info("campaign call %s not dialled: %s", iid, why)
        info = interaction.attributes.get("callback") or {}
        with contextlib.suppress(UnknownCallback):
            await self.requests.attempt_failed(str(info.get("id", "")),
                                               int(info.get("attempts", 0)) + 1,
                                               "not_dialled", retry_at=None)
        with contextlib.suppress(UnknownInteraction):
            if accepted:
                await self.dispatcher.interaction_ended(iid, agent_id, reason="not_dialled",
                                                        detail=why, hung_up_by="system")
            else:
                await self.dispatcher.cancel(iid, "not_dialled", detail=why)
        return True

    async def _failed(self, iid: str, agent_id: str, row_id: str, number: str, attempt: int,
                      outcome: str, limit: int) -> None:
        """Store the attempt's outcome; retry later (up to ``limit`` attempts) or give up;
        the agent wraps up."""
        retry = outcome in RETRYABLE and attempt < limit
        retry_at = self.clock() + self.settings.interval_seconds if retry else None
        with contextlib.suppress(UnknownInteraction):
            live = await self.dispatcher.live_interaction(iid)
            info = dict(live.attributes.get("callback") or {})
            info["attempts"] = attempt
            info["outcomes"] = [*info.get("outcomes", []),
                                {"attempt": attempt, "outcome": outcome}]
            await self.dispatcher.record(
                iid, "callback_attempt", attributes={"callback": info}, attempt=attempt,
                outcome=outcome, agent_id=agent_id, number=number,
                **({"retry_at": retry_at} if retry_at is not None else {}))
        await self.requests.attempt_failed(row_id, attempt, outcome, retry_at=retry_at)
        if retry:
            # the agent wraps up; the interaction stays live, out of the queue, until the
            # scheduler puts it back at retry_at (keeping its place)
            await self.dispatcher.agent_left(iid, agent_id)
            return
        with contextlib.suppress(UnknownInteraction):
            await self.dispatcher.interaction_ended(iid, agent_id, reason="callback_failed",
                                                    outcome=outcome, attempts=attempt,
                                                    hung_up_by="system")
