"""The intent service (ccengine/intents/service.py) and the ``intents:`` config section
(ccengine/intents/settings.py): trains off the event loop, swaps models only when a new one
is built, keeps the old one on failure, says why it is not ready; config errors name the
key."""

from __future__ import annotations

import asyncio
import csv
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from ccengine.core.errors import ConfigError
from ccengine.intents import service as service_module
from ccengine.intents.model import NotEnoughExamples
from ccengine.intents.service import IntentService
from ccengine.intents.settings import IntentRoute, load_intents

DATA = Path(__file__).parents[3] / "data" / "intents" / "messages.csv"


def rows(split: str = "train") -> list[tuple[str, str]]:
    with DATA.open(newline="", encoding="utf-8") as f:
        return [(r["text"], r["intent"]) for r in csv.DictReader(f) if r["split"] == split]


def section(**extra: Any) -> dict[str, Any]:
    """An ``intents:`` section with the shipped train split as the admins' phrases."""
    by_intent: dict[str, list[str]] = {}
    for text, intent in rows():
        by_intent.setdefault(intent, []).append(text)
    return {"threshold": 0.5, "retrain_minutes": 60,
            "definitions": [{"name": n, "examples": e} for n, e in sorted(by_intent.items())],
            **extra}


async def test_given_no_model_then_no_intent_and_status_says_why() -> None:
    service = IntentService()
    assert service.classify("where is my parcel").intent is None
    status = service.status()
    assert status["ready"] is False and status["reason"] == "not trained yet"


async def test_given_the_admins_examples_when_retrained_then_ready_and_classifying() -> None:
    service = IntentService(load_intents(section(), "test.yaml"), clock=lambda: 0.0)
    model = await service.retrain()
    assert service.model is model
    assert service.classify("My parcel never arrived, where is it?").intent == "delivery"
    status = service.status()
    assert status["ready"] is True and status["reason"] is None
    assert status["trained_at"] == "1970-01-01T00:00:00+00:00"
    assert len(status["intents"]) == 8 and status["examples"]["billing"] >= 40
    assert status["threshold"] == 0.5 and status["training"] is False


async def test_given_too_few_examples_then_not_ready_naming_the_intents() -> None:
    settings = load_intents({"definitions": [
        {"name": "billing", "examples": [f"my bill is wrong {n}" for n in range(6)]},
        {"name": "cancel", "examples": ["cancel it", "please cancel"]},
        {"name": "refund"}]}, "test.yaml")
    service = IntentService(settings)
    with pytest.raises(NotEnoughExamples):
        await service.retrain()
    status = service.status()
    assert status["ready"] is False
    assert "cancel (2)" in status["reason"] and "refund (0)" in status["reason"]
    assert service.classify("please cancel my account").intent is None


async def test_given_a_model_when_retraining_fails_then_the_old_model_stays() -> None:
    service = IntentService(load_intents(section(), "test.yaml"))
    old = await service.retrain()
    with pytest.raises(NotEnoughExamples):
        await service.retrain([("cancel it", "cancel"), ("my bill", "billing")])
    assert service.model is old and service.status()["ready"] is True
    assert "not enough examples" in service.status()["last_error"]
    assert service.classify("I want to cancel my subscription.").intent == "cancel"


async def test_given_training_crashes_then_the_old_model_stays(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    service = IntentService(load_intents(section(), "test.yaml"))
    old = await service.retrain()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("out of memory in the worker")
    monkeypatch.setattr(service_module, "train", broken)
    with pytest.raises(MemoryError):
        await service.retrain()
    assert service.model is old
    assert "out of memory" in service.status()["last_error"]
    assert service.status()["training"] is False


async def test_given_a_retrain_in_progress_then_the_old_model_answers_until_the_swap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    service = IntentService(load_intents(section(), "test.yaml"))
    old = await service.retrain()
    release, started = threading.Event(), threading.Event()
    real_train = service_module.train

    def slow(*args: Any, **kwargs: Any) -> Any:
        started.set()
        assert release.wait(10)
        return real_train(*args, **kwargs)
    monkeypatch.setattr(service_module, "train", slow)
    task = asyncio.create_task(service.retrain(rows()[::2] + rows()[1::2]))
    assert await asyncio.to_thread(started.wait, 10)
    assert service.status()["training"] is True
    assert service.model is old                    # still the old one, and answering
    assert service.classify("where is my parcel").intent == "delivery"
    release.set()
    new = await task
    assert service.model is new and new is not old and service.status()["training"] is False


async def test_given_a_large_retrain_then_the_event_loop_keeps_running() -> None:
    big = [(f"{text} (ref {n}-{k})", intent) for k in range(6)
           for n, (text, intent) in enumerate(rows())]
    service = IntentService()
    ticks: list[float] = []
    done = False

    async def ticker() -> None:
        while not done:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    started = time.perf_counter()
    await service.retrain(big)
    took = time.perf_counter() - started
    done = True
    await task
    during = [t for t in ticks if t >= started]
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert service.status()["ready"] is True
    # trained in a thread: the loop ran all along (in the loop it would not have ticked
    # once until the end)
    assert len(during) >= 10, (took, len(during))
    assert max(gaps) < max(0.5, took / 2), (took, max(gaps))


async def test_given_examples_of_undefined_intents_then_they_are_ignored_and_counted() -> None:
    service = IntentService(load_intents(section(), "test.yaml"))
    extra = [("what are your opening hours", "opening_hours")] * 7
    model = await service.retrain(rows() + extra)
    assert "opening_hours" not in model.intents
    assert service.status()["ignored_examples"] == {"opening_hours": 7}


async def test_given_a_new_threshold_then_it_applies_without_retraining() -> None:
    service = IntentService(load_intents(section(), "test.yaml"))
    await service.retrain()
    service.reconfigure(load_intents(section(threshold=1.0), "test.yaml"))
    c = service.classify("where is my parcel")
    assert c.intent is None and c.confidence > 0.0
    assert service.status()["threshold"] == 1.0


async def test_given_a_schedule_then_it_retrains_with_fresh_examples() -> None:
    service = IntentService(load_intents(section(), "test.yaml"))
    calls = 0

    async def examples() -> list[tuple[str, str]]:
        nonlocal calls
        calls += 1
        return rows() if calls > 1 else [("too few", "billing")]   # the first round fails
    task = asyncio.create_task(service.retrain_periodically(examples, minutes=0.0005))
    for _ in range(3000):      # up to 30 s
        if service.model is not None:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls >= 2 and service.status()["ready"] is True


async def test_given_retrain_minutes_zero_then_no_schedule_runs() -> None:
    service = IntentService(load_intents({"retrain_minutes": 0}, "test.yaml"))

    async def examples() -> list[tuple[str, str]]:
        raise AssertionError("not called")
    async with asyncio.timeout(5):
        await service.retrain_periodically(examples)


# --- the intents: config section ---------------------------------------------------------

def test_given_no_section_then_the_defaults() -> None:
    settings = load_intents(None, "ccengine.yaml")
    assert (settings.threshold, settings.retrain_minutes, settings.min_examples,
            settings.definitions) == (0.6, 60, 5, ())


def test_given_a_full_section_then_every_key_is_read() -> None:
    settings = load_intents({"threshold": 0.7, "retrain_minutes": 30, "min_examples": 8,
                             "definitions": [
                                 {"name": "billing", "examples": ["my bill"],
                                  "route": {"queue": "billing"}},
                                 {"name": "cancel", "route": {"skills": {"retention": 3}}},
                                 {"name": "delivery"}]}, "ccengine.yaml")
    assert (settings.threshold, settings.retrain_minutes, settings.min_examples) == (0.7, 30, 8)
    assert settings.names == ("billing", "cancel", "delivery")
    billing, cancel, delivery = settings.definitions
    assert billing.examples == ("my bill",) and billing.route == IntentRoute(queue="billing")
    assert cancel.route is not None and dict(cancel.route.skills) == {"retention": 3}
    assert delivery.route is None and delivery.examples == ()
    assert list(settings.examples()) == [("my bill", "billing")]


@pytest.mark.parametrize(("doc", "key", "message"), [
    ({"threshold": 1.5}, "intents.threshold", "from 0 to 1"),
    ({"threshold": "high"}, "intents.threshold", "number"),
    ({"retrain_minutes": -1}, "intents.retrain_minutes", "whole number"),
    ({"min_examples": 0}, "intents.min_examples", "whole number"),
    ({"colour": "blue"}, "intents.colour", "unknown key"),
    ({"definitions": {"name": "billing"}}, "intents.definitions", "must be a list"),
    ({"definitions": ["billing"]}, "intents.definitions[0]", "must be a mapping"),
    ({"definitions": [{"name": "billing"}, {"name": "Billing"}]},
     "intents.definitions[1].name", "lower-case"),
    ({"definitions": [{"name": "billing"}, {"name": "2fa"}]},
     "intents.definitions[1].name", "lower-case"),
    ({"definitions": [{"examples": ["x"]}]}, "intents.definitions[0].name", "required"),
    ({"definitions": [{"name": "billing"}, {"name": "billing"}]},
     "intents.definitions[1].name", "defined twice"),
    ({"definitions": [{"name": "billing", "phrases": []}]},
     "intents.definitions[0].phrases", "unknown key"),
    ({"definitions": [{"name": "billing", "examples": "my bill"}]},
     "intents.definitions[0].examples", "list"),
    ({"definitions": [{"name": "billing", "examples": ["my bill", "  ", "x"]}]},
     "intents.definitions[0].examples[1]", "non-empty"),
    ({"definitions": [{"name": "billing", "examples": [12]}]},
     "intents.definitions[0].examples[0]", "non-empty"),
    ({"definitions": [{"name": "billing", "examples": ["x" * 2001]}]},
     "intents.definitions[0].examples[0]", "at most 2000"),
    ({"definitions": [{"name": "billing", "route": {"queue": "b", "skills": {"b": 1}}}]},
     "intents.definitions[0].route", "not both"),
    ({"definitions": [{"name": "billing", "route": {}}]},
     "intents.definitions[0].route", "either a queue"),
    ({"definitions": [{"name": "billing", "route": {"team": "b"}}]},
     "intents.definitions[0].route.team", "unknown key"),
    ({"definitions": [{"name": "billing", "route": {"skills": {"billing": 11}}}]},
     "intents.definitions[0].route.skills.billing", "1-10"),
    ({"definitions": [{"name": "billing", "route": {"skills": []}}]},
     "intents.definitions[0].route.skills", "skill names"),
    ({"definitions": [{"name": "billing", "route": "billing"}]},
     "intents.definitions[0].route", "must be a mapping"),
    ("intents", "intents", "must be a mapping"),
])
def test_given_a_bad_section_then_the_error_names_the_key(doc: Any, key: str,
                                                          message: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_intents(doc, "ccengine.yaml")
    assert e.value.key == key and message in e.value.message, str(e.value)


def test_given_a_config_file_then_the_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ccengine.yaml"
    path.write_text("intents:\n  threshold: 0.5\n  definitions:\n    - name: billing\n"
                    "    - name: Bad Name\n")
    with pytest.raises(ConfigError) as e:
        load_intents(yaml.safe_load(path.read_text())["intents"], str(path))
    assert e.value.where == f"{path}:5" and e.value.key == "intents.definitions[1].name"
