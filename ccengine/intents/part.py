"""Intents as one of the engine's parts (ccengine/parts.py): with intents defined
(``intents:``, docs/intents.md), the classifier is trained off the event loop at start and
then every ``retrain_minutes``, and every new email conversation is classified as it
arrives, a chat by its first message (its intent kept on the work, in the screen pop, and
followed to a queue or skills when confident). It learns from the admins' phrases and from
the intents agents confirm or correct in wrap-up (PUT /api/interactions/{id}/intent).
Without enough examples it says so once and stays out of the way."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ccengine.core.interaction import Interaction
from ccengine.intents.apply import apply_intent
from ccengine.intents.model import Example, NotEnoughExamples
from ccengine.intents.service import IntentService
from ccengine.store.intent_labels import IntentLabels

if TYPE_CHECKING:
    from ccengine.engine import Engine
    from ccengine.settings import Settings

log = logging.getLogger(__name__)


async def start_intents(engine: Engine) -> None:
    from ccengine.api.intents import IntentsApi, add_routes
    if engine.db is None or engine.recorder is None:
        raise RuntimeError("intents start after the store")
    labels = IntentLabels(engine.db)

    async def examples() -> list[Example]:
        """What the classifier learns from: the admins' phrases, then the agents' labels."""
        return list(engine.settings.intents.examples()) + await labels.examples()
    api = IntentsApi(labels, engine.recorder, lambda: engine.intents, examples)
    engine.api_routes.append(lambda app: add_routes(app, api))
    settings = engine.settings.intents
    if not settings.definitions:
        return
    service = IntentService(settings)
    engine.intents = service

    def classify(interaction: Interaction, text: str) -> None:
        dispatcher = engine.dispatcher
        if dispatcher is not None:
            apply_intent(interaction, service.classify(text), service.settings,
                         dispatcher.queues, dispatcher.clock())

    if engine.email is not None:
        engine.email.ingest.classify = classify
    if engine.chat is not None:     # a chat by its first message
        engine.chat.classify = classify
    engine.in_background(_train(service, examples), "intents-training")

    async def again(new: Settings) -> None:
        service.reconfigure(new.intents)
        engine.in_background(_train(service, examples, periodically=False),
                             "intents-retraining")
    engine.reloaders.append(again)


async def _train(service: IntentService, examples: Callable[[], Awaitable[list[Example]]],
                 *, periodically: bool = True) -> None:
    """Train now, then (``periodically``) every retrain_minutes, on ``examples()``."""
    try:
        model = await service.retrain(await examples())
        log.info("intents: trained on %d examples of %d intents", sum(model.examples.values()),
                 len(model.intents))
    except NotEnoughExamples as e:
        log.warning("intents: %s; work is not classified until there are enough", e)
    except Exception:
        log.exception("intents: training failed; work is not classified")
    if periodically:
        await service.retrain_periodically(examples)
