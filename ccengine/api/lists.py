"""Lists for the desk's pickers (transfer targets, queues), for any signed-in user:

- ``GET /api/agents``: every agent ``{id, name, state, presence, reason, since, capacity,
  reachable}``, plus ``skills`` for supervisors and admins;
- ``GET /api/queues``: every queue ``{name, media, waiting}``.
"""

from __future__ import annotations

from aiohttp import web

from ccengine.api.http import DISPATCHER, current_user

STAFF = ("supervisor", "admin")


async def agents_list(request: web.Request) -> web.Response:
    dispatcher = request.app[DISPATCHER]
    agents = await dispatcher.agents_view()
    if current_user(request).role in STAFF:
        for agent in agents:
            agent["skills"] = dict(dispatcher.profiles[agent["id"]].skills)
    return web.json_response(agents)


async def queues_list(request: web.Request) -> web.Response:
    return web.json_response(await request.app[DISPATCHER].queues_view())
