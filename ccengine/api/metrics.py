"""``GET /metrics``: the engine's metrics in the Prometheus text format (docs/metrics.md).

Who may read them: a client on this machine (a loopback peer, the request not relayed by a
proxy) without a token; anyone else with ``Authorization: Bearer <token>``, the token being
``metrics.token`` or an admin's or a supervisor's API token. Anything else gets 401 (no or
an unknown token) or 403 (an agent's token).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ccengine.api.auth import token_of
from ccengine.api.health import CHECKS, run_checks
from ccengine.api.http import AUTH, error, public
from ccengine.reporting.metrics import EngineMetrics, Health

METRICS = web.AppKey("metrics", EngineMetrics)
# the configured metrics.token now (a reload may change it), None: none configured
METRICS_TOKEN = web.AppKey("metrics_token", Callable[[], str | None])
READER_ROLES = ("admin", "supervisor")
# the text format every Prometheus reads (what prometheus-client's generate_latest writes)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# headers a reverse proxy adds: the request came from further away than its peer
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def from_this_machine(request: web.Request) -> bool:
    """True if the peer is a loopback address and no proxy says it relays someone else."""
    if any(h in request.headers for h in FORWARDING_HEADERS):
        return False
    try:
        address = ipaddress.ip_address((request.remote or "").split("%")[0])
    except ValueError:
        return False   # a Unix socket or an unknown peer: not known to be local
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def check_access(request: web.Request) -> None:
    """Return if the request may read the metrics; raise 401 or 403 otherwise."""
    if from_this_machine(request):
        return
    challenge = {"WWW-Authenticate": 'Bearer realm="ccengine metrics"'}
    token = token_of(request)
    if not token:
        raise error(401, "unauthenticated", "metrics are served without a token on loopback "
                                            "only: send Authorization: Bearer <token>",
                    headers=challenge)
    configured = request.app[METRICS_TOKEN]()
    if configured is not None and hmac.compare_digest(configured.encode(), token.encode()):
        return
    user = request.app[AUTH].user_for(token)
    if user is None:
        raise error(401, "unauthenticated", "the bearer token is not valid", headers=challenge)
    if user.role not in READER_ROLES:
        raise error(403, "forbidden", f"{user.id} ({user.role}) may not read the metrics")


@public   # no bearer token needed on loopback: check_access decides
async def metrics(request: web.Request) -> web.Response:
    check_access(request)
    checks = request.app.get(CHECKS)

    async def health() -> Health:
        parts: Any = (await run_checks(checks or {}))["parts"]
        return parts
    body = await request.app[METRICS].exposition(health if checks else None)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE,
                                            "Cache-Control": "no-store"})


def add_routes(app: web.Application, engine_metrics: EngineMetrics,
               token: Callable[[], str | None]) -> None:
    """``GET /metrics``; ``token`` gives the configured metrics.token at each request."""
    app[METRICS] = engine_metrics
    app[METRICS_TOKEN] = token
    app.router.add_get("/metrics", metrics)
