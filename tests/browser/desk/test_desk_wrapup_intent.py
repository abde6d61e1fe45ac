"""Wrap-up asks what the work was about: a chat whose first question the classifier reads
as delivery is about cancelling; alice picks cancel in wrap-up, and the engine keeps her
label (the classifier learns from it) and the customer's timeline shows it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.desk.harness import desk_rig_with_channels, open_desk
from tests.browser.desk.test_desk_multitask import accept_offer
from tests.browser.driver import needs_browser
from tests.e2e.conftest import CHAT_SITE
from tests.e2e.test_intent_labels import GERMAN
from tests.e2e.test_next_best_action import INTENTS
from tests.polling import eventually

pytestmark = [pytest.mark.asterisk, needs_browser]


async def test_given_a_misread_chat_when_agent_picks_the_intent_in_wrapup_then_kept(
        tmp_path: Path) -> None:
    async with desk_rig_with_channels(tmp_path, [f"intents={json.dumps(INTENTS)}"]) as (
            rig, browser, _):
        await eventually(lambda: rig.engine.intents.model, 30, "the classifier trained")
        kay = await rig.call_api("POST", "/api/customers", "sam", json={
            "name": "Kay", "identities": [{"kind": "email", "value": "kay@example.org"}]})
        async with rig.http.post(f"{rig.api}/chat/sessions", headers={"Origin": CHAT_SITE},
                                 json={"name": "Kay", "email": "kay@example.org",
                                       "message": GERMAN}) as r:
            assert r.status == 201, await r.text()

        desk = await open_desk(rig, browser, "alice")
        page = desk.page
        await rig.login("alice")
        iid = await accept_offer(page, "Kay")
        assert (await page.text("#pop-intent")).startswith("About: delivery (")
        await page.click(f"#panel-{iid} .end-chat")
        choice = f"#intent-{iid}"
        await page.wait(choice, timeout=10)
        assert await page.text(f"{choice}-detected") == "Detected: delivery"
        assert await page.attr(choice, "aria-describedby") == f"intent-{iid}-detected"
        await page.select(choice, "cancel")
        await desk.screenshot("desk-wrapup-intent", tmp_path)
        await page.click(f"#panel-{iid} .finish-wrapup")
        await page.wait("#announce-polite:has-text('Wrap-up finished.')", state="attached")

        record = await rig.call_api("GET", f"/api/interactions/{iid}", "sam")
        assert [(e["data"]["intent"], e["data"]["detected"], e["data"]["by"])
                for e in record["events"] if e["kind"] == "intent_labeled"] == [
            ("cancel", "delivery", "alice")]
        timeline = await rig.call_api("GET", f"/api/customers/{kay['id']}/timeline", "sam")
        assert timeline["items"][0]["intent"] == {"name": "cancel", "confirmed_by": "alice"}
        assert await page.errors() == []
