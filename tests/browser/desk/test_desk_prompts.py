"""The desk shows what the intent classifier and the next-best-action rules make of a
customer's work: a key account writes in a chat that they want to cancel; when alice takes
it, the pop says what it is about and suggests offering the loyalty discount; "Done" records
it on the work and tells screen readers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.desk.harness import desk_rig_with_channels, open_desk
from tests.browser.desk.test_desk_multitask import accept_offer, say
from tests.browser.driver import needs_browser
from tests.e2e.conftest import CHAT_SITE
from tests.e2e.test_next_best_action import INTENTS, RULES
from tests.polling import eventually

pytestmark = [pytest.mark.asterisk, needs_browser]


async def test_given_a_key_account_wanting_to_cancel_then_the_pop_suggests_and_records(
        tmp_path: Path) -> None:
    extra = [f"intents={json.dumps(INTENTS)}", f"next_best_action={json.dumps(RULES)}"]
    async with desk_rig_with_channels(tmp_path, extra) as (rig, browser, _):
        await eventually(lambda: rig.engine.intents.model, 30, "the classifier trained")
        await rig.call_api("POST", "/api/customers", "sam", json={
            "name": "Kay Account", "tier": "key_account",
            "identities": [{"kind": "email", "value": "kay@example.org"}]})
        async with rig.http.post(f"{rig.api}/chat/sessions", headers={"Origin": CHAT_SITE},
                                 json={"name": "Kay", "email": "kay@example.org"}) as r:
            session = await r.json()
        ws = await rig.http.ws_connect(
            f"ws://127.0.0.1:{rig.engine.config.api.port}/chat/ws?token={session['token']}",
            headers={"Origin": CHAT_SITE})
        assert (await ws.receive_json(timeout=10))["type"] == "hello"
        await say(ws, "I want to cancel my subscription", "k1")
        while (await ws.receive_json(timeout=10))["type"] != "ack":
            pass

        desk = await open_desk(rig, browser, "alice")
        page = desk.page
        await rig.login("alice")   # ready: the waiting chat is offered at once
        iid = await accept_offer(page, "Kay")
        await page.wait("#pop-intent", timeout=10)
        assert (await page.text("#pop-intent")).startswith("About: cancel (")
        prompt = "#pop .prompts .prompt:has-text('Offer the loyalty discount')"
        await page.wait(prompt, timeout=10)
        await page.click(f"{prompt} .accept-prompt")
        await page.wait("#pop .prompts .prompt:has-text('— done')", timeout=10)
        await page.wait("#announce-polite:has-text('Suggestion done.')", state="attached")

        record = await rig.call_api("GET", f"/api/interactions/{iid}", "sam")
        assert [(e["data"]["rule"], e["data"]["outcome"], e["data"]["by"])
                for e in record["events"] if e["kind"] == "prompt"] == [
            ("keep_key_account", "accepted", "alice")]
        await ws.close()
        assert await page.errors() == []
