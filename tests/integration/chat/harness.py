"""A chat rig over real HTTP and websockets: the API app with the chat routes on a real
loopback server, a real SQLite store, the dispatcher on memory live state, the screen-pop
feed; visitors and agents are aiohttp clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import build_api
from ccengine.channels.chat import ChatChannel, add_routes, load_chat_settings
from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.customers import CustomerContext
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.callbacks import CallbackRepository
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.messages import MessageRepository
from ccengine.telephony.outbound.numbers import DialPolicy
from ccengine.telephony.outbound.requests import CallbackRequests
from tests.polling import eventually  # noqa: F401 - the tests import it from here

TOKENS = {"alice": "tok-alice", "bob": "tok-bob", "sam": "tok-sam"}
SITE = "https://shop.example.com"




@dataclass
class Socket:
    """A websocket client collecting every JSON frame it receives."""

    ws: aiohttp.ClientWebSocketResponse
    frames: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def start(self) -> Socket:
        self.task = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.frames.append(json.loads(msg.data))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == kind]

    async def wait(self, kind: str, what: str = "", count: int = 1,
                   timeout: float = 10.0) -> dict[str, Any]:
        """The ``count``-th frame of ``kind`` (waiting for it)."""
        frames = await eventually(lambda: len(self.of(kind)) >= count and self.of(kind),
                                  timeout, what or f"{count} {kind} frame(s)")
        return frames[count - 1]

    async def send(self, frame: Mapping[str, Any] | str) -> None:
        await self.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    async def closed(self, timeout: float = 10.0) -> int | None:
        await eventually(lambda: self.ws.closed, timeout, "the socket closed")
        return self.ws.close_code

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        await self.ws.close()


@dataclass
class Visitor:
    chat_id: str
    token: str
    socket: Socket | None = None


@dataclass
class ChatRig:
    server: TestServer
    http: aiohttp.ClientSession
    dispatcher: Dispatcher
    chat: ChatChannel
    messages: MessageRepository
    customers: CustomerRepository
    recorder: InteractionRepository
    sockets: list[Socket] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def api(self, method: str, path: str, user: str | None = None,
                  **kw: Any) -> tuple[int, Any]:
        headers = dict(kw.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Bearer {TOKENS[user]}"
        async with self.http.request(method, self.base + path, headers=headers, **kw) as r:
            text = await r.text()
            return r.status, json.loads(text) if text else None

    async def start_chat(self, origin: str | None = SITE, **fields: Any) -> Visitor:
        status, body = await self.api("POST", "/chat/sessions", json=fields,
                                      headers={"Origin": origin} if origin else {})
        if status != 201:
            raise AssertionError(f"POST /chat/sessions -> {status}: {body}")
        return Visitor(body["chat_id"], body["token"])

    async def connect(self, visitor: Visitor, origin: str | None = SITE) -> Socket:
        ws = await self.http.ws_connect(f"{self.base}/chat/ws?token={visitor.token}",
                                        headers={"Origin": origin} if origin else {})
        socket = Socket(ws).start()
        self.sockets.append(socket)
        await socket.wait("hello", "the hello frame")
        visitor.socket = socket
        return socket

    async def visitor(self, **fields: Any) -> Visitor:
        visitor = await self.start_chat(**fields)
        await self.connect(visitor)
        return visitor

    async def feed(self, agent: str) -> Socket:
        ws = await self.http.ws_connect(f"{self.base}/ws/agent?token={TOKENS[agent]}")
        socket = Socket(ws).start()
        self.sockets.append(socket)
        await socket.wait("hello", f"{agent}'s feed hello")
        return socket

    async def login(self, agent: str) -> None:
        status, body = await self.api("POST", f"/api/agents/{agent}/login", agent)
        assert status == 200, body

    async def accept(self, agent: str, chat_id: str) -> None:
        status, body = await self.api("POST", f"/api/interactions/{chat_id}/accept", agent)
        assert status == 200, body

    async def say(self, agent: str, chat_id: str, text: str) -> dict[str, Any]:
        status, body = await self.api("POST", f"/api/interactions/{chat_id}/messages", agent,
                                      json={"text": text})
        assert status == 201, body
        return body

    async def slots(self, agent: str) -> dict[str, str]:
        view = await self.dispatcher.agent_view(agent)
        return {s["interaction_id"]: s["state"] for s in view["slots"]}

    async def live_ids(self) -> set[str]:
        return {i.id for i in await self.dispatcher.state.waiting()} | {
            s.interaction_id for a in (await self.dispatcher.state.agents()).values()
            for s in a.slots if s.state != "wrap_up"}


DEFAULT_CHAT = {"allowed_origins": [SITE], "entry_points": {"web": "sales"},
                "reconnect_grace": 30, "idle_timeout": 600}


async def start_rig(tmp_path: Path, chat: Mapping[str, Any] | None = None,
                    chat_capacity: int = 3, wrapup_seconds: float = 0.0,
                    extra_channels: tuple[Any, ...] = ()) -> tuple[ChatRig, Callable[[], Any]]:
    """A running rig and its async closer."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    await db.migrate()
    queues = {"sales": QueueConfig("sales", frozenset({Medium.CHAT, Medium.CALLBACK}),
                                   wrapup_seconds=wrapup_seconds)}
    capacity = {Medium.CHAT: chat_capacity, Medium.CALLBACK: 1}
    agents = {a: AgentProfile(a, a.title(), capacity=capacity) for a in ("alice", "bob")}
    dispatcher = Dispatcher(MemoryState(), queues, agents, offer_timeout=60,
                            tick_seconds=0.05)
    recorder = InteractionRepository(db)
    customers = CustomerRepository(db, "GB")
    messages = MessageRepository(db)
    feed = ScreenPopFeed(enrich=CustomerContext(customers).screen_pop)
    dispatcher.subscribe(feed.on_event)
    dispatcher.subscribe(recorder.on_event)
    settings = load_chat_settings({"chat": {**DEFAULT_CHAT, **(chat or {})}}, "test.yaml",
                                  queues)
    channel = ChatChannel(dispatcher, messages, customers, feed, settings)
    dispatcher.register_channel(channel)
    for extra in extra_channels:
        dispatcher.register_channel(extra(dispatcher) if callable(extra) else extra)
        if getattr(extra, "medium", None) == Medium.CALLBACK:
            # the callback feature's real requests book what the visitor asks for
            channel.callbacks = CallbackRequests(
                CallbackRepository(db), recorder, dispatcher, DialPolicy(),
                link=CustomerContext(customers).link, clock=time.time)
    dispatcher.subscribe(channel.on_event)
    await dispatcher.start()
    await channel.start()
    users = {"alice": User("alice", "agent"), "bob": User("bob", "agent"),
             "sam": User("sam", "supervisor")}
    app = build_api(TokenAuth(users, TOKENS), dispatcher, feed, recorder)
    add_routes(app, channel, messages)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession()
    rig = ChatRig(server, http, dispatcher, channel, messages, customers, recorder)

    async def close() -> None:
        for socket in rig.sockets:
            await socket.close()
        await http.close()
        await server.close()
        await channel.stop()
        await dispatcher.stop()
        await db.close()

    return rig, close
