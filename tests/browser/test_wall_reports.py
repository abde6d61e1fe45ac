"""The wallboard's reports and staffing views (/wall/#reports, /wall/#staffing) in headless
Chromium against a real engine, Asterisk, a sipp caller and alice's baresip phone. Alice
answers one call; a second caller gives up while she is not ready. Sam opens Reports from
the keyboard and runs today's report: the sales/voice row says offered 2, answered 1,
abandoned 1, and every cell is what GET /api/reports answers to the same query; by agent,
alice's row has her occupancy; the CSV link downloads the same counts; a reversed range
shows (and announces) the API's message. Staffing shows the agents staffed as
GET /api/staffing/queues says, and the Erlang C calculator gives 14 agents for 100 calls in
30 minutes at 180 s, 80 % in 20 s. axe-core finds no serious or critical violation on
either view; both are photographed for docs/supervisors.md."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.browser.desk.harness import PASSWORD, SCREENSHOTS, assert_accessible, keep, set_passwords
from tests.browser.driver import Browser, Page, needs_browser
from tests.e2e.conftest import Rig, running_rig
from tests.e2e.test_first_journey import ready_agents
from tests.polling import eventually
from tests.sip.sipp import CallerScript

pytestmark = [pytest.mark.asterisk, needs_browser]

DASH = "–"
VARIANTS = ("abandons_against", "abandons_ignored", "abandons_within_met")
SALES_VOICE = "#report-table tr[data-queue=sales][data-medium=voice]"
# the cells of one table row: {data-figure: text}
CELLS = """(selector) => Object.fromEntries([...document.querySelectorAll(
  `${selector} td[data-figure]`)].map((td) => [td.dataset.figure, td.textContent]))"""


def js_round(value: float) -> int:
    """JavaScript's Math.round (halves up), as the page rounds."""
    return math.floor(value + 0.5)


def mss(value: float | None) -> str:
    if value is None:
        return DASH
    s = js_round(value)
    hours, minutes, secs = s // 3600, s % 3600 // 60, s % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(value: float | None) -> str:
    if value is None:
        return DASH
    rounded = js_round(value * 10) / 10
    return f"{int(rounded) if rounded.is_integer() else rounded} %"


def count(value: int | None) -> str:
    return DASH if value is None else str(value)


def expected_cells(row: dict[str, Any], by_agent: bool) -> dict[str, str]:
    """What the page shows for a row of GET /api/reports."""
    cells = {name: count(row[name]) for name in ("offered", "answered", "abandoned",
                                                   "short_abandoned", "transfers",
                                                   "callbacks")}
    cells |= {f"sl_{v}": percent(row["service_level"][v]) for v in VARIANTS}
    cells |= {name: mss(row[name]) for name in ("asa_seconds", "aht_seconds", "talk_seconds",
                                                "wrapup_seconds", "first_response_seconds")}
    if by_agent:
        cells["occupancy"] = percent(row["occupancy"])
    return cells


async def state_of(rig: Rig, agent: str, state: str) -> bool:
    return await rig.agent_state(agent) == state


async def place_answered_and_abandoned_calls(rig: Rig) -> None:
    """As tests/e2e/test_reports.py: alice answers one; the next gives up while she is on
    a break."""
    await ready_agents(rig, "alice")
    answered = await rig.place_call(CallerScript(digits="1", hold_ms=3000, audio=False))
    await eventually(lambda: state_of(rig, "alice", "busy"), 20, "alice on the call")
    assert await answered.wait(40) == 0, answered.errors()
    await eventually(lambda: state_of(rig, "alice", "available"), 15, "alice's wrap-up over")
    await rig.call_api("POST", "/api/agents/alice/not-ready", "alice", json={"reason": "break"})
    gave_up = await rig.place_call(CallerScript(digits="1", hold_ms=3000, audio=False))
    assert await gave_up.wait(40) == 0, gave_up.errors()


async def tab_to(page: Page, selector: str, most: int = 15) -> None:
    for _ in range(most):
        if await page.evaluate("(s) => document.activeElement === document.querySelector(s)",
                               selector):
            return
        await page.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


async def run_report(page: Page) -> None:
    await page.evaluate("() => { document.getElementById('report-status').textContent = ''; }")
    await page.press("Enter", "#report-run")
    await page.wait("#report-status:has-text('Report ready')")


async def the_query(page: Page) -> dict[str, str]:
    """The report's query, as the CSV link asks for it (without format=csv)."""
    href = await page.attr("#report-csv", "href") or ""
    query = dict(parse_qsl(urlsplit(href).query, keep_blank_values=True))
    assert query.pop("format") == "csv", href
    return query


async def screenshot(page: Page, name: str, workdir: Path) -> None:
    path = await page.screenshot(workdir / f"{name}.png")
    if SCREENSHOTS:
        keep(path, Path(SCREENSHOTS) / f"{name}.png")


async def test_given_calls_today_when_sam_opens_reports_and_staffing_then_they_show_the_apis(
        tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig, Browser.start() as browser:
        await set_passwords(rig, "sam")
        await place_answered_and_abandoned_calls(rig)
        today = datetime.now(UTC).date()

        async def stored() -> bool:
            report = await rig.call_api("GET", "/api/reports", "sam", params={
                "from": today.isoformat(), "by": "queue", "tz": "UTC"})
            return [(r["offered"], r["answered"], r["abandoned"]) for r in report["rows"]] \
                == [(2, 1, 1)]
        await eventually(stored, 10, "both calls stored as ended")

        page = await browser.page("sam", rig.api, viewport={"width": 1440, "height": 900})
        await page.goto("/wall/")
        await page.fill("#user", "sam")
        await page.fill("#password", PASSWORD)
        await page.press("Enter", "#password")
        await page.wait(".tile[data-queue=sales] .figure-offered dd:text-is('2')", timeout=15)

        # Reports, from the keyboard: the link in the bar, then the view's heading has it
        await page.evaluate("() => document.activeElement && document.activeElement.blur()")
        await tab_to(page, "#nav-reports")
        await page.press("Enter")
        await page.wait("#view-reports")
        assert (await page.focused() or {}).get("id") == "reports-title"
        assert await page.attr("#nav-reports", "aria-current") == "page"
        assert page_url_hash(await page.evaluate("() => location.href")) == "#reports"
        # the engine's zone (reporting.timezone) and today in it are the form's defaults
        await eventually(lambda: page.evaluate(
            "() => document.getElementById('report-tz').value === 'UTC'"), 10, "the zone")
        assert await page.evaluate("() => document.getElementById('report-from').value") \
            == today.isoformat()

        # today by queue and medium (the form's default groups)
        await run_report(page)
        query = await the_query(page)
        assert (query["from"], query["to"], query["interval"], query["by"], query["tz"]) == (
            today.isoformat(), (today + timedelta(days=1)).isoformat(), "day",
            "queue,medium", "UTC"), query
        report = await rig.call_api("GET", "/api/reports", "sam", params=query)
        (row,) = [r for r in report["rows"] if (r["queue"], r["medium"]) == ("sales", "voice")]
        shown = await page.evaluate(CELLS, SALES_VOICE)
        assert (shown["offered"], shown["answered"], shown["abandoned"]) == ("2", "1", "1")
        assert shown == expected_cells(row, by_agent=False)
        headers = await page.texts("#report-table thead th")
        assert f"SL: {report['service_level_variant'].replace('_', ' ')} (default)" \
            in headers, headers
        caption = await page.text("#report-caption")
        assert today.isoformat() in caption and "(UTC)" in caption, caption
        await page.evaluate("() => document.activeElement.blur()")
        await screenshot(page, "wall-reports", tmp_path)
        await assert_accessible(page, "the reports view")

        # the CSV link: the same query, downloaded with the page's session cookie
        text = await page.evaluate("""async () => {
          const r = await fetch(document.getElementById("report-csv").href);
          return r.headers.get("content-type") + "\\n" + await r.text();
        }""")
        kind, _, body = text.partition("\n")
        assert kind.startswith("text/csv"), kind
        lines = list(csv.DictReader(io.StringIO(body)))
        assert [(x["queue"], x["medium"], x["offered"]) for x in lines] \
            == [("sales", "voice", "2")], lines

        # by agent only: alice's row, with her occupancy
        for box in ("#report-by-queue", "#report-by-medium", "#report-by-agent"):
            await page.press("Space", box)
        await run_report(page)
        query = await the_query(page)
        assert query["by"] == "agent", query
        report = await rig.call_api("GET", "/api/reports", "sam", params=query)
        (mine,) = [r for r in report["rows"] if r["agent"] == "alice"]
        assert mine["occupancy"] is not None
        shown = await page.evaluate(CELLS, "#report-table tr[data-agent=alice]")
        assert shown == expected_cells(mine, by_agent=True)
        assert shown["occupancy"].endswith(" %"), shown

        # a reversed range: the API's words, by the form and announced
        await page.fill("#report-from", (today + timedelta(days=2)).isoformat())
        await page.fill("#report-to", today.isoformat())
        await page.press("Enter", "#report-to")
        await page.wait("#report-error:has-text('to must be after from')")
        await page.wait("#announce-urgent:has-text('to must be after from')", state="attached")

        # Staffing: the agents staffed as the API says, the shortfall in words (alice has
        # gone home: sales needs an agent and has none)
        await rig.call_api("POST", "/api/agents/alice/logout", "alice")
        await page.press("Enter", "#nav-staffing")
        await page.wait("#staffing-table tr[data-queue=sales][data-medium=voice]")
        assert (await page.focused() or {}).get("id") == "staffing-title"
        staffing = await rig.call_api("GET", "/api/staffing/queues", "sam",
                                      params={"interval_minutes": "30"})
        (voice,) = [m for q in staffing["queues"] if q["queue"] == "sales"
                    for m in q["media"] if m["medium"] == "voice"]
        sales = "#staffing-table tr[data-queue=sales][data-medium=voice]"
        assert await page.text(f"{sales} td[data-figure=staffed] .count") \
            == str(voice["agents_staffed"])
        assert (voice["agents_staffed"], voice["agents_eligible"]) == (0, 1)
        assert await page.text(f"{sales} td[data-figure=contacts]") == "2"
        assert await page.text(f"{sales} td[data-figure=needed]") == str(voice["agents_needed"])
        short = await page.text(f"{sales} td[data-figure=shortfall]")
        assert voice["agents_needed"] >= 1 and short.startswith(
            f"{voice['agents_needed']} agent"), short
        assert "short" in short and await page.count(f"{sales}.short") == 1, short
        await page.wait("#staffing-status:has-text('Short of agents: sales Voice')")

        # the calculator: pyworkforce's example, 14 agents (20 scheduled with 30 % away)
        await page.fill("#erlang-contacts", "100")
        await page.fill("#erlang-aht-seconds", "180")
        await page.fill("#erlang-shrinkage", "0.3")
        await page.fill("#erlang-agents", "13")
        await page.press("Enter", "#erlang-agents")
        needed = "#erlang-result tr[data-row=needed]"
        await page.wait(f"{needed} td[data-figure=agents]:text-is('14')")
        assert await page.text(f"{needed} td[data-figure=agents_scheduled]") == "20"
        assert await page.text(f"{needed} td[data-figure=service_level]") == "88.8 %"
        fewer = "#erlang-result tr[data-row=with-agents]"
        assert await page.text(f"{fewer} td[data-figure=service_level]") == "79.6 %"
        assert await page.text(f"{fewer} td[data-figure=meets_target]") == "No"
        await page.evaluate("() => document.activeElement.blur()")
        await screenshot(page, "wall-staffing", tmp_path)
        await assert_accessible(page, "the staffing view")
        # the API's objection in words, on the field it names
        await page.fill("#erlang-sl-percent", "100")
        await page.press("Enter", "#erlang-sl-percent")
        await page.wait("#erlang-error:has-text('sl_percent must be a number above 0 and "
                        "below 100')")
        assert await page.attr("#erlang-sl-percent", "aria-invalid") == "true"
        assert (await page.focused() or {}).get("id") == "erlang-sl-percent"

        # Back: the reports again, as left; then the board
        await page.evaluate("() => history.back()")
        await page.wait("#view-reports")
        assert await page.count("#view-staffing:visible") == 0
        await page.press("Enter", "#nav-board")
        await page.wait("#view-board .tile[data-queue=sales]")
        assert await page.errors() == []


def page_url_hash(url: str) -> str:
    return "#" + urlsplit(url).fragment
