"""Transfers and three-way conferences on real calls: a sipp caller reaches alice (sales),
who hands the call to bob by the API; baresip phones auto-answer. The proof is Asterisk's
own view (who is in the call's bridge, RTP counters of the legs), the agents' states and
the stored history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Rig, eventually
from tests.e2e.ports import free_port, free_range
from tests.e2e.test_first_journey import bridged_legs_with_audio, ready_agents
from tests.sip.sipp import CallerScript, SippCaller

pytestmark = pytest.mark.asterisk

# long wrap-ups so the first agent's wrap-up is seen for sure
LONG_WRAPUP = {"overrides": [
    "queues=[{name: sales, media: [voice], required_skills: {sales: 1}, "
    "wrapup_seconds: 60}, {name: support, media: [voice], required_skills: {support: 1}, "
    "wrapup_seconds: 60}]",
]}
CALLER = CallerScript(digits="1", dtmf="info", hold_ms=None, wait_bye_ms=120000)


async def call_with_alice(rig: Rig) -> tuple[SippCaller, str]:
    """alice and bob ready; a caller presses 1 (sales) and is bridged with alice."""
    await ready_agents(rig, "alice", "bob")
    caller = await rig.place_call(CALLER)
    offer = (await eventually(rig.feeds["alice"].offers, 20, "alice's screen pop"))[0]
    await bridged_legs_with_audio(rig)
    return caller, offer["interaction_id"]


async def post(rig: Rig, path: str, user: str, body: dict[str, Any] | None = None
               ) -> tuple[int, dict[str, Any]]:
    async with rig.http.post(f"{rig.api}{path}", headers=rig.auth(user), json=body) as r:
        return r.status, await r.json()


async def members(rig: Rig, bridge_id: str) -> list[str]:
    """Who is in a bridge: "alice", "bob", "caller" or "external" (a number the engine
    dialled); [] if there is no such bridge."""
    bridge = await rig.ari("GET", f"/bridges/{bridge_id}")
    people = []
    for channel_id in (bridge or {}).get("channels", []):
        channel = await rig.ari("GET", f"/channels/{channel_id}")
        if channel:
            people.append(label(channel_id, channel["name"]))
    return sorted(people)


def label(channel_id: str, name: str) -> str:
    endpoint = name.split("/", 1)[1].rsplit("-", 1)[0]
    if endpoint in ("alice", "bob", "carol"):
        return endpoint
    return "external" if channel_id.startswith(("xfer-", "conf-")) else "caller"


async def in_bridge(rig: Rig, bridge_id: str, people: list[str], timeout: float = 20) -> None:
    seen: list[list[str]] = [[]]

    async def check() -> list[str] | None:
        seen[0] = await members(rig, bridge_id)
        return seen[0] if seen[0] == sorted(people) else None
    try:
        await eventually(check, timeout, f"{bridge_id} holding exactly {people}")
    except AssertionError as e:  # say who was there: the bridge gone, or someone else in
        raise AssertionError(f"{e}; it held {seen[0]} last") from None


async def rtcp(rig: Rig, channel_id: str, direction: str) -> int:
    value = await rig.ari("GET", f"/channels/{channel_id}/variable",
                          variable=f"CHANNEL(rtcp,{direction}count)")
    return int(value["value"] or 0) if value else 0


async def audio_flows(rig: Rig, bridge_id: str, person: str) -> None:
    """``person``'s leg in the bridge sends and receives RTP, and the caller keeps
    receiving (the bridge mixes ``person``'s audio to the caller)."""
    bridge = await rig.ari("GET", f"/bridges/{bridge_id}")
    legs = {label(c, (await rig.ari("GET", f"/channels/{c}"))["name"]): c
            for c in bridge["channels"]}
    leg, caller = legs[person], legs["caller"]
    before = await rtcp(rig, caller, "tx")

    async def flowing() -> bool:
        return (await rtcp(rig, leg, "rx") > 0 and await rtcp(rig, leg, "tx") > 0
                and await rtcp(rig, caller, "tx") > before + 20)
    await eventually(flowing, 20, f"RTP between the caller and {person}")


async def caller_hears_music(rig: Rig, iid: str) -> None:
    """Alone in the call's bridge, the caller still gets RTP: music on hold."""
    bridge = await rig.ari("GET", f"/bridges/bridge-{iid}")
    (caller,) = bridge["channels"]
    before = await rtcp(rig, caller, "tx")

    async def more() -> bool:
        return await rtcp(rig, caller, "tx") > before + 50
    await eventually(more, 15, "music on hold to the waiting caller")


async def state_is(rig: Rig, agent: str, state: str) -> None:
    async def check() -> bool:
        return await rig.agent_state(agent) == state
    await eventually(check, 20, f"{agent} {state}")


async def history(rig: Rig, interaction_id: str, *, ended: bool = True) -> dict[str, Any]:
    async def get() -> dict[str, Any] | None:
        record = await rig.call_api("GET", f"/api/interactions/{interaction_id}", "admin")
        return record if record["timestamps"].get("ended") or not ended else None
    return await eventually(get, 20, f"interaction {interaction_id} stored")


def events_of(record: dict[str, Any], *kinds: str) -> list[dict[str, Any]]:
    return [e for e in record["events"] if e["kind"] in kinds]


@pytest.mark.parametrize("rig", [LONG_WRAPUP], indirect=True)
async def test_given_call_with_alice_when_blind_transfer_to_bob_then_caller_talks_to_bob(
        rig: Rig) -> None:
    caller, iid = await call_with_alice(rig)

    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"agent": "bob"}, "mode": "blind"})
    assert status == 202, body

    pop = (await eventually(rig.feeds["bob"].offers, 20, "bob's screen pop"))[0]
    assert pop["interaction_id"] == iid and pop["caller_number"] == "07700900123"
    await in_bridge(rig, f"bridge-{iid}", ["bob", "caller"])
    await audio_flows(rig, f"bridge-{iid}", "bob")
    await state_is(rig, "alice", "wrap_up")
    await state_is(rig, "bob", "busy")
    call = await rig.call_api("GET", f"/api/calls/{iid}", "bob")
    assert call["agent_id"] == "bob" and call["transfer"] is None

    await rig.phones["bob"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    record = await history(rig, iid)
    assert record["agent_id"] == "bob" and record["hung_up_by"] == "agent"
    started, completed = events_of(record, "transfer_started", "transfer_completed")
    assert started["data"] == {"by": "alice", "agent_id": "alice", "to": {"agent": "bob"},
                               "mode": "blind"}
    assert completed["data"]["to"] == {"agent": "bob"}
    assert started["at"] <= completed["at"]
    await state_is(rig, "bob", "wrap_up")


@pytest.mark.parametrize("rig", [LONG_WRAPUP], indirect=True)
async def test_given_call_with_alice_when_attended_transfer_completed_then_bob_has_caller(
        rig: Rig) -> None:
    caller, iid = await call_with_alice(rig)

    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"agent": "bob"}, "mode": "attended"})
    assert status == 202, body
    assert body["transfer"]["mode"] == "attended"
    # alice and bob talk apart while the caller waits alone in the call's bridge
    await in_bridge(rig, f"consult-{iid}", ["alice", "bob"])
    await in_bridge(rig, f"bridge-{iid}", ["caller"])
    await caller_hears_music(rig, iid)
    await state_is(rig, "bob", "busy")
    assert await rig.agent_state("alice") == "busy"

    status, body = await post(rig, f"/api/calls/{iid}/transfer/complete", "alice")
    assert status == 200, body
    await in_bridge(rig, f"bridge-{iid}", ["bob", "caller"])
    await audio_flows(rig, f"bridge-{iid}", "bob")
    assert await members(rig, f"consult-{iid}") == []
    await state_is(rig, "alice", "wrap_up")
    assert await rig.agent_state("bob") == "busy"

    await rig.phones["bob"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    record = await history(rig, iid)
    assert record["agent_id"] == "bob"
    kinds = [e["kind"] for e in events_of(record, "transfer_started", "transfer_completed",
                                          "transfer_cancelled")]
    assert kinds == ["transfer_started", "transfer_completed"]
    assert events_of(record, "transfer_completed")[0]["data"]["mode"] == "attended"


@pytest.mark.parametrize("rig", [LONG_WRAPUP], indirect=True)
async def test_given_consult_with_bob_when_cancelled_then_alice_is_back_with_caller(
        rig: Rig) -> None:
    caller, iid = await call_with_alice(rig)
    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"agent": "bob"}, "mode": "attended"})
    assert status == 202, body
    await in_bridge(rig, f"consult-{iid}", ["alice", "bob"])
    # complete/cancel only while one is in progress; a second transfer is refused
    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"queue": "support"}})
    assert (status, body["error"]) == (409, "transfer_conflict")

    status, body = await post(rig, f"/api/calls/{iid}/transfer/cancel", "alice")
    assert status == 200, body
    await in_bridge(rig, f"bridge-{iid}", ["alice", "caller"])
    await audio_flows(rig, f"bridge-{iid}", "alice")
    assert await members(rig, f"consult-{iid}") == []
    assert await rig.agent_state("alice") == "busy"
    await state_is(rig, "bob", "wrap_up")     # bob's consult is over
    status, body = await post(rig, f"/api/calls/{iid}/transfer/complete", "alice")
    assert (status, body["error"]) == (409, "transfer_conflict")

    await rig.phones["alice"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    record = await history(rig, iid)
    assert record["agent_id"] == "alice"
    cancelled = events_of(record, "transfer_cancelled")
    assert [e["data"] for e in cancelled] == [{"by": "alice", "to": {"agent": "bob"}}]
    assert events_of(record, "transfer_completed") == []


@pytest.mark.parametrize("rig", [LONG_WRAPUP], indirect=True)
async def test_given_call_with_alice_when_transferred_to_support_queue_then_linked_call_to_bob(
        rig: Rig) -> None:
    caller, iid = await call_with_alice(rig)

    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"queue": "support"}, "mode": "blind"})
    assert status == 202, body
    new_iid = body["interaction_id"]
    assert new_iid != iid and body["transferred_from"] == iid

    pop = (await eventually(rig.feeds["bob"].offers, 20, "bob's screen pop"))[0]
    assert pop["interaction_id"] == new_iid and pop["queue"] == "support"
    # the caller keeps the bridge of the call they made
    await in_bridge(rig, f"bridge-{iid}", ["bob", "caller"])
    await audio_flows(rig, f"bridge-{iid}", "bob")
    await state_is(rig, "alice", "wrap_up")
    assert await rig.agent_state("bob") == "busy"

    first = await history(rig, iid)
    assert first["queue"] == "sales" and first["agent_id"] == "alice"
    assert first["attributes"]["transferred_to"] == new_iid
    assert events_of(first, "ended")[0]["data"]["reason"] == "transferred"
    await rig.phones["bob"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    second = await history(rig, new_iid)
    assert second["queue"] == "support" and second["agent_id"] == "bob"
    assert second["attributes"]["transferred_from"] == iid
    assert second["hung_up_by"] == "agent"


@pytest.mark.parametrize("rig", [LONG_WRAPUP], indirect=True)
async def test_given_three_way_conference_when_alice_leaves_then_caller_and_bob_stay(
        rig: Rig) -> None:
    caller, iid = await call_with_alice(rig)

    status, body = await post(rig, f"/api/calls/{iid}/conference", "alice",
                              {"to": {"agent": "bob"}})
    assert status == 202, body
    await in_bridge(rig, f"bridge-{iid}", ["alice", "bob", "caller"])
    await state_is(rig, "bob", "busy")
    call = await rig.call_api("GET", f"/api/calls/{iid}", "bob")
    assert [(p["agent"], p["answered"]) for p in call["parties"]] == [("bob", True)]

    await rig.phones["alice"].hangup()           # alice leaves the conference
    await in_bridge(rig, f"bridge-{iid}", ["bob", "caller"])
    await audio_flows(rig, f"bridge-{iid}", "bob")
    await state_is(rig, "alice", "wrap_up")
    assert await rig.agent_state("bob") == "busy"
    call = await rig.call_api("GET", f"/api/calls/{iid}", "bob")
    assert call["agent_id"] == "bob" and call["parties"] == []
    assert caller.proc is not None and caller.proc.returncode is None  # still connected

    await rig.phones["bob"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    record = await history(rig, iid)
    assert record["agent_id"] == "bob"
    added = events_of(record, "conference_added")
    left = events_of(record, "conference_left")
    assert [e["data"] for e in added] == [{"by": "alice", "agent_id": "bob"}]
    assert [e["data"] for e in left] == [{"agent_id": "alice"}]


async def test_given_alices_call_when_bob_tries_to_transfer_it_then_403_and_bad_targets_4xx(
        rig: Rig) -> None:
    caller, iid = await call_with_alice(rig)

    status, body = await post(rig, f"/api/calls/{iid}/transfer", "bob",
                              {"to": {"agent": "bob"}, "mode": "blind"})
    assert (status, body["error"]) == (403, "forbidden")
    for payload, code in (({"to": {"agent": "nobody"}}, "bad_target"),
                          ({"to": {"agent": "alice"}}, "bad_target"),
                          ({"to": {"queue": "nowhere"}}, "bad_target"),
                          ({"to": {"queue": "support"}, "mode": "attended"}, "bad_target"),
                          ({"to": {"agent": "bob"}, "mode": "sideways"}, "bad_target"),
                          ({"to": "bob"}, "bad_target"),
                          ({"to": {"number": "not a number"}}, "bad_target")):
        status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice", payload)
        assert (status, body["error"]) == (400, code), payload
    status, body = await post(rig, "/api/calls/no-such-call/transfer", "alice",
                              {"to": {"agent": "bob"}})
    assert (status, body["error"]) == (404, "interaction_not_found")
    await rig.call_api("POST", "/api/agents/bob/not-ready", "bob", json={"reason": "break"})
    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"agent": "bob"}})
    assert (status, body["error"]) == (409, "agent_unavailable")
    # nothing of that touched the call: alice and the caller still talk
    await in_bridge(rig, f"bridge-{iid}", ["alice", "caller"])
    # a supervisor may act on any call
    await rig.call_api("POST", "/api/agents/bob/ready", "bob")
    status, body = await post(rig, f"/api/calls/{iid}/transfer", "sam",
                              {"to": {"agent": "bob"}})
    assert status == 202, body
    await in_bridge(rig, f"bridge-{iid}", ["bob", "caller"])
    await rig.phones["bob"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    record = await history(rig, iid)
    assert events_of(record, "transfer_started")[0]["data"]["by"] == "sam"


class ExternalPhone:
    """sipp's built-in UAS standing in for a number reached through a trunk: answers one
    call, echoes its RTP, waits for the BYE."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "external"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = open(self.dir / "sipp.log", "wb")  # noqa: ASYNC230 - a log file handed to the child
        self.proc = await asyncio.create_subprocess_exec(
            "sipp", "-sn", "uas", "-i", "127.0.0.1", "-mi", "127.0.0.1",
            "-p", str(self.port), "-mp", str(free_range(4)), "-cp", str(free_port()),
            "-rtp_echo", "-m", "1", "-nostdin", "-timeout", "120s", "-timeout_error",
            "-trace_err", "-error_file", str(self.dir / "errors.log"),
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.dir)
        log.close()

    async def dial(self, number: str) -> tuple[str, str]:
        """The test's stand-in for the outbound part's dialler (no trunk here)."""
        return f"PJSIP/anonymous@callers/sip:{number}@127.0.0.1:{self.port}", "<07700900123>"

    async def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


@pytest.fixture
async def external(rig: Rig, tmp_path: Path) -> AsyncIterator[ExternalPhone]:
    phone = ExternalPhone(tmp_path)
    await phone.start()
    rig.engine.transfers.dial_number = phone.dial
    try:
        yield phone
    finally:
        await phone.stop()


HOLDING_CALLER = CallerScript(digits="1", dtmf="info", hold_ms=30000)


@pytest.mark.parametrize("rig", [LONG_WRAPUP], indirect=True)
async def test_given_call_with_alice_when_blind_transfer_to_number_then_caller_talks_to_it(
        rig: Rig, external: ExternalPhone) -> None:
    await ready_agents(rig, "alice", "bob")
    caller = await rig.place_call(HOLDING_CALLER)
    iid = (await eventually(rig.feeds["alice"].offers, 20, "alice's pop"))[0]["interaction_id"]
    await bridged_legs_with_audio(rig)

    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"number": "441632960123"}, "mode": "blind"})
    assert status == 202, body
    await in_bridge(rig, f"bridge-{iid}", ["caller", "external"])
    await audio_flows(rig, f"bridge-{iid}", "external")
    await state_is(rig, "alice", "wrap_up")
    record = await history(rig, iid)    # over for the contact center: no agent of ours on it
    assert events_of(record, "ended")[0]["data"] == {"agent_id": "alice",
                                                     "reason": "transferred"}
    assert [e["data"]["to"] for e in events_of(record, "transfer_started",
                                               "transfer_completed")] == \
        [{"number": "441632960123"}] * 2
    assert await caller.wait(60) == 0, caller.errors()      # caller hangs up...
    assert await external.wait(20) == 0                     # ...and the number gets the BYE


@pytest.mark.parametrize("rig", [LONG_WRAPUP], indirect=True)
async def test_given_conference_with_number_when_alice_leaves_then_caller_and_number_stay(
        rig: Rig, external: ExternalPhone) -> None:
    await ready_agents(rig, "alice", "bob")
    caller = await rig.place_call(HOLDING_CALLER)
    iid = (await eventually(rig.feeds["alice"].offers, 20, "alice's pop"))[0]["interaction_id"]
    await bridged_legs_with_audio(rig)

    status, body = await post(rig, f"/api/calls/{iid}/conference", "alice",
                              {"to": {"number": "441632960123"}})
    assert status == 202, body
    await in_bridge(rig, f"bridge-{iid}", ["alice", "caller", "external"])
    await rig.phones["alice"].hangup()
    await in_bridge(rig, f"bridge-{iid}", ["caller", "external"])
    await audio_flows(rig, f"bridge-{iid}", "external")
    await state_is(rig, "alice", "wrap_up")
    record = await history(rig, iid)
    assert [e["data"] for e in events_of(record, "conference_added", "conference_left")] == \
        [{"by": "alice", "number": "441632960123"}, {"agent_id": "alice"}]
    assert events_of(record, "ended")[0]["data"]["reason"] == "left_conference"
    assert await caller.wait(60) == 0, caller.errors()
    assert await external.wait(20) == 0


@pytest.mark.parametrize("rig", [LONG_WRAPUP], indirect=True)
async def test_given_consult_when_bob_never_answers_then_rona_and_alice_back_with_caller(
        rig: Rig) -> None:
    await ready_agents(rig, "alice")
    await rig.start_phone("bob", answer="manual")       # rings, nobody picks up
    await rig.login("bob")
    caller = await rig.place_call(CALLER)
    iid = (await eventually(rig.feeds["alice"].offers, 20, "alice's pop"))[0]["interaction_id"]
    await bridged_legs_with_audio(rig)

    status, body = await post(rig, f"/api/calls/{iid}/transfer", "alice",
                              {"to": {"agent": "bob"}, "mode": "attended"})
    assert status == 202, body
    await in_bridge(rig, f"consult-{iid}", ["alice"])
    status, body = await post(rig, f"/api/calls/{iid}/transfer/complete", "alice")
    assert (status, body["error"]) == (409, "transfer_conflict")   # bob has not answered

    await in_bridge(rig, f"bridge-{iid}", ["alice", "caller"], timeout=30)  # rang out
    view = await rig.call_api("GET", "/api/agents/bob", "bob")
    assert (view["state"], view["reason"]) == ("not_ready", "rona")
    assert await rig.agent_state("alice") == "busy"
    await rig.phones["alice"].hangup()
    assert await caller.wait(30) == 0, caller.errors()
    record = await history(rig, iid)
    failed = events_of(record, "transfer_failed")
    assert [e["data"]["to"] for e in failed] == [{"agent": "bob"}]
    assert record["agent_id"] == "alice"
