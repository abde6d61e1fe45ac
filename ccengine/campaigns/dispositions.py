"""What a campaign call's wrap-up disposition does next (docs/campaigns.md,
"Dispositions"). A campaign maps dispositions to actions (``dispositions:`` in its
definition); when the agent sets one on the call (PUT /api/interactions/{id}/disposition),
the customer's course in the campaign follows it:

- ``done``: the campaign is over for them (a sale, not interested...);
- ``do_not_call``: the number goes on the do-not-call list and the customer's consent to
  marketing calls is withdrawn, both recorded as the agent's; they leave the campaign
  (opted out);
- ``callback``: the same step is due again at the time the customer asked for
  (``callback_at``), checked again then like any call (window, consent, do-not-call);
- ``retry``: the call counts as unanswered (an answering machine, the wrong person):
  another attempt after ``retry_minutes`` if the step has attempts left, else the next step.

A disposition the campaign does not map leaves the customer where the call put them (an
answered call completes the campaign). Every disposition is counted per step in the
campaign's progress. A disposition moves the customer while that call is still their
latest and the campaign has not moved them on (the call under way, or completed: a
correction from "Sale" to "Do not call" still counts); once they wait for another attempt,
have responded or another call is placed, it is recorded and counted but moves nobody."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from ccengine.campaigns.calls import CampaignCalls
from ccengine.core.errors import CoreError
from ccengine.store.campaigns import CampaignRepository, UnknownCampaign
from ccengine.store.consent import ConsentLedger, DoNotCallList
from ccengine.telephony.outbound.callbacks import CAMPAIGN
from ccengine.telephony.outbound.requests import BadTime, parse_at

MAX_CALLBACK_DAYS = 90


class BadFollowUp(CoreError):
    """A disposition's extra field missing, malformed or not for this disposition."""

    code = "bad_callback_at"


def callback_time(value: Any, now: float) -> float:
    """``callback_at`` (ISO 8601 with its UTC offset, read as any callback's time) as a
    timestamp, not past and within MAX_CALLBACK_DAYS; BadFollowUp otherwise."""
    if not isinstance(value, str):
        raise BadFollowUp("this disposition books a callback: say when to call back "
                          "(callback_at, e.g. 2026-12-08T15:00:00+01:00)")
    try:
        at = parse_at(value, now)
    except BadTime as e:
        raise BadFollowUp(f"the time to call back {str(e).removeprefix('at ')}") from None
    assert at is not None
    if at > now + MAX_CALLBACK_DAYS * 86400:
        raise BadFollowUp(f"the time to call back is more than {MAX_CALLBACK_DAYS} days "
                          "away")
    return at


class CampaignFollowUp:
    """The disposition API's follow-up for campaign calls (ccengine/api/interaction_notes)."""

    def __init__(self, calls: CampaignCalls, campaigns: CampaignRepository,
                 consent: ConsentLedger, do_not_call: DoNotCallList,
                 clock: Callable[[], float]) -> None:
        self.calls, self.campaigns = calls, campaigns
        self.consent, self.do_not_call, self.clock = consent, do_not_call, clock

    async def _campaign(self, attributes: Mapping[str, Any]
                        ) -> tuple[Mapping[str, Any], dict[str, Any]] | None:
        info = attributes.get(CAMPAIGN)
        if not isinstance(info, dict) or not isinstance(info.get("id"), int):
            return None
        try:
            callback = attributes.get("callback")
            info = {**info, "callback_id": callback.get("id")
                    if isinstance(callback, dict) else None}
            return info, await self.campaigns.get(info["id"])
        except UnknownCampaign:
            return None

    async def describe(self, attributes: Mapping[str, Any]) -> dict[str, Any] | None:
        """The call's campaign and what each disposition does, for the desk."""
        found = await self._campaign(attributes)
        if found is None:
            return None
        info, campaign = found
        return {"id": campaign["id"], "name": campaign["name"], "step": info.get("step"),
                "actions": dict(campaign["spec"].get("dispositions") or {})}

    async def prepare(self, interaction_id: str, attributes: Mapping[str, Any],
                      disposition: str, extra: Mapping[str, Any], by: str
                      ) -> Callable[[], Awaitable[None]] | None:
        """Check the request (BadFollowUp) and return what to do once the disposition is
        stored, or None when nothing follows."""
        found = await self._campaign(attributes)
        action = None if found is None else \
            (found[1]["spec"].get("dispositions") or {}).get(disposition)
        if "callback_at" in extra and action != "callback":
            raise BadFollowUp("callback_at is only for a campaign call's disposition that "
                              "books a callback")
        if found is None:
            return None
        info, campaign = found
        now = self.clock()
        at = callback_time(extra.get("callback_at"), now) if action == "callback" else None

        async def follow() -> None:
            await self._apply(interaction_id, info, campaign, disposition, action, at, by)
        return follow

    async def _apply(self, iid: str, info: Mapping[str, Any], campaign: Mapping[str, Any],
                     disposition: str, action: str | None, at: float | None,
                     by: str) -> None:
        cid, customer_id, index = campaign["id"], str(info["customer_id"]), int(info["step"])
        now = self.clock()
        await self.campaigns.record_contact(cid, customer_id, index, "phone", now,
                                            "disposition", detail=disposition[:200],
                                            interaction_id=iid)
        if action is None or not await self.campaigns.reopen(
                cid, customer_id, index, info.get("callback_id"), now):
            return
        said = f"step {index}: {disposition!r} ({by})"
        if action == "done":
            await self.campaigns.settle(cid, customer_id, now, state="done",
                                        step=index + 1, outcome=said)
        elif action == "callback":
            assert at is not None
            await self.campaigns.settle(
                cid, customer_id, now, state="pending", step=index, attempts=0,
                next_at=at, outcome=f"{said}: call back at "
                f"{datetime.fromtimestamp(at).astimezone().isoformat(timespec='minutes')}")
        elif action == "retry":
            await self.calls.after_attempt(info, disposition, now, retry=True)
        elif action == "do_not_call":
            target = await self.campaigns.target(cid, customer_id)
            evidence = f"disposition {disposition!r} on campaign call {iid}"
            if target and target.get("phone"):
                await self.do_not_call.add(target["phone"], by=by, source="desk", at=now,
                                           reason=evidence)
            await self.consent.record(customer_id, "phone", "marketing", "withdrawn",
                                      by=by, source="desk", at=now, evidence=evidence)
            await self.campaigns.settle(cid, customer_id, now, state="opted_out",
                                        outcome=said)
