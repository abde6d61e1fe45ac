"""Outbound calls, callbacks and trunks over the API.

- ``POST /api/agents/{id}/dial`` ``{"number": "..."}``: the agent (or a supervisor/admin
  for them) places a call: their phone rings, then the number through the trunk.
- ``POST /api/callbacks`` ``{"number", "queue", "at"?, "name"?, "note"?}``, ``GET
  /api/callbacks`` (``?state=scheduled,queued&queue=sales&limit=100``), ``GET`` and
  ``DELETE /api/callbacks/{id}``: any user asks for and lists callbacks; the one who asked,
  supervisors and admins cancel them.
- ``GET /api/trunks``: supervisors and admins see the trunks and their registration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ccengine.api.http import _json_body, add_agent_action, current_user, error
from ccengine.core.errors import AgentUnavailable
from ccengine.store.callbacks import STATES, CallbackView
from ccengine.telephony.outbound.calls import NotConfigured, OutboundCalls
from ccengine.telephony.outbound.registrations import TrunkStatus
from ccengine.telephony.outbound.requests import BadTime, CallbackRequests, parse_at

MAX_NAME, MAX_NOTE = 200, 2000
def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def callback_view(row: CallbackView) -> dict[str, Any]:
    return {**row, "at": iso(row["due_at"])}


@dataclass
class OutboundApi:
    calls: OutboundCalls | None
    requests: CallbackRequests | None
    trunks: TrunkStatus
    clock: Callable[[], float]

    def need_calls(self) -> OutboundCalls:
        if self.calls is None:
            raise NotConfigured("no outbound trunk is configured (outbound: section)")
        return self.calls

    def need_requests(self) -> CallbackRequests:
        if self.requests is None:
            raise NotConfigured("callbacks need an outbound trunk (outbound: section)")
        return self.requests


OUTBOUND = web.AppKey("outbound", OutboundApi)


def _optional_text(body: dict[str, Any], key: str, limit: int) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise error(400, f"bad_{key}", f"{key} must be text of at most {limit} characters")
    return value.strip() or None


def _known_keys(body: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise error(400, "bad_request", f"unknown field(s) {unknown}; known: {sorted(known)}")


async def dial(request: web.Request, agent_id: str) -> web.Response:
    calls = request.app[OUTBOUND].need_calls()
    body = await _json_body(request)
    _known_keys(body, {"number"})
    number = body.get("number")
    if not isinstance(number, str) or not number.strip():
        raise error(400, "bad_number", "number must be a phone number (text)")
    try:
        placed = await calls.dial(agent_id, number, by=current_user(request).id)
    except AgentUnavailable as e:
        raise error(409, e.code, str(e)) from e
    return web.json_response(placed, status=202)


async def callbacks_post(request: web.Request) -> web.Response:
    api = request.app[OUTBOUND]
    requests = api.need_requests()
    body = await _json_body(request)
    _known_keys(body, {"number", "queue", "at", "name", "note"})
    number, queue = body.get("number"), body.get("queue")
    if not isinstance(number, str) or not number.strip():
        raise error(400, "bad_number", "number must be a phone number (text)")
    if not isinstance(queue, str) or not queue:
        raise error(400, "bad_queue", "queue must name a queue that takes callbacks")
    try:
        at = parse_at(body.get("at"), api.clock())
    except BadTime as e:
        raise error(400, e.code, str(e)) from e
    row = await requests.request(
        number=number, queue=queue, due_at=at, via="api", by=current_user(request).id,
        name=_optional_text(body, "name", MAX_NAME), note=_optional_text(body, "note", MAX_NOTE))
    return web.json_response(callback_view(row), status=201)


async def callbacks_get(request: web.Request) -> web.Response:
    requests = request.app[OUTBOUND].need_requests()
    states = [s for s in request.query.get("state", "").split(",") if s]
    for s in states:
        if s not in STATES:
            raise error(400, "bad_state", f"state must be among {', '.join(STATES)}")
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        raise error(400, "bad_limit", "limit must be a whole number") from None
    if not 0 < limit <= 1000:
        raise error(400, "bad_limit", "limit must be from 1 to 1000")
    rows = await requests.repo.list(states=states, queue=request.query.get("queue"),
                                    limit=limit)
    return web.json_response({"callbacks": [callback_view(r) for r in rows]})


async def callback_get(request: web.Request) -> web.Response:
    requests = request.app[OUTBOUND].need_requests()
    return web.json_response(callback_view(await requests.get(
        request.match_info["callback_id"])))


async def callback_delete(request: web.Request) -> web.Response:
    requests = request.app[OUTBOUND].need_requests()
    user = current_user(request)
    row = await requests.get(request.match_info["callback_id"])
    if user.role not in ("supervisor", "admin") and row["requested_by"] != user.id:
        raise error(403, "forbidden", "only who asked for a callback, supervisors and "
                                      "admins cancel it")
    return web.json_response(callback_view(await requests.cancel(row["id"], by=user.id)))


async def trunks_get(request: web.Request) -> web.Response:
    if current_user(request).role not in ("supervisor", "admin"):
        raise error(403, "forbidden", "only supervisors and admins see trunks")
    return web.json_response({"trunks": await request.app[OUTBOUND].trunks.view()})


def add_routes(app: web.Application, api: OutboundApi) -> None:
    app[OUTBOUND] = api
    add_agent_action(app, "dial", dial)
    app.router.add_post("/api/callbacks", callbacks_post)
    app.router.add_get("/api/callbacks", callbacks_get)
    app.router.add_get("/api/callbacks/{callback_id}", callback_get)
    app.router.add_delete("/api/callbacks/{callback_id}", callback_delete)
    app.router.add_get("/api/trunks", trunks_get)
