"""Intents across channels, on the whole engine: the classifier trains at start; Jane's
email about a double charge is classified billing as it arrives and routed to the billing
queue; when she calls later (a real SIP call, sipp to alice's baresip phone), the call's pop
shows that she wrote about billing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import Rig, eventually

# the same private mailbox and mail sink as the cross-channel journey (its fixtures)
from tests.e2e.test_cross_channel_journey import (  # noqa: F401 - fixtures
    EMAIL,
    IMAP_PORT,
    MAILBOX,
    PASSWORD,
    mail_server,
    sink,
)
from tests.mail import dovecot
from tests.mail.dovecot import Mailbox
from tests.mail.messages import customer_mail
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

if not dovecot.available():
    pytest.skip("needs dovecot (scripts/install-system.sh --test)", allow_module_level=True)

PHONE, ADDRESS = "+447700900555", "jane.doe@example.org"
INTENTS = {"threshold": 0.5, "definitions": [
    {"name": "billing", "route": {"queue": "billing"}, "examples": [
        "I was charged twice on my invoice", "my bill is wrong this month",
        "a question about my invoice", "why is my bill so high",
        "please refund the double charge", "the invoice amount is wrong"]},
    {"name": "delivery", "examples": [
        "where is my parcel", "my order has not arrived", "the courier never came",
        "tracking says delivered but nothing is here", "when will my order ship",
        "the delivery is late again"]}]}
BILLING = {"overrides": [
    "agents=[{id: alice, name: Alice, skills: {sales: 5, billing: 5}, "
    "capacity: {voice: 1, email: 2}, phone: sip}]",
    "queues=[{name: sales, media: [voice, email], required_skills: {sales: 1}, "
    "wrapup_seconds: 1}, {name: billing, media: [email], required_skills: {billing: 1}, "
    "wrapup_seconds: 1}, {name: support, media: [voice], required_skills: {support: 1}}]",
    f"email={json.dumps(EMAIL)}",
    f"intents={json.dumps(INTENTS)}",
]}


def offers(rig: Rig, medium: str) -> list[dict[str, Any]]:
    return [o for o in rig.feeds["alice"].offers() if o["medium"] == medium]


@pytest.mark.usefixtures("mail_server", "sink")
@pytest.mark.parametrize("rig", [BILLING], indirect=True)
async def test_given_billing_email_then_billing_queue_and_a_later_call_pop_shows_it(
        rig: Rig) -> None:
    await eventually(lambda: rig.engine.intents.model, 30, "the classifier trained")
    jane = await rig.call_api("POST", "/api/customers", "admin", json={
        "name": "Jane Doe", "identities": [{"kind": "phone", "value": PHONE},
                                           {"kind": "email", "value": ADDRESS}]})
    await rig.start_phone("alice")
    await rig.open_feed("alice")
    await rig.login("alice")

    await Mailbox(IMAP_PORT, MAILBOX, PASSWORD).append(customer_mail(
        subject="Invoice", sender=f"Jane Doe <{ADDRESS}>",
        body="Hello, I was charged twice on my last invoice. Please refund one.",
        message_id="<bill-1@example.org>"))
    mail = (await eventually(lambda: offers(rig, "email"), 30, "the email offered"))[0]
    assert (mail["queue"], mail["intent"]["name"]) == ("billing", "billing")
    iid = mail["interaction_id"]
    await rig.call_api("POST", f"/api/interactions/{iid}/accept", "alice")
    await rig.call_api("POST", f"/api/interactions/{iid}/reply", "alice",
                       json={"body": "Refunded.", "close": True, "reason": "resolved"})

    async def free() -> bool:
        view = await rig.call_api("GET", "/api/agents/alice", "alice")
        for slot in view["slots"]:
            if slot["state"] == "wrap_up":
                await rig.call_api("POST",
                                   f"/api/interactions/{slot['interaction_id']}/wrapup/end",
                                   "alice")
        return view["state"] == "available"
    await eventually(free, 30, "alice free again")

    caller = await rig.place_call(CallerScript(digits="1", hold_ms=3000), caller=PHONE)
    call = (await eventually(lambda: offers(rig, "voice"), 30, "the call offered"))[0]
    assert call["customer"]["id"] == jane["id"]
    recent = call["customer"]["recent_intents"]
    assert [(r["name"], r["medium"], r["interaction_id"]) for r in recent] == [
        ("billing", "email", iid)]
    timeline = await rig.call_api("GET", f"/api/customers/{jane['id']}/timeline", "sam")
    assert [(i["medium"], (i["intent"] or {}).get("name")) for i in timeline["items"]] \
        == [("voice", None), ("email", "billing")]
    assert await caller.wait(40) == 0, caller.errors()
