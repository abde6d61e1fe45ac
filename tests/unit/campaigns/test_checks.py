"""Whether a campaign may contact a customer (ccengine/campaigns/checks.py): a withdrawal
always wins, marketing needs an opt-in where the channel requires one, the do-not-call list
stops marketing calls (not service), bounced addresses get no mail, and the frequency cap
holds the contact for later rather than ending it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ccengine.campaigns.checks import ContactFacts, Verdict, may_contact

MAIL = ContactFacts("email", "marketing", "granted", "jane@example.org")
CALL = ContactFacts("phone", "marketing", None, "+447700900123")


@pytest.mark.parametrize(("facts", "opt_in", "verdict"), [
    (MAIL, True, Verdict(True, "allowed")),
    (replace(MAIL, consent=None), True, Verdict(False, "no opt-in to marketing email", True)),
    (replace(MAIL, consent=None), False, Verdict(True, "allowed")),
    (replace(MAIL, consent="withdrawn"), False,
     Verdict(False, "marketing email consent withdrawn", True)),
    (replace(MAIL, suppressed=True), True,
     Verdict(False, "the address is suppressed (bounces)", True)),
    (replace(MAIL, address=None), True, Verdict(False, "no address", True)),
    (replace(MAIL, recent_contacts=3), True,
     Verdict(False, "frequency cap: 3 contacts already", False)),
    (CALL, False, Verdict(True, "allowed")),
    (replace(CALL, on_do_not_call=True), False,
     Verdict(False, "on the do-not-call list", True)),
    (replace(CALL, on_do_not_call=True, purpose="service"), False, Verdict(True, "allowed")),
    (replace(CALL, purpose="service", consent="withdrawn"), False,
     Verdict(False, "service phone consent withdrawn", True)),
    (replace(CALL, address=""), False, Verdict(False, "no number", True)),
    # an abandoned call locks the number out (service calls too), until the given time
    (replace(CALL, locked_until=1796040000.0, purpose="service"), False,
     Verdict(False, "a call to the number was abandoned: locked out until 2026-11-30 "
                    "12:00 UTC", False, retry_at=1796040000.0)),
    (replace(CALL, locked_until=1796040000.0, on_do_not_call=True), False,
     Verdict(False, "on the do-not-call list", True)),
])
def test_given_facts_then_verdict(facts: ContactFacts, opt_in: bool,
                                  verdict: Verdict) -> None:
    assert may_contact(facts, require_opt_in=opt_in) == verdict
