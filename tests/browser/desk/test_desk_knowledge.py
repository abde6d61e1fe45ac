"""The knowledge base in the desk: articles written and published by an admin (one left a
draft, one whose body holds script) are searched from the keyboard, by a word and by
another form of it; the draft never shows; an article opens as inert text. A visitor's chat
message brings a suggestion (announced), Insert puts its public address in the reply, and
the visitor receives it; the usage report counts the suggestion shown and the article used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.browser.desk.harness import assert_accessible, desk_rig_with_channels, open_desk
from tests.browser.desk.test_desk_keyboard import tab_to
from tests.browser.desk.test_desk_multitask import accept_offer, say, visitor
from tests.browser.driver import Page, needs_browser
from tests.e2e.conftest import Rig

pytestmark = [pytest.mark.asterisk, needs_browser]

HOSTILE = ('Print them from your account. <script>alert(1)</script>'
           ' <img src=x onerror="window.__pwned=1">')
ARTICLES = [
    ("Why was I billed twice?", "If you changed your plan mid-month, you were billed for the"
     " old plan up to the change and for the new one from then.", ["invoices"], "published"),
    ("How do I cancel my subscription?", "Open your account settings and choose Cancel.",
     ["cancellation"], "published"),
    ("Where are my receipts?", HOSTILE, ["receipts"], "published"),
    ("Upcoming price changes", "Everyone will be billed more next year.", ["secret"], "draft"),
]


async def write(rig: Rig, title: str, body: str, tags: list[str], state: str) -> dict[str, Any]:
    article = await rig.call_api("POST", "/api/kb/articles", "admin",
                                 json={"title": title, "body": body, "tags": tags})
    if state == "published":
        article = await rig.call_api("PATCH", f"/api/kb/articles/{article['id']}", "admin",
                                     json={"state": "published", "version": 1})
    return article


async def search(page: Page, words: str) -> list[str]:
    await page.fill("#kb-q", words)
    await page.press("Enter", "#kb-q")
    await page.wait("#kb-status:has-text('found')", timeout=10)
    return await page.texts("#kb-results .kb-title")


async def received(ws: aiohttp.ClientWebSocketResponse, part: str) -> str:
    """The text of the first agent message the visitor receives that holds ``part``."""
    while True:
        frame = await ws.receive_json(timeout=15)
        if frame.get("type") == "message" and part in (frame.get("text") or ""):
            return str(frame["text"])


async def test_given_articles_when_searched_and_suggested_then_inserted_and_counted(
        tmp_path: Path) -> None:
    async with desk_rig_with_channels(tmp_path) as (rig, browser, _):
        billed, *_ = [await write(rig, *a) for a in ARTICLES]
        desk = await open_desk(rig, browser, "alice", ready=True)
        page = desk.page

        # from the keyboard: a labelled search box, then the results' buttons
        await tab_to(page, "kb-q", most=60)
        assert await page.evaluate("() => document.getElementById('kb-q').labels[0]"
                                   ".textContent") == "Search articles"
        await page.type("billed")
        await page.press("Enter")
        await page.wait("#kb-status:has-text('found')", timeout=10)
        assert await page.texts("#kb-results .kb-title") == ["Why was I billed twice?"]
        await page.wait("#announce-polite:has-text('1 article found')", state="attached")
        await page.press("Tab")
        await page.press("Tab")
        assert (await page.focused() or {}).get("label") == "Open Why was I billed twice?"
        # the insert buttons wait for a chat or an email to reply to
        assert await page.count("#kb-results .kb-insert:visible") == 0
        # another form of the word finds it too; the draft never shows
        assert await search(page, "billing") == ["Why was I billed twice?"]
        assert "Upcoming price changes" not in await search(page, "price changes")

        # an article whose body holds script opens as text
        assert await search(page, "receipts") == ["Where are my receipts?"]
        await page.click("#kb-results .kb-open")
        await page.wait("#kb-article-title:text-is('Where are my receipts?')")
        assert (await page.focused() or {}).get("id") == "kb-article-title"
        assert await page.text("#kb-article-body") == HOSTILE
        assert await page.attr("#kb-article-link", "href") == "/kb/where-are-my-receipts"
        assert await page.count("#knowledge script, #knowledge img") == 0
        await assert_accessible(page, "the knowledge panel with an article open")
        await page.click("#kb-article .kb-close")
        await page.wait("#kb-article", state="hidden")

        # a visitor's message brings a suggestion, inserted in the reply and sent
        _, ann = await visitor(rig, "Ann")
        iid = await accept_offer(page, "Ann")
        await say(ann, "Hello, I was billed twice this month, why?", "a1")
        hit = "#kb-suggested .kb-item:has-text('Why was I billed twice?')"
        await page.wait(hit, timeout=10)
        assert await page.text("#kb-suggested-title") == "Suggested for this chat"
        assert await page.count("#kb-suggested .kb-item") <= 3
        await page.wait("#announce-polite:has-text('suggested')", state="attached")
        await page.click(f"{hit} .kb-insert")
        url = f"{rig.api}/kb/why-was-i-billed-twice"
        assert await page.evaluate(f"() => document.getElementById('reply-{iid}').value") \
            == f"Why was I billed twice? {url}"
        assert (await page.focused() or {}).get("id") == f"reply-{iid}"
        await desk.screenshot("desk-knowledge", tmp_path)
        await page.press("Enter", f"#reply-{iid}")
        assert url in await received(ann, "/kb/")
        await ann.close()

        report = await rig.call_api("GET", "/api/kb/report", "admin")
        row = next(a for a in report["articles"] if a["article_id"] == billed["id"])
        assert (row["shown"], row["used"]) == (1, 1)
        assert await page.evaluate("() => window.__pwned === undefined")
        assert await page.errors() == []
