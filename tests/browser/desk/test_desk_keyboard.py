"""The desk from the keyboard alone, with screen-reader announcements, and axe-core on each
screen: sign in by typing; Tab to Ready; a chat offer is announced, Alt+Shift+A takes it and
puts the keyboard in its reply box; Enter sends; Tab reaches End chat; Alt+Shift+W ends
wrap-up; the next offer is declined with Alt+Shift+D. axe-core (npm) finds no serious or
critical violation on the sign-in screen, the idle desk, an offer, a chat and a wrap-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.desk.harness import PASSWORD, Desk, assert_accessible, desk_rig_with_channels
from tests.browser.desk.test_desk_multitask import heard, visitor
from tests.browser.driver import Page, needs_browser
from tests.polling import eventually

pytestmark = [pytest.mark.asterisk, needs_browser]


async def tab_to(page: Page, element_id: str, most: int = 40) -> None:
    """Press Tab until the element has the keyboard."""
    for _ in range(most):
        focused = await page.focused()
        if focused and focused["id"] == element_id:
            return
        await page.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


async def test_given_only_a_keyboard_when_working_an_offer_then_everything_is_reachable(
        tmp_path: Path) -> None:
    async with desk_rig_with_channels(tmp_path) as (rig, browser, _):
        page = await browser.page("alice", rig.api)
        await page.goto("/desk/")
        await page.wait("#user")
        await Desk(rig, page, "alice").screenshot("desk-sign-in", tmp_path)
        await assert_accessible(page, "the sign-in screen")
        assert (await page.focused() or {}).get("id") == "user"
        loaded = [r["url"] for r in await page.responses(clear=True)]
        assert not [u for u in loaded if "jssip" in u]   # the phone's library comes later
        await page.type("alice")
        await page.press("Tab")
        await page.type(PASSWORD)
        await page.press("Enter")
        desk = Desk(rig, page, "alice")
        await desk.wait_state("Logged out", timeout=15)
        ami = rig.engine.ami
        assert ami is not None
        await eventually(lambda: ami.contacts.get("alice"), 15, "alice's browser registered")
        jssip = [r for r in await page.responses() if r["url"].endswith("/vendor/jssip.js")]
        assert len(jssip) == 1 and 0 < jssip[0]["bodyBytes"] < 100_000   # sent gzipped
        await desk.screenshot("desk-signed-in", tmp_path)
        await assert_accessible(page, "the desk, logged out")
        await tab_to(page, "go-ready")
        await page.press("Enter")
        await desk.wait_state("Ready")
        await assert_accessible(page, "the desk, ready")

        _, ann = await visitor(rig, "Ann")
        await page.wait(".offer", timeout=20)
        await page.wait("#announce-urgent:has-text('New chat offer from Ann')",
                        state="attached")
        await assert_accessible(page, "an offer")
        await page.press("Alt+Shift+A")
        await page.wait(".tab:has-text('Ann')")
        iid = (await page.attr(".tab:has-text('Ann')", "id") or "").removeprefix("tab-")
        await eventually(lambda: _focused(page, f"reply-{iid}"), 5, "the reply box focused")
        await page.type("Hello Ann")
        await page.press("Enter")
        await heard(ann, "Hello Ann")
        await assert_accessible(page, "a chat in hand")
        await tab_to(page, f"end-chat-{iid}")
        await page.press("Enter")
        await desk.wait_state("Wrap-up")
        await assert_accessible(page, "wrap-up")
        await page.press("Alt+Shift+W")
        await desk.wait_state("Ready")

        _, ben = await visitor(rig, "Ben")
        await page.wait(".offer:has-text('Ben')", timeout=20)
        await page.press("Alt+Shift+D")
        await desk.wait_state("Not ready — rona")
        await page.wait("#announce-urgent:has-text('not answered')", state="attached")
        assert await page.errors() == []
        for ws in (ann, ben):
            await ws.close()


async def _focused(page: Page, element_id: str) -> bool:
    return ((await page.focused()) or {}).get("id") == element_id
