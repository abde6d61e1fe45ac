"""The IVR offers a caller what they last wrote about, on the whole engine: Jane's email about
a double charge is classified billing; when she calls (a real SIP call, sipp through the
private Asterisk), the flow's recent-intent check sends her to the billing menu (the
admin's recording "you wrote to us about your bill; press 1..."), she presses 1 and alice
is offered the call in the billing queue with the email's intent in the pop. A caller the
engine has nothing recent for (a new number, a withheld one) goes to the main menu."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO, Rig, eventually, running_rig

# the intent journey's classifier, mailbox and mail sink (its fixtures)
from tests.e2e.test_cross_channel_journey import (  # noqa: F401 - fixtures
    EMAIL,
    IMAP_PORT,
    MAILBOX,
    PASSWORD,
    mail_server,
    sink,
)
from tests.e2e.test_intent_journey import ADDRESS, INTENTS, PHONE, offers
from tests.e2e.test_ivr_flows import SOUNDS, events, last_stored
from tests.mail.dovecot import Mailbox
from tests.mail.messages import customer_mail
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

RECENT = """\
start: wrote_about
recent_intents:
  wrote_about:
    within_hours: 24
    intents:
      billing: {action: menu, menu: about_bill}
    otherwise: {action: menu, menu: main}
menus:
  about_bill:
    prompt: [wrote-about-bill]
    timeout: 10
    options:
      "1": {action: queue, queue: billing}
      "2": {action: menu, menu: main}
    on_timeout: {action: menu, menu: main}
    on_max_invalid: {action: menu, menu: main}
  main:
    prompt: [hello]
    timeout: 10
    options:
      "1": {action: queue, queue: sales}
    on_timeout: {action: queue, queue: sales}
    on_max_invalid: {action: queue, queue: sales}
"""
OVERRIDES = [
    # alice takes calls only: the email waits in the billing queue, classified and stored
    "agents=[{id: alice, name: Alice, skills: {sales: 5, billing: 5}, capacity: {voice: 1},"
    " phone: sip}]",
    "queues=[{name: sales, media: [voice, email], required_skills: {sales: 1}, "
    "wrapup_seconds: 1}, {name: billing, media: [voice, email], required_skills: "
    "{billing: 1}, wrapup_seconds: 1}, {name: support, media: [voice], required_skills: "
    "{support: 1}}]",
    f"email={json.dumps(EMAIL)}",
    f"intents={json.dumps(INTENTS)}",
    'ivr.numbers={"5001": recent}',
]


@pytest.fixture
async def recent_rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """The engine with the recent-intent flow on 5001 and the admin's recording."""
    flows, prompts = tmp_path / "ivr", tmp_path / "prompts" / "en"
    flows.mkdir()
    prompts.mkdir(parents=True)
    shutil.copy(REPO / "ivr" / "main.yaml", flows / "main.yaml")
    (flows / "recent.yaml").write_text(RECENT)
    shutil.copy(SOUNDS / "en" / "hello.gsm", prompts / "wrote-about-bill.gsm")
    async with running_rig(tmp_path, extra=[f"ivr.dir={flows}",
                                            f"ivr.sounds_dir={prompts.parent}",
                                            *OVERRIDES]) as rig:
        yield rig


async def billing_email(rig: Rig) -> tuple[dict[str, Any], str]:
    """Jane (phone and email on file) writes about a double charge; once it is stored as
    billing: her customer record and the email's interaction id."""
    await eventually(lambda: rig.engine.intents.model, 30, "the classifier trained")
    jane = await rig.call_api("POST", "/api/customers", "admin", json={
        "name": "Jane Doe", "identities": [{"kind": "phone", "value": PHONE},
                                           {"kind": "email", "value": ADDRESS}]})
    await Mailbox(IMAP_PORT, MAILBOX, PASSWORD).append(customer_mail(
        subject="Invoice", sender=f"Jane Doe <{ADDRESS}>",
        body="Hello, I was charged twice on my last invoice. Please refund one.",
        message_id="<bill-ivr@example.org>"))

    async def classified() -> str | None:
        page = await rig.call_api("GET", f"/api/customers/{jane['id']}/timeline", "sam")
        return next((i["id"] for i in page["items"] if i["medium"] == "email"
                     and (i["intent"] or {}).get("name") == "billing"), None)
    return jane, await eventually(classified, 30, "the email stored as billing")


@pytest.mark.usefixtures("mail_server", "sink")
async def test_given_a_billing_email_when_jane_calls_and_presses_1_then_billing_queue_with_intent(
        recent_rig: Rig) -> None:
    rig = recent_rig
    jane, mail_id = await billing_email(rig)
    await rig.start_phone("alice")
    await rig.open_feed("alice")
    await rig.login("alice")

    caller = await rig.place_call(CallerScript(digits="1", audio=False, hold_ms=6000),
                                  caller=PHONE, service="5001")
    call = (await eventually(lambda: offers(rig, "voice"), 40, "the call offered"))[0]
    assert call["queue"] == "billing"
    assert call["ivr_path"] == ["wrote_about:billing", "about_bill:1"]
    intent = call["intent"]
    assert (intent["name"], intent["from_interaction"], intent["from_medium"]) == (
        "billing", mail_id, "email")
    assert 0.5 <= intent["confidence"] <= 1
    assert call["customer"]["id"] == jane["id"]
    assert await caller.wait(60) == 0, caller.errors()

    record = await rig.call_api("GET", f"/api/interactions/{call['interaction_id']}", "sam")
    assert events(record, "ivr_recent_intent") == [{
        "node": "wrote_about", "outcome": "matched", "intent": "billing",
        "from_interaction": mail_id, "medium": "email"}]
    assert record["attributes"]["intent"] == intent
    # the billing menu's prompt was the admin's recording
    played = [m for p in record["attributes"]["ivr_prompts"] for m in p["media"]]
    assert played[0].endswith("/prompts/en/wrote-about-bill"), played


@pytest.mark.usefixtures("mail_server", "sink")
async def test_given_callers_with_nothing_recent_when_calling_then_the_main_menu(
        recent_rig: Rig) -> None:
    rig = recent_rig
    await billing_email(rig)     # someone else's email: it changes nothing for them
    for number, why in (("+447700900777", "none"), ("anonymous", "unknown_caller")):
        caller = await rig.place_call(CallerScript(digits="1", audio=False, hold_ms=3000),
                                      caller=number, service="5001")
        assert await caller.wait(60) == 0, caller.errors()
        record = await last_stored(rig)
        assert record["ivr_path"] == [f"wrote_about:otherwise:{why}", "main:1"], why
        assert record["queue"] == "sales"
        assert [e["outcome"] for e in events(record, "ivr_recent_intent")] == [why]
        assert "intent" not in record["attributes"]
