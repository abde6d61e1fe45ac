"""Intents in the API (docs/intents.md):

- ``PUT /api/interactions/{id}/intent {"intent": name}``: the agent who handled the work
  (or a supervisor or admin) says what it was about, confirming or correcting the
  classifier, usually in wrap-up. Kept as the work's label (store/intent_labels.py) and
  recorded as an ``intent_labeled`` event; the classifier learns from it at its next
  training.
- ``GET /api/intents``: the classifier's status (supervisors, admins).
- ``POST /api/intents/retrain``: train now on the admins' phrases and the agents' labels,
  off the event loop; answers once the new model is in use.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ccengine.api.customer_access import CUSTOMER_ACCESS
from ccengine.api.http import DISPATCHER, _json_body, current_user, error
from ccengine.core.errors import UnknownInteraction
from ccengine.intents.model import Example, NotEnoughExamples
from ccengine.intents.service import IntentService
from ccengine.store.intent_labels import IntentLabels
from ccengine.store.interactions import InteractionRepository


@dataclass
class IntentsApi:
    labels: IntentLabels
    interactions: InteractionRepository
    service: Callable[[], IntentService | None]   # None: no intents defined
    examples: Callable[[], Awaitable[list[Example]]]   # phrases and labels to learn from
    clock: Callable[[], float] = time.time

    def running(self) -> IntentService:
        service = self.service()
        if service is None:
            raise error(503, "intents_off", "no intents are defined (the config's `intents:` "
                        "section, docs/intents.md)")
        return service


INTENTS_API = web.AppKey("intents_api", IntentsApi)

OFF_STATUS = {"ready": False, "reason": "no intents are defined", "training": False,
              "trained_at": None, "training_seconds": None, "intents": [], "defined": [],
              "examples": {}, "ignored_examples": {}, "left_out": {}, "threshold": None,
              "last_error": None}


async def label(request: web.Request) -> web.Response:
    api, user = request.app[INTENTS_API], current_user(request)
    body = await _json_body(request)
    service = api.running()
    intent = body.get("intent")
    if intent not in service.settings.names:
        raise error(400, "unknown_intent", "intent must be one of the defined intents: "
                    f"{', '.join(service.settings.names)}")
    interaction_id = request.match_info["interaction_id"]
    view = await api.interactions.get(interaction_id)
    if view is None:
        raise error(404, "interaction_not_found", f"no interaction {interaction_id!r}")
    await request.app[CUSTOMER_ACCESS].require_handled(user, view["id"], "label intents")
    found = (view.get("attributes") or {}).get("intent")
    detected = found.get("name") if isinstance(found, dict) else None
    at = api.clock()
    stored = await api.labels.put(view["id"], intent, detected if isinstance(detected, str)
                                  else None, user.id, at)
    data: dict[str, Any] = {"intent": intent, "detected": stored["detected"], "by": user.id}
    try:    # live work's events come from the dispatcher, stored work's from the store
        await request.app[DISPATCHER].record(view["id"], "intent_labeled", **data)
    except UnknownInteraction:
        await api.interactions.add_event(view["id"], "intent_labeled", at, user.id, data)
    return web.json_response(stored)


async def status(request: web.Request) -> web.Response:
    service = request.app[INTENTS_API].service()
    return web.json_response(OFF_STATUS if service is None else service.status())


async def retrain(request: web.Request) -> web.Response:
    api = request.app[INTENTS_API]
    service = api.running()
    try:
        await service.retrain(await api.examples())
    except NotEnoughExamples as e:
        raise error(409, "not_enough_examples", str(e)) from e
    except Exception as e:
        raise error(503, "training_failed", f"training failed; the current model stays: "
                    f"{e}") from e
    return web.json_response(service.status())


def add_routes(app: web.Application, api: IntentsApi) -> None:
    app[INTENTS_API] = api
    app.router.add_put("/api/interactions/{interaction_id}/intent", label)
    app.router.add_get("/api/intents", status)
    app.router.add_post("/api/intents/retrain", retrain)
