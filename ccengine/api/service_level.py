"""``GET /api/queues/{name}/service-level?hours=24&medium=email``: a queue's service level
over the last hours, from the stored interactions (the computation is
``ccengine.reporting.service_level``). An email counts as responded at its first reply
(the ``first_response`` event); other media at their answer."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from ccengine.api.http import DISPATCHER, INTERACTIONS, current_user, error
from ccengine.core.errors import UnknownQueue
from ccengine.core.media import Medium
from ccengine.reporting.service_level import Item, service_level

MAX_HOURS = 24 * 366
MAX_ITEMS = 100_000


def item_of(view: dict[str, Any]) -> Item | None:
    """A stored interaction as a service-level item (None if it never reached a queue)."""
    ts = view["timestamps"]
    arrived = ts.get("queued")
    if arrived is None:
        return None
    first = next((e["at"] for e in view["events"] if e["kind"] == "first_response"), None)
    if first is None and view["medium"] != Medium.EMAIL.value:
        first = ts.get("answered")
    return Item(arrived_at=arrived, responded_at=first, ended_at=ts.get("ended"))


async def queue_service_level(request: web.Request) -> web.Response:
    if current_user(request).role not in ("agent", "supervisor", "admin"):
        raise error(403, "forbidden", "no access to queues")
    dispatcher = request.app[DISPATCHER]
    name = request.match_info["name"]
    queue = dispatcher.queues.get(name)
    if queue is None:
        raise UnknownQueue(name)
    try:
        hours = float(request.query.get("hours", "24"))
    except ValueError:
        hours = math.nan
    if not 0 < hours <= MAX_HOURS:
        raise error(400, "bad_hours", f"hours must be a number above 0 and at most {MAX_HOURS}")
    medium = request.query.get("medium")
    if medium is not None and medium not in {m.value for m in Medium}:
        raise error(400, "bad_medium", f"medium must be one of {[m.value for m in Medium]}")
    now = dispatcher.clock()
    views = await request.app[INTERACTIONS].list(queue=name, medium=medium,
                                                 since=now - hours * 3600, limit=MAX_ITEMS)
    items = [i for i in (item_of(v) for v in views) if i is not None]
    level = service_level(items, queue.sl_seconds, queue.sl_percent, now)
    return web.json_response({"queue": name, "medium": medium, "hours": hours,
                              "interactions": len(items), "truncated": len(views) >= MAX_ITEMS,
                              **level.to_dict()})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/queues/{name}/service-level", queue_service_level)
