"""A campaign's call on the desk, end to end (docs/campaigns.md, "Phone steps" and
"Dispositions"): a campaign calls Ann through a real trunk (a sipp carrier that answers),
alice first, on the desk's WebRTC phone. The pop names the campaign and step; in wrap-up
the campaign's dispositions say what they do. alice picks "Call back later": Finish with
no time is stopped in the page (nothing sent); a time in the past is refused by the engine
and said in words, her notes still typed; a time typed with the keyboard goes through, and
Ann is due again at that time, the disposition counted in the campaign's progress."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.desk.harness import (
    assert_accessible,
    desk_rig,
    open_desk,
    stored,
)
from tests.browser.desk.test_desk_outbound import DESK_AGENTS
from tests.browser.driver import Page, needs_browser
from tests.e2e.conftest import Rig
from tests.e2e.trunk_rig import CALLBACKS, bridge_with_carrier, overrides, start_carrier
from tests.polling import eventually

pytestmark = [pytest.mark.asterisk, needs_browser]

ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ANN = "02079460111"          # the carrier answers it (tests/sip/carrier.py)
ACTIONS = {"Sale": "done", "Do not call": "do_not_call", "Call back later": "callback",
           "Answering machine": "retry"}
SPEC = {"name": "winter", "queue": "sales",
        "steps": [{"channel": "phone", "attempts": 2, "retry_minutes": 60}],
        "dialer": {"ring_seconds": 15}, "dispositions": ACTIONS}
# wrap-up long enough to try three times; the campaign's dispositions are the queue's
QUEUES = [{"name": "sales", "media": ["voice", "callback"], "required_skills": {"sales": 1},
           "wrapup_seconds": 300},
          {"name": "support", "media": ["voice", "callback"],
           "required_skills": {"support": 1}, "wrapup_seconds": 3}]
DISPOSITIONS = {"default": ["resolved"], "queues": {"sales": [*ACTIONS, "resolved"]}}


async def type_local_time(page: Page, at: time.struct_time) -> None:
    """Type ``at`` into the datetime-local field that has the keyboard, from its first
    part, as a person would in the page's locale (en-US: month, day, year, then hour,
    minute, AM/PM)."""
    assert await page.evaluate("() => navigator.language") == "en-US"
    await page.type(time.strftime("%m%d%Y", at))
    await page.press("ArrowRight")   # the year takes up to six digits: on to the hour
    await page.type(time.strftime("%I%M", at) + ("P" if at.tm_hour >= 12 else "A"))


async def field_value(page: Page, selector: str) -> Any:
    return await page.evaluate(f"() => document.querySelector({json.dumps(selector)}).value")


async def target(rig: Rig, campaign_id: int) -> dict[str, Any]:
    (row,) = (await rig.call_api("GET", f"/api/campaigns/{campaign_id}/targets",
                                 "sam"))["targets"]
    return row  # type: ignore[no-any-return]


async def test_given_a_campaign_call_when_alice_books_a_callback_in_wrapup_then_ann_is_due(
        tmp_path: Path) -> None:
    carrier = await start_carrier(tmp_path)
    try:
        extra = [*overrides(carrier, callbacks=CALLBACKS),
                 f"agents={json.dumps(DESK_AGENTS)}", f"queues={json.dumps(QUEUES)}",
                 f"dispositions={json.dumps(DISPOSITIONS)}",
                 "campaigns=" + json.dumps({"calling_windows": {"default": ALWAYS}})]
        async with desk_rig(tmp_path, extra) as (rig, browser):
            desk = await open_desk(rig, browser, "alice", ready=True)
            page = desk.page
            ann = await rig.call_api("POST", "/api/customers", "sam", json={
                "name": "Ann Winter", "identities": [{"kind": "phone", "value": ANN}]})
            campaign = await rig.call_api("POST", "/api/campaigns", "sam", json=SPEC)
            cid = campaign["id"]
            await rig.call_api("POST", f"/api/campaigns/{cid}/targets", "sam",
                               json={"customer_ids": [ann["id"]]})
            await rig.call_api("POST", f"/api/campaigns/{cid}/state", "sam",
                               json={"state": "running"})

            # the campaign rings alice first: the offer says why, the pop which campaign
            await page.wait(".offer", timeout=60)
            assert "a campaign's call" in await page.text(".offer .offer-subject")
            await page.click(".offer .accept")
            await page.wait("#phone-call:has-text('On a call')", timeout=20)
            iid = (await page.attr(".tab[aria-selected=true]", "id") or "").removeprefix("tab-")
            assert sorted(await bridge_with_carrier(rig, iid)) == ["alice", "carrier"]
            await page.wait("#pop-campaign", timeout=10)
            assert await page.text("#pop-campaign") == "Campaign: winter (step 1)"
            await desk.wait_state("Busy")
            await page.click("#hang-up")
            await eventually(lambda: carrier.lines("BYE"), 20, "the carrier getting the BYE")
            await desk.wait_state("Wrap-up")

            # the campaign's dispositions say what they do; the value stays the bare name
            choice = f"#disposition-{iid}"
            await page.wait(f"{choice} option[value='Call back later']:has-text('books')",
                            state="attached")
            options = dict(zip(
                await page.evaluate(f"() => [...document.querySelectorAll("
                                    f"{json.dumps(choice + ' option')})].map(o => o.value)"),
                await page.texts(f"{choice} option"), strict=True))
            assert options == {
                "": "Choose…",
                "Sale": "Sale (ends the campaign for this customer)",
                "Do not call": "Do not call (adds the number to the do-not-call list)",
                "Call back later": "Call back later (books a callback)",
                "Answering machine": "Answering machine (tries again)",
                "resolved": "resolved"}
            await page.select(choice, "Do not call")
            await page.wait(f"#campaign-dnc-{iid}:has-text('do-not-call list')")
            await page.select(choice, "Call back later")
            assert await page.count(f"#campaign-dnc-{iid}:visible") == 0
            when = f"#callback-at-{iid}"
            await page.wait(f"label[for='callback-at-{iid}']:text-is('Call back at')")
            assert await page.attr(when, "type") == "datetime-local"
            await page.fill(f"#notes-{iid}", "Ann asks to be called tomorrow morning")

            # Finish with no time: said in words, the field has the keyboard, nothing sent
            await page.responses(clear=True)
            await page.press("Alt+Shift+W")
            await page.wait("#notice:text-is('Choose when to call back.')")
            await page.wait("#announce-urgent:has-text('Choose when to call back.')",
                            state="attached")
            assert (await page.focused() or {}).get("id") == f"callback-at-{iid}"
            assert await page.attr(when, "aria-invalid") == "true"
            sent = [r for r in await page.responses()
                    if r["method"] != "GET" and f"/api/interactions/{iid}" in r["url"]]
            assert sent == []
            assert (await stored(rig, iid))["disposition"] is None
            row = await target(rig, cid)
            assert row["state"] != "pending", row
            await desk.wait_state("Wrap-up")
            await assert_accessible(page, "a campaign call's wrap-up asking when to call back")

            # a time in the past: the engine refuses it and says why; the notes stay typed
            await type_local_time(page, (datetime.now() - timedelta(days=3)).timetuple())
            await page.click(f"#panel-{iid} .finish-wrapup")
            await page.wait("#notice:has-text('in the past')", timeout=10)
            assert await field_value(page, f"#notes-{iid}") == \
                "Ann asks to be called tomorrow morning"
            assert (await page.focused() or {}).get("id") == f"callback-at-{iid}"
            assert (await stored(rig, iid))["disposition"] is None

            # in two days at 10:30, typed with the keyboard, then Alt+Shift+W
            later = (datetime.now() + timedelta(days=2)).replace(hour=10, minute=30)
            typed = later.strftime("%Y-%m-%dT%H:%M")
            await type_local_time(page, later.timetuple())
            assert await field_value(page, when) == typed
            due = await page.evaluate(
                f"() => new Date({json.dumps(typed)}).getTime() / 1000")
            await desk.screenshot("desk-campaign-wrapup", tmp_path)
            await page.press("Alt+Shift+W")
            await page.wait("#announce-polite:has-text('Wrap-up finished.')",
                            state="attached", timeout=10)
            await desk.wait_state("Ready")

            record = await stored(rig, iid)
            assert record["disposition"] == "Call back later"
            notes = await rig.call_api("GET", f"/api/interactions/{iid}/notes", "sam")
            assert [n["text"] for n in notes["notes"]] == [
                "Ann asks to be called tomorrow morning"]
            row = await target(rig, cid)
            assert (row["state"], row["step"]) == ("pending", 0), row
            assert abs(row["next_at"] - due) <= 60, (row["next_at"], due)
            progress = (await rig.call_api("GET", f"/api/campaigns/{cid}", "sam"))["progress"]
            assert progress["steps"][0]["dispositions"] == {"Call back later": 1}
            assert await page.errors() == []
    finally:
        await carrier.stop()
