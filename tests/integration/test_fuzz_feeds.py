"""The websockets and the public chat routes against hypothesis-generated input, over the
real aiohttp server of the engine (the API app with the chat and wallboard routes, a real
SQLite store, the dispatcher on memory live state; no Asterisk):

- the agent feed (``/ws/agent``) and the wallboard feed (``/ws/wall``) are one-way: whatever
  a client sends (any unicode, JSON of any shape, binary, pings, frames breaking the
  websocket protocol) is ignored or ends that socket with a proper close code, and the feed
  goes on delivering real frames, to that socket and to everybody else's;
- their handshakes with hostile tokens, query strings, origins and cookies get 401/403;
- ``POST /chat/sessions`` with any body and headers answers 201 or a 4xx JSON error;
- the visitor's websocket (``/chat/ws``) answers each frame with an ack or an error frame
  (or closes cleanly), and afterwards the chat still works, every accepted text stored
  exactly as sent.

No case may get a 5xx or make the server log an error. Each test prints how many cases it
ran (``pytest -s``)."""

from __future__ import annotations

import asyncio
import html
import io
import json
import logging
import re
import time
import unicodedata
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestServer
from hypothesis import strategies as st
from yarl import URL

import ccengine.api.wall as wall_module
from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import SESSION_COOKIE, build_api
from ccengine.api.session import start_signin
from ccengine.api.wall import WallFeed
from ccengine.api.wall import add_routes as add_wall_routes
from ccengine.channels.chat import ChatChannel, add_routes, load_chat_settings
from ccengine.channels.work import WorkChannel
from ccengine.config import SessionSettings
from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.core.supervision import SupervisorProfile
from ccengine.cti.customers import CustomerContext
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.reporting.live_tiles import LiveTiles
from ccengine.state.memory import MemoryState
from ccengine.store.callbacks import CallbackRepository
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.messages import MessageRepository
from ccengine.store.users import UserRepository
from ccengine.telephony.outbound.numbers import DialPolicy
from ccengine.telephony.outbound.requests import CallbackRequests
from tests.fuzz_frames import (
    Frame,
    binary_frames,
    control_frames,
    fuzz,
    header_texts,
    json_values,
    odd_json,
    pick,
    raw_frames,
    send,
    text_frames,
    texts,
    typed_frames,
)

# a failing case's repr may be huge (a 40 000-character text): hypothesis warns, and the
# warning must not hide the failure it reports
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

TOKENS = {"alice": "tok-alice", "bob": "tok-bob", "sam": "tok-sam", "admin": "tok-admin"}
SITE = "https://shop.example.com"
PASSWORD = "sam-secret-333"
MAX_CHARS = 2000
# a server's close of a misbehaving client: normal, going away, protocol error, unsupported
# data, invalid payload, policy, too big; never 1006 (dropped) or 1011 (internal error)
CLEAN_CLOSES = {1000, 1001, 1002, 1003, 1007, 1008, 1009}
CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class CallbackChannel(WorkChannel):
    medium = Medium.CALLBACK


# ------------------------------------------------------------------ the engine
@dataclass
class Rig:
    server: TestServer
    http: aiohttp.ClientSession
    dispatcher: Dispatcher
    messages: MessageRepository
    chat: ChatChannel
    sockets: list[aiohttp.ClientWebSocketResponse] = field(default_factory=list)

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

    async def connect(self, path: str, **kw: Any) -> aiohttp.ClientWebSocketResponse:
        """A websocket on ``path`` whose hello has arrived."""
        ws = await self.http.ws_connect(self.base + path, autoclose=False, **kw)
        self.sockets.append(ws)
        hello = await next_frame(ws, lambda f: f["type"] == "hello")
        assert hello is not None, f"no hello on {path}"
        return ws


async def start_rig(tmp_path: Path) -> tuple[Rig, Callable[[], Awaitable[None]]]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}")
    await db.migrate()
    queues = {"sales": QueueConfig("sales", frozenset({Medium.CHAT, Medium.CALLBACK}))}
    capacity = {Medium.CHAT: 3, Medium.CALLBACK: 1}
    agents = {a: AgentProfile(a, a.title(), capacity=capacity) for a in ("alice", "bob")}
    dispatcher = Dispatcher(MemoryState(), queues, agents, offer_timeout=600,
                            tick_seconds=0.5)
    recorder, customers = InteractionRepository(db), CustomerRepository(db, "GB")
    messages = MessageRepository(db)
    feed = ScreenPopFeed(enrich=CustomerContext(customers).screen_pop, views=dispatcher)
    dispatcher.subscribe(feed.on_event)
    dispatcher.subscribe(recorder.on_event)
    settings = load_chat_settings({"chat": {
        "allowed_origins": [SITE], "entry_points": {"web": "sales"}, "reconnect_grace": 60,
        "idle_timeout": 600, "max_message_chars": MAX_CHARS, "sessions_per_minute": 10**6,
        "messages_per_minute": 10**6}}, "fuzz.yaml", queues)
    chat = ChatChannel(dispatcher, messages, customers, feed, settings)
    dispatcher.register_channel(chat)
    dispatcher.register_channel(CallbackChannel(dispatcher))
    chat.callbacks = CallbackRequests(CallbackRepository(db), recorder, dispatcher,
                                      DialPolicy(), link=CustomerContext(customers).link,
                                      clock=time.time)
    dispatcher.subscribe(chat.on_event)
    wall = WallFeed(dispatcher, LiveTiles(queues, timezone="UTC", short_abandon_seconds=5.0,
                                          clock=time.time),
                    lambda: {"sam": SupervisorProfile("sam", "Sam", frozenset({"*"}))})
    dispatcher.subscribe(wall.on_event)
    await dispatcher.start()
    await chat.start()
    wall_task = asyncio.ensure_future(wall.run())
    users = {"alice": User("alice", "agent"), "bob": User("bob", "agent"),
             "sam": User("sam", "supervisor"), "admin": User("admin", "admin")}
    # signed-in pages too: their session cookie opens feeds from the engine's origin only
    signin = await start_signin(db, users, SessionSettings(), clock=time.time)
    await UserRepository(db).set_password("sam", PASSWORD)
    app = build_api(TokenAuth(users, TOKENS), dispatcher, feed, recorder, signin=signin)
    add_routes(app, chat, messages)
    add_wall_routes(app, wall)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    # no cookie jar: a request carries a session cookie only when a test sends one
    rig = Rig(server, aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()), dispatcher,
              messages, chat)

    async def close() -> None:
        for ws in rig.sockets:
            await drop(ws)
        await rig.http.close()
        await server.close()
        wall_task.cancel()
        await asyncio.gather(wall_task, return_exceptions=True)
        await chat.stop()
        await dispatcher.stop()
        await db.close()

    return rig, close


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(wall_module, "FLUSH_SECONDS", 0.01)  # a case a few ms, not 250
    r, close = await start_rig(tmp_path)
    try:
        yield r
    finally:
        await close()


def no_server_errors(caplog: pytest.LogCaptureFixture) -> None:
    bad = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, "the server logged errors:\n" + "\n".join(bad)


def report(target: str, count: int, started: float) -> None:
    print(f"\n[fuzz] {target}: {count} cases in {time.monotonic() - started:.1f} s")


# ------------------------------------------------------------------ websocket helpers
CLOSED_WITH: weakref.WeakKeyDictionary[aiohttp.ClientWebSocketResponse, int] = \
    weakref.WeakKeyDictionary()


async def next_frame(ws: aiohttp.ClientWebSocketResponse, wanted: Callable[[Any], bool],
                     timeout: float = 5.0) -> dict[str, Any] | None:
    """The next JSON frame ``wanted`` accepts (others skipped); None once the server closed
    the socket (``closed_with(ws)``: the code of its close frame, 1006 without one). Fails
    if neither happens within ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("the feed went silent: no frame and no close")
        msg = await ws.receive(timeout=left)
        if msg.type == WSMsgType.TEXT:
            frame = json.loads(msg.data)
            if wanted(frame):
                return frame
        elif msg.type == WSMsgType.CLOSE:
            CLOSED_WITH[ws] = msg.data
            await ws.close()   # answer the server's close (autoclose is off)
            return None
        elif msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED):
            CLOSED_WITH.setdefault(ws, 1006)   # the connection dropped, no close frame
            return None
        elif msg.type == WSMsgType.ERROR:
            raise AssertionError(f"the server's frames broke the protocol: {msg.data!r}")


def closed_with(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    return CLOSED_WITH.get(ws)


async def drop(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Leave without a closing handshake (the stream may be garbled by raw frames)."""
    if not ws.closed:
        transport = ws._writer.transport
        transport.abort()
        await ws.close()


async def send_all(ws: aiohttp.ClientWebSocketResponse, frames: list[Frame]) -> None:
    for frame in frames:
        try:
            await send(ws, frame)
        except (ConnectionError, RuntimeError):
            return   # the server closed it meanwhile: the caller checks how


async def toggle(rig: Rig, who: str, logged_in: bool) -> bool:
    """Log ``who`` in or out through the REST API; their new presence is returned."""
    action = "logout" if logged_in else "login"
    status, body = await rig.api("POST", f"/api/agents/{who}/{action}", who)
    assert status == 200, body
    return not logged_in


def presence_is(logged_in: bool) -> Callable[[dict[str, Any]], bool]:
    return lambda presence: (presence == "logged_out") != logged_in


# ------------------------------------------------------------------ the one-way feeds
feed_objects = typed_frames(
    ["hello", "state", "offer", "ping", "subscribe", "ack", "tiles", "agents", "alert",
     "login", "close", "message"],
    {"agent_id": json_values, "token": texts, "queue": json_values, "alert": json_values,
     "data": json_values, "id": json_values})
feed_frames = pick(text_frames(feed_objects), text_frames(feed_objects), binary_frames,
                   control_frames, raw_frames)


async def survives_frames(rig: Rig, path: str, user: str, bystander: str, real: str,
                          examples: int) -> int:
    """Fuzz one socket of ``path`` (``user``'s) while ``bystander``'s stays open; after each
    case the agent alice changes state and both sockets must get the ``real`` frame telling
    it, unless the server closed the fuzzed one with a proper code (then a new one opens)."""
    others = await rig.connect(f"{path}?token={TOKENS[bystander]}")
    now: dict[str, Any] = {"ws": None, "in": False, "kept": 0}
    codes: dict[int | None, int] = {}

    def told(frame: dict[str, Any]) -> bool:
        if frame["type"] != real:
            return False
        rows = [frame["agent"]] if real == "state" else frame["agents"]
        return any(r["id"] == "alice" and presence_is(now["in"])(r["presence"]) for r in rows)

    async def case(frames: list[Frame]) -> None:
        ws = now["ws"] or await rig.connect(f"{path}?token={TOKENS[user]}")
        now["ws"] = ws
        await send_all(ws, frames)
        now["in"] = await toggle(rig, "alice", bool(now["in"]))
        got = await next_frame(ws, told)
        if got is None:
            assert closed_with(ws) in CLEAN_CLOSES, (closed_with(ws), frames)
            assert any(f.kind == "raw" for f in frames), \
                f"closed ({closed_with(ws)}) over frames a client may send: {frames}"
            codes[closed_with(ws)] = codes.get(closed_with(ws), 0) + 1
            now["ws"] = None
        else:
            now["kept"] += 1
            if any(f.kind == "raw" for f in frames):
                await drop(ws)   # what the server makes of the rest of the stream: unknown
                now["ws"] = None
        assert await next_frame(others, told) is not None, "the bystander's feed died"

    async def reset() -> None:
        if now["ws"] is not None:
            await drop(now["ws"])
        now["ws"] = None

    count = await fuzz(st.lists(feed_frames, min_size=1, max_size=4), case, examples,
                       reset=reset)
    print(f"\n[fuzz] {path}: sockets still delivering after a case: {now['kept']}; closed "
          f"by the server (close code: times): {dict(sorted(codes.items()))}")
    await rig.connect(f"{path}?token={TOKENS[user]}")   # a fresh connection: its hello
    return count


async def test_given_fuzzed_frames_then_the_agent_feed_goes_on(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    count = await survives_frames(rig, "/ws/agent", "alice", "alice", "state", 200)
    report("/ws/agent frames", count, started)
    no_server_errors(caplog)


async def test_given_fuzzed_frames_then_the_wallboard_goes_on(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    count = await survives_frames(rig, "/ws/wall", "sam", "admin", "agents", 150)
    report("/ws/wall frames", count, started)
    no_server_errors(caplog)


# ------------------------------------------------------------------ handshakes
def not_a_token(value: str | None) -> bool:
    return value is None or "tok-" not in value


query_texts = st.one_of(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#"),
            max_size=300),
    st.sampled_from(["token=", "token", "token=%00", "token=%ff%fe%", "token=a&token=b",
                     "token=" + "A" * 3000, "token[]=x", "%%%", "token=%E2%80%AE",
                     "token=null&token=undefined", ";token=x", "token=Bearer%20x"]))
handshakes = st.fixed_dictionaries({
    "path": st.sampled_from(["/ws/agent", "/ws/wall", "/chat/ws"]),
    "query": st.one_of(st.none(), query_texts,
                       st.builds(lambda t: "token=" + t.replace("#", ""), query_texts)),
    "authorization": st.one_of(st.none(), header_texts,
                               st.builds(lambda t: "Bearer " + t, header_texts)),
    "origin": st.one_of(st.none(), st.just(SITE), st.just("self"), header_texts),
    "cookie": st.one_of(st.none(), st.builds(lambda t: "ccengine_session=" + t.replace(";", ""),
                                             header_texts), header_texts,
                        st.just("signed-in")),   # sam's real session cookie
})
UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


async def test_given_hostile_handshakes_then_401_or_403_never_5xx(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    answers: dict[int | str, int] = {}

    async with rig.http.post(f"{rig.base}/api/session",
                             json={"user": "sam", "password": PASSWORD}) as r:
        assert r.status == 200, await r.text()
        session = r.cookies[SESSION_COOKIE].value

    async def case(h: dict[str, Any]) -> None:
        given = {**h, "origin": rig.base if h["origin"] == "self" else h["origin"],
                 "cookie": f"{SESSION_COOKIE}={session}" if h["cookie"] == "signed-in"
                 else h["cookie"]}
        headers = {k.title(): v for k, v in given.items()
                   if k in ("authorization", "origin", "cookie") and v is not None}
        url = URL(rig.base + h["path"] + (f"?{h['query']}" if h["query"] is not None else ""),
                  encoded=True)
        # as the server reads them (HTTP drops the blanks around a header's value)
        origin = given["origin"].strip(" \t") if given["origin"] is not None else None
        auth = (h["authorization"] or "").strip(" \t")
        token = auth[7:].strip() if auth.startswith("Bearer ") else url.query.get("token", "")
        feed_ok = h["path"] != "/chat/ws" and h["cookie"] == "signed-in" and not token \
            and origin == rig.base   # a signed-in page of the engine's own
        chat_ok = h["path"] == "/chat/ws" and (origin is None or origin.lower() == rig.base
                                               or rig.chat.settings.origin_allowed(origin))
        if feed_ok:
            ws = await rig.http.ws_connect(url, headers=headers)
            try:
                hello = await ws.receive_json(timeout=5)
                assert hello["type"] == "hello", hello
            finally:
                await ws.close()
            answers["101 feed"] = answers.get("101 feed", 0) + 1
            return
        if chat_ok:   # a visitor socket opens for anyone, then says the token is unknown
            ws = await rig.http.ws_connect(url, headers=headers)
            try:
                msg = await ws.receive_json(timeout=5)
                assert (msg["type"], msg["error"]) == ("error", "chat_not_found"), msg
                assert (await ws.receive(timeout=5)).type == WSMsgType.CLOSE
                assert ws.close_code == 4404
            finally:
                await ws.close()
            answers["101 chat"] = answers.get("101 chat", 0) + 1
            return
        async with rig.http.get(url, headers={**UPGRADE, **headers}) as r:
            body = await r.text()
            answers[r.status] = answers.get(r.status, 0) + 1
            assert r.status in (401, 403), (r.status, body, h)
            error = json.loads(body)
            assert isinstance(error["error"], str) and isinstance(error["message"], str), body
            if h["cookie"] == "signed-in" and not token and h["path"] != "/chat/ws":
                assert (r.status, error["error"]) == (403, "bad_origin"), (body, h)

    count = await fuzz(handshakes.filter(lambda h: all(map(not_a_token, h.values()))),
                       case, 200)
    report("websocket handshakes", count, started)
    print(f"[fuzz] handshake answers: {dict(sorted(answers.items(), key=str))}")
    # an agent's good token is not enough for the wallboard; the right ones open each feed
    async with rig.http.get(f"{rig.base}/ws/wall?token={TOKENS['alice']}",
                            headers=UPGRADE) as r:
        assert (r.status, (await r.json())["error"]) == (403, "forbidden")
    for path, user in (("/ws/agent", "alice"), ("/ws/wall", "sam")):
        await rig.connect(f"{path}?token={TOKENS[user]}")
    no_server_errors(caplog)


# ------------------------------------------------------------------ POST /chat/sessions
session_fields = {k: st.one_of(json_values, texts) for k in ("name", "email", "phone", "entry")}
session_bodies = st.one_of(
    st.builds(lambda d: ("json", d),
              st.fixed_dictionaries({}, optional=session_fields)),
    st.builds(lambda d, e: ("json", {**d, **e}),
              st.fixed_dictionaries({}, optional=session_fields),
              st.dictionaries(st.text(max_size=10), json_values, max_size=2)),
    st.builds(lambda v: ("json", v), json_values),
    st.builds(lambda t: ("raw", t.encode("utf-8", "surrogatepass")),
              st.one_of(texts, odd_json)),
    st.builds(lambda b: ("raw", b), st.binary(max_size=6000)),
    st.builds(lambda n: ("chunked", b'{"name": "' + b"x" * n + b'"}'), st.integers(0, 9000)),
    st.just(("none", None)),
)
session_requests = st.fixed_dictionaries({
    "body": session_bodies,
    "origin": st.one_of(st.none(), st.just(SITE), st.just("self"), header_texts),
    "content_type": st.one_of(st.none(), st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded",
         "multipart/form-data; boundary=x", "application/json; charset=latin-1"]),
        header_texts),
})


async def test_given_fuzzed_session_requests_then_201_or_a_4xx_json_error(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    answers: dict[int, int] = {}

    async def case(req: dict[str, Any]) -> None:
        kind, body = req["body"]
        origin = rig.base if req["origin"] == "self" else req["origin"]
        seen = origin.strip(" \t") if origin is not None else None   # as HTTP reads it
        headers = {"Origin": origin} if origin is not None else {}
        if req["content_type"] is not None:
            headers["Content-Type"] = req["content_type"]
        if kind == "json":
            data: Any = json.dumps(body).encode()
        elif kind == "chunked":
            async def chunks(raw: bytes = body) -> Any:
                for i in range(0, len(raw), 1000):
                    yield raw[i:i + 1000]
            data = chunks()
        else:
            data = body
        if isinstance(data, bytes):   # a file-like body: aiohttp warns on large raw bytes
            data = io.BytesIO(data)
        async with rig.http.post(rig.base + "/chat/sessions", data=data,
                                 headers=headers) as r:
            text = await r.text()
            status = r.status
            allow = r.headers.get("Access-Control-Allow-Origin")
        answers[status] = answers.get(status, 0) + 1
        assert status in (201, 400, 403, 413), (status, text, req)
        answer = json.loads(text)
        refused = seen is not None and seen.lower() != rig.base and \
            not rig.chat.settings.origin_allowed(seen)
        if refused:   # checked first, whatever the body
            assert status == 403 and allow is None, (status, allow, text, req)
        else:
            assert status != 403, (status, text, req)
            assert allow == seen, (allow, req)   # the widget can read every answer
        if status != 201:
            assert isinstance(answer["error"], str) and answer["error"], answer
            assert isinstance(answer["message"], str) and answer["message"], answer
            return
        assert set(answer) == {"chat_id", "token", "websocket"}, answer
        # what the visitor gave is kept as given (the name trimmed), never interpreted
        live = await rig.dispatcher.live_interaction(answer["chat_id"])
        name = body.get("name") if isinstance(body, dict) else None
        if isinstance(name, str) and name.strip():
            assert live.attributes["caller_name"] == name.strip()
            assert live.attributes["pop"]["visitor"] == name.strip()
        await rig.chat.end_chat(answer["chat_id"], "visitor_ended", "caller")

    count = await fuzz(session_requests, case, 200)
    report("POST /chat/sessions", count, started)
    print(f"[fuzz] /chat/sessions answers: {dict(sorted(answers.items()))}")
    no_server_errors(caplog)


# ------------------------------------------------------------------ the visitor's socket
def client_ids() -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.from_regex(r"\A[A-Za-z0-9_.:-]{1,64}\Z"), json_values)


# what the widget sends, carrying hostile text: stored and delivered as given, or refused
widget_messages = st.builds(
    lambda text, cid: {"type": "message", "text": text, **({"client_id": cid} if cid else {})},
    st.one_of(texts, st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1,
                             max_size=500)),
    st.one_of(st.none(), st.from_regex(r"\A[A-Za-z0-9_.:-]{1,64}\Z")))
visitor_objects = pick(
    widget_messages,
    typed_frames(["message"], {"text": texts, "client_id": client_ids()}),
    typed_frames(["message"], {"text": st.one_of(texts, json_values),
                               "client_id": client_ids()}),
    typed_frames(["callback"], {"number": st.one_of(texts, json_values, st.from_regex(
        r"\A\+?[0-9 ()-]{1,30}\Z"), st.sampled_from(["020 7946 0456", "+44 20 7946 0123"])),
        "client_id": client_ids()}),
    typed_frames(["typing", "read", "hello", "ack", "agent_joined", "ended"],
                 {"text": texts, "client_id": client_ids()}),
    # "end" with a client_id the frame parser refuses, so the chat goes on
    st.builds(lambda c: {"type": "end", "client_id": c},
              st.one_of(json_values, texts).filter(
                  lambda c: c is not None and not (isinstance(c, str)
                                                    and CLIENT_ID.fullmatch(c)))),
)
widget_frames = st.builds(lambda m: Frame("text", json.dumps(m)), widget_messages)
visitor_frames = pick(
    widget_frames, widget_frames, widget_frames, text_frames(visitor_objects),
    text_frames(visitor_objects), text_frames(visitor_objects), binary_frames,
    control_frames,
    st.builds(lambda n: Frame("text", json.dumps({"type": "message", "text": "y" * n})),
              st.integers(17_000, 60_000)),   # over the frame limit: closed with 1009
    raw_frames)


def acceptable(text: object) -> bool:
    """Whether chat text may be stored (the rules of docs: plain text, no controls)."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHARS:
        return False
    return not any(ch not in "\t\n\r" and (unicodedata.category(ch) in ("Cc", "Cs")
                                          or "\u202a" <= ch <= "\u202e"
                                          or "\u2066" <= ch <= "\u2069") for ch in text)


def sent_object(frame: Frame) -> dict[str, Any] | None:
    if frame.kind != "text":
        return None
    try:
        value = json.loads(frame.data)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


async def test_given_fuzzed_visitor_frames_then_errors_and_the_chat_goes_on(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    await rig.api("POST", "/api/agents/alice/login", "alice")
    desk = await rig.connect(f"/ws/agent?token={TOKENS['alice']}")
    status, chat = await rig.api("POST", "/chat/sessions", json={"name": "Vic"},
                                 headers={"Origin": SITE})
    assert status == 201, chat
    chat_id, token = chat["chat_id"], chat["token"]
    visitor_url = f"/chat/ws?token={token}"
    status, body = await rig.api("POST", f"/api/interactions/{chat_id}/accept", "alice")
    assert status == 200, body
    now: dict[str, Any] = {"ws": None, "proper": 0, "closed": 0}
    stored: dict[int, str] = {}   # message id -> the text that was acknowledged
    sendable: set[str] = set()    # every text sent that may be stored
    replies: dict[str, int] = {}
    max_frame = max(16 * 1024, MAX_CHARS * 6 + 1024)   # visitor_http's frame limit

    async def visitor() -> aiohttp.ClientWebSocketResponse:
        if now["ws"] is None:
            now["ws"] = await rig.connect(visitor_url, headers={"Origin": SITE})
        return now["ws"]

    async def case(frames: list[Frame]) -> None:
        ws = await visitor()
        for frame in frames:   # what may be stored, replies read or not (after a raw frame)
            sent = sent_object(frame)
            if sent is not None and acceptable(sent.get("text")):
                sendable.add(sent["text"])
        await send_all(ws, frames)
        oversize = False
        for frame in frames:
            if frame.kind == "raw":
                break   # what the server makes of the rest of the stream: unknown
            if frame.kind not in ("text", "binary"):
                continue
            if frame.size > max_frame:
                oversize = True   # the socket closes (1009), nothing after it is read
                break
            reply = await next_frame(ws, lambda f: f["type"] in
                                     ("ack", "error", "callback_requested"))
            assert reply is not None, (closed_with(ws), frames)
            what = reply.get("error", reply["type"])
            replies[what] = replies.get(what, 0) + 1
            sent = sent_object(frame)
            text = sent.get("text") if sent else None
            if reply["type"] == "ack":
                assert sent is not None and sent.get("type") == "message" and \
                    acceptable(text), (frame, reply)
                stored.setdefault(reply["id"], text)   # a repeated client_id: the first
            elif reply["type"] == "error":
                assert isinstance(reply["error"], str) and reply["message"], reply
                assert reply["error"] != "internal_error", (frame, reply)
                if sent is not None and sent.get("type") == "message" and \
                        reply["error"] in ("bad_text", "message_too_long",
                                           "control_characters"):
                    assert not acceptable(text), (frame, reply)
        if any(f.kind == "raw" for f in frames):
            await drop(ws)
            now["ws"] = None
        elif oversize:
            assert await next_frame(ws, lambda f: False) is None
            assert closed_with(ws) == 1009, (closed_with(ws), frames)
            now["closed"] += 1
            now["ws"] = None
        # the chat goes on: a proper message is stored and reaches the agent
        ws = await visitor()
        now["proper"] += 1
        cid = f"proper-{now['proper']}"
        text = f"<b>proper</b> {now['proper']} & {{{{7*7}}}} ${{x}}"
        await ws.send_str(json.dumps({"type": "message", "text": text, "client_id": cid}))
        ack = await next_frame(ws, lambda f: f.get("client_id") == cid)
        assert ack is not None and ack["type"] == "ack", ack
        stored[ack["id"]] = text
        got = await next_frame(desk, lambda f: f["type"] == "chat_message"
                               and f["client_id"] == cid)
        assert got is not None and got["text"] == text

    async def reset() -> None:
        if now["ws"] is not None:
            await drop(now["ws"])
        now["ws"] = None

    count = await fuzz(st.lists(visitor_frames, min_size=1, max_size=4), case, 150,
                       reset=reset)
    report("/chat/ws frames", count, started)
    print(f"[fuzz] /chat/ws replies: {dict(sorted(replies.items()))}; closed by the "
          f"server {now['closed']} time(s)")
    # every acknowledged text is stored exactly as sent, and read back so by the API
    status, body = await rig.api("GET", f"/api/interactions/{chat_id}/messages", "sam")
    assert status == 200, body
    by_id = {m["id"]: m for m in body["messages"]}
    for message_id, text in stored.items():
        got = by_id[message_id]
        assert got["text"] == text
        # the html copy is inert: no markup but the line breaks, and it reads as the text
        assert "<" not in got["html"].replace("<br>", ""), got
        assert html.unescape(got["html"].replace("<br>", "\n")) == \
            text.replace("\r\n", "\n").replace("\r", "\n"), got
    # nothing else is stored (messages sent after a raw frame may be, unacknowledged)
    assert all(m["text"] in sendable for i, m in by_id.items() if i not in stored)
    no_server_errors(caplog)


# ------------------------------------------------------------------ what the fuzzing found
async def chat_socket(rig: Rig) -> aiohttp.ClientWebSocketResponse:
    status, chat = await rig.api("POST", "/chat/sessions", json={}, headers={"Origin": SITE})
    assert status == 201, chat
    return await rig.connect(f"/chat/ws?token={chat['token']}", headers={"Origin": SITE})


async def test_given_a_frame_nested_too_deeply_then_bad_frame_and_nothing_logged(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    """Found by fuzzing: "[" * 5000 made json.loads raise RecursionError, answered as an
    internal_error with a logged traceback."""
    ws = await chat_socket(rig)
    await ws.send_str("[" * 5000)
    reply = await next_frame(ws, lambda f: f["type"] == "error")
    assert reply is not None and reply["error"] == "bad_frame", reply
    await ws.send_str(json.dumps({"type": "message", "text": "still here", "client_id": "a"}))
    ack = await next_frame(ws, lambda f: f["type"] == "ack")
    assert ack is not None and ack["client_id"] == "a"
    no_server_errors(caplog)


async def test_given_a_client_id_with_a_trailing_new_line_then_bad_frame(rig: Rig) -> None:
    """Found while fuzzing: the client_id pattern's "$" let "abc\\n" through."""
    ws = await chat_socket(rig)
    await ws.send_str(json.dumps({"type": "message", "text": "hi", "client_id": "abc\n"}))
    reply = await next_frame(ws, lambda f: f["type"] in ("ack", "error"))
    assert reply is not None and reply["error"] == "bad_frame", reply


async def test_given_visitor_details_then_the_chat_keeps_them(rig: Rig) -> None:
    """Found by fuzzing: while the API's request validation read application/json bodies
    before the route (an earlier state of the description), the route read an empty stream
    and started the chat without the visitor's name, email and phone."""
    status, chat = await rig.api("POST", "/chat/sessions", headers={"Origin": SITE}, json={
        "name": " <b>Vic</b> ", "email": "vic@example.com", "phone": "020 7946 0456"})
    assert status == 201, chat
    live = await rig.dispatcher.live_interaction(chat["chat_id"])
    assert live.attributes["pop"] == {"entry": "web", "visitor": "<b>Vic</b>",
                                      "email": "vic@example.com", "phone": "+442079460456"}
    assert live.customer_id is not None


@pytest.mark.parametrize("body", [b"\x00", b'{"name": 5}', b'{"nickname": "x"}'])
async def test_given_an_allowed_origin_when_the_body_is_refused_then_the_page_may_read_why(
        rig: Rig, body: bytes) -> None:
    """Found by fuzzing (same earlier state): a body refused by the API's request validation
    before the route was answered without the CORS headers (the widget could not read why)
    and, from an origin not allowed, with 400 instead of 403."""
    async with rig.http.post(f"{rig.base}/chat/sessions", data=body,
                             headers={"Origin": SITE}) as r:
        assert r.status == 400
        assert r.headers.get("Access-Control-Allow-Origin") == SITE
        assert (await r.json())["error"]
    async with rig.http.post(f"{rig.base}/chat/sessions", data=body,
                             headers={"Origin": "https://evil.example.com"}) as r:
        assert r.status == 403
        assert "Access-Control-Allow-Origin" not in r.headers


async def test_given_a_session_body_nested_too_deeply_then_400_bad_json(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    """Found by fuzzing: a 3 KB body of "[" made json.loads raise RecursionError: 500."""
    status, body = await rig.api("POST", "/chat/sessions", data=b"[" * 3000,
                                 headers={"Origin": SITE})
    assert (status, body["error"]) == (400, "bad_json")
    no_server_errors(caplog)


async def test_given_pings_then_the_peer_vanishes_then_nothing_logged_and_feeds_go_on(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    """Found by fuzzing: a client that pings and drops its connection made aiohttp raise
    while answering the ping, logged as an error handling the request (every server
    websocket: the chat visitor's, the agent feed, the wallboard)."""
    status, chat = await rig.api("POST", "/chat/sessions", json={}, headers={"Origin": SITE})
    assert status == 201, chat
    paths = [(f"/chat/ws?token={chat['token']}", {"headers": {"Origin": SITE}}),
             (f"/ws/agent?token={TOKENS['alice']}", {}),
             (f"/ws/wall?token={TOKENS['sam']}", {})]
    for path, kw in paths:
        for _ in range(15):
            ws = await rig.connect(path, **kw)
            for _ in range(20):
                await ws.ping(b"x" * 100)
            await drop(ws)
        await asyncio.sleep(0.2)
        await rig.connect(path, **kw)   # the next one is served as ever
    no_server_errors(caplog)
