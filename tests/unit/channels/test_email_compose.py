"""Replies and acknowledgements: threading headers, subjects, sandboxed templates."""

from __future__ import annotations

import pytest

from ccengine.channels.email.compose import (
    Original,
    TemplateError,
    ack_message_id,
    check_template,
    compose,
    render_template,
    reply_subject,
)
from ccengine.channels.email.parse import parse_email


def test_given_original_then_reply_is_threaded_with_our_message_id() -> None:
    out = compose(original=Original("m2@x", ["m0@x", "m1@x"], "Order", "ann@example.org"),
                  sender="sales@shop.test", sender_name="Shop", body="Hello", domain="shop.test")
    parsed = parse_email(out.raw)
    assert parsed.in_reply_to == ("m2@x",)
    assert parsed.references == ("m0@x", "m1@x", "m2@x")
    assert parsed.subject == "Re: Order" and parsed.body == "Hello"
    assert parsed.message_id == out.message_id and out.message_id.endswith("@shop.test")
    assert parsed.sender == "sales@shop.test" and out.recipients == ("ann@example.org",)
    assert b"\r\n" in out.raw and parsed.automatic is False


def test_given_original_without_message_id_then_no_threading_headers() -> None:
    out = compose(original=Original(None, [], "x", "a@b.example"), sender="s@shop.test",
                  sender_name=None, body="b", domain="shop.test", automatic=True)
    parsed = parse_email(out.raw)
    assert parsed.in_reply_to == () and parsed.references == ()
    assert parsed.automatic is True


def test_given_long_chain_then_references_keep_the_latest_twenty() -> None:
    refs = [f"r{i}@x" for i in range(30)]
    parsed = parse_email(compose(original=Original("last@x", refs, "s", "a@b.example"),
                                 sender="s@shop.test", sender_name=None, body="b",
                                 domain="shop.test").raw)
    assert len(parsed.references) == 20 and parsed.references[-1] == "last@x"


@pytest.mark.parametrize(("subject", "expected"), [
    ("Order", "Re: Order"), ("Re: Order", "Re: Order"), ("RE:Order", "RE:Order"),
    ("AW: Bestellung", "AW: Bestellung"), ("", "Re:"), (None, "Re:")])
def test_reply_subject(subject: str | None, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_given_templates_then_sandboxed_and_strict() -> None:
    assert render_template("Hi {{ sender_name }}", {"sender_name": "Ann"}) == "Hi Ann"
    check_template("{{ subject | upper }} {{ interaction_id }}")
    with pytest.raises(TemplateError, match="may use"):
        check_template("{{ password }}")
    with pytest.raises(TemplateError, match="syntax"):
        check_template("{% if %}")
    with pytest.raises(TemplateError, match="not allowed"):
        check_template("{{ subject.__class__.__mro__ }}")


def test_ack_message_id_is_stable_per_inbound_message() -> None:
    assert ack_message_id("m1@x", "shop.test") == ack_message_id("m1@x", "shop.test")
    assert ack_message_id("m1@x", "shop.test") != ack_message_id("m2@x", "shop.test")
