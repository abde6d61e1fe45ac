"""GET /metrics over a real aiohttp server: served to loopback without a token, to any
other address only with the metrics token or an admin's or supervisor's API token; the
health gauges come from the same checks as /api/health.

The test server listens on 127.0.0.1, so every request really comes from loopback; for the
other cases a middleware of this test replaces the request's peer address (aiohttp's
``Request.clone(remote=...)``, what a forwarded-headers middleware does) with the one in
the test's ``X-Test-Peer`` header. tests/e2e/test_metrics.py makes a request from a real
non-loopback address where the machine has one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.health import add_routes as add_health
from ccengine.api.http import build_api
from ccengine.api.metrics import add_routes
from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.reporting.metrics import EngineMetrics
from ccengine.state.memory import MemoryState
from tests.prom import Exposition

TOKENS = {"alice": "tok-alice", "sam": "tok-sam", "admin": "tok-admin"}
METRICS_TOKEN = "scrape-0123456789abcdef"
REMOTE = "192.0.2.10"


@web.middleware
async def fake_peer(request: web.Request, handler: Any) -> web.StreamResponse:
    peer = request.headers.get("X-Test-Peer")
    return await handler(request.clone(remote=peer) if peer else request)


@pytest.fixture
async def client() -> AsyncIterator[tuple[TestClient, dict[str, str | None]]]:
    dispatcher = Dispatcher(MemoryState(),
                            {"sales": QueueConfig("sales", frozenset({Medium.VOICE}))},
                            {"alice": AgentProfile("alice", "Alice")})
    users = {"alice": User("alice", "agent"), "sam": User("sam", "supervisor"),
             "admin": User("admin", "admin")}
    app = build_api(TokenAuth(users, TOKENS), dispatcher, ScreenPopFeed(), None)
    app.middlewares.append(fake_peer)
    config: dict[str, str | None] = {"token": METRICS_TOKEN}   # what a reload may change
    metrics = EngineMetrics(dispatcher)
    add_routes(app, metrics, lambda: config["token"])

    async def up() -> dict[str, Any]:
        return {"ok": True}

    async def down() -> dict[str, Any]:
        raise ConnectionError("AMI is not logged in")
    add_health(app, {"asterisk": up, "ami": down, "store": up})
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c, config
    metrics.close()


def headers(peer: str | None = None, token: str | None = None, **more: str) -> dict[str, str]:
    out = dict(more)
    if peer:
        out["X-Test-Peer"] = peer
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out


async def test_given_a_loopback_peer_without_token_then_metrics_are_served(client) -> None:  # type: ignore[no-untyped-def]
    c, _ = client
    r = await c.get("/metrics")
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    m = Exposition.parse(await r.text())
    # the health checks /api/health runs, as gauges: one failing is 0, not an error
    assert (m.value("ccengine_asterisk_up"), m.value("ccengine_ami_up"),
            m.value("ccengine_store_up")) == (1, 0, 1)
    assert "ccengine_ari_up" not in m.families        # a part this engine does not check
    assert m.value("ccengine_queue_waiting", queue="sales", medium="voice") == 0
    for peer in ("::1", "::ffff:127.0.0.1", "127.0.0.5"):
        assert (await c.get("/metrics", headers=headers(peer))).status == 200, peer


@pytest.mark.parametrize("extra", [{}, {"X-Test-Peer": REMOTE},
                                   {"X-Forwarded-For": "203.0.113.9"},
                                   {"Forwarded": "for=203.0.113.9"}])
async def test_given_another_peer_or_a_proxied_request_without_token_then_401(
        client, extra: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    c, _ = client
    peer = extra.get("X-Test-Peer", REMOTE if not extra else None)
    r = await c.get("/metrics", headers={**headers(peer), **extra})
    assert r.status == 401
    assert (await r.json())["error"] == "unauthenticated"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("token", "status"), [(METRICS_TOKEN, 200), ("tok-admin", 200),
                                               ("tok-sam", 200), ("tok-alice", 403),
                                               ("wrong-token-0123456789", 401)])
async def test_given_another_peer_with_a_token_then_only_metrics_admin_supervisor_tokens(
        client, token: str, status: int) -> None:  # type: ignore[no-untyped-def]
    c, _ = client
    r = await c.get("/metrics", headers=headers(REMOTE, token))
    assert r.status == status, await r.text()
    if status == 200:
        assert "ccengine_build_info" in await r.text()


async def test_given_the_token_changed_by_a_reload_then_the_new_one_counts(client) -> None:  # type: ignore[no-untyped-def]
    c, config = client
    config["token"] = "rotated-0123456789abcdef"
    assert (await c.get("/metrics", headers=headers(REMOTE, METRICS_TOKEN))).status == 401
    assert (await c.get("/metrics", headers=headers(REMOTE, config["token"]))).status == 200
    config["token"] = None                 # none configured: admins' tokens still work
    assert (await c.get("/metrics", headers=headers(REMOTE, "tok-admin"))).status == 200
    assert (await c.get("/metrics", headers=headers(REMOTE, METRICS_TOKEN))).status == 401
