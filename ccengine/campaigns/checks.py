"""Whether a campaign may contact a customer now (docs/campaigns.md, "Checks before every
contact"). Pure: the runner gathers the facts when a step is scheduled and again just
before each send or dial (a predictive call: just before the dial), and this decides,
with the reason in words when it may not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class ContactFacts:
    channel: str                   # email | phone
    purpose: str                   # marketing | service
    consent: str | None            # granted | withdrawn | None (never stated)
    address: str | None            # the email address or the E.164 number to use
    on_do_not_call: bool = False   # phone: the number is on the list
    suppressed: bool = False       # email: the address is suppressed (bounces)
    recent_contacts: int = 0       # campaign contacts within the cap's days
    cap_contacts: int = 3
    locked_until: float | None = None   # phone: a call to the number was abandoned; not
                                        # called again before this time


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str                    # why not (or "allowed")
    final: bool = False            # never on this channel: the target ends (opted out,
                                   # no address); else it may be tried later (the cap)
    retry_at: float | None = None  # when to try again (else the runner's default)


def may_contact(facts: ContactFacts, *, require_opt_in: bool) -> Verdict:
    """Consent first (a withdrawal always wins; marketing on a channel that needs opt-in
    needs a grant), then the do-not-call list (marketing calls only), the suppressed
    addresses, and the frequency cap."""
    if not facts.address:
        return Verdict(False, f"no {'address' if facts.channel == 'email' else 'number'}",
                       final=True)
    if facts.consent == "withdrawn":
        return Verdict(False, f"{facts.purpose} {facts.channel} consent withdrawn",
                       final=True)
    if facts.purpose == "marketing" and require_opt_in and facts.consent != "granted":
        return Verdict(False, f"no opt-in to marketing {facts.channel}", final=True)
    if facts.channel == "phone" and facts.purpose == "marketing" and facts.on_do_not_call:
        return Verdict(False, "on the do-not-call list", final=True)
    if facts.channel == "email" and facts.suppressed:
        return Verdict(False, "the address is suppressed (bounces)", final=True)
    if facts.channel == "phone" and facts.locked_until is not None:
        return Verdict(False, "a call to the number was abandoned: locked out until "
                              f"{_when(facts.locked_until)}", retry_at=facts.locked_until)
    if facts.recent_contacts >= facts.cap_contacts:
        return Verdict(False, f"frequency cap: {facts.recent_contacts} contacts already")
    return Verdict(True, "allowed")


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
