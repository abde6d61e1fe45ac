"""The intent classifier's core (ccengine/intents/model.py), trained on the shipped labelled
set (data/intents/messages.csv): correct on held-out messages, says "no intent" below its
threshold, says which intents lack examples, survives hostile input."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

from ccengine.intents.model import (
    MAX_CHARS,
    IntentModel,
    NotEnoughExamples,
    normalise,
    train,
)

DATA = Path(__file__).parents[3] / "data" / "intents" / "messages.csv"


def rows(split: str) -> list[tuple[str, str]]:
    with DATA.open(newline="", encoding="utf-8") as f:
        return [(r["text"], r["intent"]) for r in csv.DictReader(f) if r["split"] == split]


@cache
def shipped() -> IntentModel:
    return train(rows("train"))


def test_given_the_shipped_set_then_it_is_balanced_and_split_without_shared_messages() -> None:
    train_rows, test_rows = rows("train"), rows("test")
    intents = {i for _, i in train_rows + test_rows}
    assert len(train_rows) + len(test_rows) >= 400 and len(intents) >= 8
    for intent in intents:
        n = sum(i == intent for _, i in train_rows + test_rows)
        assert n >= 55, intent
    assert not {normalise(t) for t, _ in train_rows} & {normalise(t) for t, _ in test_rows}
    assert 0.2 <= len(test_rows) / (len(train_rows) + len(test_rows)) <= 0.3


def test_given_the_train_split_when_trained_then_the_test_split_is_mostly_right() -> None:
    test_rows = rows("test")
    predicted = shipped().predict(t for t, _ in test_rows)
    accuracy = sum(p == i for p, (_, i) in zip(predicted, test_rows, strict=True)) / len(
        test_rows)
    assert accuracy >= 0.8


@pytest.mark.parametrize(("text", "intent"), [
    ("Where is my parcel? The tracking hasn't moved for a week.", "delivery"),
    ("I want to cancel my subscription please.", "cancel"),
    ("I forgot my password and can't log in.", "account_access"),
    ("Please refund the money for the broken kettle I sent back.", "refund"),
    ("I'd like to upgrade to the unlimited plan.", "plan_change"),
    ("Why was I charged twice on this month's invoice?", "billing"),
    ("My router keeps disconnecting from the internet.", "technical_support"),
    ("I want to make a formal complaint about your rude staff.", "complaint"),
])
def test_given_clear_messages_then_each_gets_its_intent(text: str, intent: str) -> None:
    assert shipped().classify(text).intent == intent


def test_given_a_classification_then_scores_are_probabilities_of_every_intent() -> None:
    c = shipped().classify("Where is my parcel?")
    assert set(c.scores) == set(shipped().intents)
    assert sum(c.scores.values()) == pytest.approx(1.0)
    assert c.confidence == max(c.scores.values())


def test_given_the_fast_scorer_then_it_agrees_with_scikit_learn() -> None:
    model = shipped()
    for text, _ in rows("test")[:40]:
        fast, reference = model.scores(text), model.pipeline_scores(text)
        assert fast == pytest.approx(reference, abs=1e-5)


def test_given_two_intents_then_the_fast_scorer_agrees_with_scikit_learn() -> None:
    model = train([(t, i) for t, i in rows("train") if i in ("billing", "cancel")])
    for text, _ in rows("test")[:20]:
        assert model.scores(text) == pytest.approx(model.pipeline_scores(text), abs=1e-5)


def test_given_a_vague_message_when_below_the_threshold_then_no_intent() -> None:
    model = shipped()
    vague = "hello, I have a question"
    c = model.classify(vague)
    assert c.confidence < 0.99
    strict = model.with_threshold(0.99)
    assert strict.classify(vague).intent is None
    assert strict.classify(vague).confidence == c.confidence   # still reported
    assert model.with_threshold(0.0).classify(vague).intent is not None


def test_given_the_same_examples_then_training_is_deterministic() -> None:
    again = train(rows("train"))
    for text, _ in rows("test")[:20]:
        assert again.scores(text) == shipped().scores(text)


def test_given_too_few_examples_then_not_enough_examples_names_the_intents() -> None:
    examples = [(f"my bill is wrong number {n}", "billing") for n in range(6)] + \
               [("cancel it", "cancel"), ("please cancel", "cancel")] + \
               [("where is my parcel", "delivery")]
    with pytest.raises(NotEnoughExamples) as e:
        train(examples)
    assert e.value.lacking == {"cancel": 2, "delivery": 1}
    assert "cancel (2)" in str(e.value) and "delivery (1)" in str(e.value)
    assert "billing" not in str(e.value)


def test_given_an_intent_defined_without_examples_then_it_is_named() -> None:
    examples = [(f"my bill is wrong {n}", "billing") for n in range(5)] + \
               [(f"cancel it now {n}", "cancel") for n in range(5)]
    with pytest.raises(NotEnoughExamples, match=r"refund \(0\)"):
        train(examples, intents=["billing", "cancel", "refund"])


def test_given_lacking_intents_not_required_then_they_are_left_out() -> None:
    examples = [(f"my bill is wrong {n}", "billing") for n in range(5)] + \
               [(f"cancel it now {n}", "cancel") for n in range(5)] + [("money back", "refund")]
    model = train(examples, require_all=False)
    assert model.intents == ("billing", "cancel") and dict(model.left_out) == {"refund": 1}


def test_given_one_intent_only_then_not_enough_examples() -> None:
    with pytest.raises(NotEnoughExamples, match="at least 2 needed"):
        train([(f"my bill is wrong {n}", "billing") for n in range(10)])


def test_given_no_examples_then_not_enough_examples() -> None:
    with pytest.raises(NotEnoughExamples):
        train([])


@pytest.mark.parametrize("text", [
    "", "   \n\t ", "\x00\x01\x02\x1b[31m", "> only a quoted line", "-- \nonly a signature",
    "a" * 2_000_000, "where is my parcel " * 100_000, "\u202e\ufeff\u200b" * 1000,
    "😀🎉" * 10_000, "\ud800 lone surrogate",
])
def test_given_hostile_input_then_it_is_classified_without_error(text: str) -> None:
    c = shipped().classify(text)
    assert c.intent is None or c.intent in shipped().intents
    assert 0.0 <= c.confidence <= 1.0


def test_given_nothing_left_to_read_then_no_intent_and_no_scores() -> None:
    for text in ("", "\x00\x07", "> quoted\n> only", None):
        c = shipped().classify(text)  # type: ignore[arg-type]
        assert (c.intent, c.confidence, dict(c.scores)) == (None, 0.0, {})


def test_given_an_email_then_quotes_signature_and_case_are_not_read() -> None:
    mail = ("Hi,\r\nWhere is my PARCEL?\r\n\r\nOn Mon, 3 May 2024, Support wrote:\r\n"
            "> your invoice is attached\r\n-- \r\nJane Doe\r\nBilling Manager")
    assert normalise(mail) == "hi, where is my parcel?"


def test_given_a_huge_message_then_only_its_start_is_read() -> None:
    assert len(normalise("word " * 1_000_000)) <= MAX_CHARS


def test_given_a_threshold_out_of_range_then_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        shipped().with_threshold(1.5)
