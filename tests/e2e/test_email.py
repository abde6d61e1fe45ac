"""Email through the whole engine (its private Asterisk running beside): a mail in a real
IMAP mailbox (private dovecot) pops on the screen of the agent with email capacity, who
reads the thread and replies over the HTTP API; the reply reaches the relay (an SMTP sink)
threaded, and the customer's answer joins the conversation."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ccengine.config import ConfigError, load_config
from ccengine.engine import Engine
from tests.e2e.conftest import REPO, Rig, eventually
from tests.e2e.ports import free_port
from tests.mail import dovecot
from tests.mail.dovecot import Dovecot, Mailbox
from tests.mail.messages import customer_mail
from tests.mail.servers import email_config, running_dovecot, running_sink
from tests.mail.sink import SmtpSink

pytestmark = pytest.mark.asterisk

if not dovecot.available():
    pytest.skip("needs dovecot (scripts/install-system.sh --test)", allow_module_level=True)

IMAP_PORT, SINK_PORT = free_port(), free_port()
USER, PASSWORD = "sales@shop.test", "mail-secret"
EMAIL = email_config(USER, PASSWORD, IMAP_PORT, SINK_PORT)
EMAIL_ENGINE = {"overrides": [
    # alice has the skill but takes no email; bob takes up to two at once
    "agents=[{id: alice, name: Alice, skills: {sales: 5}, capacity: {voice: 1}, phone: sip}, "
    "{id: bob, name: Bob, skills: {sales: 5}, capacity: {voice: 1, email: 2}, phone: sip}]",
    "queues=[{name: sales, media: [voice, email], required_skills: {sales: 1}, "
    "wrapup_seconds: 1, sl_seconds: 14400, sl_percent: 90}, "
    "{name: support, media: [voice], required_skills: {support: 1}}]",
    f"email={json.dumps(EMAIL)}",
]}


@pytest.fixture
async def mail_server() -> AsyncIterator[Dovecot]:
    async with running_dovecot(IMAP_PORT, {USER: PASSWORD}) as server:
        yield server


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    async with running_sink(SINK_PORT) as s:
        yield s


def of_type(rig: Rig, agent: str, kind: str) -> list[dict[str, Any]]:
    return [m for m in rig.feeds[agent].messages if m.get("type") == kind]


@pytest.mark.parametrize("rig", [EMAIL_ENGINE], indirect=True)
async def test_given_mail_when_agent_replies_then_threaded_reply_and_answer_joins(
        mail_server: Dovecot, sink: SmtpSink, rig: Rig) -> None:
    mailbox = Mailbox(IMAP_PORT, USER, PASSWORD)
    for agent in ("alice", "bob"):
        await rig.open_feed(agent)
    await rig.login("alice")   # idle longest, but without email capacity
    await rig.login("bob")
    await mailbox.append(customer_mail())

    offer = (await eventually(lambda: of_type(rig, "bob", "offer"), 30, "bob's pop"))[0]
    assert offer["medium"] == "email"
    assert (offer["details"]["subject"], offer["details"]["from"]) == ("My order",
                                                                       "ann@example.org")
    assert {"kind": "email", "value": "ann@example.org"} in offer["customer"]["identities"]
    assert of_type(rig, "alice", "offer") == []
    assert await mailbox.search("UNSEEN") == []
    iid = offer["interaction_id"]

    await rig.call_api("POST", f"/api/interactions/{iid}/accept", "bob")
    thread = await rig.call_api("GET", f"/api/interactions/{iid}/messages", "bob")
    assert [m["body"] for m in thread["messages"]] == ["Where is my order 1234?"]
    sent = await rig.call_api("POST", f"/api/interactions/{iid}/reply", "bob",
                              json={"body": "It ships today."})
    ours = sent["message"]["message_id"]
    reply = (await eventually(lambda: sink.received, 30, "the reply at the relay"))[0]
    msg = reply.message
    assert reply.rcpt_tos == ["ann@example.org"]
    assert (msg["Subject"], msg["In-Reply-To"], msg["References"]) == (
        "Re: My order", "<m1@example.org>", "<m1@example.org>")
    assert msg["Message-ID"] == f"<{ours}>" and ours.endswith("@shop.test")

    await mailbox.append(customer_mail(subject="Re: My order", body="Blue, please.",
                                       message_id="<m2@example.org>",
                                       in_reply_to=f"<{ours}>",
                                       references=f"<m1@example.org> <{ours}>"))
    told = await eventually(lambda: of_type(rig, "bob", "email_message"), 30, "bob told")
    assert told[0]["interaction_id"] == iid
    thread = await rig.call_api("GET", f"/api/interactions/{iid}/messages", "bob")
    assert [m["body"].strip() for m in thread["messages"]] == [
        "Where is my order 1234?", "It ships today.", "Blue, please."]

    await rig.call_api("POST", f"/api/interactions/{iid}/reply", "bob",
                       json={"body": "Blue it is.", "close": True})
    record = await eventually(lambda: _ended(rig, iid), 20, "the interaction ended")
    kinds = [e["kind"] for e in record["events"]]
    assert kinds.count("message_received") == 1 and kinds.count("first_response") == 1
    level = await rig.call_api("GET", "/api/queues/sales/service-level?medium=email", "sam")
    assert (level["met"], level["missed"], level["percent"]) == (1, 0, 100.0)
    await eventually(lambda: len(sink.received) == 2, 30, "the second reply sent")
    assert await rig.agent_state("bob") in ("wrap_up", "available")


def test_given_bad_email_section_then_engine_refuses_at_load() -> None:
    config = load_config(None, env={}, overrides=[
        f"ivr.dir={REPO / 'ivr'}",
        "email={mailboxes: [{address: a@shop.test, queue: nope}], relay: {host: 127.0.0.1}}"])
    with pytest.raises(ConfigError) as e:
        Engine(config)
    assert (e.value.key, e.value.where) == ("email.mailboxes[0].queue", "embedded defaults")
    assert "no queue 'nope'" in e.value.message


async def _ended(rig: Rig, iid: str) -> Any:
    record = await rig.call_api("GET", f"/api/interactions/{iid}", "sam")
    return record if record["status"] == "ended" else None
