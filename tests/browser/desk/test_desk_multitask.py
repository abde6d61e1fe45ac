"""Several pieces of work at once, up to capacity (alice: one call, two chats, one email):
while she is on a call from the desk, two widget chats and an email arrive; she takes each
in its own tab, chats live and answers the email (reply and close); a third chat waits in
the queue until a chat slot is free; a message on a tab she is not looking at shows as
unread; a canned response is found by "/shortcut". Customer text is shown as text, never
as markup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.browser.desk.harness import accept_call, desk_rig_with_channels, open_desk
from tests.browser.driver import Page, needs_browser
from tests.e2e.conftest import CHAT_SITE, Rig
from tests.polling import eventually
from tests.sip.sipp import CallerScript

pytestmark = [pytest.mark.asterisk, needs_browser]

HOSTILE = '<img src=x onerror="window.__pwned=1"><b>bold?</b>'


async def visitor(rig: Rig, name: str) -> tuple[dict[str, Any], aiohttp.ClientWebSocketResponse]:
    async with rig.http.post(f"{rig.api}/chat/sessions", json={"name": name},
                             headers={"Origin": CHAT_SITE}) as r:
        session = await r.json()
    ws = await rig.http.ws_connect(f"ws://127.0.0.1:{rig.engine.config.api.port}/chat/ws"
                                   f"?token={session['token']}", headers={"Origin": CHAT_SITE})
    assert (await ws.receive_json(timeout=10))["type"] == "hello"
    return session, ws


async def say(ws: aiohttp.ClientWebSocketResponse, text: str, client_id: str) -> None:
    await ws.send_json({"type": "message", "text": text, "client_id": client_id})


async def heard(ws: aiohttp.ClientWebSocketResponse, text: str) -> None:
    while True:
        frame = await ws.receive_json(timeout=15)
        if frame.get("type") == "message" and frame.get("text") == text:
            return


async def accept_offer(page: Page, who: str) -> str:
    """Accept the offer showing ``who``; the id of the tab it opens."""
    card = f".offer:has(.offer-customer:has-text('{who}'))"
    await page.wait(card, timeout=20)
    await page.click(f"{card} .accept")
    await page.wait(f".tab:has-text('{who}')", timeout=10)
    return (await page.attr(f".tab:has-text('{who}')", "id") or "").removeprefix("tab-")


async def test_given_a_call_in_hand_when_chats_and_an_email_come_then_each_in_a_tab(
        tmp_path: Path) -> None:
    async with desk_rig_with_channels(tmp_path) as (rig, browser, channels):
        desk = await open_desk(rig, browser, "alice", ready=True)
        page = desk.page
        await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=120000))
        await accept_call(page)

        # the first chat, live both ways
        _, ann = await visitor(rig, "Ann")
        ann_id = await accept_offer(page, "Ann")
        await say(ann, HOSTILE, "a1")
        await page.wait(f"#panel-{ann_id} .message.from-customer", timeout=10)
        assert await page.texts(f"#panel-{ann_id} .message.from-customer .body") == [HOSTILE]
        await page.fill(f"#reply-{ann_id}", "Hello Ann, how can I help?")
        await page.press("Enter", f"#reply-{ann_id}")
        await heard(ann, "Hello Ann, how can I help?")

        # the second chat, answered with a canned response found by "/shortcut". Ben writes
        # while the tab reads his transcript, an answer older than his message: it is shown
        _, ben = await visitor(rig, "Ben")
        await page.hold_responses("**/messages")
        ben_id = await accept_offer(page, "Ben")
        await say(ben, "Ben here", "b1")
        await page.wait("#announce-polite:has-text('New chat message from Ben')",
                        state="attached", timeout=10)
        assert await page.release_responses() == 1   # his transcript's read
        await page.wait(f"#panel-{ben_id} .message.from-customer", timeout=10)
        assert await page.texts(f"#panel-{ben_id} .message .body") == ["Ben here"]
        await page.fill(f"#reply-{ben_id}", "")
        await page.type("/than")
        await page.wait(f"#panel-{ben_id} .canned-item:has-text('/thanks')", timeout=10)
        await page.press("Enter")
        canned = "Thank you for contacting us. Is there anything else I can help you with?"
        assert await page.evaluate(f"() => document.getElementById('reply-{ben_id}').value") \
            == canned
        await page.press("Enter")
        await heard(ben, canned)
        await channels.mail("Cara Jones <cara@example.org>", "Refund", f"Body: {HOSTILE}",
                            "<cara-1@example.org>")
        cara_id = await accept_offer(page, "Cara Jones")
        await page.wait(f"#panel-{cara_id} .message.from-customer", timeout=10)
        assert await page.texts(f"#panel-{cara_id} .message .body") == [f"Body: {HOSTILE}"]
        # a third chat waits: both chat slots are taken
        _, dan = await visitor(rig, "Dan")
        await eventually(lambda: _waiting(rig, 1), 10, "Dan's chat waiting in sales")
        assert await page.count(".offer") == 0
        assert await page.count(".tab") == 4   # the call, two chats, the email

        # a message to a tab not shown is counted as unread
        await say(ann, "Are you there?", "a2")
        await page.wait(f"#tab-{ann_id} .unread:has-text('1')", timeout=10)
        await desk.screenshot("desk-tabs", tmp_path)
        await page.fill(f"#reply-{cara_id}", "Your refund is on its way.")
        await page.click(f"#panel-{cara_id} .reply-close")
        await eventually(lambda: channels.sink.received, 15, "the reply sent out")
        reply = channels.sink.received[0].message
        assert reply["To"] == "cara@example.org"
        assert "Your refund is on its way." in reply.get_content()
        await page.wait(f"#tab-{cara_id}:has-text('wrap-up')", timeout=10)

        # Ann's chat ends; once its wrap-up is over, Dan's chat is offered
        await page.click(f"#tab-{ann_id}")
        assert await page.count(f"#tab-{ann_id} .unread:not([hidden])") == 0
        await page.click(f"#panel-{ann_id} .end-chat")
        await page.wait(f"#panel-{ann_id} .finish-wrapup", timeout=10)
        await page.click(f"#panel-{ann_id} .finish-wrapup")
        await page.wait(".offer .offer-customer:has-text('Dan')", timeout=15)
        assert await page.evaluate("() => window.__pwned === undefined")
        assert await page.count(".transcript img, .transcript b, #pop img, #pop b") == 0
        for ws in (ann, dan):
            await ws.close()
        assert ben_id and await page.errors() == []


async def _waiting(rig: Rig, count: int) -> bool:
    queue = await rig.call_api("GET", "/api/queues/sales", "sam")
    return queue["waiting"] == count
