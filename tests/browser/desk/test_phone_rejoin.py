"""A caller is not lost when their agent's page goes away mid-call: they wait on music, and
if the page is back (its phone registered again) within webrtc.rejoin_seconds the same
agent's phone rings for the same call and they talk again; otherwise the call goes back to
the head of its queue and another agent takes it, the first going not ready."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.desk.test_phone import START_PHONE
from tests.browser.driver import Browser, Page, needs_browser
from tests.e2e.conftest import Rig, running_rig
from tests.polling import eventually
from tests.sip.sipp import CallerScript

pytestmark = [pytest.mark.asterisk, needs_browser]

AGENTS = ("agents=[{id: alice, name: Alice, skills: {sales: 5}}, "
          "{id: bob, name: Bob, skills: {sales: 3}, phone: sip}]")


async def bridge(rig: Rig, interaction_id: str) -> list[str]:
    found = await rig.ari("GET", f"/bridges/bridge-{interaction_id}")
    return list(found["channels"]) if found else []


async def events(rig: Rig, interaction_id: str) -> list[str]:
    live = await rig.engine.dispatcher.live_interaction(interaction_id)  # type: ignore[union-attr]
    return [e.kind for e in live.events]


async def answered_by_browser(rig: Rig, page: Page) -> tuple[str, list[str]]:
    await page.evaluate(START_PHONE, rig.tokens["alice"])
    ami = rig.engine.ami
    assert ami is not None
    await eventually(lambda: ami.contacts.get("alice"), 15, "alice's browser registered")
    await rig.login("alice")
    await rig.place_call(CallerScript(digits="1", dtmf="info", audio_repeats=6,
                                      hold_ms=5000))

    async def talking() -> tuple[str, list[str]] | None:
        for b in await rig.ari("GET", "/bridges") or []:
            if len(b.get("channels", [])) == 2:
                return b["id"].removeprefix("bridge-"), b["channels"]
        return None
    iid, channels = await eventually(talking, 20, "caller and browser bridged")
    await rig.rtp_both_ways(channels, 15)
    return iid, channels


@contextlib.asynccontextmanager
async def alice_talking_in_the_page(tmp_path: Path, rejoin_seconds: int) -> AsyncIterator[
        tuple[Rig, Page, str, list[str]]]:
    """alice's page phone talking with a caller: the rig, her page, the interaction and the
    call's two channels."""
    async with running_rig(tmp_path, extra=[AGENTS, f"webrtc.rejoin_seconds={rejoin_seconds}"]
                           ) as rig, Browser.start() as browser:
        page = await browser.page("alice", rig.api)
        await page.goto("/desk/")
        iid, channels = await answered_by_browser(rig, page)
        yield rig, page, iid, channels


async def test_given_a_call_in_the_page_when_it_reloads_then_the_same_agent_takes_it_again(
        tmp_path: Path) -> None:
    async with alice_talking_in_the_page(tmp_path, 10) as (rig, page, iid, before):
        caller = next(c for c in before if not c.startswith("agent-"))
        await page.reload()
        # the caller waits alone in the call's bridge, on music; the work stays alice's
        await eventually(lambda: _only(rig, iid, [caller]), 10, "the caller alone")
        assert "agent_disconnected" in await events(rig, iid)
        assert await rig.agent_state("alice") == "busy"
        await page.evaluate(START_PHONE, rig.tokens["alice"])  # the page is back

        async def together() -> list[str] | None:
            channels = await bridge(rig, iid)
            return channels if len(channels) == 2 and caller in channels else None
        after = await eventually(together, 20, "alice's new leg back in the call's bridge")
        assert set(after) != set(before)
        await rig.rtp_both_ways(after, 15)
        kinds = await events(rig, iid)
        assert kinds.count("agent_reconnected") == 1 and "requeued" not in kinds
        assert await rig.agent_state("alice") == "busy"
        log: list[str] = await page.evaluate("() => window.log")
        assert f"incoming:{iid}" in log and "call:answered" in log


async def _only(rig: Rig, iid: str, channels: list[str]) -> bool:
    return await bridge(rig, iid) == channels


async def test_given_a_call_in_the_page_when_the_page_stays_away_then_the_queue_gets_it(
        tmp_path: Path) -> None:
    async with alice_talking_in_the_page(tmp_path, 3) as (rig, page, iid, _):
        await rig.start_phone("bob")
        await rig.login("bob")
        await page.goto("about:blank")   # the agent closed the desk

        async def bob_has_it() -> Any:
            channels = await bridge(rig, iid)
            return len(channels) == 2 and await rig.agent_state("bob") == "busy"
        await eventually(bob_has_it, 30, "the call offered to bob and answered")
        kinds = await events(rig, iid)
        assert kinds.index("agent_disconnected") < kinds.index("requeued")
        alice = await rig.call_api("GET", "/api/agents/alice", "alice")
        assert (alice["presence"], alice["reason"]) == ("not_ready", "disconnected")
