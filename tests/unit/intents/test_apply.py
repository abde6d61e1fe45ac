"""What an intent does to arriving work (ccengine/intents/apply.py)."""

from __future__ import annotations

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.intents.apply import INTENT, apply_intent
from ccengine.intents.model import Classification
from ccengine.intents.settings import IntentDefinition, IntentRoute, IntentSettings

QUEUES = {"sales": QueueConfig("sales", frozenset({Medium.EMAIL, Medium.CHAT})),
          "billing": QueueConfig("billing", frozenset({Medium.EMAIL}), sl_seconds=60),
          "phones": QueueConfig("phones", frozenset({Medium.VOICE}))}
SETTINGS = IntentSettings(definitions=(
    IntentDefinition("billing", ("a",), IntentRoute(queue="billing")),
    IntentDefinition("refund", ("a",), IntentRoute(skills={"refunds": 2})),
    IntentDefinition("delivery", ("a",), IntentRoute(queue="phones")),
    IntentDefinition("other", ("a",))))


def work(medium: Medium = Medium.EMAIL) -> Interaction:
    return Interaction("w", medium, queue="sales", required_skills={"sales": 1})


def test_given_confident_intent_with_a_queue_then_moved_there_and_recorded() -> None:
    i = work()
    apply_intent(i, Classification("billing", 0.91234), SETTINGS, QUEUES, at=5.0)
    assert (i.queue, i.sl_target_seconds) == ("billing", 60)
    assert i.attributes[INTENT] == {"name": "billing", "confidence": 0.912}
    assert [(e.kind, e.data) for e in i.events] == [
        ("classified", {"intent": "billing", "confidence": 0.912, "queue": "billing"})]


def test_given_intent_with_skills_then_required_and_the_queue_kept() -> None:
    i = work()
    apply_intent(i, Classification("refund", 0.8), SETTINGS, QUEUES, at=5.0)
    assert (i.queue, i.required_skills) == ("sales", {"sales": 1, "refunds": 2})


def test_given_route_to_a_queue_without_the_medium_or_no_route_then_only_kept() -> None:
    for intent in ("delivery", "other"):
        i = work()
        apply_intent(i, Classification(intent, 0.8), SETTINGS, QUEUES, at=5.0)
        assert i.queue == "sales" and i.attributes[INTENT]["name"] == intent


def test_given_no_intent_then_nothing_changes() -> None:
    i = work()
    apply_intent(i, Classification(None, 0.3), SETTINGS, QUEUES, at=5.0)
    assert (i.queue, i.attributes, i.events) == ("sales", {}, [])
