"""Supervision API: monitor, whisper to or barge into a live call; the supervisor's view of
the live calls in their queues.

- ``POST /api/calls/{id}/supervise`` ``{"mode": "monitor"|"whisper"|"barge"}``: rings the
  supervisor's phone (202); the same supervisor asking again switches mode (200). Admins
  name the supervisor whose phone to use: ``{"mode": ..., "supervisor": "sam"}``.
- ``DELETE /api/calls/{id}/supervise``: stops the caller's own supervision (admins:
  ``?supervisor=sam``, or every supervision of the call).
- ``GET /api/supervisor/calls``: live calls of the supervisor's queues (admins: all).

Agents get 403; a supervisor of other queues 403; an unknown call 404.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ccengine.api.auth import User
from ccengine.api.calls import CALL_VIEWS
from ccengine.api.http import DISPATCHER, Handler, _json_body, current_user, error
from ccengine.core.errors import UnknownInteraction
from ccengine.core.supervision import (
    Mode,
    SupervisionError,
    check_may_supervise,
    visible_queues,
)
from ccengine.telephony.supervision import Supervisions
from ccengine.telephony.voice import VoiceCall

SUPERVISIONS = web.AppKey("supervisions", Supervisions)
_STATUS = {"forbidden": 403, "bad_mode": 400, "supervisor_required": 400,
           "unknown_supervisor": 400, "supervisor_unreachable": 409,
           "supervisor_busy": 409, "no_agent_on_call": 409, "supervision_not_found": 404}


def _errors(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except SupervisionError as e:
            raise error(_STATUS.get(e.code, 400), e.code, str(e)) from e
    return wrapped


def _not_an_agent(user: User) -> None:
    if user.role not in ("supervisor", "admin"):
        raise error(403, "forbidden", "only supervisors and admins supervise calls")


async def _call(request: web.Request) -> VoiceCall:
    """The live call named in the path, if the user may supervise it."""
    user = current_user(request)
    _not_an_agent(user)
    iid = request.match_info["interaction_id"]
    supervisions = request.app[SUPERVISIONS]
    try:
        call = supervisions.voice.call_of(iid)
    except UnknownInteraction:
        if await request.app[DISPATCHER].state.get_interaction(iid) is not None:
            raise error(409, "call_on_other_node", f"call {iid} is live on another engine "
                        "node: ask that node's API") from None
        raise
    check_may_supervise(user.role, user.id, call.interaction.queue,
                        supervisions.supervisors)
    return call


def _supervisor_named(request: web.Request, name: Any) -> str:
    """Whose phone: a supervisor's own; an admin names one."""
    user = current_user(request)
    supervisors = request.app[SUPERVISIONS].supervisors
    if user.role == "supervisor":
        if name not in (None, user.id):
            raise error(403, "forbidden", "supervisors supervise with their own phone")
        return user.id
    if name is None:
        raise error(400, "supervisor_required", 'an admin names the supervisor whose phone '
                    'listens in: {"mode": ..., "supervisor": id}')
    if not isinstance(name, str) or name not in supervisors:
        raise error(400, "unknown_supervisor", f"no supervisor {name!r}")
    return name


@_errors
async def supervise(request: web.Request) -> web.Response:
    call = await _call(request)
    body = await _json_body(request)
    mode = Mode.parse(body.get("mode"))
    supervisor = _supervisor_named(request, body.get("supervisor"))
    view, started = await request.app[SUPERVISIONS].start(call, supervisor, mode,
                                                          by=current_user(request).id)
    return web.json_response({"interaction_id": call.interaction.id, **view},
                             status=202 if started else 200)


@_errors
async def stop(request: web.Request) -> web.Response:
    call = await _call(request)
    user = current_user(request)
    supervisions = request.app[SUPERVISIONS]
    name = request.query.get("supervisor")
    if user.role == "admin" and name is None:
        ended = await supervisions.stop_all(call, by=user.id)
    else:
        ended = [await supervisions.stop(call, _supervisor_named(request, name), by=user.id)]
    return web.json_response({"interaction_id": call.interaction.id, "ended": ended})


@_errors
async def live_calls(request: web.Request) -> web.Response:
    user = current_user(request)
    _not_an_agent(user)
    supervisions = request.app[SUPERVISIONS]
    queues = visible_queues(user.role, user.id, supervisions.supervisors)
    return web.json_response({"calls": await supervisions.live_calls(queues)})


def add_routes(app: web.Application, supervisions: Supervisions) -> None:
    app[SUPERVISIONS] = supervisions
    app.setdefault(CALL_VIEWS, {})["supervision"] = (
        lambda call, user: supervisions.view(call)
        if user.role in ("supervisor", "admin") else None)
    app.router.add_post("/api/calls/{interaction_id}/supervise", supervise)
    app.router.add_delete("/api/calls/{interaction_id}/supervise", stop)
    app.router.add_get("/api/supervisor/calls", live_calls)
