"""The IVR runner on the rich flow: languages, hours, digit inputs, lookups (read back,
branch, every failure), transfers, hangup prompts, and what it records as it goes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ccengine.telephony.ivr.lookups import HttpAnswer
from ccengine.telephony.ivr.model import Flow
from ccengine.telephony.ivr.runner import IvrSession, run_flow
from tests.unit.telephony.ivr_fixtures import Caller, Services, load

PARIS = ZoneInfo("Europe/Paris")
MONDAY_10 = dt.datetime(2030, 1, 7, 10, 0, tzinfo=PARIS).timestamp()
MONDAY_20 = dt.datetime(2030, 1, 7, 20, 0, tzinfo=PARIS).timestamp()
NEW_YEAR_10 = dt.datetime(2030, 1, 1, 10, 0, tzinfo=PARIS).timestamp()  # a Tuesday

VERIFIED = HttpAnswer("ok", {"status": "active", "customer": {"tier": "gold"}})
BALANCE = HttpAnswer("ok", {"balance": 1250, "reference": "4711", "trend": "up"})


@pytest.fixture
def flow(tmp_path: Path) -> Flow:
    return load(tmp_path)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str | None, data: dict[str, Any]) -> None:
        if kind is not None:
            self.events.append((kind, data))


def session(recorder: Recorder | None = None) -> IvrSession:
    return IvrSession(caller="+447700900123", service_number="5001", interaction_id="i1",
                      on_step=recorder)


async def test_given_french_then_account_pin_and_lookups_when_running_then_balance_read_back(
        flow: Flow, tmp_path: Path) -> None:
    caller = Caller(["2", "1", "1", "2", "3", "4", "5", "6", "7", "8", "9", "9", "9",
                     "9", "2"])
    services = Services(MONDAY_10, [VERIFIED, BALANCE])
    rec = Recorder()
    s = session(rec)
    result = await run_flow(flow, caller, services, s)

    assert (result.action.kind, result.action.target) == ("queue", "sales")
    assert result.path == ["lang:2", "language:fr", "office:open", "main:1",
                           "account:12345678", "pin:****", "verify:ok:active", "balance:ok",
                           "main:2"]
    assert result.language == "fr"
    assert result.variables == {"account": "12345678", "pin": "****", "tier": "gold"}
    assert s.variables["pin"] == "9999"          # the real value stays in the session
    assert result.skills == {"sales": 4, "french": 2}   # the action's and French's
    # every prompt after the switch plays in French; admin prompts from prompts/fr
    assert caller.played[0] == ((f"sound:{tmp_path}/prompts/en/welcome",), "en")
    assert all(language == "fr" for _, language in caller.played[1:])
    assert (("vm-youhave", "number:1250", "digits:4711", "auth-thankyou"), "fr") \
        in caller.played
    verify, balance = services.requests
    assert verify.method == "POST"
    assert verify.url == "http://127.0.0.1:9/accounts/12345678/verify"
    assert json.loads(verify.body or "") == {"caller": "+447700900123", "pin": "9999", "n": 1}
    assert verify.headers["Content-Type"] == "application/json" and verify.timeout == 2.0
    assert balance.url == "http://127.0.0.1:9/accounts/12345678/balance?tier=gold"
    assert balance.method == "GET" and balance.body is None
    kinds = [k for k, _ in rec.events]
    assert kinds == ["ivr_language", "ivr_hours", "ivr_input", "ivr_input", "ivr_lookup",
                     "ivr_lookup"]
    assert rec.events[3][1] == {"node": "pin", "variable": "pin", "value": "****",
                                "outcome": "valid"}
    assert rec.events[4][1]["branch"] == "active"
    assert rec.events[4][1]["saved"] == {"tier": "gold"}
    assert s.attributes() == {"ivr_path": result.path, "ivr_language": "fr",
                              "ivr_vars": result.variables}


@pytest.mark.parametrize(("now", "path_end", "kind", "target"), [
    (MONDAY_10, "office:open", "queue", "sales"),        # then main times out -> sales
    (MONDAY_20, "office:closed", "hangup", ""),
    (NEW_YEAR_10, "office:holiday", "queue", "support"),
])
async def test_given_the_time_when_checking_hours_then_open_closed_or_holiday_branch(
        flow: Flow, now: float, path_end: str, kind: str, target: str) -> None:
    caller = Caller([None])
    result = await run_flow(flow, caller, Services(now), session())
    assert result.path[:2] == ["lang:timeout", path_end]
    assert (result.action.kind, result.action.target) == (kind, target)
    if path_end == "office:closed":   # the hangup's prompt played before hanging up
        assert caller.played[-1] == (("vm-goodbye",), "en")


async def test_given_a_short_entry_then_a_good_one_when_collecting_then_invalid_replays(
        flow: Flow) -> None:
    # "123#" is too short; then "654321#" (6 digits + terminator)
    caller = Caller(["1", "1", "1", "2", "3", "#", "6", "5", "4", "3", "2", "1", "#", "1",
                     "2", "3", "4"])
    result = await run_flow(flow, caller, Services(MONDAY_10, []), session())
    assert result.path[4:7] == ["account:123:invalid", "account:654321", "pin:****"]
    assert ("pm-invalid-option",) in [p for p, _ in caller.played]
    assert result.path[-1] == "verify:unreachable"


async def test_given_a_pause_after_enough_digits_when_collecting_then_the_pause_ends_it(
        flow: Flow) -> None:
    caller = Caller(["1", "1", "1", "2", "3", "4", "5", "6", None, None])
    result = await run_flow(flow, caller, Services(MONDAY_10), session())
    assert result.path[4:] == ["account:123456", "pin:timeout", "main:timeout"]


async def test_given_a_digit_during_the_prompt_when_collecting_then_it_is_the_first(
        flow: Flow) -> None:
    caller = Caller(["1", "1", "2", "3", "4", "5", "6", "7", "8"],
                    barge={"vm-password": "9"})
    await run_flow(flow, caller, Services(MONDAY_10), s := session())
    assert s.variables["account"] == "92345678"


async def test_given_too_many_bad_entries_when_collecting_then_max_invalid_branch(
        flow: Flow) -> None:
    caller = Caller(["1", "1", "1", "#", "2", "#", "3", "#"])
    result = await run_flow(flow, caller, Services(MONDAY_10), session())
    assert result.path[4:] == ["account:1:invalid", "account:2:invalid", "account:3:invalid"]
    assert (result.action.kind, result.action.target) == ("queue", "support")


# language 1, main menu 1, account 123456#, pin 1234
ENTRY = ["1", "1", "1", "2", "3", "4", "5", "6", "#", "1", "2", "3", "4"]


@pytest.mark.parametrize(("answers", "last"), [
    ([HttpAnswer("timeout")], "verify:timeout"),
    ([HttpAnswer("http_503")], "verify:http_503"),
    ([HttpAnswer("not_json")], "verify:not_json"),
    ([HttpAnswer("ok", {"status": "active"})], "verify:no_field"),          # no customer.tier
    ([HttpAnswer("ok", {"status": "gone", "customer": {"tier": "x"}})], "verify:no_branch"),
    ([HttpAnswer("ok", ["a list"])], "verify:no_field"),
    ([VERIFIED, HttpAnswer("ok", {"balance": "12 euros", "reference": "1",
                                  "trend": "up"})], "balance:bad_value"),
    ([VERIFIED, HttpAnswer("ok", {"balance": 5, "reference": "1",
                                  "trend": "sideways"})], "balance:bad_value"),
])
async def test_given_a_failing_or_odd_answer_when_looking_up_then_fallback_branch(
        flow: Flow, answers: list[HttpAnswer], last: str) -> None:
    rec = Recorder()
    result = await run_flow(flow, Caller(ENTRY), Services(MONDAY_10, answers), session(rec))
    assert result.path[-1] == last
    assert (result.action.kind, result.action.target) == ("queue", "support")
    kind, data = rec.events[-1]
    assert kind == "ivr_lookup" and data["outcome"] == last.split(":")[1]


async def test_given_a_branch_value_when_looking_up_then_its_case_is_taken(
        flow: Flow) -> None:
    blocked = HttpAnswer("ok", {"status": "blocked", "customer": {"tier": "basic"}})
    result = await run_flow(flow, Caller(ENTRY), Services(MONDAY_10, [blocked]), session())
    assert result.path[-1] == "verify:ok:blocked"
    assert (result.action.target, result.action.priority) == ("support", 9)


@pytest.mark.parametrize(("outcome", "kind", "target"), [
    ("answered", "transfer", "alice"),
    ("no_answer", "queue", "support"),
    ("busy", "queue", "support"),
])
async def test_given_the_operator_option_when_transferring_then_answer_or_fallback(
        flow: Flow, outcome: str, kind: str, target: str) -> None:
    services = Services(MONDAY_10, transfers=[outcome])
    rec = Recorder()
    result = await run_flow(flow, Caller(["1", "0"]), services, session(rec))
    assert result.path[:4] == ["lang:1", "language:en", "office:open", "main:0"]
    assert services.dialled == [("alice", 5.0)]
    assert result.path[-1] == f"transfer:alice:{outcome}"
    assert (result.action.kind, result.action.target) == (kind, target)
    assert rec.events[-1] == ("ivr_transfer", {"extension": "alice", "outcome": outcome})

