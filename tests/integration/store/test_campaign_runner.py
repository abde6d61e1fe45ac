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


PHONE: dict[str, Any] = {**SPEC, "name": "calls",
                         "steps": [{"channel": "phone", "attempts": 2, "retry_minutes": 1.0,
                                    "after_hours": 0.0}],
                         "dialer": {"ring_seconds": 20.0}}


class Requests:
    """The callback requests a restarted runner finds (their rows, by id)."""

    def __init__(self, rows: dict[str, dict[str, Any]]) -> None:
        self.rows = rows

    async def get(self, callback_id: str) -> dict[str, Any]:
        from ccengine.store.callbacks import UnknownCallback
        if callback_id not in self.rows:
            raise UnknownCallback(callback_id)
        return self.rows[callback_id]


async def test_given_steps_under_way_at_a_stop_then_recovered_none_stuck_none_twice(
        db: Database) -> None:
    from ccengine.campaigns.calls import CampaignCalls
    runner, campaigns, customers, ledger, sent, clock = await rig(db)
    people = {}
    for who in ("mailed", "unmailed", "handing", "dropped", "answered", "busy", "lost",
                "ringing"):
        c = await customers.create(name=who, identities=[("email", f"{who}@example.org"),
                                                         ("phone", f"0770090{len(people):04}")])
        await ledger.record(c["id"], "email", "marketing", "granted", by="sam",
                            source="api", at=clock.now)
        people[who] = c["id"]
    mail = await campaigns.create(SPEC, by="sam", at=clock.now)
    calls = await campaigns.create(PHONE, by="sam", at=clock.now)
    mailing = ("mailed", "unmailed", "handing", "dropped")
    await campaigns.add_customers(mail["id"], [people[w] for w in mailing], clock.now)
    await campaigns.add_customers(calls["id"], [people[w] for w in
                                                ("answered", "busy", "lost", "ringing")],
                                  clock.now)
    for c in (mail, calls):
        await campaigns.move(c["id"], "running", clock.now)
    for who, cid in people.items():       # every step under way when the engine stopped
        campaign = mail if who in mailing else calls
        assert await campaigns.claim(campaign["id"], cid, clock.now)
        if campaign is calls and who != "lost":
            await campaigns.settle_active(calls["id"], cid, clock.now, outcome="calling",
                                          callback_id=f"cb-{who}")
    await campaigns.record_contact(mail["id"], people["mailed"], 0, "email", clock.now,
                                   "sent", message_id="m1@shop.test")
    # two mails were being handed to the outbox at the stop: one made it, one did not
    for who in ("handing", "dropped"):
        await campaigns.record_contact(mail["id"], people[who], 0, "email", clock.now,
                                       "sending", message_id=f"{who}@shop.test")
    outbox = {"handing@shop.test"}

    async def stored(message_id: str) -> bool:
        return message_id in outbox
    assert runner.mail is not None
    runner.mail.stored = stored
    rows = {"cb-answered": {"state": "done", "interaction_id": "i1", "outcomes": []},
            "cb-busy": {"state": "failed", "interaction_id": "i2",
                        "outcomes": [{"attempt": 1, "outcome": "busy"}]},
            "cb-ringing": {"state": "in_progress", "interaction_id": "i3", "outcomes": []}}
    runner.calls = CampaignCalls(Requests(rows), campaigns, customers,  # type: ignore[arg-type]
                                 lambda: SETTINGS)
    runner.calls.advance = runner.advance
    clock.now += 10
    assert await runner.recover() == 8
    found = {t["email"].partition("@")[0]: (t["state"], t["step"], t["next_at"])
             for c in (mail, calls) for t in await campaigns.targets(c["id"])}
    assert found == {
        "mailed": ("pending", 1, clock.now + 3600),     # its mail went: on to step 1
        "unmailed": ("pending", 0, clock.now),          # never handed over: due again
        "handing": ("pending", 1, clock.now + 3600),    # found in the outbox: it went
        "dropped": ("pending", 0, clock.now),           # not in the outbox: due again
        "answered": ("done", 1, None),                  # the call took place meanwhile
        "busy": ("pending", 0, clock.now + 60),         # busy: tried again after 1 min
        "lost": ("pending", 0, clock.now),              # never placed: due again
        "ringing": ("active", 0, clock.now - 10)}       # still going: its outcome will come
    assert sent == []                                   # nothing mailed twice
    progress = await campaigns.progress(mail["id"])
    assert progress["steps"][0]["outcomes"] == {"sent": 2, "failed": 1}


async def test_given_campaign_call_ended_then_only_a_connected_call_completes_it(
        db: Database) -> None:
    from ccengine.campaigns.calls import CampaignCalls
    from ccengine.core.events import InteractionEnded
    from ccengine.core.interaction import Interaction
    from ccengine.core.media import Medium
    runner, campaigns, customers, ledger, sent, clock = await rig(db)
    ids = [(await customers.create(name=n, identities=[("phone", f"0770090{i:04}")]))["id"]
           for i, n in enumerate(("lost", "talked"))]
    calls = await campaigns.create(PHONE, by="sam", at=clock.now)
    await campaigns.add_customers(calls["id"], ids, clock.now)
    await campaigns.move(calls["id"], "running", clock.now)
    watch = CampaignCalls(Requests({}), campaigns, customers,  # type: ignore[arg-type]
                          lambda: SETTINGS)
    watch.advance = runner.advance
    for cid, connected in zip(ids, (False, True), strict=True):
        assert await campaigns.claim(calls["id"], cid, clock.now)
        call = Interaction(f"call-{cid}", Medium.CALLBACK, queue="sales", customer_id=cid,
                           attributes={"campaign": {"id": calls["id"], "step": 0,
                                                    "customer_id": cid, "name": "calls"}})
        call.record("answered", clock.now, agent_id="alice")   # the agent, first
        if connected:
            call.record("connected", clock.now)                # then the customer
        call.record("ended", clock.now, reason="asterisk_lost" if not connected else None)
        await watch.on_event(InteractionEnded(clock.now, call, "alice"))
    found = {t["customer_id"]: (t["state"], t["attempts"], t["outcome"])
             for t in await campaigns.targets(calls["id"])}
    assert found == {ids[0]: ("pending", 1, "call 1: failed"),    # tried again
                     ids[1]: ("done", 0, "step 0: the call took place")}
    progress = await campaigns.progress(calls["id"])
    assert progress["steps"][0]["outcomes"] == {"failed_call": 1, "answered": 1}
