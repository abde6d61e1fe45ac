"""At a restart, which legs the stopped engine rang and nobody answered are hung up: an
agent's offer leg (its id picked by Asterisk) by its phone's name and a state before
answer, the engine's other legs by their ids."""

from __future__ import annotations

from ccengine.telephony.recovery import rung_legs


def leg(name: str, state: str) -> dict[str, str]:
    return {"name": name, "state": state}


def test_given_a_withdrawn_offer_then_only_that_agents_unanswered_legs_are_hung_up() -> None:
    channels = {
        "1733.1": leg("PJSIP/b001-00000001", "Ringing"),   # b001's offer, ringing
        "1733.2": leg("PJSIP/b001-00000002", "Down"),      # b001's offer, not ringing yet
        "1733.3": leg("PJSIP/b001-00000003", "Up"),        # b001 talking (kept elsewhere)
        "1733.4": leg("PJSIP/b001-00000004", "Ring"),      # b001's phone calling in
        "1733.5": leg("PJSIP/b0010-00000005", "Ringing"),  # another agent, b0010
        "1733.6": leg("PJSIP/b002-00000006", "Ringing"),   # b002: no offer withdrawn
        "1733.7": leg("PJSIP/b001-00000007", "Ringing"),   # a kept call's
        "xfer-1": leg("PJSIP/ext-00000008", "Ringing"),    # the engine's own ids
        "agent-9": leg("PJSIP/b003-00000009", "Ringing"),  # an older engine's offer leg
        "caller-1": leg("PJSIP/anonymous-0000000a", "Up"),
    }
    assert rung_legs(channels, {"1733.7"}, {"b001"}) == [
        "1733.1", "1733.2", "xfer-1", "agent-9"]
    assert rung_legs(channels, set(), set()) == ["xfer-1", "agent-9"]
