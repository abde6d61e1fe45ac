"""Work from the desk: the agent accepts, declines or closes desktop-handled work (email,
chat), declines a call ringing their phone, and ends a wrap-up early.

``POST /api/interactions/{id}/accept`` and ``/decline`` are the offered agent's own;
``/close`` is the agent's, or a supervisor's/admin's on the agent's behalf (recorded as
``closed_by``). Voice work is answered and hung up on the phone, not here; a ringing call
may be declined (its channel hangs the agent's ringing leg up: a RONA, as a rejecting
phone). ``/wrapup/end`` is the agent's, or a supervisor's/admin's naming the agent.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aiohttp import web

from ccengine.api.http import DISPATCHER, _json_body, current_user, error
from ccengine.channels.work import WorkChannel
from ccengine.core.errors import CoreError, NotInWrapUp
from ccengine.core.interaction import Interaction

MAX_REASON = 200
STAFF = ("supervisor", "admin")
# domain errors of these codes are conflicts with the work's current state: 409
CONFLICTS = ("not_ringing",)


@runtime_checkable
class DecliningChannel(Protocol):
    """A channel whose offers an agent may refuse from the desk."""

    async def decline(self, interaction_id: str, agent_id: str) -> None: ...


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
    dispatcher = request.app[DISPATCHER]
    interaction = await dispatcher.live_interaction(request.match_info["interaction_id"])
    channel = dispatcher.channel(interaction.medium)
    if not isinstance(channel, DecliningChannel):
        raise error(409, "not_desktop_work", f"{interaction.medium} work cannot be "
                    "declined through the API")
    _own(request, interaction)
    try:
        await channel.decline(interaction.id, current_user(request).id)
    except CoreError as e:
        if e.code not in CONFLICTS:
            raise
        raise error(409, e.code, str(e)) from e
    return web.json_response({"declined": interaction.id})


async def end_wrap_up(request: web.Request) -> web.Response:
    """The wrap-up slot is released now: the agent's own, or a named agent's for
    supervisors and admins (``{"agent": id}``)."""
    user = current_user(request)
    interaction_id = request.match_info["interaction_id"]
    agent = (await _json_body(request)).get("agent")
    if agent is None and user.role in STAFF:
        raise error(400, "bad_agent", 'name the agent whose wrap-up ends: {"agent": id}')
    agent = user.id if agent is None else agent
    if not isinstance(agent, str) or not agent:
        raise error(400, "bad_agent", "agent must be an agent's id")
    if agent != user.id and user.role not in STAFF:
        raise error(403, "forbidden", f"{user.id} may not end {agent}'s wrap-up")
    dispatcher = request.app[DISPATCHER]
    by = user.id if agent != user.id else ""
    try:
        await dispatcher.end_wrap_up(interaction_id, agent, by=by)  # 404 unknown agent
    except NotInWrapUp as e:
        raise error(409, e.code, str(e)) from e
    return web.json_response(await dispatcher.agent_view(agent))


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
    app.router.add_post("/api/interactions/{interaction_id}/wrapup/end", end_wrap_up)
