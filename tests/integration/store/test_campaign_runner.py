"""The campaign runner on a real store (ccengine/campaigns/runner.py), both stores: mail
goes to the outbox for customers who opted in, the frequency cap holds a contact for an
hour, a response while a step is under way wins, a target is never taken twice, and the
one-click unsubscribe opts the customer out."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

from ccengine.campaigns.runner import CampaignRunner, MailSetup, unsubscribe
from ccengine.campaigns.settings import load_campaign_settings
from ccengine.store.campaigns import CampaignRepository
from ccengine.store.consent import ConsentLedger, DoNotCallList, EmailSuppressions
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database

SETTINGS = load_campaign_settings({"from": "news@shop.test", "rate_per_minute": 1000,
                                   "templates": {"spring": {"subject": "Hi {{ name }}",
                                                            "text": "{{ unsubscribe_url }}"}}},
                                  "test.yaml")
SPEC: dict[str, Any] = {"name": "spring", "queue": "sales", "purpose": "marketing",
                        "cap_contacts": 1, "cap_days": 7.0,
                        "steps": [{"channel": "email", "template": "spring",
                                   "after_hours": 0.0},
                                  {"channel": "email", "template": "spring",
                                   "after_hours": 1.0}]}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def rig(db: Database) -> tuple[CampaignRunner, CampaignRepository, CustomerRepository,
                                     ConsentLedger, list[dict[str, Any]], Clock]:
    customers = CustomerRepository(db, "GB")
    campaigns, ledger = CampaignRepository(db, customers), ConsentLedger(db)
    sent: list[dict[str, Any]] = []

    async def queue(raw: bytes, **kw: Any) -> None:
        sent.append({"raw": raw, **kw})
    clock = Clock()
    runner = CampaignRunner(campaigns, customers, ledger, DoNotCallList(db, "GB"),
                            EmailSuppressions(db), lambda: SETTINGS,
                            MailSetup(queue, "shop.test", "https://cc.shop.test"), clock)
    return runner, campaigns, customers, ledger, sent, clock


async def test_given_opted_in_customer_then_mailed_then_capped_for_the_next_step(
        db: Database) -> None:
    runner, campaigns, customers, ledger, sent, clock = await rig(db)
    jane = await customers.create(name="Jane", identities=[("email", "jane@example.org")])
    await ledger.record(jane["id"], "email", "marketing", "granted", by="sam",
                        source="api", at=clock.now)
    campaign = await campaigns.create(SPEC, by="sam", at=clock.now)
    await campaigns.add_customers(campaign["id"], [jane["id"]], clock.now)
    await campaigns.move(campaign["id"], "running", clock.now)
    assert await runner.tick() == 1
    assert await runner.tick() == 0                       # taken once
    [mail] = sent
    message = message_from_bytes(mail["raw"], policy=policy.default)
    assert (message["To"], message["Subject"]) == ("Jane <jane@example.org>", "Hi Jane")
    assert mail["meta"] == {"kind": "campaign", "campaign_id": campaign["id"],
                            "customer_id": jane["id"], "step": 0}
    clock.now += 3600                                      # step 1 due; the cap is 1 a week
    assert await runner.tick() == 1
    [target] = await campaigns.targets(campaign["id"])
    assert (target["state"], target["step"], target["next_at"], target["outcome"]) == (
        "pending", 1, clock.now + 3600, "frequency cap: 1 contacts already")
    assert len(sent) == 1

    token = message["List-Unsubscribe"].strip("<>").rpartition("/u/")[2]
    assert await unsubscribe(campaigns, ledger, token + "x", clock.now) is None
    found = await unsubscribe(campaigns, ledger, token, clock.now)
    assert found == (jane["id"], str(campaign["id"]), "jane@example.org")
    assert await ledger.state(jane["id"], "email", "marketing") == "withdrawn"
    [target] = await campaigns.targets(campaign["id"])
    assert (target["state"], target["outcome"]) == ("opted_out", "unsubscribed")


async def test_given_response_while_step_under_way_then_the_response_wins(
        db: Database) -> None:
    runner, campaigns, customers, ledger, sent, clock = await rig(db)
    kim = await customers.create(name="Kim", identities=[("email", "kim@example.org")])
    campaign = await campaigns.create(SPEC, by="sam", at=clock.now)
    await campaigns.add_customers(campaign["id"], [kim["id"]], clock.now)
    await campaigns.move(campaign["id"], "running", clock.now)
    assert await campaigns.claim(campaign["id"], kim["id"], clock.now)
    assert not await campaigns.claim(campaign["id"], kim["id"], clock.now)   # once
    assert await campaigns.responded(kim["id"], "chat-1", clock.now) == [campaign["id"]]
    assert not await campaigns.settle(campaign["id"], kim["id"], clock.now,
                                      state="pending", step=1, next_at=clock.now)
    [target] = await campaigns.targets(campaign["id"])
    assert (target["state"], target["step"]) == ("responded", 0)
    assert await runner.tick() == 0 and sent == []
