"""``POST /api/admin/reload`` (admins): read the config, IVR flows and templates again and
apply them live (ccengine/reload.py). 200 with what changed; 400 ``config_invalid`` with the
file, line and key when anything is wrong (nothing changed); 409 ``reload_failed`` when
Asterisk refused a module's reload (the engine's side is applied: see the log)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ccengine.api.http import current_user, error
from ccengine.config import ConfigError
from ccengine.reload import ReloadFailed

RELOAD = web.AppKey("reload", object)   # () -> Awaitable[ReloadReport]


async def reload_config(request: web.Request) -> web.Response:
    if current_user(request).role != "admin":
        raise error(403, "forbidden", "only admins reload the configuration")
    reload: Callable[[], Awaitable[Any]] = request.app[RELOAD]  # type: ignore[assignment]
    try:
        report = await reload()
    except ConfigError as e:
        raise error(400, "config_invalid", str(e)) from e
    except ReloadFailed as e:
        raise error(409, "reload_failed", str(e)) from e
    return web.json_response({"reloaded": True, **report.to_dict()})


def add_routes(app: web.Application, reload: Callable[[], Awaitable[Any]]) -> None:
    app[RELOAD] = reload
    app.router.add_post("/api/admin/reload", reload_config)
