"""The campaign runner (docs/campaigns.md, "Running a campaign"): every second it takes the
targets whose next step is due in running campaigns, checks again that the customer may
be contacted (consent, opt-in, do-not-call, bounces, the frequency cap), and takes the
step: an email goes to the outbox (stored first, sent through the relay with retries), a
phone step waits for the dialer. A target that may not be contacted on a step's channel
skips that step (the next may use another channel); the frequency cap holds it an hour.
Several runners (engine nodes) never take the same target twice: ``claim`` is atomic."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ccengine.campaigns.calls import CampaignCalls
from ccengine.campaigns.checks import ContactFacts, Verdict, may_contact
from ccengine.campaigns.mailing import (
    MAC_BYTES,
    HeaderError,
    Recipient,
    RenderError,
    campaign_message,
    read_unsubscribe_token,
    render,
    unsubscribe_link,
    unsubscribe_token,
)
from ccengine.campaigns.settings import CampaignSettings
from ccengine.store.campaigns import CampaignRepository, CampaignView
from ccengine.store.consent import ConsentLedger, DoNotCallList, EmailSuppressions
from ccengine.store.customers import CustomerRepository

log = logging.getLogger(__name__)

BATCH = 100
CAP_RETRY_SECONDS = 3600.0      # a capped contact is tried again an hour later
DIALER_RETRY_SECONDS = 300.0    # a phone step with no dialer is looked at again later

SendMail = Callable[..., Awaitable[None]]   # (raw bytes, sender, recipients, meta) -> None


@dataclass
class MailSetup:
    """What campaign mail needs: the store-and-send outbox, our domain for Message-IDs and
    the public HTTPS address of the unsubscribe links."""

    queue: SendMail
    domain: str
    public_base: str
    # whether a mail with this Message-ID is in the outbox (or sent): a restart's check
    stored: Callable[[str], Awaitable[bool]] | None = None


class CampaignRunner:
    def __init__(self, campaigns: CampaignRepository, customers: CustomerRepository,
                 ledger: ConsentLedger, dnc: DoNotCallList, suppressions: EmailSuppressions,
                 settings: Callable[[], CampaignSettings], mail: MailSetup | None,
                 clock: Callable[[], float], tick_seconds: float = 1.0,
                 calls: CampaignCalls | None = None) -> None:
        self.campaigns, self.customers = campaigns, customers
        self.ledger, self.dnc, self.suppressions = ledger, dnc, suppressions
        self.settings, self.mail, self.clock = settings, mail, clock
        self.tick_seconds = tick_seconds
        self.calls = calls          # phone steps (None: no callbacks configured: they wait)
        if calls is not None:
            calls.advance, calls.check, calls.skip = self.advance, self.check, self.skip
        self._sent_minute: tuple[int, int] = (0, 0)   # (minute, mails sent in it)

    async def recover(self) -> int:
        """At start: the steps that were under way when the engine stopped. A mail handed
        to the outbox (stored, so it goes out) moves the customer on; one that was not is
        due again; a call is followed up from its callback request. How many."""
        now = self.clock()
        found = await self.campaigns.active()
        for campaign, target in found:
            step = campaign["spec"]["steps"][int(target["step"])]
            cid, customer = campaign["id"], target["customer_id"]
            if step["channel"] == "phone":
                if self.calls is not None:
                    await self.calls.recover(campaign, target, now)
                else:
                    await self.campaigns.settle(cid, customer, now, state="pending",
                                                next_at=now, outcome="due again")
            elif await self._mail_went(cid, customer, int(target["step"])):
                await self.advance(campaign, target, now, f"step {target['step']}: mail "
                                                          "sent")
            else:
                await self.campaigns.settle(cid, customer, now, state="pending",
                                            next_at=now, outcome="due again")
        return len(found)

    async def _mail_went(self, cid: int, customer: str, step: int) -> bool:
        """Whether the step's mail was handed to the outbox before the stop: recorded as
        sent, or being handed over and found in the outbox (then recorded as sent). One
        being handed over and not in the outbox is recorded as failed."""
        if await self.campaigns.step_sent(cid, customer, step):
            return True
        message_id = await self.campaigns.sending(cid, customer, step)
        if message_id is None:
            return False
        if self.mail is not None and self.mail.stored is not None \
                and await self.mail.stored(message_id):
            await self.campaigns.mail_handed(cid, customer, message_id, "sent")
            return True
        await self.campaigns.mail_handed(cid, customer, message_id, "failed",
                                         detail="not handed to the outbox before a stop")
        return False

    async def run(self) -> None:
        try:
            if recovered := await self.recover():
                log.info("campaigns: %d steps under way at the last stop looked at again",
                         recovered)
        except Exception:
            log.exception("campaigns: the steps under way at the last stop were not "
                          "looked at again")
        while True:
            taken = 0
            try:
                taken = await self.tick()
            except Exception:
                log.exception("campaigns: a round failed; trying again")
            # a full batch: more may be due (a large list starting): on at once, letting
            # the calls and the API run in between; else a second's rest
            await asyncio.sleep(0 if taken >= BATCH else self.tick_seconds)

    async def tick(self) -> int:
        """Take the due steps; how many were taken."""
        taken = 0
        now = self.clock()
        full = self.calls.predictive.full() if self.calls is not None \
            and self.calls.predictive is not None else set()
        for campaign, target in await self.campaigns.due(now, BATCH, besides=full):
            if not await self.campaigns.claim(campaign["id"], target["customer_id"], now):
                continue
            try:
                await self.take(campaign, target, now)
            except Exception as e:   # this target waits a little; the others go on
                log.exception("campaign %s: the step of customer %s failed",
                              campaign["name"], target["customer_id"])
                await self.campaigns.settle(campaign["id"], target["customer_id"], now,
                                            state="pending", next_at=now + 60,
                                            outcome=f"error: {e!r}"[:200])
            taken += 1
        return taken

    async def take(self, campaign: CampaignView, target: Mapping[str, Any],
                   now: float) -> None:
        spec = campaign["spec"]
        index = int(target["step"])
        step = spec["steps"][index]
        channel = step["channel"]
        verdict = await self.check(spec, target, channel, now)
        cid, customer = campaign["id"], target["customer_id"]
        if not verdict.allowed:
            await self.skip(campaign, target, verdict, now)
            return
        if channel == "phone":
            if self.calls is None:   # no way to call (callbacks: not configured): it waits
                await self.campaigns.settle(cid, customer, now, state="pending",
                                            next_at=now + DIALER_RETRY_SECONDS,
                                            outcome="waiting: no callbacks: section to place calls")
                return
            await self.calls.place(campaign, target, now)
            return
        if not self._rate_allows(now):
            await self.campaigns.settle(cid, customer, now, state="pending",
                                        next_at=now + 1, outcome="rate limit")
            return
        outcome = await self.send_mail(campaign, target, step, now)
        await self.advance(campaign, target, now, outcome)

    async def skip(self, campaign: CampaignView, target: Mapping[str, Any],
                   verdict: Verdict, now: float) -> None:
        """The customer may not be contacted on this step now: recorded (``skipped``),
        then the next step (for good: consent, lists) or later (the cap, a lockout)."""
        cid, customer, index = campaign["id"], target["customer_id"], int(target["step"])
        channel = campaign["spec"]["steps"][index]["channel"]
        await self.campaigns.record_contact(cid, customer, index, channel, now,
                                            "skipped", detail=verdict.reason)
        if verdict.final:
            await self.advance(campaign, target, now, f"step {index} skipped: "
                                                      f"{verdict.reason}")
        else:
            await self.campaigns.settle(cid, customer, now, state="pending",
                                        next_at=verdict.retry_at or now + CAP_RETRY_SECONDS,
                                        outcome=verdict.reason)

    async def check(self, spec: Mapping[str, Any], target: Mapping[str, Any], channel: str,
                    now: float) -> Verdict:
        customer = target["customer_id"]
        address = target["email"] if channel == "email" else target["phone"]
        purpose = spec.get("purpose", "marketing")
        facts = ContactFacts(
            channel=channel, purpose=purpose,
            consent=await self.ledger.state(customer, channel, purpose), address=address,
            on_do_not_call=bool(channel == "phone" and address
                                and await self.dnc.listed([address])),
            suppressed=bool(channel == "email" and address
                            and await self.suppressions.suppressed(address)),
            locked_until=await self._locked_until(spec, address) if channel == "phone"
            and address else None,
            recent_contacts=await self.campaigns.contacts_since(
                customer, now - float(spec.get("cap_days", 7.0)) * 86400),
            cap_contacts=int(spec.get("cap_contacts", 3)))
        return may_contact(facts, require_opt_in=self.settings().require_opt_in[channel])

    async def _locked_until(self, spec: Mapping[str, Any], number: str) -> float | None:
        """Until when the number may not be called: its last abandoned call plus the
        campaign's lockout (None: not locked)."""
        lockout = float((spec.get("dialer") or {}).get("abandon_lockout_hours", 72.0)) * 3600
        now = self.clock()
        at = await self.campaigns.abandoned_since(number, now - lockout)
        return at + lockout if at is not None and at + lockout > now else None

    async def advance(self, campaign: CampaignView, target: Mapping[str, Any], now: float,
                      outcome: str) -> None:
        """On to the next step (after its delay), or done after the last."""
        steps = campaign["spec"]["steps"]
        following = int(target["step"]) + 1
        if following >= len(steps):
            await self.campaigns.settle(campaign["id"], target["customer_id"], now,
                                        state="done", step=following, outcome=outcome)
            return
        delay = float(steps[following].get("after_hours", 0.0)) * 3600
        await self.campaigns.settle(campaign["id"], target["customer_id"], now,
                                    state="pending", step=following, attempts=0,
                                    next_at=now + delay, outcome=outcome)

    def _rate_allows(self, now: float) -> bool:
        minute = int(now // 60)
        current, sent = self._sent_minute
        if current != minute:
            sent = 0
        if sent >= self.settings().rate_per_minute:
            return False
        self._sent_minute = (minute, sent + 1)
        return True

    async def send_mail(self, campaign: CampaignView, target: Mapping[str, Any],
                        step: Mapping[str, Any], now: float) -> str:
        """Compose the step's mail for this customer and hand it to the outbox; the
        outcome in words. The contact is recorded (sent, or failed and why)."""
        cid, customer_id, index = campaign["id"], target["customer_id"], int(target["step"])
        settings = self.settings()
        templates = settings.compiled.get(step["template"])
        if self.mail is None or settings.sender is None or templates is None:
            why = ("no mail relay (the email: section)" if self.mail is None else
                   f"no template {step['template']!r} or sender in campaigns:")
            await self.campaigns.record_contact(cid, customer_id, index, "email", now,
                                                "failed", detail=why)
            return f"mail not sent: {why}"
        profile = await self.customers.get(customer_id) or {}
        recipient = Recipient(customer_id=customer_id, address=target["email"],
                              name=profile.get("name"), tier=profile.get("tier"),
                              attributes=profile.get("attributes") or {})
        try:
            secret = await self.campaigns.secret(cid)
            token = unsubscribe_token(secret, customer_id, str(cid), target["email"])
            link = unsubscribe_link(self.mail.public_base, token)
            mail = render(templates, recipient, campaign=campaign["name"],
                          unsubscribe_url=link.url)
            message = campaign_message(sender=settings.sender, recipient=recipient,
                                       mail=mail, campaign_id=str(cid), unsubscribe=link,
                                       domain=self.mail.domain, now=now)
        except (RenderError, HeaderError, ValueError) as e:
            await self.campaigns.record_contact(cid, customer_id, index, "email", now,
                                                "failed", detail=str(e)[:500])
            return f"mail not sent: {e}"[:200]
        message_id = str(message["Message-ID"]).strip("<>")
        # written down before it is handed over: a stop in between is found at the next
        # start (recover), which looks for the mail in the outbox: never sent twice
        await self.campaigns.record_contact(cid, customer_id, index, "email", now,
                                            "sending", message_id=message_id)
        try:
            await self.mail.queue(message.as_bytes(), sender=settings.sender,
                                  recipients=[target["email"]], subject=mail.subject,
                                  body=mail.text, message_id=message_id,
                                  meta={"kind": "campaign", "campaign_id": cid,
                                        "customer_id": customer_id, "step": index})
        except Exception as e:
            await self.campaigns.mail_handed(cid, customer_id, message_id, "failed",
                                             detail=f"not handed to the outbox: {e!r}"[:500])
            raise
        await self.campaigns.mail_handed(cid, customer_id, message_id, "sent")
        return f"step {index}: mail sent"


def token_campaign(token: str) -> str | None:
    """The campaign id a token names, read before its signature is checked (to find the
    campaign's key): None when it is not one of ours."""
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = data[1:-MAC_BYTES].decode("utf-8").split("\x00")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return fields[1] if len(fields) == 3 and fields[1].isdigit() else None


async def unsubscribe(campaigns: CampaignRepository, ledger: ConsentLedger, token: str,
                      at: float) -> tuple[str, str, str] | None:
    """One-click unsubscribe: the customer opts out of marketing email at once (recorded
    in the ledger with the token's campaign and address as evidence) and their campaign
    ends for them. (customer, campaign, address), or None for a token that is not ours."""
    campaign_id = token_campaign(token) if isinstance(token, str) and len(token) < 2000 \
        else None
    if campaign_id is None:
        return None
    try:
        secret = await campaigns.secret(int(campaign_id))
    except Exception:   # no such campaign
        return None
    found = read_unsubscribe_token(secret, token)
    if found is None:
        return None
    customer_id, campaign, address = found
    name = (await campaigns.get(int(campaign)))["name"]
    await ledger.record(customer_id, "email", "marketing", "withdrawn", by="customer",
                        source="unsubscribe", at=at,
                        evidence=f"one-click unsubscribe of {address} from campaign {name}")
    await campaigns.end_for_customer(customer_id, "opted_out", "unsubscribed", at,
                                     campaign_id=int(campaign))
    return found
