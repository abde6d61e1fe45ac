"""One customer across every channel, on the whole engine: a visitor chats and gives a phone
number and an email address; an hour later (here: seconds) a real SIP call comes from that
number (sipp through the private Asterisk to alice's baresip phone); the next day an email
comes from the address on file (a private dovecot mailbox). One customer, three
interactions, and each pop shows what came before on the other channels."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.conftest import CHAT_SITE, Rig, eventually
from tests.e2e.ports import free_port
from tests.e2e.test_first_journey import bridged_legs_with_audio
from tests.mail import dovecot
from tests.mail.dovecot import Dovecot, Mailbox
from tests.mail.messages import customer_mail
from tests.mail.servers import email_config, running_dovecot, running_sink
from tests.mail.sink import SmtpSink
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

if not dovecot.available():
    pytest.skip("needs dovecot (scripts/install-system.sh --test)", allow_module_level=True)

IMAP_PORT, SINK_PORT = free_port(), free_port()
MAILBOX, PASSWORD = "sales@shop.test", "mail-secret"
EMAIL = email_config(MAILBOX, PASSWORD, IMAP_PORT, SINK_PORT)
EVERY_CHANNEL = {"overrides": [
    "agents=[{id: alice, name: Alice, skills: {sales: 5}, "
    "capacity: {voice: 1, chat: 2, email: 2}, phone: sip}, "
    "{id: bob, name: Bob, skills: {support: 5}, phone: sip}]",
    "queues=[{name: sales, media: [voice, chat, email], required_skills: {sales: 1}, "
    "wrapup_seconds: 1}, {name: support, media: [voice], required_skills: {support: 1}}]",
    f"chat={{allowed_origins: ['{CHAT_SITE}'], entry_points: {{web: sales}}}}",
    f"email={json.dumps(EMAIL)}",
]}
PHONE_GIVEN, PHONE_CALLING = "07700 900555", "+447700900555"   # one number, two formats
ADDRESS = "jane.doe@example.org"


@pytest.fixture
async def mail_server() -> AsyncIterator[Dovecot]:
    async with running_dovecot(IMAP_PORT, {MAILBOX: PASSWORD}) as server:
        yield server


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    async with running_sink(SINK_PORT) as s:
        yield s


def offers(rig: Rig, medium: str) -> list[dict[str, Any]]:
    return [o for o in rig.feeds["alice"].offers() if o["medium"] == medium]


async def stored_over(rig: Rig, iid: str) -> dict[str, Any] | None:
    record = await rig.call_api("GET", f"/api/interactions/{iid}", "sam")
    return record if record["status"] == "ended" else None


async def chat_with_alice(rig: Rig) -> str:
    """Jane chats from the web site, giving her phone number and email; alice answers and
    closes the chat. Returns the chat's interaction id."""
    async with rig.visitor_chat(name="Jane Doe", phone=PHONE_GIVEN, email=ADDRESS) as (_, ws):
        pop = (await eventually(lambda: offers(rig, "chat"), 20, "the chat's pop"))[0]
        chat_id = pop["interaction_id"]
        await rig.call_api("POST", f"/api/interactions/{chat_id}/accept", "alice")
        await ws.send_json({"type": "message", "text": "My parcel never came.",
                            "client_id": "1"})
        # stored (acknowledged) before alice answers it: the chat's first message is hers
        frames = [await ws.receive_json(timeout=10)]
        while frames[-1]["type"] != "ack":
            frames.append(await ws.receive_json(timeout=10))
        assert frames[-1]["client_id"] == "1", frames
        await rig.call_api("POST", f"/api/interactions/{chat_id}/messages", "alice",
                           json={"text": "I'll check with the courier."})
        await rig.call_api("POST", f"/api/interactions/{chat_id}/close", "alice",
                           json={"reason": "resolved"})
    await eventually(lambda: stored_over(rig, chat_id), 20, "the chat stored as over")
    await eventually(lambda: _available(rig), 30, "alice back from wrap-up")
    return chat_id


async def _available(rig: Rig) -> bool:
    return await rig.agent_state("alice") == "available"


@pytest.mark.parametrize("rig", [EVERY_CHANNEL], indirect=True)
async def test_given_chat_then_call_then_email_then_one_customer_and_each_pop_knows_the_rest(
        mail_server: Dovecot, sink: SmtpSink, rig: Rig) -> None:
    await rig.start_phone("alice")
    await rig.open_feed("alice")
    await rig.login("alice")

    # 1. the chat
    chat_id = await chat_with_alice(rig)
    chat_pop = offers(rig, "chat")[0]
    customer_id = chat_pop["customer"]["id"]
    assert {"kind": "phone", "value": PHONE_CALLING} in chat_pop["customer"]["identities"]
    assert {"kind": "email", "value": ADDRESS} in chat_pop["customer"]["identities"]

    # 2. a real call from that number
    caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=3000),
                                  caller=PHONE_CALLING)
    call_pop = (await eventually(lambda: offers(rig, "voice"), 30, "the call's pop"))[0]
    assert call_pop["customer"]["id"] == customer_id
    history = call_pop["customer"]["history"]
    assert [(h["id"], h["medium"]) for h in history] == [(chat_id, "chat")]
    assert "parcel" in history[0]["summary"].lower()
    await bridged_legs_with_audio(rig)
    assert await caller.wait(60) == 0, caller.errors()
    call_id = call_pop["interaction_id"]
    await eventually(lambda: stored_over(rig, call_id), 20, "the call stored as over")
    await eventually(lambda: _available(rig), 30, "alice back from wrap-up")

    # 3. an email from the address on file
    await Mailbox(IMAP_PORT, MAILBOX, PASSWORD).append(customer_mail(
        subject="Parcel", sender=f"Jane Doe <{ADDRESS}>", body="Still no parcel.",
        message_id="<j1@example.org>"))
    mail_pop = (await eventually(lambda: offers(rig, "email"), 30, "the email's pop"))[0]
    assert mail_pop["customer"]["id"] == customer_id
    assert [h["medium"] for h in mail_pop["customer"]["history"]] == ["voice", "chat"]
    assert set(mail_pop["customer"]["last_by_medium"]) == {"voice", "chat"}

    # one customer, three interactions on one timeline, newest first
    timeline = await rig.call_api("GET", f"/api/customers/{customer_id}/timeline", "sam")
    assert [(i["id"], i["medium"]) for i in timeline["items"]] == [
        (mail_pop["interaction_id"], "email"), (call_id, "voice"), (chat_id, "chat")]
    found = await rig.call_api("GET", f"/api/customers?identity={ADDRESS}", "sam")
    assert found["id"] == customer_id
