"""Desktop-handled work (email, chat): the agent accepts, declines or closes it.

``POST /api/interactions/{id}/accept`` and ``/decline`` are the offered agent's own;
``/close`` is the agent's, or a supervisor's/admin's on the agent's behalf (recorded as
``closed_by``). Voice work is answered and hung up on the phone, not here.
"""

from __future__ import annotations

from aiohttp import web

from ccengine.api.http import DISPATCHER, _json_body, current_user, error
from ccengine.channels.work import WorkChannel
from ccengine.core.interaction import Interaction

MAX_REASON = 200


async def _work(request: web.Request) -> tuple[WorkChannel, Interaction]:
    dispatcher = request.app[DISPATCHER]
    interaction = await dispatcher.live_interaction(request.match_info["interaction_id"])
    channel = dispatcher.channel(interaction.medium)
    if not isinstance(channel, WorkChannel):
        raise error(409, "not_desktop_work", f"{interaction.medium} work is handled on the "
                    "phone, not accepted or closed through the API")
    return channel, interaction


def _own(request: web.Request, interaction: Interaction) -> str:
    user = current_user(request)
    if interaction.agent_id != user.id:
        raise error(403, "forbidden", f"interaction {interaction.id} is not offered to "
                    f"{user.id}")
    return user.id


async def accept(request: web.Request) -> web.Response:
    channel, interaction = await _work(request)
    _own(request, interaction)
    taken = await channel.accept(interaction.id, current_user(request).id)
    return web.json_response(taken.to_dict())


async def decline(request: web.Request) -> web.Response:
    channel, interaction = await _work(request)
    _own(request, interaction)
    await channel.decline(interaction.id, current_user(request).id)
    return web.json_response({"declined": interaction.id})


async def close(request: web.Request) -> web.Response:
    channel, interaction = await _work(request)
    user = current_user(request)
    body = await _json_body(request)
    reason = body.get("reason", "done")
    if not isinstance(reason, str) or not reason or len(reason) > MAX_REASON:
        raise error(400, "bad_reason", f"reason must be a string of 1-{MAX_REASON} characters")
    data = {"reason": reason}
    if user.role in ("supervisor", "admin") and interaction.agent_id not in (None, user.id):
        data["closed_by"] = user.id
    else:
        _own(request, interaction)
    agent = interaction.agent_id or user.id
    await channel.close(interaction.id, agent, **data)
    return web.json_response({"closed": interaction.id})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/interactions/{interaction_id}/accept", accept)
    app.router.add_post("/api/interactions/{interaction_id}/decline", decline)
    app.router.add_post("/api/interactions/{interaction_id}/close", close)
