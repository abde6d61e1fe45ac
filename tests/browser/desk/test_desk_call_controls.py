"""Call controls in the desk, carried out on the real call: hold and resume (Asterisk sees
the page's phone hold and plays music to the caller), keypad digits (Asterisk receives them
from the page), recording pause and resume, and an attended transfer to a colleague on a
SIP phone, completed from the desk once they answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.desk.harness import (
    accept_call,
    ami_events,
    bob_as_transfer_target,
    desk_rig,
    open_desk,
)
from tests.browser.driver import needs_browser
from tests.polling import eventually
from tests.sip.sipp import CallerScript

pytestmark = [pytest.mark.asterisk, needs_browser]

RECORDED = "recording={queues: {sales: {record: always}}}"


async def test_given_a_call_in_the_page_when_using_the_controls_then_the_call_follows(
        tmp_path: Path) -> None:
    async with desk_rig(tmp_path, [RECORDED]) as (rig, browser), \
            ami_events(rig, "Hold", "Unhold", "MusicOnHoldStart", "MusicOnHoldStop",
                       "DTMFEnd") as ami:
        desk = await open_desk(rig, browser, "alice", ready=True)
        page = desk.page
        await rig.place_call(CallerScript(digits="1", dtmf="info", audio_repeats=8,
                                          hold_ms=5000))
        iid = await accept_call(page)
        bridge = await rig.ari("GET", f"/bridges/bridge-{iid}")
        caller = next(c for c in bridge["channels"] if not c.startswith("agent-"))

        def alice(e: dict[str, str]) -> bool:
            return e.get("Channel", "").startswith("PJSIP/alice-")

        before_hold = len(ami)   # music before it (a caller who waited) does not count
        await page.click(f"#panel-{iid} .call-hold")
        await eventually(lambda: [e for e in ami if e["Event"] == "Hold" and alice(e)], 10,
                         "Asterisk told the page's phone holds")
        await eventually(lambda: [e for e in ami[before_hold:]
                                  if e["Event"] == "MusicOnHoldStart"
                                  and e.get("Uniqueid") == caller], 10, "music to the caller")
        await page.wait(f"#panel-{iid} .call-hold[aria-pressed=true]:has-text('Resume')")
        await page.click(f"#panel-{iid} .call-hold")
        await eventually(lambda: [e for e in ami if e["Event"] == "Unhold" and alice(e)], 10,
                         "the call resumed")
        await eventually(lambda: [e for e in ami[before_hold:]
                                  if e["Event"] == "MusicOnHoldStop"
                                  and e.get("Uniqueid") == caller], 10, "the caller's music off")

        await page.click("#keypad-toggle")
        for key in "58#":
            await page.click(f"#keypad button[aria-label='Key {key}']")
        await eventually(lambda: [e["Digit"] for e in ami if e["Event"] == "DTMFEnd"
                                  and alice(e) and e.get("Direction") == "Received"] == list("58#"),
                         10, "the digits received from the page")

        await page.click(f"#panel-{iid} .rec-pause")
        await page.wait(f"#panel-{iid} .call-status:has-text('Recording paused.')")
        recordings = await rig.call_api("GET", f"/api/interactions/{iid}/recordings", "alice")
        assert [r["state"] for r in recordings] == ["paused"]
        await page.click(f"#panel-{iid} .rec-resume")
        await page.wait(f"#panel-{iid} .call-status:has-text('Recording resumed.')")

        # attended: alice consults bob (the caller on music), then hands the call over
        await bob_as_transfer_target(rig, page, iid)
        await page.select(f"#transfer-mode-{iid}", "attended")
        await page.click(f"#panel-{iid} .transfer")
        await page.wait(f"#panel-{iid} .complete", timeout=10)

        async def consulting() -> bool:
            call = await rig.call_api("GET", f"/api/calls/{iid}", "alice")
            transfer = call.get("transfer") or {}
            return bool(transfer) and await rig.agent_state("bob") == "busy"
        await eventually(consulting, 20, "bob answered the consult")
        await page.click(f"#panel-{iid} .complete")
        await desk.wait_state("Wrap-up", timeout=15)

        async def bob_has_caller() -> bool:
            found = await rig.ari("GET", f"/bridges/bridge-{iid}")
            return bool(found) and caller in found["channels"] and len(found["channels"]) == 2
        await eventually(bob_has_caller, 15, "bob alone with the caller")
        record = await rig.call_api("GET", f"/api/interactions/{iid}", "admin")
        kinds = [e["kind"] for e in record["events"]]
        assert "transfer_started" in kinds and "transfer_completed" in kinds
        assert [e["data"]["mode"] for e in record["events"]
                if e["kind"] == "transfer_completed"] == ["attended"]
        assert await page.errors() == []
