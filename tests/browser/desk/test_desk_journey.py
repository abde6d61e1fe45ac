"""The desk's main journey, on the real engine, Asterisk and phones: Jane chatted and
emailed earlier; alice signs in, her page's phone registers and she goes ready; Jane calls
(sipp) and presses 1; the offer pops with her earlier chat and email; alice answers in the
browser (RTP both ways on both legs), transfers the call to bob (baresip) from the desk,
and wraps up with a disposition and a note. The stored record shows all of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.desk.harness import (
    QUEUES,
    Channels,
    bob_as_transfer_target,
    desk_rig_with_channels,
    open_desk,
    stored,
)
from tests.browser.driver import needs_browser
from tests.e2e.conftest import Rig
from tests.polling import eventually
from tests.sip.sipp import CallerScript

pytestmark = [pytest.mark.asterisk, needs_browser]

PHONE, ADDRESS = "07700 900123", "jane.doe@example.org"


async def offered(rig: Rig, medium: str) -> str:
    async def find() -> str | None:
        agent = await rig.call_api("GET", "/api/agents/alice", "alice")
        slots = [s for s in agent["slots"] if s["medium"] == medium and s["state"] == "offered"]
        return slots[0]["interaction_id"] if slots else None
    return await eventually(find, 20, f"a {medium} offered to alice")


async def handled_by_api(rig: Rig, iid: str, *, reply: dict[str, Any], path: str) -> None:
    """alice (no desk yet) takes, answers and closes a piece of work; wrap-up ended."""
    await rig.call_api("POST", f"/api/interactions/{iid}/accept", "alice")
    await rig.call_api("POST", f"/api/interactions/{iid}/{path}", "alice", json=reply)
    if path == "messages":
        await rig.call_api("POST", f"/api/interactions/{iid}/close", "alice",
                           json={"reason": "resolved"})

    async def in_wrap_up() -> bool:
        agent = await rig.call_api("GET", "/api/agents/alice", "alice")
        return any(s["interaction_id"] == iid and s["state"] == "wrap_up"
                   for s in agent["slots"])
    await eventually(in_wrap_up, 10, "the work in wrap-up")
    await rig.call_api("POST", f"/api/interactions/{iid}/wrapup/end", "alice")


async def earlier_contacts(rig: Rig, channels: Channels) -> tuple[str, str]:
    """Jane's chat (giving her phone and email) and her email, both answered by alice."""
    await rig.login("alice")
    async with rig.visitor_chat(name="Jane Doe", phone=PHONE, email=ADDRESS) as (_, ws):
        chat_id = await offered(rig, "chat")
        await rig.call_api("POST", f"/api/interactions/{chat_id}/accept", "alice")
        await ws.send_json({"type": "message", "text": "Is my order shipped?",
                            "client_id": "1"})
        while (await ws.receive_json(timeout=10))["type"] != "ack":
            pass
        await rig.call_api("POST", f"/api/interactions/{chat_id}/messages", "alice",
                           json={"text": "It ships today."})
        await rig.call_api("POST", f"/api/interactions/{chat_id}/close", "alice",
                           json={"reason": "resolved"})
    await eventually(lambda: _slot_gone_or_wrap(rig, chat_id), 10, "the chat over")
    await rig.call_api("POST", f"/api/interactions/{chat_id}/wrapup/end", "alice")
    await channels.mail(f"Jane Doe <{ADDRESS}>", "Invoice 1234", "Please resend my invoice.",
                        "<jane-1@example.org>")
    mail_id = await offered(rig, "email")
    await handled_by_api(rig, mail_id, reply={"body": "Sent again.", "close": True,
                                              "reason": "resolved"}, path="reply")
    await rig.call_api("POST", "/api/agents/alice/logout", "alice")
    return chat_id, mail_id


async def _slot_gone_or_wrap(rig: Rig, iid: str) -> bool:
    agent = await rig.call_api("GET", "/api/agents/alice", "alice")
    return all(s["interaction_id"] != iid or s["state"] == "wrap_up" for s in agent["slots"])


async def test_given_a_known_customer_when_she_calls_then_desk_pops_history_and_transfers(
        tmp_path: Path) -> None:
    # sales prefers the agent who last answered the customer (named-contact routing)
    prefer = QUEUES.replace("wrapup_seconds: 30}", "wrapup_seconds: 30, prefer: [last_agent]}")
    async with desk_rig_with_channels(tmp_path, [prefer]) as (rig, browser, channels):
        chat_id, mail_id = await earlier_contacts(rig, channels)
        desk = await open_desk(rig, browser, "alice", ready=True)
        page = desk.page
        await desk.screenshot("desk-ready", tmp_path)
        await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=90000),
                             caller=PHONE.replace(" ", ""))
        await page.wait(".offer .offer-customer:has-text('Jane Doe')", timeout=20)
        await desk.screenshot("desk-offer", tmp_path)
        # alice answered Jane's chat and email: the pop says why the call came to her
        assert await page.texts("#pop-why") == ["Offered to you: you spoke to them today"]
        history = await page.texts("#pop .history li")
        assert len(history) == 2, history
        assert "email" in history[0].lower() and "invoice" in history[0].lower(), history
        assert "chat" in history[1].lower() and "shipped" in history[1].lower(), history
        await page.click(".offer .accept")
        await page.wait("#phone-call:has-text('On a call')", timeout=15)
        iid = (await page.attr(".tab[aria-selected=true]", "id") or "").removeprefix("tab-")
        bridge = await rig.ari("GET", f"/bridges/bridge-{iid}")
        await rig.rtp_both_ways(bridge["channels"], 15)  # caller's leg and alice's browser
        await desk.screenshot("desk-call-with-pop", tmp_path)

        # bob is free now; alice transfers from the desk (blind)
        await bob_as_transfer_target(rig, page, iid)
        await page.click(f"#panel-{iid} .transfer")
        await desk.wait_state("Wrap-up", timeout=15)

        async def bob_on_it() -> list[str] | None:
            found = await rig.ari("GET", f"/bridges/bridge-{iid}")
            channels_now = found["channels"] if found else []
            return channels_now if len(channels_now) == 2 and \
                await rig.agent_state("bob") == "busy" else None
        await rig.rtp_both_ways(await eventually(bob_on_it, 20, "bob with the caller"), 15)

        await page.select(f"#disposition-{iid}", "resolved")
        await page.fill(f"#notes-{iid}", "Invoice resent; bob takes the refund")
        await page.click(f"#panel-{iid} .finish-wrapup")
        await desk.wait_state("Ready")
        await rig.phones["bob"].hangup()

        async def over() -> dict[str, Any] | None:
            row = await stored(rig, iid)
            return row if row["status"] == "ended" else None
        row = await eventually(over, 20, "the call stored as ended")
        kinds = [e["kind"] for e in row["events"]]
        answered = [e["data"]["agent_id"] for e in row["events"] if e["kind"] == "answered"]
        assert answered == ["alice", "bob"], row["events"]
        assert "transfer_started" in kinds
        assert (row["agent_id"], row["hung_up_by"], row["disposition"]) == (
            "bob", "agent", "resolved")
        notes = await rig.call_api("GET", f"/api/interactions/{iid}/notes", "admin")
        assert [(n["author"], n["text"]) for n in notes["notes"]] == [
            ("alice", "Invoice resent; bob takes the refund")]
        assert row["customer_id"] == (await stored(rig, chat_id))["customer_id"] == \
            (await stored(rig, mail_id))["customer_id"]
        assert await page.errors() == []
