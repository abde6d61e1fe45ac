"""A campaign's phone steps, placed as the engine's own calls (docs/campaigns.md, "Phone
steps"): within the called party's calling window, a call to the customer is queued in the
campaign's queue; the first free agent with the skills is rung first, then the customer
through the trunk (one call per free agent, agent first: progressive dialling in which no
answered call ever waits for an agent). This is the callback machinery
(ccengine/telephony/outbound/callbacks.py) with one attempt per call: the campaign itself
retries (``attempts``, ``retry_minutes``), so every retry checks the window again.

What became of each call comes back as the dispatcher's events: a failed attempt (no
answer, busy...) is tried again or moves the customer on to the next step; a call that was
answered and has ended completes the customer's campaign."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ccengine.campaigns.settings import CampaignSettings
from ccengine.campaigns.windows import check, next_open
from ccengine.core.events import InteractionEnded, InteractionUpdated
from ccengine.store.campaigns import CampaignRepository, CampaignView
from ccengine.store.customers import CustomerRepository
from ccengine.telephony.outbound.callbacks import CAMPAIGN
from ccengine.telephony.outbound.legs import RETRYABLE
from ccengine.telephony.outbound.requests import CallbackRequests, UnknownCallback

log = logging.getLogger(__name__)

NO_WINDOW_RETRY = 86400.0   # a number never callable within the search: look again a day on
TIMEZONE = "timezone"       # the customer attribute naming their own IANA time zone


class CampaignCalls:
    def __init__(self, requests: CallbackRequests, campaigns: CampaignRepository,
                 customers: CustomerRepository, settings: Callable[[], CampaignSettings],
                 clock: Callable[[], float] = time.time) -> None:
        self.requests, self.campaigns, self.customers = requests, campaigns, customers
        self.settings, self.clock = settings, clock
        # what advances a target once a step is over (CampaignRunner.advance)
        self.advance: Callable[..., Any] | None = None
        # customer-first dialling of predictive campaigns (ccengine/campaigns/predictive)
        self.predictive: Any = None
        # the runner's checks and what follows a refusal (CampaignRunner.check, .skip)
        self.check: Callable[..., Any] | None = None
        self.skip: Callable[..., Any] | None = None

    async def before_dial(self, interaction: Any) -> str | None:
        """Just before a campaign's call is dialled (agent first: when an agent is offered
        it, which may be long after the step was taken), the customer is checked again:
        still in the campaign, consent, the lists, the cap, the lockout and the calling
        window. None to go on; else why not, the customer moved on as the runner would
        (the step skipped, or held until later)."""
        info = interaction.attributes.get(CAMPAIGN)
        if not isinstance(info, dict) or self.check is None or self.skip is None:
            return None
        campaign = await self.campaigns.get(int(info["id"]))
        target = await self.campaigns.target(campaign["id"], str(info["customer_id"]))
        if target is None or target["state"] != "active":
            return "the customer's campaign is over (they responded, or it finished)"
        now = self.clock()
        if campaign["state"] != "running":   # paused: the step is due again on resuming
            await self.campaigns.settle(campaign["id"], target["customer_id"], now,
                                        state="pending", next_at=now,
                                        outcome="the campaign was paused before the call")
            return "the campaign is paused"
        verdict = await self.check(campaign["spec"], target, "phone", now)
        if not verdict.allowed:
            await self.skip(campaign, target, verdict, now)
            return verdict.reason
        closed = await self.closed(target, now)
        if closed is not None:
            await self.campaigns.settle(campaign["id"], target["customer_id"], now,
                                        state="pending", next_at=now, outcome=closed[:200])
            return closed
        return None

    async def closed(self, target: Mapping[str, Any], now: float) -> str | None:
        """Why the called party's calling window is closed now, or None when open."""
        zone = await self._zone(target["customer_id"])
        verdict = check(target["phone"], datetime.fromtimestamp(now, UTC),
                        self.settings().calling_windows, zone)
        return None if verdict.open else f"outside the calling window: {verdict.reason}"

    async def _zone(self, customer_id: str) -> str | None:
        profile = await self.customers.get(customer_id) or {}
        zone = (profile.get("attributes") or {}).get(TIMEZONE)
        return zone if isinstance(zone, str) else None

    async def place(self, campaign: CampaignView, target: Mapping[str, Any],
                    now: float) -> None:
        """Queue the call (agent first), hand it to the predictive dialer (customer
        first), or keep the target until the called party's window opens."""
        cid, customer_id, index = campaign["id"], target["customer_id"], int(target["step"])
        closed = await self.closed(target, now)
        if closed is not None:
            opens = next_open(target["phone"], datetime.fromtimestamp(now, UTC),
                              self.settings().calling_windows,
                              await self._zone(customer_id))
            await self.campaigns.settle(
                cid, customer_id, now, state="pending",
                next_at=opens.timestamp() if opens else now + NO_WINDOW_RETRY,
                outcome=closed[:200])
            return
        if campaign["spec"]["dialer"].get("mode") == "predictive" \
                and self.predictive is not None:
            await self.predictive.add(campaign, target, now)
            return
        profile = await self.customers.get(customer_id) or {}
        row = await self.requests.request(
            number=target["phone"], queue=campaign["spec"]["queue"], due_at=None,
            via="campaign", by=None, name=profile.get("name"),
            note=f"Campaign {campaign['name']}, step {index + 1}",
            attributes={CAMPAIGN: {"id": cid, "name": campaign["name"], "step": index,
                                   "customer_id": customer_id,
                                   "mode": campaign["spec"]["dialer"].get("mode"),
                                   "ring_seconds": campaign["spec"]["dialer"]["ring_seconds"]}})
        await self.campaigns.settle_active(cid, customer_id, now, outcome="calling",
                                           callback_id=row["id"])

    async def recover(self, campaign: CampaignView, target: Mapping[str, Any],
                      now: float) -> None:
        """A call that was under way when the engine stopped: still scheduled or being
        attempted, it goes on (the callbacks' own recovery) and its outcome comes as
        usual; over meanwhile, its outcome is taken from the request; never placed, the
        step is due again."""
        info = {"id": campaign["id"], "customer_id": target["customer_id"],
                "step": target["step"], "name": campaign["name"]}
        row = None
        if target.get("callback_id"):
            with contextlib.suppress(UnknownCallback):
                row = await self.requests.get(target["callback_id"])
        if row is None or row["state"] == "cancelled":
            await self.campaigns.settle(campaign["id"], target["customer_id"], now,
                                        state="pending", next_at=now,
                                        outcome="the call was not placed: due again")
        elif row["state"] == "done":
            await self._answered(info, row["interaction_id"], now)
        elif row["state"] == "failed":
            last = row["outcomes"][-1]["outcome"] if row["outcomes"] else "failed"
            await self.failed(info, str(last), row["interaction_id"], now)

    async def on_event(self, event: Any) -> None:
        """Dispatcher subscriber: the outcome of a campaign's call."""
        if not isinstance(event, InteractionUpdated | InteractionEnded):
            return
        info = event.interaction.attributes.get(CAMPAIGN)
        if not isinstance(info, dict):
            return
        try:
            if isinstance(event, InteractionUpdated) and event.kind == "callback_attempt":
                outcomes = (event.interaction.attributes.get("callback") or {}).get(
                    "outcomes") or [{}]
                await self.failed(info, str(outcomes[-1].get("outcome", "failed")),
                                  event.interaction.id, event.at)
            elif isinstance(event, InteractionEnded):
                reason = _ended_reason(event.interaction)
                if _connected(event.interaction):
                    await self._answered(info, event.interaction.id, event.at)
                elif reason == "preview_skipped":   # the agent chose not to call
                    await self.failed(info, "skipped", event.interaction.id, event.at)
                elif reason not in ("callback_failed", "not_dialled"):
                    # (callback_failed: its callback_attempt above; not_dialled: the check
                    # before dialling moved the customer on already)
                    # ended before the customer was reached (Asterisk lost, a restart):
                    # a failed attempt (its reason kept), tried again as the step says
                    await self.failed(info, "failed", event.interaction.id, event.at,
                                      detail=reason)
        except Exception:
            log.exception("campaign %s: the call %s's outcome was not recorded",
                          info.get("name"), event.interaction.id)

    async def failed(self, info: Mapping[str, Any], outcome: str, iid: str | None,
                     now: float, detail: str | None = None,
                     not_before: float | None = None) -> None:
        """A call that did not complete the campaign (not answered, busy, abandoned...):
        the contact recorded, then another attempt or the next step."""
        cid, customer_id, index = info["id"], info["customer_id"], int(info["step"])
        if outcome == "skipped":   # a preview the agent skipped: no call, no attempt
            await self.campaigns.record_contact(cid, customer_id, index, "phone", now,
                                                SKIPPED, detail="skipped by the agent",
                                                interaction_id=iid)
            step = (await self.campaigns.get(cid))["spec"]["steps"][index]
            await self.campaigns.settle(
                cid, customer_id, now, state="pending",
                next_at=now + float(step.get("retry_minutes", 60.0)) * 60,
                outcome="skipped by the agent in preview: due again later")
            return
        await self.campaigns.record_contact(cid, customer_id, index, "phone", now,
                                            CALL_OUTCOMES.get(outcome, "failed_call"),
                                            detail=detail or outcome, interaction_id=iid)
        await self.after_attempt(info, outcome, now, not_before=not_before,
                                 retry=outcome in RETRYABLE or outcome == "abandoned")

    async def after_attempt(self, info: Mapping[str, Any], outcome: str, now: float, *,
                            retry: bool, not_before: float | None = None) -> None:
        """An active target's call did not complete the campaign: another attempt after
        ``retry_minutes`` (and not before ``not_before``: an abandoned call's lockout)
        when ``retry`` and attempts are left, else the next step, else failed."""
        cid, customer_id, index = info["id"], info["customer_id"], int(info["step"])
        campaign = await self.campaigns.get(cid)
        target = await self.campaigns.target(cid, customer_id)
        if target is None or target["state"] != "active":
            return          # they responded meanwhile, or the campaign finished
        step = campaign["spec"]["steps"][index]
        tried = int(target["attempts"]) + 1
        if retry and tried < int(step.get("attempts", 1)):
            await self.campaigns.settle(
                cid, customer_id, now, state="pending", attempts=tried,
                next_at=max(now + float(step.get("retry_minutes", 60.0)) * 60,
                            not_before or 0.0),
                outcome=f"call {tried}: {outcome}")
        elif index + 1 >= len(campaign["spec"]["steps"]):   # the last step: never reached
            await self.campaigns.settle(cid, customer_id, now, state="failed",
                                        attempts=tried,
                                        outcome=f"step {index}: call {tried}: {outcome}")
        elif self.advance is not None:
            await self.advance(campaign, target, now, f"step {index}: call {tried}: {outcome}")

    async def _answered(self, info: Mapping[str, Any], iid: str, now: float) -> None:
        cid, customer_id, index = info["id"], info["customer_id"], int(info["step"])
        await self.campaigns.record_contact(cid, customer_id, index, "phone", now,
                                            "answered", interaction_id=iid)
        await self.campaigns.settle(cid, customer_id, now, state="done",
                                    outcome=f"step {index}: the call took place",
                                    step=index + 1)


SKIPPED = "preview_skipped"   # (the outcome "skipped" is a step the checks skipped)
CALL_OUTCOMES = {"no_answer": "no_answer", "busy": "busy", "abandoned": "abandoned"}


def _ended_reason(interaction: Any) -> str | None:
    ended = [e for e in interaction.events if e.kind == "ended"]
    return str(ended[-1].data.get("reason")) if ended and ended[-1].data.get("reason") \
        else None


def _connected(interaction: Any) -> bool:
    """Whether the campaign's call reached the customer (the agent answering first is not
    enough: the customer's leg was connected)."""
    return any(e.kind == "connected" for e in interaction.events)
