"""Intents as one of the engine's parts (ccengine/parts.py): with intents defined
(``intents:``, docs/intents.md), the classifier is trained off the event loop at start and
then every ``retrain_minutes``, and every new email conversation is classified as it
arrives, a chat by its first message (its intent kept on the work, in the screen pop, and
followed to a queue or skills when confident). Without enough examples it says so once
and stays out of the way."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ccengine.core.interaction import Interaction
from ccengine.intents.apply import apply_intent
from ccengine.intents.model import Example, NotEnoughExamples
from ccengine.intents.service import IntentService

if TYPE_CHECKING:
    from ccengine.engine import Engine
    from ccengine.settings import Settings

log = logging.getLogger(__name__)


async def start_intents(engine: Engine) -> None:
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
    engine.in_background(_train(service), "intents-training")

    async def again(new: Settings) -> None:
        service.reconfigure(new.intents)
        engine.in_background(_train(service, periodically=False), "intents-retraining")
    engine.reloaders.append(again)


async def _train(service: IntentService, *, periodically: bool = True) -> None:
    """Train now, then (``periodically``) every retrain_minutes; the admins' phrases."""
    try:
        model = await service.retrain()
        log.info("intents: trained on %d examples of %d intents", sum(model.examples.values()),
                 len(model.intents))
    except NotEnoughExamples as e:
        log.warning("intents: %s; work is not classified until there are enough", e)
    except Exception:
        log.exception("intents: training failed; work is not classified")
    if periodically:
        async def phrases() -> list[Example]:
            return list(service.settings.examples())
        await service.retrain_periodically(phrases)
