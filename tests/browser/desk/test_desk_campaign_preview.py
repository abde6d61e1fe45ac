"""A preview campaign's call on the desk, end to end (docs/campaigns.md, "Preview"): the
campaign gives alice (the desk's WebRTC phone) each customer before anything is dialled
through the trunk (a sipp carrier that answers). Her panel asks "Preview: call NAME?" with
the number, Call has the keyboard, and the carrier has had no INVITE. She skips the first
customer with the keyboard: wrap-up shows, nothing is dialled and the customer is due again
later. She calls the second with Alt+Shift+C: her phone answers by itself, the carrier gets
the INVITE and the call's bridge holds both; she hangs up and the customer is done."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.desk.harness import Desk, assert_accessible, desk_rig, open_desk
from tests.browser.desk.test_desk_campaign_wrapup import ALWAYS, QUEUES
from tests.browser.desk.test_desk_outbound import DESK_AGENTS
from tests.browser.driver import needs_browser
from tests.e2e.conftest import Rig
from tests.e2e.trunk_rig import (
    CALLBACKS,
    absent,
    bridge_with_carrier,
    invites,
    overrides,
    start_carrier,
)
from tests.polling import eventually
from tests.sip.carrier import Carrier

pytestmark = [pytest.mark.asterisk, needs_browser]

# both answer at once at the carrier (tests/sip/carrier.py)
CUSTOMERS = {"Fay Spring": "02079460444", "Gus Spring": "02079460555"}
SPEC = {"name": "spring", "queue": "sales",
        "steps": [{"channel": "phone", "attempts": 2, "retry_minutes": 60}],
        "dialer": {"mode": "preview", "ring_seconds": 15}}


async def targets(rig: Rig, campaign_id: int) -> dict[str, dict[str, Any]]:
    """The campaign's targets by customer id."""
    listed = (await rig.call_api("GET", f"/api/campaigns/{campaign_id}/targets",
                                 "sam"))["targets"]
    return {row["customer_id"]: row for row in listed}


async def focused_on(desk: Desk, element_id: str) -> bool:
    return (await desk.page.focused() or {}).get("id") == element_id


async def shown_preview(desk: Desk, carrier: Carrier, names: dict[str, str],
                        before: str = "") -> tuple[str, str]:
    """Wait for a preview (other than ``before``'s) in the panel shown: its heading names
    the customer, Call has the keyboard, the call's controls wait, nothing is dialled.
    Its interaction id and the customer's name."""
    page = desk.page
    await page.wait(f".preview-call:not([id='preview-call-{before}'])", timeout=60)
    iid = (await page.attr(".tab[aria-selected=true]", "id") or "").removeprefix("tab-")
    assert iid and iid != before
    heading = await page.text(f"#preview-title-{iid}")
    name = next(n for n in names if heading == f"Preview: call {n}?")
    number = await page.text(f"#preview-number-{iid}")
    assert number.startswith("Number: ") and number.endswith(names[name][1:]), number
    assert await focused_on(desk, f"preview-call-{iid}")
    assert await page.attr(f"#preview-call-{iid}", "aria-keyshortcuts") == "Alt+Shift+C"
    await page.wait(f"#announce-polite:has-text('Preview: {name}. Call or skip.')",
                    state="attached")
    assert await page.count(f"#panel-{iid} .call-view:visible") == 0
    await desk.wait_state("Busy")   # hers at once, though nothing rings
    await absent(carrier.invites, 3, "an INVITE before alice decided")
    assert await page.count("#phone-call:visible") == 0
    return iid, name


async def test_given_a_preview_campaign_when_alice_skips_then_calls_then_only_the_call_dials(
        tmp_path: Path) -> None:
    carrier = await start_carrier(tmp_path)
    try:
        extra = [*overrides(carrier, callbacks=CALLBACKS),
                 f"agents={json.dumps(DESK_AGENTS)}", f"queues={json.dumps(QUEUES)}",
                 "campaigns=" + json.dumps({"calling_windows": {"default": ALWAYS}})]
        async with desk_rig(tmp_path, extra) as (rig, browser):
            desk = await open_desk(rig, browser, "alice", ready=True)
            page = desk.page
            ids = {name: (await rig.call_api("POST", "/api/customers", "sam", json={
                "name": name, "identities": [{"kind": "phone", "value": number}]}))["id"]
                for name, number in CUSTOMERS.items()}
            cid = (await rig.call_api("POST", "/api/campaigns", "sam", json=SPEC))["id"]
            await rig.call_api("POST", f"/api/campaigns/{cid}/targets", "sam",
                               json={"customer_ids": list(ids.values())})
            await rig.call_api("POST", f"/api/campaigns/{cid}/state", "sam",
                               json={"state": "running"})

            # the first customer: shown, not dialled; Tab to Skip, Enter
            first, skipped = await shown_preview(desk, carrier, CUSTOMERS)
            await page.wait("#pop-campaign:text-is('Campaign: spring (step 1)')")
            # a campaign's call is named so, not as a callback the customer asked for
            assert (await page.text(f"#tab-{first}")).startswith("Campaign call: ")
            await assert_accessible(page, "a preview campaign's call waiting for Call or Skip")
            await desk.screenshot("desk-campaign-preview", tmp_path)
            await page.press("Tab")
            assert await focused_on(desk, f"preview-skip-{first}")
            await page.press("Enter")
            await desk.wait_state("Wrap-up")
            await page.wait(f"#panel-{first} .wrapup", timeout=10)
            assert await page.count(f"#preview-{first}:visible") == 0
            await page.wait(f"#announce-polite:has-text('Skipped {skipped}. Wrap-up.')",
                            state="attached")
            await eventually(lambda: focused_on(desk, f"disposition-{first}"), 5,
                             "the keyboard in the wrap-up's disposition")

            async def skipped_row() -> dict[str, Any] | None:
                row = (await targets(rig, cid))[ids[skipped]]
                return row if "skipped" in (row.get("outcome") or "") else None
            row = await eventually(skipped_row, 20, f"{skipped} skipped in the campaign")
            assert (row["state"], row["attempts"]) == ("pending", 0), row
            assert [i for i in carrier.invites() if i.number == CUSTOMERS[skipped]] == []

            await page.press("Alt+Shift+W")
            await page.wait("#announce-polite:has-text('Wrap-up finished.')",
                            state="attached", timeout=10)

            # the second customer: Alt+Shift+C; alice's phone rings and answers by itself,
            # then the customer's number is dialled and bridged with her
            second, called = await shown_preview(desk, carrier, CUSTOMERS, before=first)
            assert called != skipped
            await page.press("Alt+Shift+C")
            await page.wait("#phone-call:has-text('On a call')", timeout=20)
            (invite,) = await invites(carrier)
            assert invite.number == CUSTOMERS[called]
            assert sorted(await bridge_with_carrier(rig, second)) == ["alice", "carrier"]
            await page.wait(f"#panel-{second} .call-view", timeout=10)
            assert await page.count(f"#preview-{second}:visible") == 0
            await desk.wait_state("Busy")
            await page.click("#hang-up")
            await eventually(lambda: carrier.lines("BYE"), 20, "the carrier getting the BYE")
            await desk.wait_state("Wrap-up")
            await page.press("Alt+Shift+W")
            await desk.wait_state("Ready")

            async def done() -> dict[str, Any] | None:
                row = (await targets(rig, cid))[ids[called]]
                return row if row["state"] == "done" else None
            await eventually(done, 20, f"{called} done in the campaign")
            assert [i.number for i in carrier.invites()] == [CUSTOMERS[called]]
            assert (await targets(rig, cid))[ids[skipped]]["state"] == "pending"
            assert await page.errors() == []
    finally:
        await carrier.stop()
