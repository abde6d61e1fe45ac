"""The HTTP API over a real aiohttp server: every call authenticated, scoped by role, and
bad input answered with a 4xx and a stable error code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import build_api
from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository

TOKENS = {"alice": "tok-alice", "bob": "tok-bob", "sam": "tok-sam", "admin": "tok-admin"}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    await db.migrate()
    dispatcher = Dispatcher(MemoryState(),
                            {"sales": QueueConfig("sales", frozenset({Medium.VOICE}))},
                            {"alice": AgentProfile("alice", "Alice"),
                             "bob": AgentProfile("bob", "Bob")})
    await dispatcher.start()
    users = {"alice": User("alice", "agent"), "bob": User("bob", "agent"),
             "sam": User("sam", "supervisor"), "admin": User("admin", "admin")}
    app = build_api(TokenAuth(users, TOKENS), dispatcher, ScreenPopFeed(),
                    InteractionRepository(db))
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c
    await dispatcher.stop()
    await db.close()


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic YWxpY2U6eA=="}])
async def test_given_no_valid_token_when_calling_then_401(client: TestClient,
                                                          headers: dict[str, str]) -> None:
    r = await client.get("/api/me", headers=headers)
    assert r.status == 401
    assert (await r.json())["error"] == "unauthenticated"


async def test_given_agent_token_when_logging_in_self_then_available(client: TestClient) -> None:
    r = await client.post("/api/agents/alice/login", headers=bearer("alice"))
    assert r.status == 200
    assert (await r.json())["state"] == "available"


async def test_given_agent_token_when_acting_for_another_agent_then_403(
        client: TestClient) -> None:
    r = await client.post("/api/agents/bob/login", headers=bearer("alice"))
    assert r.status == 403
    assert (await r.json())["error"] == "forbidden"


async def test_given_supervisor_when_setting_agent_not_ready_then_done(client: TestClient) -> None:
    await client.post("/api/agents/bob/login", headers=bearer("bob"))
    r = await client.post("/api/agents/bob/not-ready", json={"reason": "coaching"},
                          headers=bearer("sam"))
    body = await r.json()
    assert (r.status, body["state"], body["reason"]) == (200, "not_ready", "coaching")


async def test_given_invalid_transition_when_requested_then_409_with_code(
        client: TestClient) -> None:
    r = await client.post("/api/agents/alice/ready", headers=bearer("alice"))
    assert r.status == 409
    assert (await r.json())["error"] == "invalid_transition"


@pytest.mark.parametrize(("path", "kw", "status", "code"), [
    ("/api/agents/alice/not-ready", {"data": b"{not json"}, 400, "bad_json"),
    # nested past the JSON parser's recursion limit (found by fuzzing: it was a 500)
    ("/api/agents/alice/force", {"data": b"[" * 3000}, 400, "bad_json"),
    ("/api/agents/alice/force", {"data": b"[" * 900 + b"]" * 900}, 400, "bad_request"),
    ("/api/agents/alice/not-ready", {"json": {"reason": 7}}, 400, "bad_reason"),
    ("/api/agents/alice/dance", {}, 404, "not_found"),
    ("/api/agents/zoe/login", {}, 404, "agent_not_found"),
])
async def test_given_bad_request_when_posting_then_4xx_with_reason(
        client: TestClient, path: str, kw: dict, status: int, code: str) -> None:
    await client.post("/api/agents/alice/login", headers=bearer("alice"))
    r = await client.post(path, headers=bearer("admin"), **kw)
    assert r.status == status
    assert (await r.json())["error"] == code


async def test_given_unknown_queue_or_interaction_when_getting_then_404(
        client: TestClient) -> None:
    r = await client.get("/api/queues/nowhere", headers=bearer("sam"))
    assert (r.status, (await r.json())["error"]) == (404, "queue_not_found")
    r = await client.get("/api/interactions/none", headers=bearer("sam"))
    assert (r.status, (await r.json())["error"]) == (404, "interaction_not_found")


async def test_given_feed_without_token_when_connecting_then_refused(client: TestClient) -> None:
    r = await client.get("/ws/agent")
    assert r.status == 401


async def test_given_supervisor_when_forcing_state_then_applied_and_agents_may_not(
        client: TestClient) -> None:
    r = await client.post("/api/agents/bob/force", json={"state": "available"},
                          headers=bearer("sam"))
    assert (r.status, (await r.json())["state"]) == (200, "available")
    r = await client.post("/api/agents/bob/force", json={"state": "not_ready",
                                                         "reason": "meeting"},
                          headers=bearer("sam"))
    assert (await r.json())["reason"] == "meeting"
    r = await client.post("/api/agents/bob/force", json={"state": "available"},
                          headers=bearer("bob"))
    assert r.status == 403
    r = await client.post("/api/agents/bob/force", json={"state": "asleep"},
                          headers=bearer("admin"))
    assert (r.status, (await r.json())["error"]) == (400, "bad_state")


async def test_given_open_agent_feed_when_api_shuts_down_then_feed_closed_promptly(
        tmp_path: Path) -> None:
    import asyncio

    import aiohttp
    from aiohttp import web

    from tests.e2e.ports import free_port
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    await db.migrate()
    dispatcher = Dispatcher(MemoryState(), {}, {"alice": AgentProfile("alice", "Alice")})
    app = build_api(TokenAuth({"alice": User("alice", "agent")}, TOKENS), dispatcher,
                    ScreenPopFeed(), InteractionRepository(db))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"ws://127.0.0.1:{port}/ws/agent?token=tok-alice")
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
        cleanup = asyncio.ensure_future(runner.cleanup())
        # the server closes the feed as it shuts down (it used to hold shutdown ~30 s)
        closing = await ws.receive(timeout=10)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await asyncio.wait_for(cleanup, 10)
    await db.close()
