"""Reloads and network drops lose nothing: with a call and a chat in hand, alice's page is
reloaded; it comes back signed in with her state, both tabs and the chat's transcript, and
the call rings her page again for the same caller (who waited on music) and is answered by
itself. Then her network drops for a few seconds (every connection of the page reset,
none possible): once it is back, the same."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.browser.desk.harness import Desk, accept_call, desk_rig_with_channels, open_desk
from tests.browser.desk.netcut import NetCut
from tests.browser.desk.test_desk_multitask import accept_offer, heard, say, visitor
from tests.browser.driver import needs_browser
from tests.e2e.conftest import Rig
from tests.polling import eventually
from tests.sip.sipp import CallerScript

pytestmark = [pytest.mark.asterisk, needs_browser]


async def talking(rig: Rig, iid: str) -> list[str]:
    async def pair() -> list[str] | None:
        found = await rig.ari("GET", f"/bridges/bridge-{iid}")
        channels = found["channels"] if found else []
        return channels if len(channels) == 2 else None
    channels = await eventually(pair, 25, "the caller and alice's page in the call's bridge")
    await rig.rtp_both_ways(channels, 25)  # ICE and DTLS on a page just back: a busy CI
    return channels


async def events_of(rig: Rig, iid: str) -> list[str]:
    live = await rig.engine.dispatcher.live_interaction(iid)  # type: ignore[union-attr]
    return [e.kind for e in live.events]


async def back_with_everything(desk: Desk, call_id: str, chat_id: str,
                               lines: list[str]) -> None:
    page = desk.page
    await page.wait("#connection:text-is('')", state="attached", timeout=20)  # feed back
    await desk.wait_state("Busy", timeout=20)
    await page.wait(f"#tab-{call_id}", timeout=10)
    await page.wait(f"#tab-{chat_id}", timeout=10)
    await page.click(f"#tab-{chat_id}")
    await page.wait(f"#panel-{chat_id} .message >> nth={len(lines) - 1}", timeout=10)
    assert await page.texts(f"#panel-{chat_id} .message .body") == lines
    await page.wait("#phone-call:has-text('On a call')", timeout=25)


async def test_given_a_call_and_a_chat_when_page_reloads_or_network_drops_then_all_back(
        tmp_path: Path) -> None:
    async with desk_rig_with_channels(tmp_path, ["webrtc.rejoin_seconds=20"]) as (
            rig, browser, _), NetCut.running(rig.engine.config.api.port) as net:
        desk = await open_desk(rig, browser, "alice", ready=True, base_url=net.url)
        page = desk.page
        # the caller talks the whole time (RTP is counted on every leg, the later ones too)
        await rig.place_call(CallerScript(digits="1", dtmf="info", audio_repeats=12,
                                          hold_ms=5000))
        call_id = await accept_call(page)
        first = await talking(rig, call_id)
        _, ann = await visitor(rig, "Ann")
        chat_id = await accept_offer(page, "Ann")
        await say(ann, "before the reload", "1")
        await page.wait(f"#panel-{chat_id} .message.from-customer", timeout=10)
        await page.fill(f"#reply-{chat_id}", "I am here")
        await page.press("Enter", f"#reply-{chat_id}")
        await heard(ann, "I am here")

        await page.reload()
        await back_with_everything(desk, call_id, chat_id, ["before the reload", "I am here"])
        again = await talking(rig, call_id)
        assert set(again) != set(first)   # a new leg to the reloaded page
        kinds = await events_of(rig, call_id)
        assert kinds.count("agent_disconnected") == 1 and kinds.count("agent_reconnected") == 1
        await say(ann, "after the reload", "2")
        await page.wait(f"#panel-{chat_id} .message:has-text('after the reload')", timeout=10)

        net.cut()
        await asyncio.sleep(2)
        await say(ann, "while you were away", "3")   # the page cannot hear it now
        await asyncio.sleep(2)
        net.restore()
        await back_with_everything(desk, call_id, chat_id, [
            "before the reload", "I am here", "after the reload", "while you were away"])
        await talking(rig, call_id)
        kinds = await events_of(rig, call_id)
        assert kinds.count("agent_disconnected") == 2 and kinds.count("agent_reconnected") == 2
        assert await rig.agent_state("alice") == "busy"
        await say(ann, "after the drop", "4")
        await page.wait(f"#panel-{chat_id} .message:has-text('after the drop')", timeout=15)
        assert await page.errors() == []
        await ann.close()
