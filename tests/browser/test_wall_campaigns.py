"""The wallboard's campaigns view (/wall/#campaigns) in headless Chromium against a real
engine and Asterisk. Sam has two campaigns made through the API: spring (an email, then
calls) with a list of two customers, and autumn (calls only) with nobody on it yet. The view
shows each row as GET /api/campaigns/{id} says; Sam starts spring from the keyboard (the
API says running, the row follows as the runner skips the email step nobody opted in to),
pauses it, and finishes autumn after saying "for good" (Escape first leaves it as it was).
A move the engine refuses (starting a campaign finished elsewhere since the row was read)
is shown and announced in the engine's words. axe-core finds no violation in the view."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.desk.harness import assert_accessible, set_passwords
from tests.browser.driver import Browser, Page, needs_browser
from tests.browser.test_wall import sign_in
from tests.browser.test_wall_reports import CELLS, screenshot, tab_to
from tests.e2e.conftest import Rig, running_rig
from tests.e2e.test_campaigns import CAMPAIGNS, LIST, SPEC
from tests.polling import eventually

pytestmark = [pytest.mark.asterisk, needs_browser]

DASH = "–"
CALLS_ONLY = {"name": "autumn", "queue": "sales", "steps": [{"channel": "phone"}]}
STATES = {"draft": "Draft", "running": "Running", "paused": "Paused", "finished": "Finished"}
CHANNELS = {"email": "Email", "phone": "Phone"}


def row(name: str) -> str:
    return f"#campaigns-table tr[data-campaign='{name}']"


def button(name: str, move: str) -> str:
    return f"{row(name)} button[data-move={move}]"


def step_text(step: dict[str, Any]) -> str:
    outcomes = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in step["outcomes"].items())
    chosen = ", ".join(f"{k} {n}" for k, n in step["dispositions"].items())
    return (f"Step {step['step'] + 1}, {CHANNELS[step['channel']]}: {step['contacted']} "
            f"contacted{f' ({outcomes})' if outcomes else ''}; {step['pending']} waiting"
            f"{f'; dispositions: {chosen}' if chosen else ''}")


def dialer_text(campaign: dict[str, Any]) -> str:
    mode = campaign["spec"]["dialer"]["mode"]
    d = campaign["dialer"]
    if d is None:
        return mode.title()
    now = f" ({d['mode']} now)" if d["mode"] and d["mode"] != mode else ""
    return (f"{mode.title()}{now}: {d['abandon_rate'] * 100:.1f} % abandoned, "
            f"{d['abandoned']} of {d['live_answers']} answered")


def expected(campaign: dict[str, Any], zone: str) -> dict[str, Any]:
    """What the page shows for GET /api/campaigns/{id}: the cells, then the steps' lines."""
    by = campaign["progress"]["by_state"]
    started = campaign["started_at"]
    return {
        "state": STATES[campaign["state"]],
        "started": DASH if started is None else datetime.fromtimestamp(
            started, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"),
        "targets": str(campaign["progress"]["targets"]),
        "responded": str(by["responded"]), "opted_out": str(by["opted_out"]),
        "failed": str(by["failed"]),
        "pending": str(by["pending"]) + (f" ({by['active']} under way)" if by["active"] else ""),
        "steps": [step_text(s) for s in campaign["progress"]["steps"]],
        "dialer": dialer_text(campaign),
    }


async def shown(page: Page, name: str) -> dict[str, Any]:
    cells = await page.evaluate(CELLS, row(name))
    cells["steps"] = await page.texts(f"{row(name)} td[data-figure=steps] li")
    return cells


async def the_api(rig: Rig, campaign_id: int) -> dict[str, Any]:
    return await rig.call_api("GET", f"/api/campaigns/{campaign_id}", "sam")


async def row_as_api_says(rig: Rig, page: Page, name: str, campaign_id: int,
                          timeout: float = 25,
                          until: Callable[[dict[str, Any]], bool] = lambda _: True
                          ) -> dict[str, Any]:
    """Until the row shows what the API says (the page reads it every 10 s), and that is
    what `until` waits for."""
    zone = rig.engine.settings.reporting.timezone
    last: dict[str, Any] = {}

    async def same() -> bool:
        want = expected(await the_api(rig, campaign_id), zone)
        last.update(page=await shown(page, name), api=want)
        return last["page"] == want and until(want)
    try:
        await eventually(same, timeout, f"the {name} row as the API says")
    except AssertionError as e:
        raise AssertionError(f"{e}: {last}") from None
    return last["api"]


async def open_campaigns(rig: Rig, browser: Browser) -> Page:
    await set_passwords(rig, "sam")
    page = await browser.page("sam", rig.api, viewport={"width": 1440, "height": 900})
    await sign_in(page, "/wall/#campaigns", shown="#campaigns-table tbody tr[data-campaign]")
    assert await page.attr("#nav-campaigns", "aria-current") == "page"
    return page


async def read_now(page: Page) -> None:
    """Refresh, and wait for the answer (the next read is then 10 s away)."""
    await page.evaluate("() => { document.getElementById('campaigns-status')"
                        ".textContent = ''; }")
    await page.press("Enter", "#campaigns-refresh")
    await page.wait("#campaigns-status:has-text('Read at')")


async def test_given_two_campaigns_when_sam_starts_pauses_and_finishes_then_rows_follow(
        tmp_path: Path) -> None:
    async with running_rig(tmp_path, extra=CAMPAIGNS["overrides"]) as rig, \
            Browser.start() as browser:
        spring = await rig.call_api("POST", "/api/campaigns", "sam", json=SPEC)
        added = await rig.call_api("POST", f"/api/campaigns/{spring['id']}/targets", "sam",
                                   data=LIST, headers={"Content-Type": "text/csv"})
        assert added["added"] == 2
        autumn = await rig.call_api("POST", "/api/campaigns", "sam", json=CALLS_ONLY)
        page = await open_campaigns(rig, browser)

        # both rows, as the API says: spring's two customers wait on its first step
        assert await page.texts("#campaigns-table tbody th") == ["spring", "autumn"]
        first = await row_as_api_says(rig, page, "spring", spring["id"], timeout=5)
        assert first == {"state": "Draft", "started": DASH, "targets": "2", "responded": "0",
                         "opted_out": "0", "failed": "0", "pending": "2",
                         "dialer": "Progressive",
                         "steps": ["Step 1, Email: 0 contacted; 2 waiting",
                                   "Step 2, Phone: 0 contacted; 0 waiting"]}
        assert (await row_as_api_says(rig, page, "autumn", autumn["id"], timeout=5))[
            "targets"] == "0"
        assert await page.count(f"{row('spring')} button[data-move]:visible") == 2
        assert await page.texts(f"{row('spring')} button[data-move]:visible") == [
            "Start spring", "Finish spring"]
        assert (await page.text("#campaigns-status")).startswith("2 campaigns, 0 running.")
        assert await page.axe("#view-campaigns") == []
        await assert_accessible(page, "the campaigns view")

        # Start, from the keyboard: the API says running, the row follows
        await page.evaluate("() => document.getElementById('campaigns-title').focus()")
        await tab_to(page, button("spring", "start"))
        await page.press("Enter")
        await page.wait(f"{row('spring')} td[data-figure=state]:text-is('Running')")
        assert (await the_api(rig, spring["id"]))["state"] == "running"
        await page.wait("#announce-polite:has-text('Campaign spring started.')",
                        state="attached")
        focused = await page.evaluate("() => document.activeElement.dataset.move")
        assert focused == "pause", focused
        # nobody opted in to marketing email: the runner skips step 1 for both, and the
        # page shows it on its next read (every 10 s)
        now = await row_as_api_says(rig, page, "spring", spring["id"],
                                    until=lambda want: "skipped 2" in want["steps"][0])
        assert now["steps"] == ["Step 1, Email: 0 contacted (skipped 2); 0 waiting",
                                "Step 2, Phone: 0 contacted; 2 waiting"], now
        assert (now["state"], now["targets"], now["pending"]) == ("Running", "2", "2"), now
        assert now["started"] != DASH

        # Pause: the keyboard is on it already
        await page.press("Enter")
        await page.wait(f"{row('spring')} td[data-figure=state]:text-is('Paused')")
        assert (await the_api(rig, spring["id"]))["state"] == "paused"
        await page.wait("#announce-polite:has-text('Campaign spring paused.')",
                        state="attached")
        assert await page.evaluate("() => document.activeElement.dataset.move") == "resume"
        await screenshot(page, "wall-campaigns", tmp_path)

        # Finish autumn: the first press asks; Escape leaves it a draft; then for good
        finish = button("autumn", "finish")
        await tab_to(page, finish, most=25)
        await page.press("Enter")
        await page.wait(f"{button('autumn', 'cancel')}")
        assert await page.text(finish) == "Finish autumn for good?"
        await page.wait("#announce-polite:has-text('Finish autumn for good?')",
                        state="attached")
        assert (await the_api(rig, autumn["id"]))["state"] == "draft"
        await page.press("Escape")
        await page.wait(f"{button('autumn', 'cancel')}", state="hidden")
        assert await page.text(finish) == "Finish autumn"
        assert (await page.focused() or {}).get("text") == "Finish autumn"
        await page.press("Enter")
        await page.wait(f"{button('autumn', 'cancel')}")
        assert await page.axe("#view-campaigns") == []
        await page.press("Enter")
        await page.wait(f"{row('autumn')} td[data-figure=state]:text-is('Finished')")
        assert (await the_api(rig, autumn["id"]))["state"] == "finished"
        await page.wait("#announce-polite:has-text('Campaign autumn finished.')",
                        state="attached")
        assert await page.count(f"{row('autumn')} button:visible") == 0
        assert (await page.focused() or {}).get("text") == "autumn"
        assert (await row_as_api_says(rig, page, "autumn", autumn["id"], timeout=5))[
            "state"] == "Finished"
        assert await page.text("#campaigns-error") == ""

        # Refresh on demand; then away to the board, where nothing more is read
        await read_now(page)
        assert (await page.text("#campaigns-status")).startswith("2 campaigns, 0 running.")
        await page.press("Enter", "#nav-board")
        await page.wait("#view-board .tile[data-queue=sales]")
        await asyncio.sleep(1)       # a read under way as the view was left has ended
        await page.responses(clear=True)
        await asyncio.sleep(11)
        reads = [r["url"] for r in await page.responses() if "/api/campaigns" in r["url"]]
        assert reads == [], reads
        assert await page.errors() == []


async def test_given_a_row_read_before_the_campaign_finished_when_started_then_refused(
        tmp_path: Path) -> None:
    async with running_rig(tmp_path, extra=CAMPAIGNS["overrides"]) as rig, \
            Browser.start() as browser:
        winter = await rig.call_api("POST", "/api/campaigns", "sam",
                                    json={**CALLS_ONLY, "name": "winter"})
        page = await open_campaigns(rig, browser)
        await read_now(page)
        # finished elsewhere; the row still offers Start until the next read
        await rig.call_api("POST", f"/api/campaigns/{winter['id']}/state", "sam",
                           json={"state": "finished"})
        await page.press("Enter", button("winter", "start"))
        said = "Could not start winter: campaign 'winter' is finished: it cannot become running"
        await page.wait(f"#campaigns-error:text-is(\"{said}\")")
        await page.wait(f"#announce-urgent:has-text(\"{said}\")", state="attached")
        # the row is read again: finished, nothing more to press, the keyboard on its name
        await page.wait(f"{row('winter')} td[data-figure=state]:text-is('Finished')")
        assert await page.count(f"{row('winter')} button:visible") == 0
        assert (await page.focused() or {}).get("text") == "winter"
        # the refusal stays through the next automatic read
        await page.evaluate("() => { document.getElementById('campaigns-status')"
                            ".textContent = ''; }")
        await page.wait("#campaigns-status:has-text('Read at')", timeout=15)
        assert await page.text("#campaigns-error") == said
        assert await page.errors() == []
