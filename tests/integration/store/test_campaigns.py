"""Campaigns in the store (ccengine/store/campaigns.py), on both stores: drafts and their
state changes, lists from CSV (whole or not at all, each bad line named) and from existing
customers, a response ending the customer's campaigns, and progress per step."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.store.campaigns import (
    CampaignConflict,
    CampaignRepository,
    UnknownCampaign,
)
from ccengine.store.consent import InvalidImport
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.models import CampaignContact

SPEC: dict[str, Any] = {"name": "spring", "queue": "sales",
                        "steps": [{"channel": "email", "template": "spring",
                                   "after_hours": 0.0},
                                  {"channel": "phone", "after_hours": 72.0, "attempts": 3,
                                   "retry_minutes": 60.0}]}


def repo(db: Database) -> tuple[CampaignRepository, CustomerRepository]:
    customers = CustomerRepository(db, "GB")
    return CampaignRepository(db, customers), customers


async def test_given_draft_then_started_paused_finished_and_wrong_moves_refused(
        db: Database) -> None:
    campaigns, customers = repo(db)
    draft = await campaigns.create(SPEC, by="sam", at=100.0)
    assert (draft["state"], draft["created_by"]) == ("draft", "sam")
    with pytest.raises(CampaignConflict):
        await campaigns.create(SPEC, by="sam", at=101.0)          # the name is taken
    jane = await customers.create(name="Jane", identities=[("email", "jane@example.org")])
    await campaigns.add_customers(draft["id"], [jane["id"]], 102.0)
    running = await campaigns.move(draft["id"], "running", 200.0)
    assert (running["state"], running["started_at"]) == ("running", 200.0)
    [target] = await campaigns.targets(draft["id"])
    assert (target["state"], target["next_at"], target["email"]) == (
        "pending", 200.0, "jane@example.org")
    with pytest.raises(CampaignConflict):
        await campaigns.replace_spec(draft["id"], SPEC, 201.0)   # only a draft's
    with pytest.raises(CampaignConflict):
        await campaigns.add_customers(draft["id"], [jane["id"]], 201.0)
    await campaigns.move(draft["id"], "paused", 300.0)
    await campaigns.move(draft["id"], "running", 301.0)
    finished = await campaigns.move(draft["id"], "finished", 400.0)
    assert finished["finished_at"] == 400.0
    [target] = await campaigns.targets(draft["id"])
    assert (target["state"], target["outcome"]) == ("cancelled", "campaign finished")
    with pytest.raises(CampaignConflict):
        await campaigns.move(draft["id"], "running", 401.0)
    with pytest.raises(UnknownCampaign):
        await campaigns.get(999)


async def test_given_csv_list_then_customers_found_or_created(db: Database) -> None:
    campaigns, customers = repo(db)
    known = await customers.create(name="Known", identities=[("phone", "07700900001")])
    draft = await campaigns.create(SPEC, by="sam", at=1.0)
    data = (b"phone,email,name\n07700 900001,,\n,new@example.org,New One\n"
            b"+447700900003,three@example.org,Three\n")
    report = await campaigns.import_csv(draft["id"], data, 2.0)
    assert report == {"rows": 3, "added": 3, "already_listed": 0, "duplicates": 0}
    targets = {t["customer_id"]: t for t in await campaigns.targets(draft["id"])}
    assert targets[known["id"]]["phone"] == "+447700900001"
    new = await customers.find_by_identity("email", "new@example.org")
    assert new is not None and new["name"] == "New One"
    three = await customers.find_by_identity("phone", "+447700900003")
    assert three is not None and {i["value"] for i in three["identities"]} == {
        "+447700900003", "three@example.org"}


@pytest.mark.parametrize(("data", "lines", "words"), [
    (b"phone,email\n07700900001,\nnonsense,\n,\n07700900001,\n", [3, 4, 5],
     ["invalid phone", "neither", "also on line 2"]),
    (b"phone,colour\n07700900001,red\n", [1], ["unknown column(s) colour"]),
    ("phone\n07700900001\n".encode("utf-16"), [1], ["not UTF-8"]),
    (b"phone,email\n", [1], ["no rows"]),
    (b"phone,email\n07700900001,a@example.org,extra\n", [2], ["more fields"]),
])
async def test_given_bad_csv_then_nothing_imported_and_each_line_named(
        db: Database, data: bytes, lines: list[int], words: list[str]) -> None:
    campaigns, customers = repo(db)
    draft = await campaigns.create(SPEC, by="sam", at=1.0)
    with pytest.raises(InvalidImport) as refused:
        await campaigns.import_csv(draft["id"], data, 2.0)
    assert [line for line, _ in refused.value.errors] == lines
    for (_, message), word in zip(refused.value.errors, words, strict=True):
        assert word in message
    assert await campaigns.targets(draft["id"]) == []
    assert await customers.find_by_identity("phone", "07700900001") is None


async def test_given_response_then_customers_open_steps_end_in_running_campaigns_only(
        db: Database) -> None:
    campaigns, customers = repo(db)
    jane = await customers.create(name="Jane", identities=[("email", "jane@example.org")])
    kim = await customers.create(name="Kim", identities=[("email", "kim@example.org")])
    first = await campaigns.create(SPEC, by="sam", at=1.0)
    second = await campaigns.create({**SPEC, "name": "autumn"}, by="sam", at=1.0)
    for c in (first, second):
        await campaigns.add_customers(c["id"], [jane["id"], kim["id"]], 2.0)
    await campaigns.move(first["id"], "running", 3.0)          # the second stays a draft
    assert await campaigns.responded(jane["id"], "mail-9", 10.0) == [first["id"]]
    states = {t["customer_id"]: (t["state"], t["next_at"], t["response_interaction"])
              for t in await campaigns.targets(first["id"])}
    assert states == {jane["id"]: ("responded", None, "mail-9"),
                      kim["id"]: ("pending", 3.0, None)}
    assert {t["state"] for t in await campaigns.targets(second["id"])} == {"pending"}
    assert await campaigns.responded(jane["id"], "mail-10", 11.0) == []   # once


async def test_given_contacts_then_progress_per_step_and_frequency_count(
        db: Database) -> None:
    campaigns, customers = repo(db)
    ids = [(await customers.create(name=n, identities=[("email", f"{n}@example.org")]))["id"]
           for n in ("a", "b", "c")]
    campaign = await campaigns.create(SPEC, by="sam", at=1.0)
    await campaigns.add_customers(campaign["id"], ids, 2.0)
    await campaigns.move(campaign["id"], "running", 3.0)
    async with db.session.begin() as s:
        for cid, outcome in zip(ids, ("sent", "sent", "suppressed"), strict=True):
            s.add(CampaignContact(campaign_id=campaign["id"], customer_id=cid, step=0,
                                  channel="email", at=5.0, outcome=outcome))
        for cid, chosen in zip(ids, ("Sale", "Sale", "Not interested"), strict=True):
            s.add(CampaignContact(campaign_id=campaign["id"], customer_id=cid, step=0,
                                  channel="phone", at=5.5, outcome="disposition",
                                  detail=chosen))
    await campaigns.responded(ids[0], "chat-1", 6.0)
    progress = await campaigns.progress(campaign["id"])
    assert progress["by_state"]["responded"] == 1 and progress["by_state"]["pending"] == 2
    # dispositions are counted apart, by name, and are no contact of their own
    assert progress["steps"][0] == {"step": 0, "channel": "email", "contacted": 2,
                                    "outcomes": {"sent": 2, "suppressed": 1}, "pending": 2,
                                    "dispositions": {"Sale": 2, "Not interested": 1}}
    assert await campaigns.contacts_since(ids[1], 4.0) == 1
    assert await campaigns.contacts_since(ids[2], 4.0) == 0      # suppressed: no contact


async def test_given_answered_and_abandoned_calls_then_window_lockout_and_due_besides(
        db: Database) -> None:
    """What predictive dialling reads: a campaign's live answers over its window, when a
    number's call was last abandoned (over every campaign), and the due targets of the
    campaigns whose pool is not full."""
    campaigns, customers = repo(db)
    ann = await customers.create(name="Ann", identities=[("phone", "+442079460111")])
    dee = await customers.create(name="Dee", identities=[("phone", "+442079460433")])
    first = await campaigns.create({**SPEC, "name": "first"}, by="sam", at=1.0)
    second = await campaigns.create({**SPEC, "name": "second"}, by="sam", at=1.0)
    for campaign in (first, second):
        await campaigns.add_customers(campaign["id"], [ann["id"], dee["id"]], 2.0)
        await campaigns.move(campaign["id"], "running", 3.0)
    async with db.session.begin() as s:
        for who, at, outcome in ((ann, 10.0, "answered"), (dee, 20.0, "abandoned"),
                                 (ann, 30.0, "no_answer"), (dee, 40.0, "answered")):
            s.add(CampaignContact(campaign_id=first["id"], customer_id=who["id"], step=1,
                                  channel="phone", at=at, outcome=outcome))
    assert await campaigns.live_answers(first["id"], 15.0) == [(20.0, "abandoned"),
                                                               (40.0, "answered")]
    assert await campaigns.live_answers(second["id"], 0.0) == []
    assert await campaigns.abandoned_since("+442079460433", 0.0) == 20.0
    assert await campaigns.abandoned_since("+442079460433", 21.0) is None   # lockout over
    assert await campaigns.abandoned_since("+442079460111", 0.0) is None
    due = await campaigns.due(100.0, besides=[first["id"]])
    assert {c["name"] for c, _ in due} == {"second"} and len(due) == 2
    assert len(await campaigns.due(100.0)) == 4
