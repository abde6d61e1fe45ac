"""Bounces of campaign mail (docs/campaigns.md, "Bounces"): the email channel hands every
inbound message here before it becomes work. A delivery status notification (RFC 3464) is
never customer work: each failed or delayed recipient of a campaign mail is recorded on
the campaign (``bounce_permanent``, ``bounce_temporary``), and an address whose history
calls for it (campaigns/bounces.py ``suppression``) is suppressed: no campaign mail goes
to it again."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ccengine.campaigns.bounces import (
    Bounce,
    BounceClass,
    SuppressionSettings,
    read_dsn,
    suppression,
)
from ccengine.store.campaigns import CampaignRepository
from ccengine.store.consent import EmailSuppressions
from ccengine.store.messages import MessageRepository, MessageView

log = logging.getLogger(__name__)

OUTCOMES = {BounceClass.PERMANENT: "bounce_permanent",
            BounceClass.TEMPORARY: "bounce_temporary"}


class BounceIntake:
    def __init__(self, campaigns: CampaignRepository, suppressions: EmailSuppressions,
                 messages: MessageRepository, settings: Callable[[], SuppressionSettings],
                 clock: Callable[[], float]) -> None:
        self.campaigns, self.suppressions, self.messages = campaigns, suppressions, messages
        self.settings, self.clock = settings, clock

    async def __call__(self, m: MessageView) -> bool:
        """Whether the message was a bounce (then it is handled, and is not work)."""
        raw = await self.messages.raw(m["id"])
        dsn = read_dsn(raw) if raw else None
        if dsn is None:
            return False
        now = self.clock()
        mail = (await self.campaigns.contact_by_message(dsn.original_message_id)
                if dsn.original_message_id else None)
        for address, bounce in dsn.bounces(now):
            outcome = OUTCOMES.get(bounce.bounce_class)
            if mail is None or outcome is None:
                continue
            await self.campaigns.record_contact(
                mail["campaign_id"], mail["customer_id"], mail["step"], "email", now,
                outcome, detail=bounce.status, message_id=dsn.original_message_id)
            history = [Bounce(at, BounceClass(kind), mid, status) for at, kind, mid, status
                       in await self.campaigns.bounce_history(address)]
            decided = suppression(history, self.settings())
            if decided.suppress:
                await self.suppressions.add(address, decided.reason, now)
                log.info("campaign mail: %s suppressed: %s", address, decided.reason)
        if mail is None:
            log.info("a delivery report (%s) not about campaign mail: left alone",
                     dsn.original_message_id)
        return True
