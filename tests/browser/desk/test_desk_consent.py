"""The customer's consent in the desk's pop: a customer on the do-not-call list chats; the
pop says so and that marketing was never asked; the customer says no more marketing calls
and alice records it with the keyboard: the ledger keeps it with the chat as evidence and
screen readers hear it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.desk.harness import desk_rig_with_channels, open_desk
from tests.browser.desk.test_desk_multitask import accept_offer
from tests.browser.driver import needs_browser
from tests.e2e.conftest import CHAT_SITE

pytestmark = [pytest.mark.asterisk, needs_browser]


async def test_given_customer_on_dnc_when_agent_records_opt_out_then_kept_and_announced(
        tmp_path: Path) -> None:
    async with desk_rig_with_channels(tmp_path) as (rig, browser, _):
        kay = await rig.call_api("POST", "/api/customers", "sam", json={
            "name": "Kay", "identities": [{"kind": "email", "value": "kay@example.org"},
                                          {"kind": "phone", "value": "07700900555"}]})
        await rig.call_api("POST", "/api/dnc", "sam", json={"number": "07700900555"})
        async with rig.http.post(f"{rig.api}/chat/sessions", headers={"Origin": CHAT_SITE},
                                 json={"name": "Kay", "email": "kay@example.org",
                                       "message": "Please stop calling me"}) as r:
            assert r.status == 201, await r.text()

        desk = await open_desk(rig, browser, "alice")
        page = desk.page
        await rig.login("alice")
        iid = await accept_offer(page, "Kay")
        await page.wait("#pop .consent", timeout=10)
        assert await page.text("#pop-dnc") == "Do not call: +447700900555"
        assert await page.texts("#pop .consent .consent-state") == [
            "Marketing email: not asked", "Marketing calls: not asked"]
        out = "#pop .consent-phone .opt-out"
        await page.evaluate(f"() => document.querySelector({out!r}).focus()")
        await page.press("Enter")
        await page.wait("#announce-polite:has-text('Marketing calls: opted out.')",
                        state="attached")
        await page.wait("#pop .consent-phone .consent-state:has-text('opted out')")
        assert await page.attr(out, "disabled") is not None
        await desk.screenshot("desk-consent", tmp_path)

        ledger = await rig.call_api("GET", f"/api/customers/{kay['id']}/consent", "sam")
        assert [(c["channel"], c["purpose"], c["state"], c["by"], c["source"],
                 c["evidence"]) for c in ledger["consents"]] == [
            ("phone", "marketing", "withdrawn", "alice", "desk", f"said in the chat {iid}")]
        assert await page.errors() == []
