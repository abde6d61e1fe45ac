"""A campaign's definition (ccengine/campaigns/spec.py): defaults, and every mistake named
by its key, including names of queues, templates and trunks that do not exist."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.campaigns.spec import BadCampaign, Dialer, Step, parse_spec

KNOWN = {"queues": ["sales", "support"], "templates": ["spring"], "trunks": ["carrier"]}
GOOD: dict[str, Any] = {
    "name": "spring-2027", "queue": "sales",
    "steps": [{"channel": "email", "template": "spring"},
              {"channel": "phone", "after_hours": 72, "attempts": 3, "retry_minutes": 120}]}


def test_given_email_then_calls_then_checked_with_defaults() -> None:
    spec = parse_spec(GOOD, **KNOWN)
    assert spec.steps == (Step("email", 0.0, template="spring"),
                          Step("phone", 72.0, attempts=3, retry_minutes=120.0))
    assert (spec.purpose, spec.cap_contacts, spec.cap_days, spec.dialer, spec.trunk) == (
        "marketing", 3, 7.0, Dialer(), None)
    assert spec.to_dict()["steps"][0] == {"channel": "email", "after_hours": 0.0,
                                          "template": "spring", "attempts": 3,
                                          "retry_minutes": 60.0}


@pytest.mark.parametrize(("change", "key", "words"), [
    ({"name": "Spring Sale"}, "name", "lower-case"),
    ({"queue": "billing"}, "queue", "no queue 'billing' (known: sales, support)"),
    ({"colour": "red"}, "colour", "unknown key"),
    ({"steps": []}, "steps", "1 to 10 steps"),
    ({"steps": [{"channel": "fax"}]}, "steps[0].channel", "email, phone"),
    ({"steps": [{"channel": "email", "template": "autumn"}]}, "steps[0].template",
     "no template 'autumn'"),
    ({"steps": [{"channel": "email"}]}, "steps[0].template", "is required"),
    ({"steps": [{"channel": "phone", "attempts": 0}]}, "steps[0].attempts", "1 to 10"),
    ({"steps": [{"channel": "phone", "template": "spring"}]}, "steps[0].template",
     "for email steps"),
    ({"steps": [{"channel": "email", "template": "spring", "attempts": 2}]},
     "steps[0].attempts", "for phone steps"),
    ({"steps": [{"channel": "phone", "after_hours": -1}]}, "steps[0].after_hours",
     "from 0"),
    ({"trunk": "other"}, "trunk", "no trunk 'other'"),
    ({"dialer": {"mode": "blast"}}, "dialer.mode", "preview, progressive, predictive"),
    ({"dialer": {"ring_seconds": 10}}, "dialer.ring_seconds", "from 15"),
    ({"dialer": {"abandon_limit": 0.5}}, "dialer.abandon_limit", "from 0 to 0.1"),
    ({"frequency_cap": {"contacts": 0}}, "frequency_cap.contacts", "from 1"),
    ({"frequency_cap": "often"}, "frequency_cap", "must be an object"),
    ({"dispositions": ["Sale"]}, "dispositions", "done, do_not_call, callback, retry"),
    ({"dispositions": {"Sale": "celebrate"}}, "dispositions.Sale",
     "must be one of done, do_not_call, callback, retry"),
    ({"dispositions": {"": "done"}}, "dispositions", "1-100 characters"),
])
def test_given_mistake_then_refused_naming_the_key(change: dict[str, Any], key: str,
                                                    words: str) -> None:
    with pytest.raises(BadCampaign) as refused:
        parse_spec({**GOOD, **change}, **KNOWN)
    assert refused.value.key == key
    assert words in str(refused.value)


def test_given_phone_step_without_any_trunk_then_refused() -> None:
    with pytest.raises(BadCampaign, match="trunk: a phone step needs a trunk"):
        parse_spec(GOOD, queues=["sales"], templates=["spring"], trunks=[])
    email_only = {**GOOD, "steps": GOOD["steps"][:1]}
    assert parse_spec(email_only, queues=["sales"], templates=["spring"], trunks=[])


def test_given_not_an_object_then_refused() -> None:
    with pytest.raises(BadCampaign, match=r"\(campaign\): must be an object"):
        parse_spec(["x"], **KNOWN)


def test_given_dispositions_then_each_must_be_one_the_queue_offers() -> None:
    lists = {"sales": ["Sale", "Do not call"], "support": None}
    mapped = {**GOOD, "dispositions": {"Sale": "done", "Do not call": "do_not_call"}}
    spec = parse_spec(mapped, **KNOWN, dispositions=lists.get)
    assert spec.to_dict()["dispositions"] == {"Sale": "done", "Do not call": "do_not_call"}
    with pytest.raises(BadCampaign) as refused:
        parse_spec({**GOOD, "dispositions": {"Call back later": "callback"}}, **KNOWN,
                   dispositions=lists.get)
    assert refused.value.key == "dispositions.Call back later"
    assert "not a disposition of the campaign's queue (known: Sale, Do not call)" in str(
        refused.value)
    # a queue without a list takes any short text
    free = parse_spec({**GOOD, "queue": "support",
                       "dispositions": {"Call back later": "callback"}}, **KNOWN,
                      dispositions=lists.get)
    assert free.dispositions == {"Call back later": "callback"}
    assert parse_spec(GOOD, **KNOWN).to_dict()["dispositions"] == {}


def test_given_predictive_then_it_needs_the_abandon_message_and_a_queue_taking_calls(
        ) -> None:
    predictive = {**GOOD, "dialer": {"mode": "predictive"}}
    with pytest.raises(BadCampaign) as refused:
        parse_spec(predictive, **KNOWN, abandon_message=False)
    assert refused.value.key == "dialer.mode"
    assert "needs campaigns.abandon_message" in str(refused.value)
    # its answered calls wait in the queue as calls: the queue must take voice (not
    # callbacks: nobody rings an agent first)
    with pytest.raises(BadCampaign, match="queue 'sales' takes no calls"):
        parse_spec(predictive, **KNOWN, call_queues=["sales"], voice_queues=["support"])
    spec = parse_spec(predictive, **KNOWN, call_queues=[], voice_queues=["sales"])
    assert spec.dialer.mode == "predictive"
