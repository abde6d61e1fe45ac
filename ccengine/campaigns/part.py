"""Campaigns as one of the engine's parts (ccengine/parts.py): the campaigns API, and the
customer's response that ends their campaigns: any inbound email, chat or call of theirs
that reaches a queue (docs/campaigns.md, "Stop on response")."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from ccengine.campaigns.bounce_intake import BounceIntake
from ccengine.campaigns.calls import CampaignCalls
from ccengine.campaigns.dispositions import CampaignFollowUp
from ccengine.campaigns.predictive import PredictiveDialer
from ccengine.campaigns.runner import CampaignRunner, MailSetup
from ccengine.core.events import InteractionQueued
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.store.campaigns import CampaignRepository

if TYPE_CHECKING:
    from ccengine.engine import Engine

log = logging.getLogger(__name__)

CAMPAIGN = "campaign"   # the attribute of a campaign's own work: {"id", "step"}


def is_response(interaction: Interaction) -> bool:
    """Whether this work is the customer reaching out: an inbound email, chat or call
    (not the engine's or an agent's own call, a callback or a campaign's call)."""
    attributes = interaction.attributes
    if CAMPAIGN in attributes or attributes.get("direction") == "outbound":
        return False
    return interaction.medium in (Medium.EMAIL, Medium.CHAT, Medium.VOICE)


class ResponseWatch:
    """Dispatcher subscriber: a customer's inbound work ends their campaigns."""

    def __init__(self, campaigns: CampaignRepository) -> None:
        self.campaigns = campaigns

    async def on_event(self, event: Any) -> None:
        if not isinstance(event, InteractionQueued):
            return
        interaction = event.interaction
        if interaction.customer_id is None or not is_response(interaction):
            return
        try:
            stopped = await self.campaigns.responded(interaction.customer_id,
                                                     interaction.id, event.at)
        except Exception:   # the work goes on; the campaign step checks again before sending
            log.exception("campaigns: the response %s was not recorded", interaction.id)
            return
        if stopped:
            log.info("campaigns %s: customer %s responded (%s %s); their steps stop",
                     stopped, interaction.customer_id, interaction.medium.value,
                     interaction.id)


async def start_campaigns(engine: Engine) -> None:
    from ccengine.api.campaigns import CampaignsApi, add_routes, add_unsubscribe_routes
    from ccengine.api.interaction_notes import FOLLOW_UP
    if engine.db is None or engine.customers is None or engine.dispatcher is None:
        raise RuntimeError("campaigns start after the store and the dispatcher")
    campaigns = CampaignRepository(engine.db, engine.customers)
    engine.campaigns = campaigns
    api = CampaignsApi(
        campaigns, queues=lambda: engine.dispatcher.queues.keys(),
        templates=lambda: engine.settings.campaigns.templates.keys(),
        trunks=lambda: [t.name for t in engine.outbound_settings.trunks],
        call_queues=lambda: [q.name for q in engine.dispatcher.queues.values()
                             if Medium.CALLBACK in q.media],
        dispositions=lambda queue: engine.settings.dispositions.allowed(queue),
        abandon_message=lambda: bool(engine.settings.campaigns.abandon_message),
        voice_queues=lambda: [q.name for q in engine.dispatcher.queues.values()
                              if Medium.VOICE in q.media])
    engine.api_routes.append(lambda app: add_routes(app, api))
    engine.dispatcher.subscribe(ResponseWatch(campaigns).on_event)
    assert engine.consent is not None and engine.do_not_call is not None \
        and engine.email_suppressions is not None
    calls = None
    if engine.callback_requests is not None:   # phone steps: the engine's own calls
        calls = CampaignCalls(engine.callback_requests, campaigns, engine.customers,
                              lambda: engine.settings.campaigns)
        engine.dispatcher.subscribe(calls.on_event)
        from ccengine.telephony.outbound.callbacks import CallbackChannel
        channel = engine.dispatcher.channel(Medium.CALLBACK)
        if isinstance(channel, CallbackChannel):
            channel.before_dial = calls.before_dial
    if calls is not None:
        api.preview = _previews(engine)
    if calls is not None:   # a campaign call's wrap-up disposition: what follows
        follow_up = CampaignFollowUp(calls, campaigns, engine.consent, engine.do_not_call,
                                     time.time)
        engine.api_routes.append(lambda app: app.__setitem__(FOLLOW_UP, follow_up))
    runner = CampaignRunner(campaigns, engine.customers, engine.consent, engine.do_not_call,
                            engine.email_suppressions, lambda: engine.settings.campaigns,
                            _mail(engine), time.time, calls=calls)
    if calls is not None and engine.voice is not None and engine.outbound is not None:
        # predictive campaigns: customer-first calls, paced
        dialer = PredictiveDialer(engine.voice, engine.dispatcher, engine.outbound,
                                  campaigns, calls, lambda: engine.settings.campaigns,
                                  runner.check, history=engine.recorder.list
                                  if engine.recorder is not None else None)
        calls.predictive = dialer
        api.dialer = dialer.status
        engine.in_background(dialer.run(), "campaign-dialer")
    ledger = engine.consent
    engine.api_routes.append(lambda app: add_unsubscribe_routes(app, campaigns, ledger))
    engine.in_background(runner.run(), "campaign-runner")
    if engine.email is not None:    # bounces of campaign mail come back to the mailboxes
        engine.email.ingest.bounces = BounceIntake(
            campaigns, engine.email_suppressions, engine.email.messages,
            lambda: engine.settings.campaigns.bounces, time.time)


def _mail(engine: Engine) -> MailSetup | None:
    """Campaign mail goes through the email channel's outbox (stored, then sent through
    the relay with retries); without an email channel there is no campaign mail."""
    email = engine.email
    if email is None:
        return None

    async def queue(raw: bytes, *, sender: str, recipients: list[str], subject: str,
                    body: str, message_id: str, meta: dict[str, Any]) -> None:
        await email.messages.add(medium="email", direction="out", external_id=message_id,
                                 sender=sender, recipients=recipients, subject=subject,
                                 body=body, raw=raw, state="queued", at=time.time(),
                                 meta={**meta, "attempts": 0})
        email.outbox.wake()
    async def stored(message_id: str) -> bool:
        return await email.messages.by_external_id("email", message_id) is not None
    return MailSetup(queue, email.config.domain, engine.config.api.public_base, stored)


def _previews(engine: Engine) -> Any:
    """A preview's decision through the callback channel: by the agent previewing it, or
    by a supervisor or admin for them."""
    from ccengine.api.customer_access import is_staff
    from ccengine.telephony.outbound.callbacks import CallbackChannel, NotPreviewing
    assert engine.dispatcher is not None
    channel = engine.dispatcher.channel(Medium.CALLBACK)
    assert isinstance(channel, CallbackChannel)

    async def decide(interaction_id: str, user: Any, action: str) -> None:
        agent = await channel.previewing(interaction_id)
        if agent is None or (agent != user.id and not is_staff(user)):
            raise NotPreviewing(f"no preview of {interaction_id} waits for {user.id}")
        await channel.preview(interaction_id, agent, action)
    return decide
