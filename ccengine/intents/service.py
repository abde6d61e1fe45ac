"""The engine's intent classifier in asyncio: holds the current model, classifies in the
loop (a fraction of a millisecond per message), and retrains in a worker thread, swapping
the new model in only once it is built (docs/intents.md).

Until a model is trained, or when there are not enough examples, ``classify`` answers "no
intent" and ``status()`` says why: the engine carries on as if there were no classifier.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from ccengine.intents.model import (
    Classification,
    Example,
    IntentModel,
    NotEnoughExamples,
    count,
    train,
)
from ccengine.intents.settings import IntentSettings

log = logging.getLogger(__name__)

NO_INTENT = Classification(None, 0.0)


class IntentService:
    def __init__(self, settings: IntentSettings | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings or IntentSettings()
        self._clock = clock
        self._model: IntentModel | None = None
        self._lock = asyncio.Lock()          # one training at a time
        self._trained_at: float | None = None
        self._training_seconds: float | None = None
        self._examples: dict[str, int] = {}
        self._ignored: dict[str, int] = {}
        self._reason: str | None = "not trained yet"
        self._error: str | None = None
        self._training = False

    @property
    def model(self) -> IntentModel | None:
        return self._model

    def reconfigure(self, settings: IntentSettings) -> None:
        """New settings (a config reload): a new threshold applies at once to the current
        model; new definitions or examples need a ``retrain``."""
        self.settings = settings
        if self._model is not None and self._model.threshold != settings.threshold:
            self._model = self._model.with_threshold(settings.threshold)

    def classify(self, text: str) -> Classification:
        """The intent of a message (intent None: below the threshold, or no model)."""
        model = self._model
        return NO_INTENT if model is None else model.classify(text)

    async def retrain(self, examples: Iterable[Example] | None = None) -> IntentModel:
        """Train a model off the event loop and make it the current one. ``examples`` (text,
        intent) default to the admins' example phrases; with intents defined, examples of
        other intents are ignored (counted in ``status``). On any failure the current model
        stays and the error is raised (NotEnoughExamples when examples are lacking)."""
        settings = self.settings
        pairs = list(settings.examples() if examples is None else examples)
        names = settings.names
        ignored: dict[str, int] = {}
        if names:
            known = set(names)
            for _, intent in pairs:
                if intent not in known:
                    ignored[intent] = ignored.get(intent, 0) + 1
            pairs = [(t, i) for t, i in pairs if i in known]
        async with self._lock:
            self._training = True
            started = time.perf_counter()
            try:
                model = await asyncio.to_thread(
                    train, pairs, threshold=settings.threshold,
                    min_per_intent=settings.min_examples, intents=names)
            except NotEnoughExamples as e:
                self._error = str(e)
                if self._model is None:     # else status keeps describing the current model
                    self._examples, self._ignored = dict(count(pairs)), ignored
                    self._reason = str(e)
                raise
            except Exception as e:
                log.exception("intent training failed; the current model stays")
                self._error = f"training failed: {e!r}"
                if self._model is None:
                    self._reason = self._error
                raise
            finally:
                self._training = False
            if self.settings.threshold != model.threshold:   # reconfigured meanwhile
                model = model.with_threshold(self.settings.threshold)
            self._model = model                               # the swap: one assignment
            self._trained_at = self._clock()
            self._training_seconds = time.perf_counter() - started
            self._examples, self._ignored = dict(model.examples), ignored
            self._reason = self._error = None
            return model

    async def retrain_periodically(
            self, examples: Callable[[], Awaitable[Iterable[Example]]],
            minutes: float | None = None) -> None:
        """Retrain every ``minutes`` (default: settings.retrain_minutes; 0: never) with the
        examples ``examples()`` gives (the admins' phrases and the agents' confirmations);
        runs until cancelled. A failed round is logged and the current model kept."""
        while True:
            period = self.settings.retrain_minutes if minutes is None else minutes
            if period <= 0:
                return
            await asyncio.sleep(period * 60)
            try:
                await self.retrain(await examples())
            except NotEnoughExamples as e:
                log.info("intents not retrained: %s", e)
            except Exception:  # logged by retrain; the loop carries on
                pass

    def status(self) -> dict[str, Any]:
        """What the classifier knows now: ready or not and why, when it was trained and on
        how many examples per intent."""
        model = self._model
        trained_at = None if self._trained_at is None else \
            datetime.fromtimestamp(self._trained_at, UTC).isoformat()
        return {
            "ready": model is not None,
            "reason": None if model is not None else self._reason,
            "training": self._training,
            "trained_at": trained_at,
            "training_seconds": self._training_seconds,
            "intents": list(model.intents) if model is not None else [],
            "defined": list(self.settings.names),
            "examples": dict(self._examples),
            "ignored_examples": dict(self._ignored),
            "left_out": dict(model.left_out) if model is not None else {},
            "threshold": self.settings.threshold,
            "last_error": self._error,
        }
