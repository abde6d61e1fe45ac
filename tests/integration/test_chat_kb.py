"""The chat widget's self-service search over a real aiohttp server on a SQLite store:
GET /chat/kb finds published articles only, with absolute links to their public pages,
each counted ``shown`` on the channel ``widget``; it is public like POST /chat/sessions
(the same origin rule, CORS headers on every answer, errors included; a per-address
rate); bad input and an engine without a knowledge base get stable codes. A chat started
after a search keeps the widget's summary (which articles were shown and opened) on its
interaction's attributes; hostile summaries are refused. Every answer is checked against
the OpenAPI description (tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import build_api
from ccengine.api.knowledge import add_routes as add_kb_routes
from ccengine.channels.chat import ChatChannel, add_routes, load_chat_settings
from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.customers import CustomerContext
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.knowledge import KnowledgeRepository
from ccengine.store.messages import MessageRepository

SITE = "https://shop.example.com"
PUBLIC = "https://help.example.com"
TOKENS = {"alice": "tok-alice", "admin": "tok-admin"}


@dataclass
class KbRig:
    server: TestServer
    http: aiohttp.ClientSession
    chat: ChatChannel
    repo: KnowledgeRepository
    recorder: InteractionRepository
    dispatcher: Dispatcher

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def call(self, method: str, path: str, user: str | None = None,
                   origin: str | None = SITE,
                   **kw: Any) -> tuple[int, Any, Any]:
        headers = dict(kw.pop("headers", {}))
        if origin is not None:
            headers["Origin"] = origin
        if user is not None:
            headers["Authorization"] = f"Bearer {TOKENS[user]}"
        async with self.http.request(method, self.base + path, headers=headers, **kw) as r:
            text = await r.text()
            body = json.loads(text) if text and r.content_type == "application/json" else text
            return r.status, body, r.headers

    async def search(self, q: str | None, origin: str | None = SITE,
                     **params: str) -> tuple[int, Any, Any]:
        query = {**({"q": q} if q is not None else {}), **params}
        return await self.call("GET", "/chat/kb", origin=origin, params=query)

    async def article(self, title: str, body: str, *, published: bool = True,
                      **fields: Any) -> int:
        view = await self.repo.create(title=title, body=body, by="sam",
                                      state="published" if published else "draft", **fields)
        return view["id"]

    async def shown(self) -> dict[int, int]:
        return {row["article_id"]: row["shown"]
                for row in await self.repo.usage_report(0, 2**40)}


async def start_kb_rig(tmp_path: Path, *, knowledge: bool = True,
                       public_base: str | None = PUBLIC,
                       allowed: list[str] | None = None
                       ) -> tuple[KbRig, Callable[[], Awaitable[None]]]:
    """The API app with the chat visitor routes, the knowledge base's routes and public
    pages (when ``knowledge``) on one real loopback server and one SQLite store."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'kb-chat.db'}")
    await db.migrate()
    queues = {"sales": QueueConfig("sales", frozenset({Medium.CHAT}))}
    agents = {"alice": AgentProfile("alice", "Alice", capacity={Medium.CHAT: 2})}
    dispatcher = Dispatcher(MemoryState(), queues, agents, offer_timeout=60,
                            tick_seconds=0.05)
    recorder = InteractionRepository(db)
    customers = CustomerRepository(db, "GB")
    messages = MessageRepository(db)
    feed = ScreenPopFeed(enrich=CustomerContext(customers).screen_pop)
    dispatcher.subscribe(feed.on_event)
    dispatcher.subscribe(recorder.on_event)
    settings = load_chat_settings({"chat": {
        "allowed_origins": allowed if allowed is not None else [SITE],
        "entry_points": {"web": "sales"}}}, "test.yaml", queues)
    channel = ChatChannel(dispatcher, messages, customers, feed, settings)
    dispatcher.register_channel(channel)
    dispatcher.subscribe(channel.on_event)
    await dispatcher.start()
    await channel.start()
    repo = KnowledgeRepository(db)
    users = {"alice": User("alice", "agent"), "admin": User("admin", "admin")}
    app = build_api(TokenAuth(users, TOKENS), dispatcher, feed, recorder)
    add_routes(app, channel, messages)
    if knowledge:   # as ccengine/knowledge/part.py wires it
        add_kb_routes(app, repo)
        channel.knowledge, channel.public_base = repo, public_base
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession()
    rig = KbRig(server, http, channel, repo, recorder, dispatcher)

    async def close() -> None:
        await http.close()
        await server.close()
        await channel.stop()
        await dispatcher.stop()
        await db.close()

    return rig, close


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[KbRig]:
    r, close = await start_kb_rig(tmp_path)
    try:
        yield r
    finally:
        await close()


def cors_of(headers: Any, origin: str = SITE) -> bool:
    return headers.get("Access-Control-Allow-Origin") == origin


# ---------------------------------------------------------------------- the search
async def test_given_articles_when_visitor_searches_then_published_only_with_public_links(
        rig: KbRig) -> None:
    billed = await rig.article("Why was I billed twice?", "If you changed your plan "
                               "mid-month you see **two charges** on your invoice.",
                               tags=["billing"])
    refund = await rig.article("Refunds", "A refund for a double charge on your bill takes "
                               "five days.")
    draft = await rig.article("Billing secrets (draft)", "billed billing internal",
                              published=False)
    await rig.article("Parcel delivery", "Where is my parcel?")
    status, body, headers = await rig.search("billed")
    assert status == 200, body
    assert cors_of(headers) and headers.get("Vary") == "Origin"
    found = {a["id"]: a for a in body["articles"]}
    assert list(found)[0] == billed and draft not in found
    assert set(found) <= {billed, refund}
    first = found[billed]
    assert set(first) == {"id", "title", "excerpt", "url"}
    assert first["title"] == "Why was I billed twice?"
    assert first["url"] == f"{PUBLIC}/kb/why-was-i-billed-twice"
    assert "two charges" in first["excerpt"] and "**" not in first["excerpt"]
    # each article answered is counted shown, on the widget's channel
    assert (await rig.shown()) == {i: 1 for i in found}
    status, body, _ = await rig.search("nothing matches this")
    assert status == 200 and body == {"articles": []}
    assert draft not in await rig.shown()


async def test_given_search_when_shown_then_recorded_on_widget_channel_without_interaction(
        rig: KbRig) -> None:
    article = await rig.article("Cancel my subscription", "Go to your account page.")
    for _ in range(2):
        status, body, _ = await rig.search("cancel subscription")
        assert status == 200 and [a["id"] for a in body["articles"]] == [article]
    assert (await rig.shown()) == {article: 2}
    async with rig.repo.db.session() as s:
        from sqlalchemy import select

        from ccengine.store.models import KbUsage
        rows = (await s.execute(select(KbUsage.kind, KbUsage.channel,
                                       KbUsage.interaction_id))).all()
    assert [tuple(r) for r in rows] == [("shown", "widget", None)] * 2


async def test_given_language_then_search_keeps_to_it(rig: KbRig) -> None:
    english = await rig.article("Delivery times", "Parcels arrive in two days.")
    french = await rig.article("Délais de livraison", "Les colis arrivent en deux jours.",
                               language="fr")
    status, body, _ = await rig.search("livraison", language="fr")
    assert status == 200 and [a["id"] for a in body["articles"]] == [french]
    status, body, _ = await rig.search("delivery", language="en")
    assert status == 200 and [a["id"] for a in body["articles"]] == [english]


async def test_given_many_matches_then_at_most_five(rig: KbRig) -> None:
    for n in range(7):
        await rig.article(f"Invoice question {n}", "About invoices.")
    status, body, _ = await rig.search("invoice")
    assert status == 200 and len(body["articles"]) == 5


async def test_given_no_public_url_then_links_use_the_address_the_visitor_used(
        tmp_path: Path) -> None:
    rig, close = await start_kb_rig(tmp_path, public_base=None)
    try:
        await rig.article("Opening hours", "We are open every day.")
        status, body, _ = await rig.search("opening hours")
        assert status == 200
        assert body["articles"][0]["url"] == f"{rig.base}/kb/opening-hours"
        status, page, _ = await rig.call("GET", "/kb/opening-hours", origin=None)
        assert status == 200 and "Opening hours" in page
    finally:
        await close()


# ---------------------------------------------------------------------- CORS, bad input
async def test_given_origins_then_allowed_get_cors_others_403_and_no_origin_passes(
        rig: KbRig) -> None:
    await rig.article("Password reset", "Use the link on the sign-in page.")
    status, body, headers = await rig.search("password", origin="https://evil.example")
    assert status == 403 and body["error"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in headers
    status, body, headers = await rig.search("password", origin=None)
    assert status == 200 and len(body["articles"]) == 1
    assert "Access-Control-Allow-Origin" not in headers
    own = rig.base
    status, body, headers = await rig.search("password", origin=own)
    assert status == 200 and cors_of(headers, own)
    # the preflight of /chat/kb allows GET (that of /chat/sessions stays POST)
    status, _, headers = await rig.call("OPTIONS", "/chat/kb")
    assert status == 204 and cors_of(headers)
    assert headers["Access-Control-Allow-Methods"] == "GET"
    status, _, headers = await rig.call("OPTIONS", "/chat/sessions")
    assert status == 204 and headers["Access-Control-Allow-Methods"] == "POST"
    status, body, _ = await rig.call("OPTIONS", "/chat/kb", origin="https://evil.example")
    assert status == 403 and body["error"] == "origin_not_allowed"


@pytest.mark.parametrize("params", [
    {}, {"q": ""}, {"q": "   "}, {"q": "x" * 201},
    {"q": "billing", "language": "English!"}, {"q": "billing", "language": "e"},
    {"q": "billing", "language": "en-" + "a" * 30},
], ids=["no-q", "empty", "blank", "too-long", "bad-language", "short-language",
        "long-language"])
async def test_given_bad_search_then_400_with_cors(rig: KbRig,
                                                   params: dict[str, str]) -> None:
    status, body, headers = await rig.call("GET", "/chat/kb", params=params)
    assert status == 400, body
    assert body["error"] == ("bad_language" if "language" in params else "bad_q")
    assert cors_of(headers)


async def test_given_longest_query_and_odd_characters_then_answered(rig: KbRig) -> None:
    await rig.article("Quotes and stars", "Quotes and stars are words too.")
    for q in ("q" * 200, 'quotes" AND * : & stars', "<script>alert(1)</script>",
              "quotes\x00stars", "ünïcödé 🙂 quotes"):
        status, body, headers = await rig.search(q)
        assert status == 200, (q, body)
        assert cors_of(headers)


async def test_given_no_knowledge_base_then_503_kb_unavailable_with_cors(
        tmp_path: Path) -> None:
    rig, close = await start_kb_rig(tmp_path, knowledge=False)
    try:
        status, body, headers = await rig.search("billing")
        assert status == 503 and body["error"] == "kb_unavailable"
        assert cors_of(headers)
        # chats still start, with or without a summary
        status, body, _ = await rig.call("POST", "/chat/sessions", json={"name": "Ann"})
        assert status == 201, body
    finally:
        await close()


async def test_given_too_many_searches_from_an_address_then_429_with_cors(
        rig: KbRig) -> None:
    statuses = []
    for _ in range(35):
        status, body, headers = await rig.search("billing")
        statuses.append(status)
        if status == 429:
            break
    assert statuses[:30] == [200] * 30
    assert statuses[-1] == 429 and body["error"] == "rate_limited" and cors_of(headers)
    # starting a chat has its own allowance
    status, body, _ = await rig.call("POST", "/chat/sessions", json={})
    assert status == 201, body


# ---------------------------------------------------------------------- the summary
async def test_given_chat_after_search_then_summary_on_interaction_attributes(
        rig: KbRig) -> None:
    billed = await rig.article("Why was I billed twice?", "Two charges.")
    refund = await rig.article("Refunds", "Refunds take five days.")
    summary = {"searched": True, "articles": [billed, refund, billed], "opened": [billed]}
    status, body, headers = await rig.call("POST", "/chat/sessions",
                                           json={"name": "Ann", "kb": summary})
    assert status == 201, body
    assert cors_of(headers)
    chat_id = body["chat_id"]
    expected = {"searched": True, "articles": [billed, refund], "opened": [billed]}
    live = [i for i in await rig.dispatcher.state.waiting() if i.id == chat_id]
    assert live and live[0].attributes["kb_self_service"] == expected
    status, record, _ = await rig.call("GET", f"/api/interactions/{chat_id}", "admin",
                                       origin=None)
    assert status == 200, record
    assert record["attributes"]["kb_self_service"] == expected
    # a chat without a search carries none
    status, body, _ = await rig.call("POST", "/chat/sessions", json={"name": "Bob"})
    assert status == 201
    status, record, _ = await rig.call("GET", f"/api/interactions/{body['chat_id']}",
                                       "admin", origin=None)
    assert "kb_self_service" not in record["attributes"]


async def test_given_searches_then_chats_when_report_asked_then_chats_after_per_article(
        rig: KbRig) -> None:
    parcel = await rig.article("Parcel delivery", "Where is my parcel?")
    hours = await rig.article("Opening hours", "We are open every day.")

    async def searched(*queries: str) -> list[int]:
        shown: list[int] = []
        for q in queries:
            status, body, _ = await rig.search(q)
            assert status == 200, body
            shown += [a["id"] for a in body["articles"]]
        return shown

    # Ann reads two searches' results, then chats; Bob finds his answer and does not;
    # Cy chats after one search
    ann = await searched("parcel", "opening hours")
    assert ann == [parcel, hours]
    assert await searched("parcel") == [parcel]
    for shown in (ann, await searched("parcel delivery")):
        status, body, _ = await rig.call("POST", "/chat/sessions", json={
            "kb": {"searched": True, "articles": shown, "opened": []}})
        assert status == 201, body
    status, report, _ = await rig.call("GET", "/api/kb/report", "admin", origin=None)
    assert status == 200, report
    assert [(a["article_id"], a["shown"], a["chats_after"]) for a in report["articles"]] == [
        (parcel, 3, 2), (hours, 1, 1)]
    status, body, _ = await rig.call("GET", "/api/kb/report", "alice", origin=None)
    assert (status, body["error"]) == (403, "forbidden")


async def test_given_empty_or_null_summary_then_accepted(rig: KbRig) -> None:
    for kb, stored in (({}, {"searched": False, "articles": [], "opened": []}),
                       (None, None),
                       ({"searched": True}, {"searched": True, "articles": [], "opened": []})):
        status, body, _ = await rig.call("POST", "/chat/sessions", json={"kb": kb})
        assert status == 201, body
        status, record, _ = await rig.call("GET", f"/api/interactions/{body['chat_id']}",
                                           "admin", origin=None)
        assert record["attributes"].get("kb_self_service") == stored


@pytest.mark.parametrize("kb", [
    "searched", 1, True, [1, 2],
    {"searched": "yes"}, {"searched": 1}, {"searched": None},
    {"articles": "1,2"}, {"articles": [1.0]}, {"articles": [1.5]}, {"articles": ["1"]},
    {"articles": [True]}, {"articles": [0]}, {"articles": [-3]}, {"articles": [2**31]},
    {"articles": [10**100]}, {"articles": [[1]]}, {"articles": [{"id": 1}]},
    {"articles": [None]}, {"articles": list(range(1, 22))}, {"opened": {"1": True}},
    {"opened": [1], "extra": 1}, {"__proto__": {}}, {"searched": True, "html": "<b>x</b>"},
], ids=lambda kb: json.dumps(kb)[:40])
async def test_given_hostile_summary_then_400_bad_kb_with_cors_and_no_chat(
        rig: KbRig, kb: Any) -> None:
    status, body, headers = await rig.call("POST", "/chat/sessions", json={"kb": kb})
    assert status == 400, body
    assert body["error"] == "bad_kb" and cors_of(headers)
    assert await rig.dispatcher.state.waiting() == []


async def test_given_deeply_nested_or_oversized_summary_then_refused(rig: KbRig) -> None:
    depth = 2000   # within the 16384 bytes: refused as JSON nested too deeply
    raw = '{"kb": {"articles": ' + "[" * depth + "]" * depth + "}}"
    status, body, headers = await rig.call("POST", "/chat/sessions", data=raw,
                                           headers={"Content-Type": "application/json"})
    assert status == 400 and body["error"] in ("bad_json", "bad_kb") and cors_of(headers)
    status, body, headers = await rig.call(
        "POST", "/chat/sessions", json={"kb": {"articles": list(range(1, 5000))}})
    assert status == 413 and body["error"] == "too_large" and cors_of(headers)
    assert await rig.dispatcher.state.waiting() == []


# ---------------------------------------------------------------------- wiring
async def test_given_engine_with_chat_when_knowledge_part_starts_then_chat_gets_the_base(
        tmp_path: Path) -> None:
    from types import SimpleNamespace

    from ccengine.knowledge.part import start_knowledge
    rig, close = await start_kb_rig(tmp_path, knowledge=False)
    try:
        assert rig.chat.knowledge is None and rig.chat.public_base is None
        engine = SimpleNamespace(
            db=rig.repo.db, api_routes=[], chat=rig.chat, email=None,
            config=SimpleNamespace(api=SimpleNamespace(public_base=PUBLIC)))
        await start_knowledge(engine)  # type: ignore[arg-type]
        assert rig.chat.knowledge is engine.knowledge
        assert rig.chat.public_base == PUBLIC
        await rig.article("Gift cards", "Gift cards never expire.")
        status, body, _ = await rig.search("gift cards")
        assert status == 200 and body["articles"][0]["url"] == f"{PUBLIC}/kb/gift-cards"
    finally:
        await close()
