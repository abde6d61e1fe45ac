"""Is the engine able to take calls? ``GET /healthz`` (no token, for a process supervisor or
a load balancer) answers ``ok`` (200) or ``degraded`` (503) and nothing else;
``GET /api/health`` (any signed-in user) says which part is down and since when.

The parts: ``asterisk`` (running, not in an outage), ``ari`` (its event stream connected),
``ami`` (logged in), ``store`` (a trivial query answers) and ``live_state`` (the backend
answers: always for the embedded one, a PING for Redis). Each check has a second to answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from ccengine.api.http import public

# each part's check: its view, with "ok" true or false
Check = Callable[[], Awaitable[dict[str, Any]]]
CHECKS = web.AppKey("health_checks", dict)
CHECK_SECONDS = 1.0


async def run_checks(checks: Mapping[str, Check]) -> dict[str, Any]:
    async def one(check: Check) -> dict[str, Any]:
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                return await check()
        except TimeoutError:
            return {"ok": False, "error": f"no answer within {CHECK_SECONDS:g} s"}
        except Exception as e:
            return {"ok": False, "error": str(e) or type(e).__name__}
    names = list(checks)
    views = await asyncio.gather(*(one(checks[n]) for n in names))
    parts = dict(zip(names, views, strict=True))
    return {"status": "ok" if all(v.get("ok") for v in views) else "degraded",
            "parts": parts}


def add_routes(app: web.Application, checks: Mapping[str, Check]) -> None:
    app[CHECKS] = dict(checks)

    @public
    async def healthz(request: web.Request) -> web.Response:
        report = await run_checks(request.app[CHECKS])
        ok = report["status"] == "ok"
        return web.Response(text="ok\n" if ok else "degraded\n", status=200 if ok else 503,
                            headers={"Cache-Control": "no-store"})

    async def health(request: web.Request) -> web.Response:
        report = await run_checks(request.app[CHECKS])
        return web.json_response(report, status=200 if report["status"] == "ok" else 503,
                                 headers={"Cache-Control": "no-store"})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/health", health)
