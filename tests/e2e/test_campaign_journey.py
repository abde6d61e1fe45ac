"""An email campaign on the whole engine (docs/campaigns.md, "Running a campaign"): the
first step mails every customer who opted in, through the relay, with RFC 8058 one-click
unsubscribe; a customer who replies by email is not called; one who unsubscribes is opted
out at once; one who never opted in gets no mail; the call step waits for the dialer."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

import pytest

from tests.e2e.conftest import Rig, eventually

# the cross-channel journey's private mailbox and mail sink (its fixtures)
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
from tests.mail.messages import customer_mail, delivery_report
from tests.mail.sink import SmtpSink

pytestmark = pytest.mark.asterisk

if not dovecot.available():
    pytest.skip("needs dovecot (scripts/install-system.sh --test)", allow_module_level=True)

PUBLIC = "https://cc.shop.test"
JOURNEY = {"overrides": [
    "agents=[{id: alice, name: Alice, skills: {sales: 5}, capacity: {voice: 1, email: 2},"
    " phone: sip}]",
    "queues=[{name: sales, media: [voice, email, callback], required_skills: {sales: 1}}, "
    "{name: support, media: [voice], required_skills: {support: 1}}]",
    f"email={json.dumps(EMAIL)}",
    f"api.public_url='{PUBLIC}'",
    "trunks=[{name: carrier, type: ip, host: 127.0.0.1, port: 9, "
    "match: ['127.0.0.1:9'], dids: {'442079460100': '5000'}}]",
    "campaigns=" + json.dumps({"from": MAILBOX, "templates": {"spring": {
        "subject": "Spring offer for {{ name }}",
        "text": "Hello {{ name }},\nour spring offer... {{ unsubscribe_url }}"}}}),
]}
SPEC = {"name": "spring", "queue": "sales",
        "steps": [{"channel": "email", "template": "spring"},
                  {"channel": "phone", "after_hours": 0.002, "attempts": 2}]}
PEOPLE = {"jane": "07700900301", "kim": "07700900302", "lee": "07700900303",
          "max": "07700900304"}


async def targets(rig: Rig, path: str) -> dict[str, dict[str, Any]]:
    listed = (await rig.call_api("GET", f"{path}/targets", "sam"))["targets"]
    return {t["email"].partition("@")[0]: t for t in listed}


def mail_to(relay: SmtpSink, who: str) -> EmailMessage:
    [mail] = [r.message for r in relay.received if r.rcpt_tos == [f"{who}@example.org"]]
    return mail


@pytest.mark.usefixtures("mail_server")
@pytest.mark.parametrize("rig", [JOURNEY], indirect=True)
async def test_given_email_then_call_campaign_then_reply_unsubscribe_and_no_opt_in(
        rig: Rig, sink: SmtpSink) -> None:  # noqa: F811 - the imported fixture
    ids = {}
    for who, phone in PEOPLE.items():
        customer = await rig.call_api("POST", "/api/customers", "sam", json={
            "name": who.title(), "identities": [{"kind": "email",
                                                 "value": f"{who}@example.org"},
                                                {"kind": "phone", "value": phone}]})
        ids[who] = customer["id"]
        if who != "lee":   # lee never opted in to marketing email
            await rig.call_api("PUT", f"/api/customers/{customer['id']}/consent/email/"
                               "marketing", "sam", json={"state": "granted",
                                                         "evidence": "web form 2026-11"})
    campaign = await rig.call_api("POST", "/api/campaigns", "sam", json=SPEC)
    path = f"/api/campaigns/{campaign['id']}"
    await rig.call_api("POST", f"{path}/targets", "sam",
                       json={"customer_ids": list(ids.values())})
    await rig.call_api("POST", f"{path}/state", "sam", json={"state": "running"})

    await eventually(lambda: len(sink.received) >= 3, 20, "three campaign mails sent")
    jane_mail, kim_mail = mail_to(sink, "jane"), mail_to(sink, "kim")
    assert jane_mail["Subject"] == "Spring offer for Jane"
    assert jane_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert jane_mail["X-CCEngine-Campaign"] == str(campaign["id"])
    link = kim_mail["List-Unsubscribe"].strip("<>")
    assert link.startswith(f"{PUBLIC}/u/")
    assert link in kim_mail.get_content()
    assert not [r for r in sink.received if "lee@example.org" in r.rcpt_tos]
    # max's mailbox does not exist: the bounce suppresses the address and is not work
    await Mailbox(IMAP_PORT, MAILBOX, PASSWORD).append(delivery_report(
        [{"Final-Recipient": "rfc822; max@example.org", "Action": "failed",
          "Status": "5.1.1", "Diagnostic-Code": "smtp; 550 5.1.1 user unknown"}],
        returned=bytes(mail_to(sink, "max"))))

    # jane replies by email: her campaign ends before its call step
    await Mailbox(IMAP_PORT, MAILBOX, PASSWORD).append(customer_mail(
        subject="Re: " + jane_mail["Subject"], sender="Jane <jane@example.org>",
        body="Yes please, call me.", message_id="<jane-reply@example.org>",
        in_reply_to=jane_mail["Message-ID"]))
    # kim unsubscribes with one click (a GET of the page changes nothing)
    token_path = link.removeprefix(PUBLIC)
    async with rig.http.get(f"{rig.api}{token_path}") as r:
        assert r.status == 200 and "Unsubscribe" in await r.text()
    assert (await targets(rig, path))["kim"]["state"] == "pending"
    async with rig.http.post(f"{rig.api}{token_path}",
                             data="List-Unsubscribe=One-Click") as r:
        assert r.status == 200 and "kim@example.org" in await r.text()
    async with rig.http.post(f"{rig.api}{token_path[:-2]}xx") as r:
        assert r.status == 404                                   # tampered: nothing
    consent = await rig.call_api("GET", f"/api/customers/{ids['kim']}/consent", "sam")
    assert [(c["channel"], c["state"], c["source"], c["by"]) for c in consent["consents"]
            if c["purpose"] == "marketing"] == [("email", "withdrawn", "unsubscribe",
                                                 "customer")]

    async def settled() -> dict[str, dict[str, Any]] | None:
        now = await targets(rig, path)
        done = (now["jane"]["state"] == "responded" and now["kim"]["state"] == "opted_out"
                and now["lee"]["outcome"] == "waiting: no callbacks: section to place calls")
        return now if done else None
    final = await eventually(settled, 30, "jane responded, kim out, lee's call step due")
    assert final["lee"]["step"] == 1 and final["lee"]["state"] == "pending"
    async def bounced() -> dict[str, Any] | None:
        progress = (await rig.call_api("GET", path, "sam"))["progress"]
        return progress if "bounce_permanent" in progress["steps"][0]["outcomes"] else None
    progress = await eventually(bounced, 20, "max's bounce recorded")
    assert progress["steps"][0]["outcomes"] == {"sent": 3, "skipped": 1,
                                                "bounce_permanent": 1}
    assert rig.engine.email_suppressions is not None
    found = await rig.engine.email_suppressions.suppressed("max@example.org")
    assert found is not None and "permanent failure (5.1.1)" in found["reason"]
    queue = await rig.call_api("GET", "/api/queues/sales", "sam")
    assert queue["waiting"] == 1          # jane's reply; the bounce is not work
    reply = await rig.call_api("GET", f"/api/interactions/{final['jane']['response_interaction']}",
                               "sam")
    assert (reply["medium"], reply["customer_id"]) == ("email", ids["jane"])
    assert jane_mail["From"] == MAILBOX
    assert {r.mail_from for r in sink.received} == {MAILBOX}   # bounces come back to it
