"""The email: config section: defaults, and errors naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.channels.email.config import Backoff, parse_email_config
from ccengine.core.errors import ConfigError
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig

QUEUES = {"sales": QueueConfig("sales", frozenset({Medium.EMAIL})),
          "phones": QueueConfig("phones", frozenset({Medium.VOICE}))}


def section(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "mailboxes": [{"address": "Sales@Shop.test", "queue": "sales",
                       "imap": {"host": "imap.shop.test", "user": "u", "password": "p"}}],
        "relay": {"host": "smtp.shop.test"}}
    doc.update(over)
    return doc


def test_given_minimal_section_then_defaults() -> None:
    c = parse_email_config(section(), "engine.yaml", QUEUES)
    assert c is not None
    box = c.mailboxes[0]
    assert (box.name, box.address, box.queue) == ("sales", "sales@shop.test", "sales")
    assert box.imap is not None and (box.imap.port, box.imap.tls, box.imap.folder) == (
        993, True, "INBOX")
    assert (c.relay.port, c.relay.security) == (587, "starttls")
    assert c.listener is None and c.auto_ack is None and c.domain == "shop.test"
    assert parse_email_config(None, "engine.yaml", QUEUES) is None
    assert parse_email_config({}, "engine.yaml", QUEUES) is None


@pytest.mark.parametrize(("doc", "key", "words"), [
    (section(mailboxes=[]), "email.mailboxes", "non-empty"),
    (section(mailboxes=[{"address": "a@b.test", "queue": "nope"}]),
     "email.mailboxes[0].queue", "no queue"),
    (section(mailboxes=[{"address": "a@b.test", "queue": "phones"}]),
     "email.mailboxes[0].queue", "does not take email"),
    (section(mailboxes=[{"address": "not-an-address", "queue": "sales"}]),
     "email.mailboxes[0].address", "not an email address"),
    (section(mailboxes=[{"address": "a@b.test", "queue": "sales",
                         "imap": {"host": "h", "password": "p"}}]),
     "email.mailboxes[0].imap.user", "required"),
    (section(mailboxes=[{"address": "a@b.test", "queue": "sales",
                         "imap": {"host": "h", "user": "u", "password": "p", "port": 0}}]),
     "email.mailboxes[0].imap.port", "from 1 to 65535"),
    (section(mailboxes=[{"address": "a@b.test", "queue": "sales"},
                        {"address": "A@b.test", "queue": "sales", "name": "other"}]),
     "email.mailboxes[1].address", "used twice"),
    (section(relay={"host": "h", "security": "ssl"}), "email.relay.security", "one of"),
    (section(relay={"host": "h", "user": "u"}), "email.relay.password", "go together"),
    ({"mailboxes": [{"address": "a@b.test", "queue": "sales"}]}, "email.relay", "required"),
    (section(listener={"port": "25"}), "email.listener.port", "whole number"),
    (section(auto_ack={"body": "{{ nope }}"}), "email.auto_ack.body", "may use"),
    (section(auto_ack={"body": "x", "subject": "{% for %}"}), "email.auto_ack.subject",
     "syntax"),
    (section(colour="blue"), "email.colour", "unknown key"),
    (section(send_retry={"first_seconds": 10, "max_seconds": 1}),
     "email.send_retry.max_seconds", "at least"),
])
def test_given_bad_section_then_config_error_names_the_key(doc: dict[str, Any], key: str,
                                                           words: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_email_config(doc, "engine.yaml", QUEUES)
    assert e.value.where == "engine.yaml"
    assert e.value.key == key
    assert words in e.value.message


def test_given_password_file_then_read(tmp_path: Any) -> None:
    secret = tmp_path / "imap.pw"
    secret.write_text("s3cret\n")
    doc = section(mailboxes=[{"address": "a@b.test", "queue": "sales", "imap": {
        "host": "h", "user": "u", "password_file": str(secret)}}])
    c = parse_email_config(doc, "engine.yaml", QUEUES)
    assert c is not None and c.mailboxes[0].imap is not None
    assert c.mailboxes[0].imap.password == "s3cret"


def test_backoff_doubles_up_to_the_maximum() -> None:
    b = Backoff(1.0, 10.0)
    assert [b.after(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 10.0]
