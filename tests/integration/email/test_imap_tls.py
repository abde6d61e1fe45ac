"""A mailbox over IMAPS (implicit TLS): a self-signed server certificate is refused unless
verification is turned off for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.ports import free_port
from tests.integration.email.conftest import (
    MAIL_PASSWORD,
    MAIL_USER,
    RigFactory,
    email_section,
    eventually,
)
from tests.mail.dovecot import Dovecot
from tests.mail.messages import customer_mail


@pytest.fixture
async def tls_server() -> AsyncIterator[Dovecot]:
    server = Dovecot(free_port(), {MAIL_USER: MAIL_PASSWORD}, tls=True)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


def tls_section(port: int, relay: int, verify: bool) -> dict:
    section = email_section(port, relay)
    section["mailboxes"][0]["imap"].update(tls=True, verify_tls=verify)
    return section


async def test_given_imaps_with_verification_off_then_mail_ingested(
        make_rig: RigFactory, tls_server: Dovecot) -> None:
    rig = await make_rig(tls_section(tls_server.port, free_port(), False))
    poller = rig.channel.pollers[0]
    await eventually(poller.connected.is_set, what="an IMAPS session")
    await appended_over_tls(tls_server)
    stored = await eventually(rig.inbound, what="mail read over IMAPS")
    assert stored[0]["external_id"] == "m1@example.org"


async def appended_over_tls(server: Dovecot) -> None:
    import ssl

    import aioimaplib
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    client = aioimaplib.IMAP4_SSL(host="127.0.0.1", port=server.port, timeout=10,
                                  ssl_context=context)
    await client.wait_hello_from_server()
    assert (await client.login(MAIL_USER, MAIL_PASSWORD)).result == "OK"
    assert (await client.append(customer_mail(), mailbox="INBOX")).result == "OK"
    await client.logout()


async def test_given_imaps_self_signed_and_verification_on_then_refused_and_retried(
        make_rig: RigFactory, tls_server: Dovecot) -> None:
    rig = await make_rig(tls_section(tls_server.port, free_port(), True))
    poller = rig.channel.pollers[0]
    await eventually(lambda: poller.last_error and "CERTIFICATE_VERIFY_FAILED"
                     in poller.last_error, what="the certificate refused")
    assert not poller.connected.is_set() and poller.sessions == 0
