"""Outbound from the desk, through a real trunk (a sipp carrier): a number the dialling
policy refuses is refused in words and never reaches the carrier; a number typed in the
dial pad rings the agent's own page first (answered by itself), then the carrier, and they
talk; a callback is booked for the customer from the screen pop at a chosen time."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.browser.desk.harness import desk_rig, open_desk
from tests.browser.driver import needs_browser
from tests.e2e.trunk_rig import (
    AGENTS,
    absent,
    bridge_with_carrier,
    invites,
    overrides,
    rtp_both_ways,
    start_carrier,
)
from tests.polling import eventually

pytestmark = [pytest.mark.asterisk, needs_browser]

# alice on the desk's WebRTC phone, bob on his baresip (the trunk rig's agents otherwise)
DESK_AGENTS = [{**AGENTS[0], "phone": "webrtc"}, AGENTS[1]]


async def test_given_a_trunk_when_dialling_from_the_desk_then_policy_in_words_and_calls_go_out(
        tmp_path: Path) -> None:
    carrier = await start_carrier(tmp_path)
    try:
        async with desk_rig(tmp_path, [*overrides(carrier),
                                       f"agents={json.dumps(DESK_AGENTS)}"]) as (rig, browser):
            desk = await open_desk(rig, browser, "alice", ready=True)
            page = desk.page
            await page.fill("#dial-number", "+44 909 879 0123")
            await page.click("#dial-call")
            await page.wait("#notice:has-text('premium')", timeout=10)
            await absent(carrier.invites, 2, "the carrier received an INVITE")

            await page.fill("#dial-number", "020 7946 0123")
            await page.click("#dial-call")
            (invite,) = await invites(carrier)
            assert invite.number == "02079460123"
            await page.wait("#phone-call:has-text('On a call')", timeout=20)
            iid = (await page.attr(".tab[aria-selected=true]", "id") or "").removeprefix("tab-")
            assert sorted(await bridge_with_carrier(rig, iid)) == ["alice", "carrier"]
            await rtp_both_ways(rig, iid)
            await desk.wait_state("Busy")

            # a callback for this customer, tomorrow at 10:30 the page's local time
            await page.fill("#callback-at", time.strftime(
                "%Y-%m-%dT10:30", time.localtime(time.time() + 86400)))
            await page.fill("#callback-note", "about the refund")
            await page.click(".callback-form button[type=submit]")
            await page.wait("#notice:has-text('Callback booked')", timeout=10)
            booked = await rig.call_api("GET", "/api/callbacks?state=scheduled", "alice")
            (callback,) = booked["callbacks"]
            assert (callback["number"], callback["note"], callback["queue"]) == (
                "+442079460123", "about the refund", "sales")
            due = time.localtime(callback["due_at"])
            assert (due.tm_hour, due.tm_min) == (10, 30)

            await page.click("#hang-up")
            await eventually(lambda: carrier.lines("BYE"), 20, "the carrier getting the BYE")
            await desk.wait_state("Wrap-up")
            assert await page.errors() == []
    finally:
        await carrier.stop()
