"""Reading bounces (RFC 3464 delivery status notifications) and the suppression policy."""

from __future__ import annotations

from email import policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccengine.campaigns.bounces import (
    Bounce,
    BounceClass,
    Dsn,
    SuppressionSettings,
    classify,
    read_dsn,
    suppression,
)
from ccengine.campaigns.mailing import Recipient, RenderedMail, campaign_message, unsubscribe_link
from ccengine.core.errors import ConfigError
from tests.mail.messages import UNPARSEABLE, customer_mail, delivery_report

DAY = 86400.0

# as Postfix sends it: folded Content-Type and Diagnostic-Code, "rfc822;" without a space,
# extra X-Postfix fields, the returned mail's headers as text/rfc822-headers
POSTFIX_5_1_1 = b"""\
Return-Path: <>
Date: Mon,  4 May 2026 10:31:02 +0000 (UTC)
From: MAILER-DAEMON@mx.shop.test (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: campaigns@shop.test
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4B1C2A0E6F.1777890662/mx.shop.test"
Content-Transfer-Encoding: 7bit
Message-Id: <20260504103102.5C3A20E70@mx.shop.test>

This is a MIME-encapsulated message.

--4B1C2A0E6F.1777890662/mx.shop.test
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.shop.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<nobody@example.org>: host mx.example.org[192.0.2.10] said: 550 5.1.1
    <nobody@example.org>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--4B1C2A0E6F.1777890662/mx.shop.test
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.shop.test
X-Postfix-Queue-ID: 4B1C2A0E6F
X-Postfix-Sender: rfc822; campaigns@shop.test
Original-Envelope-Id: spring-sale.c-1
Arrival-Date: Mon,  4 May 2026 10:31:01 +0000 (UTC)

Final-Recipient: rfc822; Nobody@Example.org
Original-Recipient: rfc822;nobody@example.org
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: Recipient address
    rejected: User unknown in virtual mailbox table

--4B1C2A0E6F.1777890662/mx.shop.test
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 7bit

Return-Path: <campaigns@shop.test>
Received: by mx.shop.test (Postfix, from userid 0)
\tid 4B1C2A0E6F; Mon,  4 May 2026 10:31:01 +0000 (UTC)
From: Shop News <news@shop.test>
To: nobody@example.org
Subject: Spring sale
Message-ID: <campaign.0123abcd@shop.test>
X-CCEngine-Campaign: spring-sale
List-Unsubscribe-Post: List-Unsubscribe=One-Click

--4B1C2A0E6F.1777890662/mx.shop.test--
""".replace(b"\n", b"\r\n")

# as Exim sends it: lower-case "Content-type", Action before Final-Recipient, a generic
# 5.0.0 status with the detail in the diagnostics, the whole mail returned
EXIM_FAILED = b"""\
Return-path: <>
From: Mail Delivery System <Mailer-Daemon@mail.example.net>
To: campaigns@shop.test
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1uB2c3-0004Xy-Ab@mail.example.net>
Auto-Submitted: auto-replied
Content-type: multipart/report; report-type=delivery-status;
 boundary=1777890662-eximdsn-1804289383
MIME-Version: 1.0

--1777890662-eximdsn-1804289383
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  bob@example.net
    host mx.example.net [198.51.100.7]
    SMTP error from remote mail server after RCPT TO:<bob@example.net>:
    550 5.1.1 No such user

--1777890662-eximdsn-1804289383
Content-type: message/delivery-status

Reporting-MTA: dns; mail.example.net

Action: failed
Final-Recipient: rfc822;BOB@example.net
Status: 5.0.0
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 No such user

--1777890662-eximdsn-1804289383
Content-type: message/rfc822

Return-path: <campaigns@shop.test>
From: news@shop.test
To: bob@example.net
Subject: Spring sale
Message-ID: <campaign.feed@shop.test>
X-CCEngine-Campaign: spring-sale

Hello Bob
--1777890662-eximdsn-1804289383--
""".replace(b"\n", b"\r\n")


def failed(address: str = "rfc822; ann@example.org", status: str = "5.1.1",
           **more: str) -> dict[str, str]:
    return {"Final-Recipient": address, "Action": "failed", "Status": status, **more}


# ------------------------------------------------------------------ classification
@pytest.mark.parametrize(("action", "status", "expected"), [
    ("failed", "5.1.1", BounceClass.PERMANENT),
    ("failed", "5.2.2", BounceClass.PERMANENT),
    ("failed", "4.4.7", BounceClass.TEMPORARY),   # gave up retrying a temporary problem
    ("delayed", "4.4.1", BounceClass.TEMPORARY),
    ("delayed", None, BounceClass.TEMPORARY),
    ("delayed", "5.0.0", BounceClass.TEMPORARY),
    (None, "4.2.2", BounceClass.TEMPORARY),
    (None, "5.1.1", BounceClass.OTHER),           # no "Action: failed": never permanent
    ("failed", None, BounceClass.OTHER),
    ("delivered", "2.0.0", BounceClass.OTHER),
    ("relayed", "4.0.0", BounceClass.OTHER),
    ("expanded", "2.0.0", BounceClass.OTHER),
])
def test_classify(action: str | None, status: str | None, expected: BounceClass) -> None:
    assert classify(action, status) is expected


# ------------------------------------------------------------------ reading
def test_postfix_user_unknown_is_read_with_the_bounced_campaign_mail() -> None:
    dsn = read_dsn(POSTFIX_5_1_1)
    assert dsn is not None
    assert (dsn.reporting_mta, dsn.original_envelope_id) == ("mx.shop.test", "spring-sale.c-1")
    assert (dsn.original_message_id, dsn.original_campaign) == (
        "campaign.0123abcd@shop.test", "spring-sale")
    (r,) = dsn.recipients
    assert (r.final_recipient, r.original_recipient) == ("nobody@example.org",
                                                         "nobody@example.org")
    assert (r.action, r.status, r.remote_mta) == ("failed", "5.1.1", "mx.example.org")
    assert r.diagnostic_code == ("550 5.1.1 <nobody@example.org>: Recipient address "
                                 "rejected: User unknown in virtual mailbox table")
    assert r.bounce_class is BounceClass.PERMANENT


def test_exim_report_with_the_whole_mail_returned() -> None:
    dsn = read_dsn(EXIM_FAILED)
    assert dsn is not None
    assert (dsn.original_message_id, dsn.original_campaign) == ("campaign.feed@shop.test",
                                                                "spring-sale")
    assert dsn.reporting_mta == "mail.example.net"
    (r,) = dsn.recipients
    assert (r.final_recipient, r.action, r.status) == ("bob@example.net", "failed", "5.0.0")
    assert r.bounce_class is BounceClass.PERMANENT


def test_delay_warning_is_temporary() -> None:
    raw = delivery_report([{
        "Final-Recipient": "rfc822; ann@example.org", "Action": "delayed",
        "Status": "4.4.1", "Will-Retry-Until": "Mon, 11 May 2026 10:31:01 +0000",
        "Diagnostic-Code": "X-Postfix; connect to mx.example.org[192.0.2.10]:25: "
                           "Connection timed out"}])
    dsn = read_dsn(raw)
    assert dsn is not None
    (r,) = dsn.recipients
    assert (r.action, r.status, r.bounce_class) == ("delayed", "4.4.1", BounceClass.TEMPORARY)
    assert r.diagnostic_code is not None and r.diagnostic_code.startswith("connect to")
    assert dsn.original_message_id == "m1@example.org"


def test_several_recipients_each_get_their_own_report() -> None:
    raw = delivery_report([
        failed("rfc822; gone@example.org", "5.1.1"),
        {"Final-Recipient": "rfc822; full@example.org", "Action": "delayed",
         "Status": "4.2.2"},
        {"Final-Recipient": "rfc822; ok@example.org", "Action": "relayed",
         "Status": "2.0.0", "Remote-MTA": "dns; legacy.example.org"},
    ], returned_type="message/rfc822")
    dsn = read_dsn(raw)
    assert dsn is not None
    assert [(r.final_recipient, r.bounce_class) for r in dsn.recipients] == [
        ("gone@example.org", BounceClass.PERMANENT),
        ("full@example.org", BounceClass.TEMPORARY),
        ("ok@example.org", BounceClass.OTHER)]
    assert [(a, b.bounce_class, b.message_id) for a, b in dsn.bounces(at=100.0)] == [
        ("gone@example.org", BounceClass.PERMANENT, "m1@example.org"),
        ("full@example.org", BounceClass.TEMPORARY, "m1@example.org")]


def test_bounce_of_a_campaign_message_finds_its_id_and_campaign() -> None:
    link = unsubscribe_link("https://cc.shop.test", "dG9rZW4")
    sent = campaign_message(sender="news@shop.test",
                            recipient=Recipient("c-1", "ann@example.org", name="Ann"),
                            mail=RenderedMail("Spring sale", "Hello"), campaign_id="spring-26",
                            unsubscribe=link, domain="shop.test", now=1_777_890_600.0,
                            message_id="campaign.42@shop.test")
    for returned_type in ("text/rfc822-headers", "message/rfc822"):
        dsn = read_dsn(delivery_report([failed()], returned=sent.as_bytes(policy=policy.SMTP),
                                       returned_type=returned_type))
        assert dsn is not None
        assert (dsn.original_message_id, dsn.original_campaign) == ("campaign.42@shop.test",
                                                                    "spring-26")


def test_field_names_and_values_in_any_case_and_status_in_the_diagnostics() -> None:
    raw = delivery_report([{"FINAL-RECIPIENT": "RFC822; <Ann@Example.ORG>",
                            "action": "Failed (bad address)",
                            "diagnostic-code": "smtp; 550-5.1.1 The email account does not "
                                               "exist"}])
    shouting = raw.replace(b'report-type="delivery-status"', b"Report-Type=Delivery-Status")
    assert shouting != raw
    dsn = read_dsn(shouting)
    assert dsn is not None
    (r,) = dsn.recipients
    assert (r.final_recipient, r.action, r.status) == ("ann@example.org", "failed", "5.1.1")


def test_odd_but_seen_address_forms() -> None:
    raw = delivery_report([failed("<ann@example.org>"),
                           failed("rfc822; bob@example.org (Bob)"),
                           failed("utf-8; j\\x{F6}rg@example.org"),
                           failed("rfc822; not an address"),
                           {"Action": "failed", "Status": "5.1.1"}])
    dsn = read_dsn(raw)
    assert dsn is not None
    assert [r.final_recipient for r in dsn.recipients] == [
        "ann@example.org", "bob@example.org", "jörg@example.org", None, None]
    # a report naming nobody usable still tells which mail bounced
    assert dsn.original_message_id == "m1@example.org"
    assert [a for a, _ in dsn.bounces(at=0.0)] == ["ann@example.org", "bob@example.org",
                                                   "jörg@example.org"]


def test_missing_parts_leave_the_fields_empty() -> None:
    dsn = read_dsn(delivery_report([failed()], per_message={"X-Nothing": "here"},
                                   returned=b""))
    assert dsn is not None and len(dsn.recipients) == 1
    assert dsn == Dsn(recipients=dsn.recipients)   # no ids, no MTA


def test_per_message_fields_run_together_with_the_recipients() -> None:
    merged = POSTFIX_5_1_1.replace(b"(UTC)\r\n\r\nFinal-Recipient", b"(UTC)\r\nFinal-Recipient")
    assert merged != POSTFIX_5_1_1
    dsn = read_dsn(merged)
    assert dsn is not None
    assert (dsn.reporting_mta, dsn.original_envelope_id) == ("mx.shop.test", "spring-sale.c-1")
    assert [r.final_recipient for r in dsn.recipients] == ["nobody@example.org"]


def test_global_delivery_status_is_read_too() -> None:
    raw = delivery_report([failed("utf-8; j-rg@example.org")],
                          report_type="global-delivery-status")
    raw = raw.replace(b"j-rg", "jörg".encode())   # global reports carry UTF-8 as is
    dsn = read_dsn(raw)
    assert dsn is not None
    assert [(r.final_recipient, r.status) for r in dsn.recipients] == [
        ("jörg@example.org", "5.1.1")]
    assert dsn.reporting_mta == "mx.shop.test"


@pytest.mark.parametrize("raw", [
    customer_mail(),
    customer_mail(subject="Out of office", body="I am away until Monday.",
                  headers={"Auto-Submitted": "auto-replied"}),
    # a read receipt is a report too, but not about delivery
    delivery_report([{"Final-Recipient": "rfc822; ann@example.org",
                      "Disposition": "manual-action/MDN-sent-manually; displayed"}],
                    report_type="disposition-notification"),
    # a multipart/report without a delivery-status part
    delivery_report([failed()]).replace(b"message/delivery-status", b"text/plain"),
    # plain text "bounce" of an old mail server: nothing to read reliably
    customer_mail(subject="failure notice", sender="MAILER-DAEMON@example.net",
                  body="Sorry, I wasn't able to deliver your message.\n"
                       "<ann@example.org>:\n550 5.1.1 no mailbox here by that name"),
    UNPARSEABLE, b"", b"\r\n\r\n",
])
def test_what_is_not_a_delivery_report_gives_none(raw: bytes) -> None:
    assert read_dsn(raw) is None


def test_a_broken_report_gives_what_can_be_read() -> None:
    truncated = POSTFIX_5_1_1[:POSTFIX_5_1_1.index(b"Remote-MTA")]
    dsn = read_dsn(truncated)
    assert dsn is not None
    assert [(r.final_recipient, r.status) for r in dsn.recipients] == [
        ("nobody@example.org", "5.1.1")]
    assert dsn.original_message_id is None
    no_boundary = POSTFIX_5_1_1.replace(b'boundary="4B1C2A0E6F.1777890662/mx.shop.test"',
                                        b"")
    assert no_boundary != POSTFIX_5_1_1 and read_dsn(no_boundary) is None
    many = delivery_report([failed(f"rfc822; u{n}@example.org") for n in range(1100)])
    dsn = read_dsn(many)
    assert dsn is not None and len(dsn.recipients) == 1000


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_never_raise(raw: bytes) -> None:
    result = read_dsn(raw)
    assert result is None or isinstance(result, Dsn)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(POSTFIX_5_1_1)),
       st.integers(min_value=0, max_value=200), st.binary(max_size=40))
def test_damaged_reports_never_raise(at: int, cut: int, junk: bytes) -> None:
    for sample in (POSTFIX_5_1_1, EXIM_FAILED):
        result = read_dsn(sample[:at] + junk + sample[at + cut:])
        assert result is None or isinstance(result, Dsn)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["Final-Recipient", "Original-Recipient", "Action",
                                        "Status", "Diagnostic-Code", "Remote-MTA"]),
                       st.text(max_size=80)))
def test_hostile_field_values_never_raise(fields: dict[str, str]) -> None:
    text = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    raw = POSTFIX_5_1_1.replace(b"Final-Recipient: rfc822; Nobody@Example.org\r\n",
                                text.encode("utf-8", "surrogateescape"))
    result = read_dsn(raw)
    assert result is None or isinstance(result, Dsn)


# ------------------------------------------------------------------ suppression
def temporary(at: float, message_id: str | None = None) -> Bounce:
    return Bounce(at, BounceClass.TEMPORARY, message_id, "4.2.2")


def test_a_permanent_failure_suppresses_at_once() -> None:
    decision = suppression([temporary(0.0), Bounce(5 * DAY, BounceClass.PERMANENT,
                                                   status="5.1.1")])
    assert decision.suppress and decision.bounce_class is BounceClass.PERMANENT
    assert decision.at == 5 * DAY
    assert decision.reason == "permanent failure (5.1.1) on 1970-01-06 00:00 UTC"


def test_three_temporary_failures_within_seven_days_suppress() -> None:
    two = [temporary(0.0, "a"), temporary(3 * DAY, "b")]
    assert not suppression(two).suppress
    decision = suppression([*two, temporary(7 * DAY, "c")])
    assert decision.suppress and decision.bounce_class is BounceClass.TEMPORARY
    assert decision.at == 7 * DAY
    assert decision.reason.startswith("3 temporary failures within 7 days")


def test_temporary_failures_spread_wider_than_the_window_do_not() -> None:
    spread = [temporary(0.0), temporary(4 * DAY), temporary(7 * DAY + 1),
              temporary(12 * DAY)]
    assert not suppression(spread).suppress
    # ... until three fall within one window, in whatever order they are given
    decision = suppression([temporary(13 * DAY), *reversed(spread)])
    assert decision.suppress and decision.at == 13 * DAY


def test_reports_about_one_mail_count_once() -> None:
    same_mail = [temporary(0.0, "m1"), temporary(DAY, "m1"),
                 Bounce(2 * DAY, BounceClass.TEMPORARY, "m1", "4.4.7")]
    assert not suppression(same_mail).suppress
    assert suppression([*same_mail, temporary(3 * DAY, "m2"),
                        temporary(4 * DAY, "m3")]).suppress


def test_other_reports_never_suppress() -> None:
    history = [Bounce(n * 60.0, BounceClass.OTHER, f"m{n}") for n in range(20)]
    decision = suppression(history)
    assert not decision.suppress and decision.at is None


def test_settings_change_the_limit_and_window() -> None:
    history = [temporary(0.0), temporary(9 * DAY)]
    assert not suppression(history).suppress
    loose = SuppressionSettings(soft_bounce_limit=2, soft_bounce_days=10)
    assert suppression(history, loose).suppress
    assert suppression([temporary(0.0)], SuppressionSettings(soft_bounce_limit=1)).suppress


def test_settings_from_config() -> None:
    assert SuppressionSettings.from_mapping({}, "campaigns.bounces") == SuppressionSettings()
    assert SuppressionSettings.from_mapping(
        {"soft_bounce_limit": 5, "soft_bounce_days": 2.5}, "b") == SuppressionSettings(5, 2.5)
    for data, key in (({"soft_bounce_limit": 0}, "soft_bounce_limit"),
                      ({"soft_bounce_limit": "3"}, "soft_bounce_limit"),
                      ({"soft_bounce_days": 0}, "soft_bounce_days"),
                      ({"hard_bounce": 1}, "hard_bounce")):
        with pytest.raises(ConfigError) as e:
            SuppressionSettings.from_mapping(data, "campaigns.bounces")
        assert (e.value.where, e.value.key) == ("campaigns.bounces", key)
