"""What the agent desk (a web page on the public API) reads once it starts, and its canned
responses:

- ``GET /api/desk``: the user, the agent's profile (null for a user who is not an agent),
  the not-ready reasons, dispositions, queues, which parts run in this engine and the
  offer timeout;
- ``GET /api/canned-responses?q=&medium=``: canned responses whose shortcut or title
  contains ``q`` (ignoring case; those starting with it first), for ``medium`` if given.

Any signed-in user may read both.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from aiohttp import web

from ccengine.api.http import DISPATCHER, NOT_READY_REASONS, Live, current_user, error
from ccengine.core.canned import DESK_MEDIA, CannedResponses
from ccengine.core.dispositions import Dispositions
from ccengine.core.media import Medium

MAX_QUERY = 100


@dataclass(frozen=True)
class RunningParts:
    """Which optional parts run in this engine (the desk shows only what works)."""

    chat: bool = False
    email: bool = False
    outbound: bool = False
    callbacks: bool = False
    recording: bool = False   # some queue's calls are recorded (always or on demand)


@dataclass(frozen=True)
class DeskSettings:
    canned: CannedResponses
    dispositions: Dispositions
    parts: RunningParts
    offer_timeout: float      # seconds an agent's phone rings before RONA
    intents: tuple[str, ...] = ()   # the defined intents, for wrap-up (docs/intents.md)


DESK = web.AppKey("desk", Live)   # Live[DeskSettings]: a reload replaces it


async def desk(request: web.Request) -> web.Response:
    user = current_user(request)
    settings, dispatcher = request.app[DESK].value, request.app[DISPATCHER]
    profile = dispatcher.profiles.get(user.id) if user.role == "agent" else None
    return web.json_response({
        "user": {"id": user.id, "role": user.role},
        "agent": profile.to_dict() if profile is not None else None,
        "not_ready_reasons": request.app[NOT_READY_REASONS].value.to_list(),
        "dispositions": settings.dispositions.to_dict(),
        "intents": list(settings.intents),
        "queues": await dispatcher.queues_view(),
        "media": asdict(settings.parts),
        "offer_timeout": settings.offer_timeout,
        "now": time.time(),   # the engine's clock: pages count time in state by it
    })


async def canned_responses(request: web.Request) -> web.Response:
    query = request.query.get("q", "")
    if len(query) > MAX_QUERY:
        raise error(400, "bad_query", f"q must be at most {MAX_QUERY} characters")
    name = request.query.get("medium")
    allowed = [m.value for m in DESK_MEDIA]
    if name is not None and name not in allowed:
        raise error(400, "bad_medium", f"medium must be one of {', '.join(allowed)}")
    found = request.app[DESK].value.canned.search(query, Medium(name) if name else None)
    return web.json_response([r.to_dict() for r in found])


def add_routes(app: web.Application, settings: DeskSettings) -> None:
    app[DESK] = Live(settings)
    app.router.add_get("/api/desk", desk)
    app.router.add_get("/api/canned-responses", canned_responses)
