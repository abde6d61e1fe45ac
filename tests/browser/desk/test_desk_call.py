"""An agent's day on the desk, for a call: sign in, the page's phone registers, ready; a
caller's offer pops with the customer; Accept answers in the page (RTP both ways); hang up
from the desk; wrap-up with a disposition and a note; the stored record has all of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.desk.harness import desk_rig, open_desk, stored
from tests.browser.driver import needs_browser
from tests.polling import eventually
from tests.sip.sipp import CallerScript

pytestmark = [pytest.mark.asterisk, needs_browser]


async def test_given_signed_in_agent_when_a_call_comes_then_answered_wrapped_up_and_stored(
        tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as (rig, browser):
        desk = await open_desk(rig, browser, "alice", ready=True)
        page = desk.page
        await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=60000))
        await page.wait(".offer", timeout=20)
        assert "Call — sales" in await page.text(".offer .offer-title")
        await page.click(".offer .accept")
        await page.wait("#phone-call:has-text('On a call')", timeout=15)
        await desk.wait_state("Busy")
        await page.wait(".tab[aria-selected=true]")
        await desk.screenshot("desk-call", tmp_path)
        iid = (await page.attr(".tab[aria-selected=true]", "id")).removeprefix("tab-")
        record = await rig.ari("GET", f"/bridges/bridge-{iid}")
        await rig.rtp_both_ways(record["channels"], 15)
        await page.click("#hang-up")
        await desk.wait_state("Wrap-up")
        await page.select(f"#disposition-{iid}", "resolved")
        await page.fill(f"#notes-{iid}", "Asked about the invoice")
        await desk.screenshot("desk-wrapup", tmp_path)
        await page.click(f"#panel-{iid} .finish-wrapup")
        await desk.wait_state("Ready")

        async def done() -> dict | None:
            row = await stored(rig, iid)
            return row if row.get("disposition") == "resolved" else None
        row = await eventually(done, 10, "the disposition stored")
        assert row["agent_id"] == "alice" and row["hung_up_by"] == "agent"
        notes = await rig.call_api("GET", f"/api/interactions/{iid}/notes", "admin")
        assert [n["text"] for n in notes["notes"]] == ["Asked about the invoice"]
        assert await page.errors() == []
