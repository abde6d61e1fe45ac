"""End-to-end fixtures: a running engine with its private Asterisk on free loopback ports,
baresip softphones registered as agents, sipp callers, and agents' screen-pop feeds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import uvloop

from ccengine.config import load_config
from ccengine.engine import Engine
from ccengine.telephony.ari.client import basic_auth
from tests.e2e.ports import free_port, free_range
from tests.polling import eventually  # noqa: F401 - the tests import it from here
from tests.sip.baresip import Baresip
from tests.sip.sipp import CallerScript, SippCaller

CHAT_SITE = "https://shop.example.com"  # the web site the e2e chats' widget is on
VisitorChat = tuple[dict[str, Any], aiohttp.ClientWebSocketResponse]  # session, its socket

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.asterisk


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item
                                  ) -> dict[str, Any]:
    """The engine runs on uvloop (``event_loop``'s default): so do the end-to-end tests,
    which run it in their own loop."""
    return {"uvloop": uvloop.new_event_loop}


if not shutil.which("asterisk") or not shutil.which("sipp") or not shutil.which("baresip"):
    pytest.skip("needs asterisk, sipp and baresip (scripts/install-system.sh)",
                allow_module_level=True)




@dataclass
class Feed:
    """An agent's screen-pop websocket, collecting everything it receives."""

    agent_id: str
    ws: aiohttp.ClientWebSocketResponse
    messages: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(msg.data))

    def offers(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == "offer"]

    def states(self) -> list[dict[str, Any]]:
        """The ``state`` frames: the agent's state after each change."""
        return [m for m in self.messages if m.get("type") == "state"]


@dataclass
class Rig:
    engine: Engine
    workdir: Path
    http: aiohttp.ClientSession
    tokens: dict[str, str]
    phones: dict[str, Baresip] = field(default_factory=dict)
    feeds: dict[str, Feed] = field(default_factory=dict)
    callers: list[SippCaller] = field(default_factory=list)

    @property
    def api(self) -> str:
        c = self.engine.config.api
        return f"http://{c.host}:{c.port}"

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def call_api(self, method: str, path: str, user: str, **kw: Any) -> Any:
        headers = {**kw.pop("headers", {}), **self.auth(user)}
        async with self.http.request(method, f"{self.api}{path}", headers=headers,
                                     **kw) as r:
            body = await r.json()
            if r.status >= 400:
                raise AssertionError(f"{method} {path} -> {r.status}: {body}")
            return body

    async def login(self, agent: str) -> None:
        await self.call_api("POST", f"/api/agents/{agent}/login", agent)

    async def agent_state(self, agent: str) -> str:
        return (await self.call_api("GET", f"/api/agents/{agent}", agent))["state"]

    async def ari(self, method: str, path: str, **params: Any) -> Any:
        """Asterisk's JSON answer to an ARI request, or None when it is not a 200."""
        status, body = await self.ari_answer(method, path, **params)
        return body if status == 200 else None

    async def ari_answer(self, method: str, path: str, **params: Any) -> tuple[int, Any]:
        """The status of an ARI request and its answer (JSON for a 200, else the text)."""
        c = self.engine.config.asterisk
        s = self.engine.rendered.secrets  # type: ignore[union-attr]
        url = f"http://{c.control_bind}:{c.http_port}/ari{path}"
        async with self.http.request(method, url, params=params,
                                     headers={"Authorization": basic_auth(
                                         s.ari_user, s.ari_password)}) as r:
            return r.status, (await r.json() if r.status == 200 else await r.text())

    @contextlib.asynccontextmanager
    async def visitor_chat(self, **visitor: Any) -> AsyncIterator[VisitorChat]:
        """A web visitor on ``CHAT_SITE`` opens a chat (``visitor``: name, phone, email):
        its session (token, chat_id) and its websocket, the hello already read; the socket
        is closed on leaving."""
        async with self.http.post(f"{self.api}/chat/sessions", json=visitor,
                                  headers={"Origin": CHAT_SITE}) as r:
            assert r.status == 201, await r.text()
            session = await r.json()
        ws = await self.http.ws_connect(f"ws://127.0.0.1:{self.engine.config.api.port}"
                                        f"/chat/ws?token={session['token']}",
                                        headers={"Origin": CHAT_SITE})
        try:
            hello = await ws.receive_json(timeout=10)
            assert (hello["type"], hello["chat_id"]) == ("hello", session["chat_id"]), hello
            yield session, ws
        finally:
            await ws.close()

    async def rtp_both_ways(self, channels: list[str], timeout: float) -> None:
        """Wait until every one of these channels has received and sent RTP."""
        seen: dict[str, object] = {}

        async def counts() -> bool:
            for ch in channels:
                for var in ("CHANNEL(rtcp,rxcount)", "CHANNEL(rtcp,txcount)"):
                    status, body = await self.ari_answer(
                        "GET", f"/channels/{ch}/variable", variable=var)
                    # a failed read keeps Asterisk's answer, to tell a gone channel (404)
                    # from a leg without RTP statistics (500)
                    seen[f"{ch} {var}"] = (body.get("value") if status == 200
                                           else f"HTTP {status}: {body}")
            return all(str(v).isdigit() and int(str(v)) > 0 for v in seen.values())
        try:
            await eventually(counts, timeout, "RTP received and sent on both legs")
        except AssertionError as e:
            sipp = "; ".join(f"caller {i} errors: {caller.errors()!r}"
                             for i, caller in enumerate(self.callers) if caller.errors())
            raise AssertionError(f"{e}; last counts: {seen}; {sipp or 'no sipp errors'}"
                                 ) from None

    async def start_phone(self, agent: str, answer: str = "auto", **options: Any) -> Baresip:
        """A baresip phone registered as ``agent`` (or a supervisor); ``options`` go to
        Baresip (tone, record)."""
        secrets = self.engine.rendered.secrets  # type: ignore[union-attr]
        phone = Baresip(self.workdir, agent, secrets.sip_passwords[agent],
                        self.engine.config.asterisk.phone_sip_port, free_port(2), free_port(),
                        free_range(20), answer=answer, **options)
        phone.start()
        self.phones[agent] = phone
        ami = self.engine.ami
        assert ami is not None
        try:
            await eventually(lambda: ami.contacts.get(agent), 15,
                             f"{agent}'s phone registered and reachable")
        except AssertionError:
            # tell a phone that never registered from a contact event the engine missed
            await ami.resync()
            now = ("registered (its ContactStatus event never reached the engine)"
                   if ami.contacts.get(agent) else "not registered")
            raise AssertionError(f"{agent}'s phone: no reachable contact within 15 s; "
                                 f"asking Asterisk now: {now}") from None
        return phone

    async def open_feed(self, agent: str) -> Feed:
        ws = await self.http.ws_connect(f"ws://127.0.0.1:{self.engine.config.api.port}"
                                        f"/ws/agent?token={self.tokens[agent]}")
        feed = Feed(agent, ws)
        first = await ws.receive_json(timeout=5)
        assert (first["type"], first["agent_id"]) == ("hello", agent), first
        assert first["agent"] is None or first["agent"]["id"] == agent, first
        feed.messages.append(first)
        feed.task = asyncio.ensure_future(feed._read())
        self.feeds[agent] = feed
        return feed

    async def place_call(self, script: CallerScript, caller: str = "07700900123",
                         service: str = "5000") -> SippCaller:
        sipp = SippCaller(self.workdir, f"{len(self.callers)}", script, caller=caller,
                          service=service, target_port=self.engine.config.asterisk.sip_port,
                          sip_port=free_port(), media_port=free_range(4),
                          control_port=free_port())
        await sipp.start()
        self.callers.append(sipp)
        return sipp


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    """A running engine (private Asterisk on free ports, SQLite, memory state; Redis live
    state when parametrised with "redis")."""
    param = getattr(request, "param", "memory")
    backend = param if isinstance(param, str) else param.get("backend", "memory")
    extra = [] if isinstance(param, str) else list(param.get("overrides", []))
    async with running_rig(tmp_path, backend, extra) as r:
        yield r


@contextlib.asynccontextmanager
async def running_rig(tmp_path: Path, backend: str = "memory",
                      extra: Sequence[str] = ()) -> AsyncIterator[Rig]:
    """The rig fixture's engine, for fixtures that need to prepare config first."""
    rtp = free_range(200)
    prefix = f"cce2e:{uuid.uuid4().hex[:8]}:"
    config = load_config(None, env={}, overrides=[
        f"state.backend={backend}", "state.redis_url=redis://127.0.0.1:6379/15",
        f"state.redis_prefix='{prefix}'",  # values are YAML: quote the colons
        f"runtime_dir={tmp_path / 'var'}",
        f"ivr.dir={REPO / 'ivr'}",
        f"api.port={free_port()}",
        f"asterisk.sip_port={free_port()}",
        f"asterisk.phone_sip_port={free_port()}",
        f"asterisk.http_port={free_port()}",
        f"asterisk.ami_port={free_port()}",
        f"asterisk.rtp_start={rtp}",
        f"asterisk.rtp_end={rtp + 199}",
        "offer_timeout=8",
        # the embedded defaults' people, on baresip phones (SIP) rather than the desk's
        # WebRTC phone; a test's own agents=/supervisors= replace these
        "agents=[{id: alice, name: Alice, skills: {sales: 5}, capacity: {voice: 1, chat: 3, "
        "email: 2}, phone: sip}, {id: bob, name: Bob, skills: {support: 5}, capacity: "
        "{voice: 1, chat: 3, email: 2}, phone: sip}]",
        "supervisors=[{id: sam, name: Sam, queues: [sales, support], phone: sip}]",
        "queues=[{name: sales, media: [voice], required_skills: {sales: 1}, "
        "wrapup_seconds: 2}, {name: support, media: [voice], required_skills: {support: 1}, "
        "wrapup_seconds: 2}]",
        *extra,
    ])
    engine = Engine(config)
    await engine.start()
    async with aiohttp.ClientSession() as http:
        r = Rig(engine, tmp_path, http, dict(engine.rendered.secrets.api_tokens))  # type: ignore[union-attr]
        try:
            yield r
        finally:
            for feed in r.feeds.values():
                if feed.task:
                    feed.task.cancel()
                await feed.ws.close()
            for caller in r.callers:
                await caller.stop()
            for phone in r.phones.values():
                phone.stop()
            await engine.stop()
            if backend == "redis":
                await drop_redis_prefix("redis://127.0.0.1:6379/15", prefix)


async def drop_redis_prefix(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis
    client = aioredis.from_url(url)
    keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def carrier(tmp_path: Path) -> AsyncIterator[Any]:
    """A sipp carrier behind a SIP trunk (tests/sip/carrier.py), for the trunk tests."""
    from tests.e2e.trunk_rig import start_carrier
    c = await start_carrier(tmp_path)
    try:
        yield c
    finally:
        await c.stop()
