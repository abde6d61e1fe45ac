"""The chat widget's help search in a real headless Chromium (tests/browser/driver.py)
against a real engine app (the chat visitor routes, the knowledge base and its public
pages on one SQLite store): a page of another origin embeds the widget; the visitor
searches with the keyboard, hears how many articles were found, sees the published
article (as text, never markup) and not the draft, opens it (its public page loads in a
new tab and counts a read), then chats anyway. The chat's interaction carries what the
widget showed and what the visitor opened; the page has no errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.browser.driver import Browser, needs_browser
from tests.e2e.ports import free_port
from tests.integration.test_chat_kb import start_kb_rig
from tests.polling import eventually

pytestmark = needs_browser
TITLE = 'Why was I billed twice? <img src=x onerror="window.__pwned=1">'


@pytest.fixture
async def site() -> AsyncIterator[tuple[str, list[str]]]:
    """A shop's page on its own origin; the page's HTML is set by the test."""
    port = free_port()
    page = [""]

    async def serve(_: web.Request) -> web.Response:
        return web.Response(text=page[0], content_type="text/html")

    app = web.Application()
    app.router.add_get("/", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", page
    finally:
        await runner.cleanup()


async def test_given_widget_with_help_search_then_visitor_reads_article_and_chats_anyway(
        tmp_path: Path, site: tuple[str, list[str]]) -> None:
    origin, page_html = site
    rig, close = await start_kb_rig(tmp_path, public_base=None, allowed=[origin])
    try:
        article = await rig.article(TITLE, "If you changed your plan mid-month you see "
                                    "**two charges** on your invoice.", tags=["billing"])
        draft = await rig.article("Billing notes for staff", "billed billing twice",
                                  published=False)
        page_html[0] = ("<!doctype html><html lang=\"en\"><head><title>Shop</title></head>"
                        "<body><main><h1>Shop</h1></main>"
                        f'<script src="{rig.base}/chat/widget.js" data-entry="web" async>'
                        "</script></body></html>")
        async with Browser.start() as browser:
            visitor = await browser.page("visitor", origin)
            await visitor.goto("/")
            await visitor.click(".launcher")
            # the search box is labelled: found by its accessible name
            box = 'role=searchbox[name="Search our help articles"]'
            await visitor.wait(box)
            await visitor.fill(box, "billed twice")
            await visitor.press("Enter", box)
            await visitor.wait(".kb-results a")
            assert await visitor.text(".kb-status") == "1 article found."
            assert await visitor.attr(".kb-status", "aria-live") == "polite"
            assert await visitor.texts(".kb-results a") == [TITLE]   # as text
            assert await visitor.axe() == []   # axe-core: the widget's shadow root too
            assert "two charges" in await visitor.text(".kb-results .excerpt")
            link = ".kb-results a"
            view = await rig.repo.get(article)
            assert view is not None
            assert await visitor.attr(link, "href") == f"{rig.base}/kb/{view['slug']}"
            assert await visitor.attr(link, "target") == "_blank"
            assert await visitor.attr(link, "rel") == "noopener"
            shadow_markup = await visitor.evaluate(
                "() => document.querySelector('#ccengine-chat').shadowRoot"
                ".querySelectorAll('.kb img, .kb b, .kb strong, .kb script').length")
            assert shadow_markup == 0
            # results in view, the start form waits behind "Still need help?"
            assert await visitor.count("form.start:visible") == 0
            await visitor.click(link)   # a new tab: the public page, counted as read

            async def reads() -> int:
                rows = await rig.repo.usage_report(0, 2**40)
                return sum(r["read"] for r in rows if r["article_id"] == article)
            await eventually(reads, what="the public page read in its tab")
            href = await visitor.attr(link, "href")
            assert href is not None
            reader = await browser.page("reader", rig.base)
            await reader.goto(href)
            assert await reader.text("h1") == TITLE
            assert await reader.count("img") == 0
            # the visitor chats anyway, with the keyboard
            await visitor.click("button.kb-chat")
            focused = await visitor.evaluate(
                "() => document.querySelector('#ccengine-chat').shadowRoot.activeElement"
                ".getAttribute('name')")
            assert focused == "name"
            await visitor.fill("input[name=name]", "Web Visitor")
            await visitor.press("Enter", "input[name=name]")
            await visitor.wait(".status >> text=Waiting for an agent")
            assert await visitor.count(".kb:visible") == 0
            chat_id = await visitor.evaluate(
                "() => JSON.parse(Object.values(sessionStorage)[0]).chat_id")
            status, record, _ = await rig.call("GET", f"/api/interactions/{chat_id}",
                                               "admin", origin=None)
            assert status == 200, record
            assert record["attributes"]["kb_self_service"] == {
                "searched": True, "articles": [article], "opened": [article]}
            assert draft not in (await rig.shown())
            assert (await rig.shown())[article] == 1
            assert await visitor.evaluate("() => window.__pwned === undefined")
            assert await visitor.errors() == []
            assert await reader.errors() == []
    finally:
        await close()


async def test_given_engine_without_knowledge_base_then_search_hides_and_chat_starts(
        tmp_path: Path, site: tuple[str, list[str]]) -> None:
    origin, page_html = site
    rig, close = await start_kb_rig(tmp_path, knowledge=False, allowed=[origin])
    try:
        page_html[0] = ("<!doctype html><html lang=\"en\"><head><title>Shop</title></head>"
                        f'<body><script src="{rig.base}/chat/widget.js" async></script>'
                        "</body></html>")
        async with Browser.start() as browser:
            visitor = await browser.page("visitor", origin)
            await visitor.goto("/")
            await visitor.click(".launcher")
            await visitor.fill("#ccengine-kb-q", "billing")
            await visitor.press("Enter", "#ccengine-kb-q")
            await visitor.wait(".kb", state="hidden")
            await visitor.fill("input[name=name]", "No Search")
            await visitor.click("form.start button")
            await visitor.wait(".status >> text=Waiting for an agent")
            chat_id = await visitor.evaluate(
                "() => JSON.parse(Object.values(sessionStorage)[0]).chat_id")
            status, record, _ = await rig.call("GET", f"/api/interactions/{chat_id}",
                                               "admin", origin=None)
            assert status == 200 and "kb_self_service" not in record["attributes"]
            assert await visitor.errors() == []
    finally:
        await close()
