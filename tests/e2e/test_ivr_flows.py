"""The full IVR on a real Asterisk with sipp callers (DTMF by SIP INFO): an account number
ended by #, lookups against a real HTTP service on loopback (read back, branch, slow and
failing answers taking the fallback), a switch to French, a closed office, and a transfer
to an extension that reaches a baresip phone (or falls back to a queue)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from tests.e2e.conftest import REPO, Rig, eventually, running_rig
from tests.e2e.ports import free_port
from tests.e2e.test_first_journey import bridged_legs_with_audio, ready_agents
from tests.sip.sipp import CallerScript

pytestmark = pytest.mark.asterisk

SOUNDS = Path("/usr/share/asterisk/sounds")
if not (SOUNDS / "fr").is_dir():
    pytest.skip("needs the French Asterisk sounds (scripts/install-system.sh)",
                allow_module_level=True)

SELF_SERVICE = """\
start: account
inputs:
  account:
    prompt: [vm-enter-num-to-call]
    min_digits: 6
    max_digits: 10
    timeout: 10
    digit_timeout: 6
    then: {action: lookup, lookup: verify}
    on_timeout: {action: hangup}
    on_max_invalid: {action: hangup}
lookups:
  verify:
    method: POST
    url: "{{ urls.crm }}/accounts/{{ vars.account }}/verify"
    body: {caller: "{{ caller }}"}
    timeout: 5
    branch:
      field: status
      cases:
        active: {action: lookup, lookup: balance}
        blocked: {action: queue, queue: support, priority: 5}
    on_failure: {action: hangup}
  balance:
    url: "{{ urls.crm }}/accounts/{{ vars.account }}/balance"
    timeout: 5
    save: {balance: balance}
    say: [{prompt: [vm-youhave]}, {number: balance}, {digits: reference}]
    then: {action: queue, queue: sales}
    on_failure: {action: hangup}
"""

FAILING = """\
start: slow
lookups:
  slow:
    url: "{{ urls.crm }}/slow"
    timeout: 1
    then: {action: hangup}
    on_failure: {action: lookup, lookup: broken}
  broken:
    url: "{{ urls.crm }}/broken"
    timeout: 5
    then: {action: hangup}
    on_failure: {action: queue, queue: support}
"""

LANGUAGE = """\
start: choose
languages: [en, fr]
menus:
  choose:
    prompt: [welcome]
    timeout: 8
    options:
      "2": {action: language, language: fr, then: {action: menu, menu: main}}
    on_timeout: {action: menu, menu: main}
    on_max_invalid: {action: menu, menu: main}
  main:
    prompt: [welcome, vm-goodbye]
    timeout: 1
    options: {"1": {action: hangup}}
    on_timeout: {action: hangup, prompt: [vm-goodbye]}
    on_max_invalid: {action: hangup}
"""

OPERATOR = """\
start: main
menus:
  main:
    prompt: [hello]
    timeout: 10
    options:
      "0": {action: transfer, extension: alice, timeout: 15, on_failure: {action: hangup}}
      "9": {action: transfer, extension: reception, timeout: 5,
            on_failure: {action: queue, queue: sales}}
    on_timeout: {action: hangup}
    on_max_invalid: {action: hangup}
"""


def closed_now() -> tuple[str, str]:
    """A flow whose office is closed today (open every other day), in a time zone where
    it is far from midnight now; and that zone."""
    for zone in ("Europe/London", "America/New_York", "Asia/Tokyo", "Pacific/Auckland",
                 "America/Los_Angeles", "Asia/Kolkata"):
        local = dt.datetime.now(ZoneInfo(zone))
        if 2 <= local.hour <= 21:
            break
    today = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
    days = ", ".join(f"{d}: ['00:00-24:00']" for d in
                     ("mon", "tue", "wed", "thu", "fri", "sat", "sun") if d != today)
    return f"""\
start: office
hours:
  office:
    timezone: {zone}
    open: {{{days}}}
    on_open: {{action: queue, queue: sales}}
    on_closed: {{action: hangup, prompt: [vm-goodbye]}}
""", zone


@dataclass
class Crm:
    """The self-service backend: a real aiohttp server on loopback."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)

    async def verify(self, request: web.Request) -> web.Response:
        account = request.match_info["account"]
        self.requests.append({"path": request.path, "body": await request.json()})
        return web.json_response({"status": "blocked" if account == "999999" else "active"})

    async def balance(self, request: web.Request) -> web.Response:
        self.requests.append({"path": request.path})
        return web.json_response({"balance": 1250, "reference": "4711"})

    async def slow(self, request: web.Request) -> web.Response:
        self.requests.append({"path": request.path})
        await asyncio.sleep(4)
        return web.json_response({})

    async def broken(self, request: web.Request) -> web.Response:
        self.requests.append({"path": request.path})
        return web.json_response({"error": "down"}, status=500)


@pytest.fixture
async def crm() -> AsyncIterator[Crm]:
    crm = Crm()
    app = web.Application()
    app.router.add_post("/accounts/{account}/verify", crm.verify)
    app.router.add_get("/accounts/{account}/balance", crm.balance)
    app.router.add_get("/slow", crm.slow)
    app.router.add_get("/broken", crm.broken)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    crm.url = f"http://127.0.0.1:{port}"
    try:
        yield crm
    finally:
        await runner.cleanup()


@pytest.fixture
async def ivr_rig(tmp_path: Path, crm: Crm) -> AsyncIterator[Rig]:
    """The engine with the test flows on numbers 5001-5005 and admin prompts (a
    'welcome' recording per language)."""
    flows = tmp_path / "ivr"
    flows.mkdir()
    shutil.copy(REPO / "ivr" / "main.yaml", flows / "main.yaml")
    closed, _ = closed_now()
    for name, text in (("selfservice", SELF_SERVICE), ("failing", FAILING),
                       ("language", LANGUAGE), ("closed", closed), ("operator", OPERATOR)):
        (flows / f"{name}.yaml").write_text(text)
    prompts = tmp_path / "prompts"
    for language in ("en", "fr"):
        (prompts / language).mkdir(parents=True)
        shutil.copy(SOUNDS / language / "hello.gsm", prompts / language / "welcome.gsm")
    async with running_rig(tmp_path, extra=[
        f"ivr.dir={flows}", f"ivr.sounds_dir={prompts}",
        f"ivr.urls={{crm: '{crm.url}'}}", "ivr.extensions={reception: PJSIP/bob}",
        'ivr.numbers={"5001": selfservice, "5002": failing, "5003": language, '
        '"5004": closed, "5005": operator}',
    ]) as rig:
        yield rig


async def last_stored(rig: Rig, ended: bool = True) -> dict[str, Any]:
    """The newest stored voice interaction (once it has ended, if ``ended``)."""
    assert rig.engine.recorder is not None

    async def newest() -> dict[str, Any] | None:
        rows = await rig.engine.recorder.list(medium="voice", limit=1)  # type: ignore[union-attr]
        if rows and (not ended or rows[0]["timestamps"]["ended"]):
            return dict(rows[0])
        return None
    return await eventually(newest, 30, "the interaction stored")


def events(record: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in record["events"] if e["kind"] == kind]


async def test_given_an_account_number_ended_by_hash_when_looked_up_then_balance_read_back(
        ivr_rig: Rig, crm: Crm) -> None:
    rig = ivr_rig
    await ready_agents(rig, "alice")
    caller = await rig.place_call(CallerScript(digits="123456#", audio=False, hold_ms=12000),
                                  service="5001")
    offer = (await eventually(rig.feeds["alice"].offers, 60, "alice's screen pop"))[0]
    assert offer["queue"] == "sales"
    assert offer["ivr_path"] == ["account:123456", "verify:ok:active", "balance:ok"]
    assert offer["ivr_vars"] == {"account": "123456", "balance": "1250"}
    assert offer["ivr_language"] == "en"
    # the service got the digits and the caller's number
    assert crm.requests[0] == {"path": "/accounts/123456/verify",
                               "body": {"caller": "07700900123"}}
    assert crm.requests[1] == {"path": "/accounts/123456/balance"}
    assert await caller.wait(60) == 0, caller.errors()
    record = await rig.call_api("GET", f"/api/interactions/{offer['interaction_id']}",
                                "admin")
    # Asterisk reported playing the answer back: the number, then the reference's digits
    played = [m for p in record["attributes"]["ivr_prompts"] for m in p["media"]]
    assert "number:1250" in played and "digits:4711" in played
    assert played.index("number:1250") < played.index("digits:4711")
    inputs = events(record, "ivr_input")
    assert inputs == [{"node": "account", "variable": "account", "value": "123456",
                       "outcome": "valid"}]
    assert [e["outcome"] for e in events(record, "ivr_lookup")] == ["ok", "ok"]
    assert record["attributes"]["ivr_vars"] == {"account": "123456", "balance": "1250"}


async def test_given_a_blocked_account_when_looked_up_then_the_answer_chooses_the_branch(
        ivr_rig: Rig, crm: Crm) -> None:
    rig = ivr_rig
    await ready_agents(rig, "alice", "bob")
    caller = await rig.place_call(CallerScript(digits="999999#", audio=False, hold_ms=8000),
                                  service="5001")
    offer = (await eventually(rig.feeds["bob"].offers, 60, "bob's screen pop"))[0]
    assert offer["queue"] == "support"
    assert offer["ivr_path"] == ["account:999999", "verify:ok:blocked"]
    assert [r["path"] for r in crm.requests] == ["/accounts/999999/verify"]
    assert rig.feeds["alice"].offers() == []
    assert await caller.wait(60) == 0, caller.errors()
    record = await rig.call_api("GET", f"/api/interactions/{offer['interaction_id']}",
                                "admin")
    assert record["priority"] == 5
    assert events(record, "ivr_lookup")[0]["branch"] == "blocked"


async def test_given_a_slow_then_a_failing_service_when_looked_up_then_fallbacks_taken(
        ivr_rig: Rig, crm: Crm) -> None:
    rig = ivr_rig
    caller = await rig.place_call(CallerScript(digits="", audio=False, hold_ms=6000),
                                  service="5002")
    assert await caller.wait(60) == 0, caller.errors()
    record = await last_stored(rig)
    assert record["ivr_path"] == ["slow:timeout", "broken:http_500"]
    assert record["queue"] == "support"        # the last fallback queued the call
    assert [(e["node"], e["outcome"]) for e in events(record, "ivr_lookup")] == [
        ("slow", "timeout"), ("broken", "http_500")]
    assert [r["path"] for r in crm.requests] == ["/slow", "/broken"]


async def test_given_the_caller_picks_french_when_prompts_play_then_from_the_french_files(
        ivr_rig: Rig, tmp_path: Path) -> None:
    rig = ivr_rig
    caller = await rig.place_call(CallerScript(digits="2", audio=False, hold_ms=None,
                                               wait_bye_ms=40000), service="5003")
    assert await caller.wait(60) == 0, caller.errors()     # the IVR hung up: BYE
    record = await last_stored(rig)
    assert record["ivr_path"] == ["choose:2", "language:fr", "main:timeout"]
    assert record["attributes"]["ivr_language"] == "fr"
    assert events(record, "ivr_language") == [{"language": "fr"}]
    prompts = record["attributes"]["ivr_prompts"]
    first, after = prompts[0], prompts[1:]
    assert first["language"] == "en"
    assert first["media"] == [f"sound:{tmp_path}/prompts/en/welcome"]
    assert after and all(p["language"] == "fr" and p["state"] == "done" for p in after)
    played = [m for p in after for m in p["media"]]
    assert played == [f"sound:{tmp_path}/prompts/fr/welcome", "sound:vm-goodbye",
                      "sound:vm-goodbye"]
    assert record["hung_up_by"] == "system"


async def test_given_the_office_is_closed_now_when_calling_then_the_closed_branch(
        ivr_rig: Rig) -> None:
    rig = ivr_rig
    caller = await rig.place_call(CallerScript(digits="", audio=False, hold_ms=None,
                                               wait_bye_ms=30000), service="5004")
    assert await caller.wait(45) == 0, caller.errors()
    record = await last_stored(rig)
    assert record["ivr_path"] == ["office:closed"]
    assert record["queue"] is None and record["hung_up_by"] == "system"
    (hours,) = events(record, "ivr_hours")
    assert hours["state"] == "closed" and hours["timezone"] == closed_now()[1]
    assert [m for p in record["attributes"]["ivr_prompts"] for m in p["media"]] == [
        "sound:vm-goodbye"]


async def test_given_the_operator_option_when_transferring_then_the_extension_answers(
        ivr_rig: Rig) -> None:
    rig = ivr_rig
    await rig.start_phone("alice")          # alice's phone, not logged in as an agent
    caller = await rig.place_call(CallerScript(digits="0", audio=True, hold_ms=10000),
                                  service="5005")
    channels = await bridged_legs_with_audio(rig)
    names = []
    for channel in channels:
        info = await rig.ari("GET", f"/channels/{channel}")
        names.append(info["name"] if info else "")
    assert any(n.startswith("PJSIP/alice-") for n in names), names
    assert any(n.startswith("PJSIP/anonymous@callers-") for n in names), names
    assert await caller.wait(60) == 0, caller.errors()
    record = await last_stored(rig)
    assert record["ivr_path"] == ["main:0", "transfer:alice:answered"]
    assert events(record, "ivr_transfer") == [{"extension": "alice", "outcome": "answered"}]
    assert record["hung_up_by"] == "caller" and record["queue"] is None
    assert await rig.agent_state("alice") == "logged_out"

    async def bridges_gone() -> bool:
        return not await rig.ari("GET", "/bridges")
    await eventually(bridges_gone, 15, "the call's bridge destroyed")


@pytest.mark.parametrize(("bob_phone", "outcome"), [(None, "unavailable"),
                                                  ("manual", "no_answer")])
async def test_given_an_extension_that_does_not_answer_when_transferring_then_fallback_queue(
        ivr_rig: Rig, bob_phone: str | None, outcome: str) -> None:
    rig = ivr_rig
    await ready_agents(rig, "alice")
    if bob_phone is not None:   # the reception extension (bob's phone) rings unanswered
        await rig.start_phone("bob", answer=bob_phone)
    caller = await rig.place_call(CallerScript(digits="9", audio=False, hold_ms=16000),
                                  service="5005")
    offer = (await eventually(rig.feeds["alice"].offers, 40, "alice's screen pop"))[0]
    assert offer["ivr_path"] == ["main:9", f"transfer:reception:{outcome}"]
    assert offer["queue"] == "sales"
    assert await caller.wait(60) == 0, caller.errors()
