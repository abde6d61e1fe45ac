"""The screen pop for an unknown contact and the customer record from the desk: a caller
whose number is withheld pops as "Unknown contact" with a new-customer form; saving it
creates the customer and gives them this call; the profile is then edited (an identity and
an attribute added). A new offer puts a badge in the tab's title. Names typed by people
stay text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.desk.harness import desk_rig, open_desk, stored
from tests.browser.driver import Page, needs_browser
from tests.polling import eventually
from tests.sip.sipp import CallerScript

pytestmark = [pytest.mark.asterisk, needs_browser]

NAME = 'Zoë <img src=x onerror="window.__pwned=1"> Smith'


async def test_given_an_anonymous_caller_when_saved_as_new_customer_then_linked_and_editable(
        tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as (rig, browser):
        desk = await open_desk(rig, browser, "alice", ready=True)
        page = desk.page
        await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=60000),
                             caller="anonymous")
        await page.wait(".offer", timeout=20)
        assert await page.evaluate("() => document.title") == "(1) ccengine desk"
        # the chime played: sound was unlocked by signing in
        assert await page.evaluate("() => document.documentElement.dataset.offerAlert") \
            == "sound"
        assert await page.text("#customer-name") == "Unknown contact"
        await page.click(".offer .accept")
        await page.wait("#phone-call:has-text('On a call')", timeout=15)
        await eventually(lambda: _title_is(page, "ccengine desk"), 10, "the badge gone")
        iid = (await page.attr(".tab[aria-selected=true]", "id") or "").removeprefix("tab-")
        assert (await stored(rig, iid))["customer_id"] is None

        await page.fill("#new-name", NAME)
        await page.fill("#new-email", "zoe@example.org")
        await page.click(".new-customer button[type=submit]")
        await page.wait(f"#customer-name:text-is('{NAME}')", timeout=10)
        row = await eventually(lambda: _linked(rig, iid), 10, "the call linked")
        customer = await rig.call_api("GET", f"/api/customers/{row}", "alice")
        assert customer["name"] == NAME
        assert {"kind": "email", "value": "zoe@example.org"} in customer["identities"]

        await page.click("#edit-customer")
        await page.fill("#identity-value", "07700 900999")
        await page.fill("#attr-key", "plan")
        await page.fill("#attr-value", "gold <b>plus</b>")
        await page.click(".edit-customer button[type=submit]")
        await page.wait("#pop .identities li:has-text('+447700900999')", timeout=10)
        assert "gold <b>plus</b>" in await page.texts("#pop .pairs dd")
        await desk.screenshot("desk-pop-edited", tmp_path)
        assert await page.count("#pop img, #pop b") == 0
        assert await page.evaluate("() => window.__pwned === undefined")
        assert await page.errors() == []


async def _title_is(page: Page, title: str) -> bool:
    return await page.evaluate("() => document.title") == title


async def _linked(rig: object, iid: str) -> str | None:
    return (await stored(rig, iid))["customer_id"]  # type: ignore[arg-type]
