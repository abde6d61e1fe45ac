"""Mail in a real IMAP mailbox becomes queued email interactions: stored before it is
flagged on the server, routed by the one router to agents with email capacity, threaded,
never lost or doubled."""

from __future__ import annotations

import time

from ccengine.channels.email.ingest import interaction_id_of
from tests.integration.email.conftest import (
    EmailRig,
    RigFactory,
    email_section,
    eventually,
)
from tests.mail.dovecot import Dovecot
from tests.mail.messages import UNPARSEABLE, customer_mail
from tests.mail.sink import SmtpSink


async def offers(rig: EmailRig, agent: str) -> list[dict]:
    return [m for m in rig.feeds[agent].sent if m.get("type") == "offer"]


async def test_given_mail_in_mailbox_then_seen_after_store_and_offered_to_email_agent_only(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    await rig.dispatcher.login("alice")  # longest idle, has the skill, but no email capacity
    await rig.dispatcher.login("bob")
    await rig.mailbox.append(customer_mail())
    offer = (await eventually(lambda: offers(rig, "bob"), what="bob's screen pop"))[0]
    assert offer["medium"] == "email" and offer["queue"] == "sales"
    assert offer["details"]["subject"] == "My order"
    assert offer["details"]["from"] == "ann@example.org"
    assert offer["details"]["from_name"] == "Ann Smith"
    assert {"kind": "email", "value": "ann@example.org"} in offer["customer"]["identities"]
    assert await offers(rig, "alice") == []
    # flagged \Seen on the server, and the stored row came first
    assert await rig.mailbox.search("UNSEEN") == []
    stored = await rig.inbound()
    assert len(stored) == 1 and stored[0]["external_id"] == "m1@example.org"
    assert stored[0]["meta"]["imap_uid"] == 1
    assert await rig.messages.raw(stored[0]["id"]) == customer_mail()
    record = await rig.interactions.get(offer["interaction_id"])
    assert record is not None and record["from_address"] == "ann@example.org"
    assert record["attributes"]["customer_tier"] == "standard"
    assert [e["kind"] for e in record["events"]][:3] == ["entered", "queued", "offered"]


async def test_given_new_conversation_then_auto_ack_threaded_and_marked_automatic(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    await rig.mailbox.append(customer_mail())
    ack = (await eventually(lambda: rig.sink.received, what="the acknowledgement"))[0]
    msg = ack.message
    assert ack.rcpt_tos == ["ann@example.org"] and ack.mail_from == "sales@shop.test"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["In-Reply-To"] == "<m1@example.org>"
    assert msg["Subject"] == "Re: My order [email-1]"
    assert msg.get_content().strip() == "Dear Ann Smith, we have your message."
    # automatic mail is never acknowledged (no mail loops)
    await rig.mailbox.append(customer_mail(message_id="<bounce@example.org>",
                                           headers={"Auto-Submitted": "auto-replied"}))
    await eventually(lambda: _count(rig, 2), what="the automatic mail stored")
    assert len(rig.sink.received) == 1


async def _count(rig: EmailRig, n: int) -> bool:
    return len(await rig.inbound()) >= n


async def test_given_unparseable_mail_then_stored_and_queued_with_the_reason(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    await rig.dispatcher.login("bob")
    await rig.mailbox.append(UNPARSEABLE)
    offer = (await eventually(lambda: offers(rig, "bob"), what="the pop"))[0]
    assert "no mail headers" in offer["details"]["problem"]
    stored = (await rig.inbound())[0]
    assert stored["external_id"].startswith("sha256:")
    assert await rig.messages.raw(stored["id"]) == UNPARSEABLE
    assert await rig.mailbox.search("UNSEEN") == []
    record = await rig.interactions.get(offer["interaction_id"])
    assert record is not None and record["attributes"]["unparsed"] is True
    assert rig.sink.received == []  # nobody to acknowledge


async def test_given_same_message_delivered_twice_then_one_interaction(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    raw = customer_mail()
    await rig.mailbox.append(raw, raw)  # two copies, two UIDs
    await rig.mailbox.append(customer_mail(message_id=None), customer_mail(message_id=None))
    await eventually(lambda: _seen(rig, 4), what="all four copies flagged")
    stored = await rig.inbound()
    assert len(stored) == 2  # one per Message-ID (the synthetic one for the id-less pair)
    records = await rig.interactions.list(medium="email")
    assert sorted(r["id"] for r in records) == sorted(interaction_id_of(m["id"])
                                                      for m in stored)
    assert len(await rig.dispatcher.state.waiting()) == 2


async def _seen(rig: EmailRig, n: int) -> bool:
    return len(await rig.mailbox.search("SEEN")) >= n


async def test_given_stored_but_not_queued_when_engine_restarts_then_resumed_once(
        make_rig: RigFactory) -> None:
    """A crash after the store commit and before the message became an interaction: the
    next start queues it, and the copy still unseen on the server adds nothing."""
    first = await make_rig(email_section(_closed_port(), _closed_port()))
    raw = customer_mail()
    box = first.channel.config.mailboxes[0]
    view = await first.channel.ingest.store(raw, box, {"imap_uid": 99})
    assert view["state"] == "received"
    await first.channel.stop()  # the crash: nothing after the store commit happened
    await first.mailbox.append(raw)  # the server still has it unseen: it was never flagged
    second = await make_rig()  # same database, a working mailbox
    await eventually(lambda: _seen(second, 1), what="the unseen copy flagged")
    await eventually(lambda: second.dispatcher.state.waiting(), what="queued")
    stored = await second.inbound()
    assert [m["id"] for m in stored] == [view["id"]]
    assert [i.id for i in await second.dispatcher.state.waiting()] == [
        interaction_id_of(view["id"])]


def _closed_port() -> int:
    from tests.e2e.ports import free_port
    return free_port()  # nothing listens there: this rig's poller never connects


async def test_given_queued_interaction_when_engine_restarts_then_back_in_queue_keeping_wait(
        make_rig: RigFactory) -> None:
    first = await make_rig()
    await first.mailbox.append(customer_mail())
    await eventually(lambda: first.dispatcher.state.waiting(), what="queued")
    before = (await first.dispatcher.state.waiting())[0]
    await eventually(lambda: _status(first, before.id, "queued"), what="queued in the store")
    await first.channel.stop()
    second = await make_rig()  # same database, fresh live state (memory): like a restart
    waiting = await eventually(lambda: second.dispatcher.state.waiting(), what="restored")
    assert [i.id for i in waiting] == [before.id]
    assert waiting[0].enqueued_at == before.enqueued_at
    record = await second.interactions.get(before.id)
    assert record is not None
    assert [e["kind"] for e in record["events"]] == ["entered", "queued", "restored", "queued"]
    assert len(await second.inbound()) == 1


async def _status(rig: EmailRig, iid: str, status: str) -> bool:
    record = await rig.interactions.get(iid)
    return record is not None and record["status"] == status


async def test_given_imap_server_goes_away_and_comes_back_then_reconnects_and_ingests(
        make_rig: RigFactory) -> None:
    rig = await make_rig()
    poller = rig.channel.pollers[0]
    await eventually(poller.connected.is_set, what="first IMAP session")
    await rig.server.crash()
    await eventually(lambda: not poller.connected.is_set(), what="the loss noticed")
    rig.server.start()
    await eventually(lambda: poller.sessions >= 2, what="a new IMAP session")
    await rig.mailbox.append(customer_mail(message_id="<after@example.org>"))
    stored = await eventually(rig.inbound, what="mail after the reconnect")
    assert stored[0]["external_id"] == "after@example.org"
    assert poller.last_error is not None


async def test_given_mail_over_smtp_then_250_only_for_our_mailbox_and_stored_once(
        make_rig: RigFactory) -> None:
    import aiosmtplib

    from tests.e2e.ports import free_port
    port = free_port()
    rig = await make_rig(email_section(_closed_port(), free_port(), port))
    raw = customer_mail(message_id="<smtp1@example.org>")
    for _ in range(2):
        errors, _ = await aiosmtplib.send(raw, sender="ann@example.org",
                                          recipients=["sales@shop.test"], hostname="127.0.0.1",
                                          port=port, start_tls=False)
        assert errors == {}
    stored = await eventually(rig.inbound, what="the mail routed")
    assert [m["external_id"] for m in stored] == ["smtp1@example.org"]
    assert stored[0]["meta"]["smtp_from"] == "ann@example.org"
    try:
        await aiosmtplib.send(raw, sender="ann@example.org", recipients=["nobody@shop.test"],
                              hostname="127.0.0.1", port=port, start_tls=False)
        raise AssertionError("an unknown recipient was accepted")
    except aiosmtplib.SMTPRecipientsRefused as e:
        assert e.recipients[0].code == 550


async def test_given_matching_articles_then_the_acknowledgement_links_them(
        make_rig: RigFactory, mail_server: Dovecot, sink: SmtpSink) -> None:
    """The acknowledgement's template gets ``articles``: published knowledge articles that
    match the mail, with their public addresses (api.public_url), each counted as shown;
    a draft is never offered."""
    from ccengine.knowledge.part import links_for
    from ccengine.store.knowledge import KnowledgeRepository
    section = email_section(mail_server.port, sink.port)
    section["auto_ack"] = {"body": "We have your message.{% for a in articles %}\n"
                                   "Maybe: {{ a.title }} {{ a.url }}{% endfor %}"}
    rig = await make_rig(section)
    kb = KnowledgeRepository(rig.db)
    tracked = await kb.create(title="Tracking your order", body="Where is my order? Use the "
                              "tracking link in your confirmation.", by="sam")
    await kb.publish(tracked["id"], by="sam")
    await kb.create(title="Order secrets (draft)", body="Where is my order", by="sam")
    rig.channel.ingest.articles = lambda iid, text: links_for(
        kb, text, "https://help.shop.test", interaction_id=iid)
    await rig.mailbox.append(customer_mail(body="Where is my order 1234?"))
    ack = (await eventually(lambda: rig.sink.received, what="the acknowledgement"))[0]
    assert ack.message.get_content().strip().splitlines() == [
        "We have your message.",
        f"Maybe: Tracking your order https://help.shop.test/kb/{tracked['slug']}"]
    report = await kb.usage_report(0, time.time() + 60)
    shown = {row["article_id"]: row["shown"] for row in report}
    assert shown.get(tracked["id"]) == 1


async def test_given_intents_when_a_billing_mail_arrives_then_classified_and_routed_by_skill(
        make_rig: RigFactory) -> None:
    """A new conversation is classified as it arrives (the intents part's hook): a billing
    mail gets its intent on the work and in the record, and needs the billing skill (bob
    has none, so it waits); a mail about something else is offered to bob as before."""
    from ccengine.intents.apply import apply_intent
    from ccengine.intents.service import IntentService
    from tests.integration.chat.test_chat_intent import SETTINGS as settings
    service = IntentService(settings)
    await service.retrain()
    rig = await make_rig()
    rig.channel.ingest.classify = lambda interaction, text: apply_intent(
        interaction, service.classify(text), service.settings, rig.dispatcher.queues,
        time.time())
    await rig.dispatcher.login("bob")
    await rig.mailbox.append(customer_mail(subject="Invoice problem",
                                           body="I was charged twice on my invoice."))
    billing = await eventually(lambda: rig.dispatcher.state.waiting(), what="queued")
    assert billing[0].attributes["intent"]["name"] == "billing"
    assert billing[0].required_skills.get("billing") == 1
    record = await eventually(lambda: rig.interactions.get(billing[0].id), what="stored")
    assert [e["data"]["intent"] for e in record["events"] if e["kind"] == "classified"] == \
        ["billing"]
    await rig.mailbox.append(customer_mail(subject="Parcel", message_id="<m2@example.org>",
                                           body="Where is my parcel? It has not arrived."))
    offer = (await eventually(lambda: offers(rig, "bob"), what="the other mail offered"))[0]
    assert offer["intent"]["name"] == "delivery"
    assert [i.id for i in await rig.dispatcher.state.waiting()] == [billing[0].id]
