"""Live-call actions: transfers and conferences (routes under /api/calls/{interaction_id}).

Only the agent on the call, a supervisor or an admin may act on it. A call this node's
Asterisk does not hold gets 409 ``call_on_other_node`` when another node has it live, else
404 ``interaction_not_found``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from ccengine.api.auth import User
from ccengine.api.http import DISPATCHER, _json_body, current_user, error
from ccengine.core.errors import AgentUnavailable, UnknownInteraction
from ccengine.telephony.transfers import Target, Transfers, parse_transfer_body
from ccengine.telephony.voice import VoiceCall

TRANSFERS = web.AppKey("transfers", Transfers)
# sections other features add to GET /api/calls/{id}: name -> view(call, user), None to omit
CallView = Callable[[VoiceCall, User], Any]
CALL_VIEWS = web.AppKey("call_views", dict)


async def _call(request: web.Request, *, party_may_see: bool = False) -> VoiceCall:
    """The live call named in the path, if the user may act on it."""
    iid = request.match_info["interaction_id"]
    transfers = request.app[TRANSFERS]
    try:
        call = transfers.voice.call_of(iid)
    except UnknownInteraction:
        live = await request.app[DISPATCHER].state.get_interaction(iid)
        if live is not None:
            raise error(409, "call_on_other_node", f"call {iid} is live on another engine "
                        "node: ask that node's API") from None
        raise
    user = current_user(request)
    if user.role in ("supervisor", "admin"):
        return call
    allowed = {call.agent_id}
    consult_agent = getattr(call.transfer, "agent_id", None)
    if consult_agent:
        allowed.add(consult_agent)
    if party_may_see:
        allowed |= {getattr(leg.target, "agent", None) for leg in call.parties.values()}
    if user.id not in allowed:
        raise error(403, "forbidden", f"{user.id} is not the agent on call {iid}")
    return call


async def _unavailable_is_conflict(coro: Any) -> dict[str, Any]:
    try:
        return await coro
    except AgentUnavailable as e:
        raise error(409, e.code, str(e)) from e


async def call_get(request: web.Request) -> web.Response:
    call = await _call(request, party_may_see=True)
    body = Transfers.view(call)
    for name, view in request.app.get(CALL_VIEWS, {}).items():
        section = view(call, current_user(request))
        if section is not None:
            body[name] = section
    return web.json_response(body)


async def transfer(request: web.Request) -> web.Response:
    call = await _call(request)
    target, mode = parse_transfer_body(await _json_body(request))
    result = await _unavailable_is_conflict(
        request.app[TRANSFERS].transfer(call, current_user(request).id, target, mode))
    return web.json_response(result, status=202)


async def transfer_complete(request: web.Request) -> web.Response:
    call = await _call(request)
    return web.json_response(await request.app[TRANSFERS].complete(
        call, current_user(request).id))


async def transfer_cancel(request: web.Request) -> web.Response:
    call = await _call(request)
    return web.json_response(await request.app[TRANSFERS].cancel(
        call, current_user(request).id))


async def conference(request: web.Request) -> web.Response:
    call = await _call(request)
    body = await _json_body(request)
    target = Target.parse(body.get("to"))
    result = await _unavailable_is_conflict(
        request.app[TRANSFERS].conference(call, current_user(request).id, target))
    return web.json_response(result, status=202)


def add_routes(app: web.Application, transfers: Transfers) -> None:
    app[TRANSFERS] = transfers
    app.router.add_get("/api/calls/{interaction_id}", call_get)
    app.router.add_post("/api/calls/{interaction_id}/transfer", transfer)
    app.router.add_post("/api/calls/{interaction_id}/transfer/complete", transfer_complete)
    app.router.add_post("/api/calls/{interaction_id}/transfer/cancel", transfer_cancel)
    app.router.add_post("/api/calls/{interaction_id}/conference", conference)
