"""The knowledge base's API over a real aiohttp server on a SQLite store: who may do what,
search and suggestions, versions, usage and its report, bad input refused with stable
codes (every answer checked against the OpenAPI description, tests/conftest.py), and the
public page of a published article: the Markdown rendered inert, a strict Content Security
Policy, 404 for drafts, each view counted as a read."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import build_api
from ccengine.api.knowledge import add_routes
from ccengine.core.agent import AgentProfile
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.knowledge.part import start_knowledge
from ccengine.state.memory import MemoryState
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.knowledge import KnowledgeRepository

USERS = {"alice": "agent", "bob": "agent", "sam": "supervisor", "admin": "admin"}
HOSTILE = ("# Hello\n\n<script>alert('body')</script>\n\n<img src=x onerror=alert(1)>\n\n"
           "[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) "
           "[fine](https://example.org/help) and **bold**.")


class Api:
    def __init__(self, client: TestClient, repo: KnowledgeRepository) -> None:
        self.client, self.repo = client, repo

    async def call(self, method: str, path: str, user: str | None = None,
                   **kw: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer tok-{user}"} if user else {}
        r = await self.client.request(method, path, headers=headers, **kw)
        assert r.content_type == "application/json", (r.status, await r.text())
        return r.status, await r.json()

    async def ok(self, method: str, path: str, user: str, **kw: Any) -> Any:
        status, body = await self.call(method, path, user, **kw)
        assert status in (200, 201), (method, path, status, body)
        return body

    async def article(self, title: str, body: str = "", user: str = "sam",
                      **fields: Any) -> dict[str, Any]:
        return await self.ok("POST", "/api/kb/articles", user,  # type: ignore[no-any-return]
                             json={"title": title, "body": body, **fields})

    async def search(self, user: str, **params: Any) -> list[str]:
        body = await self.ok("GET", "/api/kb/articles", user, params=params)
        return [a["title"] for a in body["articles"]]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}")
    await db.migrate()
    dispatcher = Dispatcher(MemoryState(), {}, {"alice": AgentProfile("alice", "Alice")})
    await dispatcher.start()
    users = {uid: User(uid, role) for uid, role in USERS.items()}
    app = build_api(TokenAuth(users, {uid: f"tok-{uid}" for uid in USERS}), dispatcher,
                    ScreenPopFeed(), InteractionRepository(db))
    repo = KnowledgeRepository(db)
    add_routes(app, repo)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Api(client, repo)
    await dispatcher.stop()
    await db.close()


# ---------------------------------------------------------------------- writing, roles
@pytest.mark.parametrize("user", ["sam", "admin"])
async def test_given_staff_when_creating_article_then_201_draft_with_html(
        api: Api, user: str) -> None:
    status, body = await api.call("POST", "/api/kb/articles", user, json={
        "title": "Changing your plan", "body": "Open **Settings**.", "tags": ["plans"],
        "language": "en-GB"})
    assert status == 201
    assert (body["slug"], body["state"], body["version"], body["language"]) == (
        "changing-your-plan", "draft", 1, "en-GB")
    assert body["html"] == "<p>Open <strong>Settings</strong>.</p>\n"
    assert body["url"] == "/kb/changing-your-plan"
    assert body["created_by"] == user and body["published_at"] is None


async def test_given_agent_when_writing_then_403_and_nothing_stored(api: Api) -> None:
    status, body = await api.call("POST", "/api/kb/articles", "alice",
                                  json={"title": "Mine"})
    assert (status, body["error"]) == (403, "forbidden")
    article = await api.article("Theirs")
    for method, path, kw in [
            ("PATCH", f"/api/kb/articles/{article['id']}", {"json": {"title": "x"}}),
            ("GET", f"/api/kb/articles/{article['id']}/versions", {}),
            ("GET", "/api/kb/report", {})]:
        status, body = await api.call(method, path, "alice", **kw)
        assert (status, body["error"]) == (403, "forbidden"), path
    assert await api.search("sam") == ["Theirs"]


async def test_given_no_token_when_calling_then_401(api: Api) -> None:
    for method, path in [("GET", "/api/kb/articles"), ("POST", "/api/kb/articles"),
                         ("GET", "/api/kb/report"), ("POST", "/api/kb/suggestions")]:
        status, body = await api.call(method, path, None, json={})
        assert (status, body["error"]) == (401, "unauthenticated"), path


async def test_given_article_when_patched_then_versions_kept_and_stale_version_409(
        api: Api) -> None:
    article = await api.article("Refunds", "Within 14 days.")
    path = f"/api/kb/articles/{article['id']}"
    changed = await api.ok("PATCH", path, "admin",
                           json={"body": "Within 30 days.", "tags": ["money"], "version": 1})
    assert (changed["version"], changed["body"], changed["updated_by"]) == (
        2, "Within 30 days.", "admin")
    live = await api.ok("PATCH", path, "sam", json={"state": "published"})
    assert live["state"] == "published" and live["published_at"] is not None
    status, body = await api.call("PATCH", path, "sam", json={"title": "Old", "version": 1})
    assert (status, body["error"]) == (409, "article_conflict")
    versions = (await api.ok("GET", f"{path}/versions", "sam"))["versions"]
    assert [(v["version"], v["body"], v["state"]) for v in versions] == [
        (3, "Within 30 days.", "published"), (2, "Within 30 days.", "draft"),
        (1, "Within 14 days.", "draft")]


async def test_given_missing_article_when_addressed_then_404(api: Api) -> None:
    for method, path, user, kw in [
            ("GET", "/api/kb/articles/999", "sam", {}),
            ("PATCH", "/api/kb/articles/999", "sam", {"json": {"title": "x"}}),
            ("GET", "/api/kb/articles/999/versions", "admin", {}),
            ("POST", "/api/kb/articles/999/usage", "alice", {"json": {"kind": "shown"}})]:
        status, body = await api.call(method, path, user, **kw)
        assert (status, body["error"]) == (404, "article_not_found"), (method, path)
    status, body = await api.call("GET", "/api/kb/articles/abc", "sam")
    assert (status, body["error"]) == (400, "bad_article_id")


@pytest.mark.parametrize(("payload", "code"), [
    ({}, "article_invalid"), ({"title": ""}, "article_invalid"),
    ({"title": "   "}, "article_invalid"), ({"title": "x" * 201}, "article_invalid"),
    ({"title": "a\tb"}, "article_invalid"), ({"title": "ok", "body": "x" * 80_001},
                                             "article_invalid"),
    ({"title": "ok", "body": "nul \u0000"}, "article_invalid"),
    ({"title": "ok", "tags": "billing"}, "article_invalid"),
    ({"title": "ok", "tags": ["x" * 41]}, "article_invalid"),
    ({"title": "ok", "tags": [f"t{n}" for n in range(21)]}, "article_invalid"),
    ({"title": "ok", "language": "english"}, "article_invalid"),
    ({"title": "ok", "state": "archived"}, "article_invalid"),
    ({"title": "ok", "slug": "Not A Slug"}, "article_invalid"),
    ({"title": "ok", "owner": "sam"}, "article_invalid"),
    ([], "bad_json")])
async def test_given_bad_article_when_created_then_400_with_code_and_nothing_stored(
        api: Api, payload: Any, code: str) -> None:
    status, body = await api.call("POST", "/api/kb/articles", "sam", json=payload)
    assert (status, body["error"]) == (400, code), body
    assert await api.search("sam") == []


async def test_given_oversized_or_broken_json_when_sent_then_refused(api: Api) -> None:
    r = await api.client.post("/api/kb/articles", data=b'{"title": "x", ',
                              headers={"Authorization": "Bearer tok-sam",
                                       "Content-Type": "application/json"})
    assert r.status == 400 and (await r.json())["error"] == "bad_json"
    big = json.dumps({"title": "x", "body": "y" * 2_000_000}).encode()
    r = await api.client.post("/api/kb/articles", data=io.BytesIO(big),
                              headers={"Authorization": "Bearer tok-sam",
                                       "Content-Type": "application/json"})
    assert r.status == 413   # over the API's 1 MiB: refused before it is read
    article = await api.article("Fine")
    status, body = await api.call("PATCH", f"/api/kb/articles/{article['id']}", "sam",
                                  json={})
    assert (status, body["error"]) == (400, "article_invalid")


async def test_given_taken_slug_when_created_then_409(api: Api) -> None:
    await api.article("One", slug="faq")
    status, body = await api.call("POST", "/api/kb/articles", "sam",
                                  json={"title": "Two", "slug": "faq"})
    assert (status, body["error"]) == (409, "slug_taken")


# ---------------------------------------------------------------------- reading, search
async def test_given_drafts_when_agent_reads_then_published_only(api: Api) -> None:
    live = await api.article("Password reset", "Use the sign-in page.", state="published")
    draft = await api.article("Password policy", "Twelve characters.")
    assert await api.search("alice", q="password") == ["Password reset"]
    assert sorted(await api.search("sam", q="password")) == ["Password policy",
                                                             "Password reset"]
    assert await api.search("sam", q="password", state="draft") == ["Password policy"]
    assert sorted(await api.search("alice")) == ["Password reset"]
    status, body = await api.call("GET", "/api/kb/articles", "alice",
                                  params={"state": "draft"})
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await api.call("GET", f"/api/kb/articles/{draft['id']}", "alice")
    assert (status, body["error"]) == (404, "article_not_found")
    read = await api.ok("GET", f"/api/kb/articles/{live['id']}", "alice")
    assert read["html"] == "<p>Use the sign-in page.</p>\n"
    assert (await api.ok("GET", f"/api/kb/articles/{draft['id']}", "sam"))["state"] == "draft"


async def test_given_articles_when_searched_then_ranked_and_stemmed(api: Api) -> None:
    await api.article("Your account", "You were billed twice? We fix it.", state="published")
    await api.article("Billing questions", "Invoices explained.", state="published")
    body = await api.ok("GET", "/api/kb/articles", "alice", params={"q": "billing"})
    assert [a["title"] for a in body["articles"]] == ["Billing questions", "Your account"]
    first = body["articles"][0]
    assert first["excerpt"] == "Invoices explained." and first["score"] > 0
    assert first["url"] == "/kb/billing-questions" and "body" not in first
    assert await api.search("alice", q="billing", limit=1) == ["Billing questions"]
    assert await api.search("alice", q="billing", language="fr") == []


@pytest.mark.parametrize(("params", "code"), [
    ({"limit": "0"}, "bad_limit"), ({"limit": "101"}, "bad_limit"),
    ({"limit": "x"}, "bad_limit"), ({"state": "gone"}, "bad_state"),
    ({"language": "English"}, "bad_language"), ({"q": "x" * 501}, "bad_query")])
async def test_given_bad_search_when_listed_then_400(api: Api, params: dict[str, str],
                                                     code: str) -> None:
    status, body = await api.call("GET", "/api/kb/articles", "sam", params=params)
    assert (status, body["error"]) == (400, code)


async def test_given_customer_message_when_suggesting_then_published_matches(
        api: Api) -> None:
    await api.article("Cancel your subscription", "From your account page.",
                      state="published")
    await api.article("Cancellation fees", "Draft only.")
    body = await api.ok("POST", "/api/kb/suggestions", "alice", json={
        "text": "Hi, how do I cancel my subscription please? Order 4711"})
    assert [a["title"] for a in body["articles"]] == ["Cancel your subscription"]
    status, body = await api.call("POST", "/api/kb/suggestions", "alice",
                                  json={"text": "x", "limit": 50})
    assert (status, body["error"]) == (400, "bad_limit")


# ---------------------------------------------------------------------- usage
async def test_given_usage_when_recorded_then_reported_per_article(api: Api) -> None:
    article = await api.article("Billing", "b", state="published")
    path = f"/api/kb/articles/{article['id']}/usage"
    shown = await api.ok("POST", path, "alice", json={"kind": "shown", "channel": "desk",
                                                      "interaction_id": "chat-17"})
    assert (shown["kind"], shown["agent_id"], shown["interaction_id"], shown["channel"]) == (
        "shown", "alice", "chat-17", "desk")
    await api.ok("POST", path, "alice", json={"kind": "shown"})
    await api.ok("POST", path, "bob", json={"kind": "used", "interaction_id": "mail-3"})
    r = await api.client.get("/kb/billing")
    assert r.status == 200
    report = await api.ok("GET", "/api/kb/report", "sam")
    assert [(a["title"], a["shown"], a["used"], a["read"], a["chats_after"])
            for a in report["articles"]] == [("Billing", 2, 1, 1, 0)]
    assert report["tz"] == "UTC"
    old = await api.ok("GET", "/api/kb/report", "admin",
                       params={"from": "2020-01-01", "to": "2020-02-01", "tz": "Europe/Paris"})
    assert old["articles"] == [] and old["from"] == "2020-01-01T00:00:00+01:00"


@pytest.mark.parametrize(("payload", "code"), [
    ({"kind": "read"}, "usage_invalid"), ({"kind": "clicked"}, "usage_invalid"),
    ({}, "usage_invalid"), ({"kind": "shown", "interaction_id": "a b"}, "usage_invalid"),
    ({"kind": "shown", "channel": "DESK"}, "usage_invalid"),
    ({"kind": "shown", "extra": 1}, "usage_invalid")])
async def test_given_bad_usage_when_recorded_then_400(api: Api, payload: dict[str, Any],
                                                      code: str) -> None:
    article = await api.article("A", state="published")
    status, body = await api.call("POST", f"/api/kb/articles/{article['id']}/usage", "alice",
                                  json=payload)
    assert (status, body["error"]) == (400, code)


async def test_given_draft_when_agent_records_usage_then_404(api: Api) -> None:
    draft = await api.article("Draft")
    status, body = await api.call("POST", f"/api/kb/articles/{draft['id']}/usage", "alice",
                                  json={"kind": "shown"})
    assert (status, body["error"]) == (404, "article_not_found")


@pytest.mark.parametrize(("params", "code"), [
    ({"from": "yesterday"}, "bad_range"), ({"from": "2026-02-01", "to": "2026-01-01"},
                                           "bad_range"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "bad_range"),
    ({"to": "0001-01-02"}, "bad_range"), ({"tz": "Mars/Olympus"}, "bad_timezone")])
async def test_given_bad_report_range_when_asked_then_400(api: Api, params: dict[str, str],
                                                          code: str) -> None:
    status, body = await api.call("GET", "/api/kb/report", "sam", params=params)
    assert (status, body["error"]) == (400, code)


# ---------------------------------------------------------------------- the public page
async def test_given_published_markdown_with_script_when_page_read_then_inert_and_counted(
        api: Api) -> None:
    article = await api.article("<b>Help</b> & more", HOSTILE, state="published")
    r = await api.client.get(f"/kb/{article['slug']}")
    assert r.status == 200 and r.content_type == "text/html"
    page = await r.text()
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert('body')&lt;/script&gt;" in page
    assert "javascript:" not in page.replace("[click](javascript:alert(1))", "")
    assert 'href="data:' not in page and "<title>&lt;b&gt;Help&lt;/b&gt; &amp; more</title>" in page
    assert ('<a href="https://example.org/help" rel="nofollow noopener noreferrer">fine</a>'
            in page)
    assert "<h1>Hello</h1>" in page and "<strong>bold</strong>" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page.replace(
        'href="https://example.org/help"', ""))   # nothing loaded from elsewhere
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None and "sha256-" in csp
    head = await api.client.head(f"/kb/{article['slug']}")
    assert head.status == 200
    report = await api.ok("GET", "/api/kb/report", "sam")
    assert report["articles"][0]["read"] == 1   # the HEAD is not a read


@pytest.mark.parametrize("slug", ["draft-article", "nobody", "Bad%20Slug", "x" * 200])
async def test_given_draft_or_unknown_slug_when_page_read_then_404_page(
        api: Api, slug: str) -> None:
    await api.article("Draft article", "secret")
    r = await api.client.get(f"/kb/{slug}")
    assert r.status == 404 and r.content_type == "text/html"
    assert "secret" not in await r.text()
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert (await api.ok("GET", "/api/kb/report", "sam"))["articles"] == []


async def test_given_unpublished_article_when_page_read_then_gone(api: Api) -> None:
    article = await api.article("Short lived", "text", state="published")
    assert (await api.client.get("/kb/short-lived")).status == 200
    await api.ok("PATCH", f"/api/kb/articles/{article['id']}", "sam",
                 json={"state": "draft"})
    assert (await api.client.get("/kb/short-lived")).status == 404


# ---------------------------------------------------------------------- wiring
async def test_given_engine_with_store_when_part_starts_then_routes_added(
        tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'part.db'}")
    engine = SimpleNamespace(db=db, api_routes=[], chat=None, email=None)
    await start_knowledge(engine)  # type: ignore[arg-type]
    app = web.Application()
    for add in engine.api_routes:
        add(app)
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource}
    assert ("GET", "/kb/{slug}") in routes and ("POST", "/api/kb/articles") in routes
    assert isinstance(engine.knowledge, KnowledgeRepository)
    await db.close()
    without = SimpleNamespace(db=None, api_routes=[])
    await start_knowledge(without)  # type: ignore[arg-type]
    assert without.api_routes == []
