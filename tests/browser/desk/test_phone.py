"""The desk's WebRTC phone (agents/desk/js/phone.js) in headless Chromium, on a real engine
and Asterisk: it registers through the engine's SIP websocket relay (/ws/sip) with the
credentials GET /api/phone hands the signed-in user, and answers a queued sipp call with
RTP both ways (DTLS-SRTP, ICE on loopback). Only WebRTC users get the relay."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from tests.browser.driver import Browser, needs_browser
from tests.e2e.conftest import Rig, running_rig
from tests.polling import eventually
from tests.sip.sipp import CallerScript

pytestmark = [pytest.mark.asterisk, needs_browser]

WEBRTC_ALICE = "agents=[{id: alice, name: Alice, skills: {sales: 5}}, " \
               "{id: bob, name: Bob, skills: {sales: 5}, phone: sip}]"

# registers the page's phone; answers every call it gets and logs what happens
START_PHONE = """async (token) => {
  const { Phone } = await import('/desk/js/phone.js');
  const r = await fetch('/api/phone', {headers: {Authorization: 'Bearer ' + token}});
  const details = await r.json();
  details.socket += '?token=' + token;
  const phone = new Phone(details);
  window.log = [];
  phone.addEventListener('status', (e) => window.log.push('status:' + e.detail.state));
  phone.addEventListener('incoming', (e) => {
    window.log.push('incoming:' + e.detail.call.interactionId);
    phone.answer();
  });
  phone.addEventListener('call', (e) => window.log.push('call:' + e.detail.state));
  phone.start();
  return details;
}"""


async def bridged_call(rig: Rig) -> tuple[str, list[str]]:
    """The interaction id and the two channels of the call's bridge, once both are in."""
    async def pair() -> tuple[str, list[str]] | None:
        bridges = await rig.ari("GET", "/bridges") or []
        full = [b for b in bridges if len(b.get("channels", [])) == 2]
        return (full[0]["id"].removeprefix("bridge-"), full[0]["channels"]) if full else None
    return await eventually(pair, 20, "caller and browser bridged")


async def test_given_webrtc_agent_when_queued_call_comes_then_browser_answers_with_audio(
        tmp_path: Path) -> None:
    async with running_rig(tmp_path, extra=[WEBRTC_ALICE]) as rig, \
            Browser.start() as browser:
        page = await browser.page("alice", rig.api)
        await page.goto("/desk/")
        details = await page.evaluate(START_PHONE, rig.tokens["alice"])
        assert details["kind"] == "webrtc" and details["candidates"] == "loopback"
        assert details["uri"] == "sip:alice@127.0.0.1"
        ami = rig.engine.ami
        assert ami is not None
        await eventually(lambda: ami.contacts.get("alice"), 15, "alice's browser registered")
        assert rig.engine.phones.connected("alice")
        await rig.login("alice")
        caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=6000))
        interaction_id, channels = await bridged_call(rig)
        await rig.rtp_both_ways(channels, 15)
        assert await caller.wait(40) == 0, caller.errors()
        log = await eventually(lambda: _ended(page), 15, "the browser's call ended")
        assert log[:2] == ["status:connecting", "status:registered"]
        assert [e for e in log if e.startswith("call:")] == ["call:answered", "call:ended"]
        # the INVITE named the interaction it rings for (the desk matches it to the offer)
        assert [e for e in log if e.startswith("incoming:")] == [f"incoming:{interaction_id}"]
        assert await page.errors() == []


async def _ended(page: object) -> list[str] | None:
    log = await page.evaluate("() => window.log")  # type: ignore[attr-defined]
    return log if "call:ended" in log else None


async def test_given_sip_phone_user_or_no_token_when_opening_relay_then_refused(
        tmp_path: Path) -> None:
    async with running_rig(tmp_path, extra=[WEBRTC_ALICE]) as rig:
        url = f"ws://127.0.0.1:{rig.engine.config.api.port}/ws/sip"
        for query, status in (("", 401), (f"?token={rig.tokens['bob']}", 403)):
            with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                await rig.http.ws_connect(url + query, protocols=("sip",))
            assert e.value.status == status
        bob = await rig.call_api("GET", "/api/phone", "bob")
        assert bob == {"kind": "sip", "user": "bob",
                       "server": f"udp:127.0.0.1:{rig.engine.config.asterisk.phone_sip_port}"}
        assert "password" not in bob
