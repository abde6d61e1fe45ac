"""Parsing of transfer/conference request bodies (pure)."""

from __future__ import annotations

import pytest

from ccengine.telephony.transfers import BadTarget, Target, parse_transfer_body


@pytest.mark.parametrize(("body", "target", "mode"), [
    ({"to": {"agent": "bob"}}, Target(agent="bob"), "blind"),
    ({"to": {"queue": "support"}, "mode": "blind"}, Target(queue="support"), "blind"),
    ({"to": {"number": "+441632960123"}, "mode": "attended"},
     Target(number="+441632960123"), "attended"),
])
def test_given_valid_body_when_parsed_then_target_and_mode(body, target, mode) -> None:  # type: ignore[no-untyped-def]
    assert parse_transfer_body(body) == (target, mode)


@pytest.mark.parametrize(("body", "says"), [
    ({}, '"to" must be one of'),
    ({"to": "bob"}, '"to" must be one of'),
    ({"to": {"agent": "bob", "queue": "sales"}}, '"to" must be one of'),
    ({"to": {"team": "x"}}, "unknown target kind 'team'"),
    ({"to": {"agent": ""}}, "agent must be a non-empty string"),
    ({"to": {"queue": 7}}, "queue must be a non-empty string"),
    ({"to": {"number": "12ab"}}, "is not a phone number"),
    ({"to": {"number": "+"}}, "is not a phone number"),
    ({"to": {"agent": "bob"}, "mode": "warm"}, "mode must be one of blind, attended"),
])
def test_given_bad_body_when_parsed_then_bad_target_says_why(body, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadTarget, match=None) as e:
        parse_transfer_body(body)
    assert says in str(e.value)
    assert e.value.code == "bad_target"


def test_given_target_when_viewed_then_only_its_kind() -> None:
    assert Target(queue="sales").to_dict() == {"queue": "sales"}
