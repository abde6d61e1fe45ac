"""An agent's feed open on one engine node gets the state frames and the pop of changes
made on another node: two dispatchers share one real Redis (live state and the event bus),
each node with its own API and feed, wired as the engine wires them."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import build_api
from ccengine.channels.work import WorkChannel
from ccengine.core.agent import AgentProfile
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.bus import RedisEventBus
from ccengine.state.redis import RedisState
from tests.integration.state.conftest import REDIS_URL, drop_prefix

pytestmark = pytest.mark.redis

TOKENS = {"alice": "tok-alice", "sam": "tok-sam"}
QUEUES = {"sales": QueueConfig("sales", frozenset({Medium.CHAT}))}
AGENTS = {"alice": AgentProfile("alice", "Alice", capacity={Medium.CHAT: 2})}


class ChatLike(WorkChannel):
    medium = Medium.CHAT


Node = tuple[Dispatcher, TestClient]


@pytest.fixture
async def two_nodes() -> AsyncIterator[tuple[Node, Node]]:
    prefix = f"ccfeed:{uuid.uuid4().hex[:8]}:"
    async with AsyncExitStack() as stack:
        nodes = []
        for name in ("a", "b"):
            state = await RedisState.connect(REDIS_URL, prefix)
            stack.push_async_callback(state.close)
            dispatcher = Dispatcher(state, QUEUES, AGENTS, tick_seconds=3600)
            dispatcher.register_channel(ChatLike(dispatcher))
            await dispatcher.start()
            stack.push_async_callback(dispatcher.stop)
            feed = ScreenPopFeed(views=dispatcher)
            dispatcher.subscribe(feed.on_event)
            # as Engine._share_events: local events out, other nodes' events to the feed
            bus = RedisEventBus(state.r, f"{prefix}events", f"node-{name}")
            await bus.start()
            stack.push_async_callback(bus.stop)
            dispatcher.subscribe(bus.publish)
            bus.subscribe(feed.on_event)
            app = build_api(TokenAuth({"alice": User("alice", "agent"),
                                       "sam": User("sam", "supervisor")}, TOKENS),
                            dispatcher, feed, None)
            client = await stack.enter_async_context(
                TestClient(TestServer(app, host="127.0.0.1")))
            nodes.append((dispatcher, client))
        stack.push_async_callback(drop_prefix, state)
        yield nodes[0], nodes[1]


async def frame(ws: ClientWebSocketResponse, kind: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        msg = await ws.receive_json(timeout=max(0.01, deadline - time.monotonic()))
        if msg["type"] == kind:
            return msg


async def test_given_feed_on_node_b_when_supervisor_forces_on_node_a_then_frame_within_1s(
        two_nodes: tuple[Node, Node]) -> None:
    (a, api_a), (_, api_b) = two_nodes
    await a.login("alice")
    ws = await api_b.ws_connect(f"/ws/agent?token={TOKENS['alice']}")
    hello = await frame(ws, "hello", 5)
    assert hello["agent"]["state"] == "available"          # node B reads the shared state
    started = time.monotonic()
    r = await api_a.post("/api/agents/alice/force", headers={"Authorization": "Bearer tok-sam"},
                         json={"state": "not_ready", "reason": "coaching"})
    assert r.status == 200, await r.text()
    state = await frame(ws, "state", 1.0)
    assert time.monotonic() - started < 1.0
    assert (state["cause"], state["by"], state["agent"]["state"],
            state["agent"]["reason"]) == ("forced", "sam", "not_ready", "coaching")
    await ws.close()


async def test_given_feed_on_node_b_when_node_a_offers_then_state_and_pop_with_expiry(
        two_nodes: tuple[Node, Node]) -> None:
    (a, _), (b, api_b) = two_nodes
    ws = await api_b.ws_connect(f"/ws/agent?token={TOKENS['alice']}")
    await frame(ws, "hello", 5)
    await a.login("alice")
    await a.enqueue(Interaction("chat-x", Medium.CHAT, queue="sales", created_at=time.time()))
    offered = await frame(ws, "state", 5)
    while offered["cause"] != "offered":
        offered = await frame(ws, "state", 5)
    assert offered["agent"]["slots"][0]["interaction_id"] == "chat-x"
    offer = await frame(ws, "offer", 5)
    assert offer["expires_at"] == offer["offered_at"] + b.offer_timeout
    await ws.close()
