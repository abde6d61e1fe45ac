"""The SIP websocket relay tells a registration Asterisk accepted from anything else."""

from __future__ import annotations

import pytest

from ccengine.api.phone import registration_accepted

OK = ("SIP/2.0 200 OK\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bK1\r\n"
      "Call-ID: abc\r\nCSeq: 2 REGISTER\r\n"
      "Contact: <sip:u@x.invalid;transport=ws>;expires=119\r\nExpires: 120\r\n"
      "Content-Length: 0\r\n\r\n")


@pytest.mark.parametrize(("frame", "accepted"), [
    (OK, True),
    (OK.replace("CSeq: 2 REGISTER", "CSeq: 2 INVITE"), False),
    (OK.replace("SIP/2.0 200 OK", "SIP/2.0 401 Unauthorized"), False),
    # the answer to an un-REGISTER keeps no contact
    (OK.replace("Contact: <sip:u@x.invalid;transport=ws>;expires=119\r\n", ""), False),
    (OK.replace("expires=119", "expires=0"), False),
    ("INVITE sip:u@x SIP/2.0\r\nCSeq: 1 REGISTER\r\nContact: <sip:a>;expires=9\r\n\r\n", False),
    (OK.replace("Contact:", "m:"), True),
])
def test_given_a_frame_from_asterisk_then_only_an_accepted_registration_counts(
        frame: str, accepted: bool) -> None:
    assert registration_accepted(frame) is accepted
