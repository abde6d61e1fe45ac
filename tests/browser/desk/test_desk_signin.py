"""Signing in to the desk and what it refuses, in the browser: a wrong password and an
unknown user get the same words, then too many failures are refused for a while; a session
ended on the server brings the sign-in back with a message; a state change without the
CSRF token is refused; a supervisor's forced change shows on the agent's desk at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.browser.desk.harness import (
    PASSWORD,
    assert_accessible,
    desk_rig,
    open_desk,
    sign_in,
)
from tests.browser.driver import Browser, needs_browser

pytestmark = [pytest.mark.asterisk, needs_browser]

WRONG = "The user name or password is wrong."


async def test_given_bad_credentials_when_signing_in_then_same_words_then_rate_limited(
        tmp_path: Path) -> None:
    async with desk_rig(tmp_path, ["sessions={signin_limit: {per_user: 3}}"]) as (
            rig, browser):
        page = await browser.page("someone", rig.api)
        for user, password in (("alice", "not her password"), ("nobody", PASSWORD),
                               ("alice", "still wrong")):
            await sign_in(page, user, password)
            await page.wait(f"#signin-error:has-text('{WRONG}')", timeout=10)
            assert await page.text("#signin-error") == WRONG
            await page.evaluate("() => { document.getElementById('signin-error')"
                                ".textContent = ''; }")
        await sign_in(page, "alice", "one more try")   # alice's third failure
        await page.wait(f"#signin-error:has-text('{WRONG}')", timeout=10)
        await sign_in(page, "alice", PASSWORD)   # even the right one, for a while
        await page.wait("#signin-error:has-text('Too many failed sign-ins')", timeout=10)
        assert await page.count("#agent-state") == 0
        await assert_accessible(page, "the sign-in screen with an error")


async def test_given_a_signed_in_desk_when_session_ends_or_csrf_missing_then_refused(
        tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as (rig, browser):
        desk = await open_desk(rig, browser, "alice")
        page = desk.page
        refused = await page.evaluate("""async () => {
          const r = await fetch('/api/agents/alice/login', {method: 'POST',
            credentials: 'same-origin'});
          return [r.status, (await r.json()).error];
        }""")
        assert refused == [403, "csrf_failed"]
        assert await desk.state_text() == "Logged out"   # nothing changed
        db = rig.engine.db
        assert db is not None
        async with db.engine.begin() as conn:   # the session ends on the server
            await conn.execute(text("DELETE FROM sessions"))
        await page.click("#go-ready")
        await page.wait("#signin-error:has-text('Your session has ended')", timeout=10)
        assert await page.count("#agent-state") == 0


async def test_given_supervisor_when_forcing_agent_not_ready_then_her_desk_shows_it(
        tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as (rig, browser):
        desk = await open_desk(rig, browser, "alice")
        await desk.page.click("#go-ready")
        await desk.wait_state("Ready")
        asked = time.monotonic()
        await rig.call_api("POST", "/api/agents/alice/force", "sam",
                           json={"state": "not_ready", "reason": "meeting"})
        await desk.wait_state("Not ready — meeting", timeout=5)
        print(f"forced state shown {time.monotonic() - asked:.3f} s after the request")
        assert "supervisor" in (await desk.page.text("#announce-urgent")).lower()


async def test_given_the_microphone_refused_when_going_ready_then_told_and_not_ready(
        tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as (rig, _), \
            Browser.start(fake_ui=False) as browser:
        page = await browser.page("alice", rig.api, permissions=["notifications"])
        await sign_in(page, "alice")
        await page.wait("#agent-state:has-text('Logged out')", timeout=15)
        await page.click("#go-ready")
        await page.wait("#phone-error:has-text('blocks the microphone')", timeout=10)
        assert "blocks the microphone" in await page.text("#notice")
        assert "blocks the microphone" in await page.text("#announce-urgent")
        assert await page.text("#agent-state") == "Logged out"   # not offered calls it
        agent = await rig.call_api("GET", "/api/agents/alice", "alice")
        assert agent["presence"] == "logged_out"
