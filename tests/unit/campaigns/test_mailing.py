"""Campaign mail: sandboxed templates, signed unsubscribe tokens, and the message with its
RFC 8058 one-click unsubscribe headers."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccengine.campaigns.mailing import (
    MAX_TOKEN_CHARS,
    CampaignTemplates,
    HeaderError,
    Recipient,
    RenderedMail,
    RenderError,
    TemplateError,
    campaign_message,
    load_templates,
    read_unsubscribe_token,
    render,
    unsubscribe_link,
    unsubscribe_token,
)
from ccengine.channels.email.parse import parse_email

SECRET = b"0123456789abcdef-campaign-secret"
NOW = 1_777_890_600.0   # 2026-05-04 10:30 UTC
ANN = Recipient(customer_id="c-1", address="ann@example.org", name="Ann Smith",
                tier="key_account", attributes={"plan": "gold", "orders": [1234, 1250]})
URL = "https://cc.shop.test/u/token"


def templates(text: str = "Hello {{ name }}", subject: str = "Spring sale for {{ name }}",
              html: str | None = None) -> CampaignTemplates:
    return load_templates("campaigns.spring.email", subject=subject, text=text, html=html)


def rendered(text: str, recipient: Recipient = ANN, html: str | None = None) -> RenderedMail:
    return render(templates(text, html=html), recipient, campaign="Spring sale",
                  unsubscribe_url=URL)


def message(recipient: Recipient = ANN, mail: RenderedMail | None = None, **more: object
            ) -> EmailMessage:
    link = unsubscribe_link("https://cc.shop.test",
                            unsubscribe_token(SECRET, "c-1", "spring-26", "ann@example.org"),
                            "unsubscribe@shop.test")
    args: dict[str, object] = dict(
        sender="news@shop.test", sender_name="Shop News", recipient=recipient,
        mail=mail or RenderedMail("Spring sale", "Hello Ann\n"), campaign_id="spring-26",
        unsubscribe=link, domain="shop.test", now=NOW, message_id="campaign.1@shop.test")
    args.update(more)
    return campaign_message(**args)  # type: ignore[arg-type]


# ------------------------------------------------------------------ templates
def test_every_documented_value_is_available() -> None:
    mail = render(templates(
        "{{ name }}|{{ email }}|{{ tier }}|{{ attributes.plan }}|{{ attributes.orders|join(',') }}"
        "|{{ campaign }}|{{ unsubscribe_url }}|{{ attributes.missing | default('-') }}"),
        ANN, campaign="Spring sale", unsubscribe_url=URL)
    assert mail.subject == "Spring sale for Ann Smith"
    assert mail.text == ("Ann Smith|ann@example.org|key_account|gold|1234,1250|Spring sale|"
                         f"{URL}|-")
    assert mail.html is None


def test_customer_values_are_data_not_templates() -> None:
    hostile = Recipient("c-2", "eve@example.org", name="{{7*7}}<script>alert(1)</script>",
                        attributes={"plan": "{% for x in range(9) %}x{% endfor %}"})
    mail = rendered("Hi {{ name }} {{ attributes.plan }}", hostile,
                    html="<p>Hi {{ name }}</p><a href=\"{{ unsubscribe_url }}\">stop</a>")
    assert mail.text == "Hi {{7*7}}<script>alert(1)</script> " \
                        "{% for x in range(9) %}x{% endfor %}"
    assert mail.html == ("<p>Hi {{7*7}}&lt;script&gt;alert(1)&lt;/script&gt;</p>"
                         f'<a href="{URL}">stop</a>')


def test_customer_objects_are_reduced_to_plain_values() -> None:
    class Sneaky:
        def boom(self) -> str:
            return "ran"

        def __str__(self) -> str:
            return "sneaky"

    odd = Recipient("c-3", "bob@example.org", attributes={
        "o": Sneaky(), "n": float("nan"), 7: ("a", {"deep": Sneaky()})})
    assert rendered("{{ attributes.o }} {{ attributes.n }} {{ attributes['7'][1].deep }}",
                    odd).text == "sneaky nan sneaky"
    with pytest.raises(RenderError):
        rendered("{{ attributes.o.boom() }}", odd)


@pytest.mark.parametrize(("text", "line", "message"), [
    ("Hello\n{{ name }\nbye", 2, "unexpected '}'"),
    ("Hello\n\n{% if name %}\nno end", 3, "Unexpected end of template"),
    ("Hello\n{{ nickname }}", 2, "unknown name 'nickname'"),
    ("{{ name | shout }}", 1, "No filter named 'shout'"),
])
def test_template_errors_name_the_template_and_line(text: str, line: int, message: str
                                                    ) -> None:
    with pytest.raises(TemplateError) as e:
        templates(text)
    assert (e.value.name, e.value.line) == ("campaigns.spring.email.text", line)
    assert message in e.value.message
    assert str(e.value).startswith(f"campaigns.spring.email.text, line {line}: ")


def test_subject_and_html_errors_name_their_template() -> None:
    with pytest.raises(TemplateError) as e:
        templates(subject="Sale\n{{ name }")
    assert (e.value.name, e.value.line) == ("campaigns.spring.email.subject", 2)
    with pytest.raises(TemplateError) as e:
        templates(html="<p>\n\n{{ name.__dict__ }}</p>")
    assert (e.value.name, e.value.line) == ("campaigns.spring.email.html", 3)
    with pytest.raises(TemplateError, match="one line"):
        templates(subject="Sale\n{{ name }}")
    with pytest.raises(TemplateError, match="must be text"):
        templates(text=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("escape", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ name['__class__'] }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ self._TemplateReference__context }}",
    "{{ name | attr('__class__') }}",
    "{{ ('{0.__class__}' | attr('format'))(name) }}",
    "{{ attributes.update({'plan': 'free'}) }}",
    "{{ attributes.orders.append(1) }}",
    "{{ name.format_map({}) ~ '{0.__class__}'.format(name) }}",
    "{{ 'x' * 10 ** 9 }}",
    "{{ 9 ** 999999999 }}",
    "{% set l = [0] * 1000000 %}{{ l }}",
    "{% set ns = namespace(n=2 ** 99) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}"
    "{% endfor %}{{ ns.n }}",
])
def test_sandbox_escapes_are_refused(escape: str) -> None:
    """At load when the sample customer reaches them, else when rendering."""
    with pytest.raises(TemplateError, match="not allowed in a template") as e:
        render(templates("Dear customer,\n" + escape), ANN, campaign="c", unsubscribe_url=URL)
    assert e.value.line == 2


def test_a_customer_lacking_what_the_template_needs_fails_alone() -> None:
    t = templates("Your plan:\n{{ attributes.plan }}")
    assert render(t, ANN, campaign="c", unsubscribe_url=URL).text == "Your plan:\ngold"
    with pytest.raises(RenderError) as e:
        render(t, Recipient("c-4", "x@example.org"), campaign="c", unsubscribe_url=URL)
    assert (e.value.name, e.value.line) == ("campaigns.spring.email.text", 2)
    assert "plan" in e.value.message


def test_a_line_break_from_the_customer_never_reaches_the_subject() -> None:
    evil = Recipient("c-5", "eve@example.org", name="Eve\r\nBcc: all@example.org")
    with pytest.raises(RenderError, match="one line") as e:
        render(templates(), evil, campaign="c", unsubscribe_url=URL)
    assert e.value.name == "campaigns.spring.email.subject"


# ------------------------------------------------------------------ unsubscribe tokens
def test_token_round_trip() -> None:
    token = unsubscribe_token(SECRET, "6f1c2b9e-4000-8000-0000-000000000001", "spring-26",
                              " Ann.Smith+news@Example.org ")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token) and len(token) < 200
    assert read_unsubscribe_token(SECRET, token) == (
        "6f1c2b9e-4000-8000-0000-000000000001", "spring-26", "ann.smith+news@example.org")
    assert unsubscribe_token(SECRET, "c-1", "s", "a@b.example") != \
        unsubscribe_token(SECRET, "c-1", "t", "a@b.example")


def test_any_change_to_a_token_is_refused() -> None:
    token = unsubscribe_token(SECRET, "c-1", "spring-26", "ann@example.org")
    for n in range(len(token)):
        for c in {"A", "B", "_"} - {token[n]}:
            assert read_unsubscribe_token(SECRET, token[:n] + c + token[n + 1:]) is None
    assert read_unsubscribe_token(SECRET, token[:-1]) is None
    assert read_unsubscribe_token(SECRET, token + "A") is None
    assert read_unsubscribe_token(b"another-secret-of-32-bytes......", token) is None


@pytest.mark.parametrize("garbage", [
    "", "!!!", "a b", "A" * (MAX_TOKEN_CHARS + 1), "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAA",
    None, 42, b"bytes",
])
def test_garbage_tokens_are_refused(garbage: object) -> None:
    assert read_unsubscribe_token(SECRET, garbage) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij0123456789-_",
                                       max_size=300))
def test_made_up_tokens_never_raise_and_never_pass(token: str) -> None:
    assert read_unsubscribe_token(SECRET, token) is None


def test_tokens_need_a_real_secret_and_fitting_values() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        unsubscribe_token(b"short", "c-1", "s", "a@b.example")
    with pytest.raises(ValueError, match="16 bytes"):
        read_unsubscribe_token("a text secret of enough length", "x")  # type: ignore[arg-type]
    for customer, campaign, address in (("", "s", "a@b.example"), ("c\x00", "s", "a@b.example"),
                                        ("c", "s" * 101, "a@b.example"), ("c", "s", "nobody")):
        with pytest.raises(ValueError):
            unsubscribe_token(SECRET, customer, campaign, address)


def test_unsubscribe_link() -> None:
    link = unsubscribe_link("https://cc.shop.test/", "dG9r", "Unsubscribe@Shop.test")
    assert link.url == "https://cc.shop.test/u/dG9r"
    assert link.mailto == "mailto:unsubscribe@shop.test?subject=unsubscribe%20dG9r"
    assert unsubscribe_link("https://cc.shop.test/public", "dG9r").mailto is None
    for base in ("http://cc.shop.test", "https://cc.shop.test/a b", "https://x/<a>",
                 "https://x/a,b", "javascript:alert(1)", 'https://x/"'):
        with pytest.raises(ValueError, match="https://"):
            unsubscribe_link(base, "dG9r")
    for bad in ("bad token", "dG9r\r\n"):
        with pytest.raises(ValueError, match="token"):
            unsubscribe_link("https://cc.shop.test", bad)
    with pytest.raises(ValueError, match="unsubscribe address"):
        unsubscribe_link("https://cc.shop.test", "dG9r", "a@b.example?cc=all@example.org")


# ------------------------------------------------------------------ the message
def test_message_headers_and_body() -> None:
    msg = message(mail=rendered("Hello {{ name }}\n", html="<p>Hello {{ name }}</p>"))
    assert msg["From"] == "Shop News <news@shop.test>"
    assert msg["To"] == "Ann Smith <ann@example.org>"
    assert msg["Subject"] == "Spring sale for Ann Smith"
    assert msg["Date"] == "Mon, 04 May 2026 10:30:00 +0000"
    assert msg["Message-ID"] == "<campaign.1@shop.test>"
    assert msg["X-CCEngine-Campaign"] == "spring-26"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content() == "Hello Ann Smith\n"  # type: ignore[union-attr]
    assert msg.get_body(("html",)).get_content() == "<p>Hello Ann Smith</p>\n"  # type: ignore[union-attr]
    text_only = message()
    assert text_only.get_content_type() == "text/plain" and text_only["Reply-To"] is None
    assert message(reply_to="replies@shop.test")["Reply-To"] == "replies@shop.test"


def test_rfc_8058_one_click_headers() -> None:
    raw = message().as_bytes(policy=policy.SMTP)
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    # exactly one List-Unsubscribe-Post, with exactly the RFC's value
    assert [h for h in head.split("\r\n") if h.lower().startswith("list-unsubscribe-post")] == [
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert len(parsed.get_all("List-Unsubscribe") or []) == 1
    uris = re.findall(r"<([^<>]*)>", str(parsed["List-Unsubscribe"]))
    https = [u for u in uris if u.startswith("https://")]
    assert len(https) == 1 and len(uris) == 2
    token = https[0].rsplit("/u/", 1)[1]
    assert read_unsubscribe_token(SECRET, token) == ("c-1", "spring-26", "ann@example.org")
    assert uris[1] == f"mailto:unsubscribe@shop.test?subject=unsubscribe%20{token}"
    # written as is (no RFC 2047 encoding of a long URL) and folded only between the URIs
    assert f"List-Unsubscribe: <{https[0]}>,\r\n <{uris[1]}>\r\n" in head + "\r\n"
    assert "=?" not in head


def test_a_long_base_url_is_not_encoded() -> None:
    base = "https://campaigns.example.org/" + "very-long-path/" * 8
    link = unsubscribe_link(base, unsubscribe_token(SECRET, "c" * 100, "s" * 100,
                                                    "a" * 64 + "@example.org"))
    raw = message(unsubscribe=link).as_bytes(policy=policy.SMTP)
    assert f"List-Unsubscribe: <{link.url}>\r\n".encode() in raw
    assert b"=?" not in raw.split(b"\r\n\r\n", 1)[0]


def test_the_engine_reads_back_what_it_sent() -> None:
    name = 'Smith, "Ann" <boss@example.org> Jörg'
    raw = message(recipient=Recipient("c-1", "ann@example.org", name=name),
                  mail=RenderedMail("Ünïcode sale ✓", "Hällo\n")).as_bytes(policy=policy.SMTP)
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["To"].addresses[0].display_name == name
    assert parsed["To"].addresses[0].addr_spec == "ann@example.org"
    reply_view = parse_email(raw)
    assert reply_view.message_id == "campaign.1@shop.test"
    assert reply_view.subject == "Ünïcode sale ✓" and reply_view.body == "Hällo"


def test_message_id_is_made_up_under_the_domain_when_not_given() -> None:
    ids = {message(message_id=None)["Message-ID"] for _ in range(20)}
    assert len(ids) == 20
    assert all(re.fullmatch(r"<campaign\.[0-9a-f]{32}@shop\.test>", i) for i in ids)


@pytest.mark.parametrize("change", [
    {"recipient": Recipient("c-1", "ann@example.org", name="Ann\r\nBcc: all@example.org")},
    {"recipient": Recipient("c-1", "ann@example.org", name="Ann\nX-Evil: 1")},
    {"recipient": Recipient("c-1", "ann@example.org", name="Ann\u2028X-Evil: 1")},
    {"recipient": Recipient("c-1", "ann@example.org\r\nBcc: all@example.org")},
    {"recipient": Recipient("c-1", "ann@example.org, all@example.org")},
    {"mail": RenderedMail("Sale\r\nBcc: all@example.org", "x")},
    {"mail": RenderedMail("Sale\x00", "x")},
    {"sender_name": "News\rBcc: all@example.org"},
    {"sender": "news@shop.test\nBcc: all@example.org"},
    {"reply_to": "replies@shop.test\r\nBcc: all@example.org"},
    {"campaign_id": "spring\r\nBcc: all@example.org"},
    {"campaign_id": "spring sale"},
    {"message_id": "<campaign.1@shop.test>"},
    {"message_id": "x@y\r\nBcc: all@example.org"},
    {"domain": "shop.test\r\nBcc: all@example.org"},
])
def test_header_injection_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(HeaderError):
        message(**change)
