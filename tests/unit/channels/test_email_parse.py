"""Parsing inbound mail: ids for idempotency and threading, sender, text, and the reason
kept for mail the engine cannot use."""

from __future__ import annotations

from ccengine.channels.email.parse import html_to_text, msg_ids, parse_email, synthetic_id
from tests.mail.messages import UNPARSEABLE, customer_mail


def test_given_a_reply_then_ids_sender_and_text_are_read() -> None:
    p = parse_email(customer_mail(in_reply_to="<b@y>", references="<a@x> <b@y>",
                                  sender='"Smith, Ann" <Ann@Example.ORG>'))
    assert p.problem is None
    assert (p.external_id, p.message_id) == ("m1@example.org", "m1@example.org")
    assert p.in_reply_to == ("b@y",) and p.references == ("a@x", "b@y")
    assert p.thread_ids == ("b@y", "a@x")
    assert (p.sender, p.sender_name) == ("ann@example.org", "Smith, Ann")
    assert p.subject == "My order" and p.body == "Where is my order 1234?"
    assert p.to == ("sales@shop.test",) and p.automatic is False


def test_given_no_message_id_then_synthetic_id_is_stable_across_relay_trace_headers() -> None:
    raw = customer_mail(message_id=None)
    relayed = b"Received: from mx.example (mx [192.0.2.1])\r\n\tby us; Mon, 4 May 2026\r\n" \
              b"Return-Path: <ann@example.org>\r\n" + raw
    assert parse_email(raw).external_id.startswith("sha256:")
    assert parse_email(raw).external_id == parse_email(relayed).external_id
    assert synthetic_id(raw) != synthetic_id(raw.replace(b"1234", b"1235"))


def test_given_garbage_then_kept_with_a_reason_not_an_exception() -> None:
    p = parse_email(UNPARSEABLE)
    assert p.problem is not None and "no mail headers" in p.problem
    assert p.external_id.startswith("sha256:") and p.sender is None
    no_sender = parse_email(customer_mail(sender="not an address"))
    assert no_sender.problem is not None and "sender" in no_sender.problem


def test_given_html_only_mail_then_plain_text_without_scripts() -> None:
    raw = (b"From: a@b.example\r\nSubject: x\r\nMessage-ID: <h@b>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>Hello&amp;bye</p><script>alert(1)</script><div>Line 2</div>\r\n")
    p = parse_email(raw)
    assert p.problem is None
    assert p.body == "Hello&bye\nLine 2"
    assert html_to_text("<style>p{}</style>x") == "x"


def test_given_automatic_or_bulk_mail_then_marked_automatic() -> None:
    for headers in ({"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}):
        assert parse_email(customer_mail(headers=headers)).automatic is True


def test_given_attachment_and_undecodable_text_then_listed_and_cleaned() -> None:
    raw = (b"From: a@b.example\r\nMessage-ID: <att@b>\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\n'
           b"Content-Type: text/plain; charset=x-unknown-charset\r\n\r\nabc\x00\xff\r\n"
           b"--XX\r\nContent-Type: application/pdf\r\n"
           b'Content-Disposition: attachment; filename="a.pdf"\r\n'
           b"Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--XX--\r\n")
    p = parse_email(raw)
    assert p.problem is None
    assert "\x00" not in p.body and p.body.startswith("abc")
    assert p.attachments == ({"filename": "a.pdf", "content_type": "application/pdf",
                              "size": 3},)


def test_msg_ids_reads_bracketed_ids_only() -> None:
    assert msg_ids("<a@b> junk <c@d>") == ("a@b", "c@d")
    assert msg_ids(None) == () and msg_ids("no ids") == ()
