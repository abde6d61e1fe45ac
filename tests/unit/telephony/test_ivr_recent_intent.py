"""The IVR's recent-intent check: a flow branches on what the caller last wrote about (their
customer's newest intent, any medium). Loading it (every mistake named with file, line and
key; intents checked against the engine's ``intents:`` when it defines any), running it
(each outcome, what it records, the intent kept for the pop) and the call's services
(no customer, a failing or slow store: never a dead call)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ccengine.config import ConfigError, load_config
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.settings import Settings
from ccengine.telephony.ivr import services as services_module
from ccengine.telephony.ivr.model import Action, Flow
from ccengine.telephony.ivr.runner import IntentAnswer, IvrSession, run_flow
from ccengine.telephony.ivr.services import CallServices
from tests.unit.telephony.ivr_fixtures import Caller, Services, load
from tests.unit.telephony.test_ivr_load import line_of
from tests.unit.telephony.test_ivr_runner import Recorder
from tests.unit.telephony.test_ivr_setup import REPO, needs_sounds

FLOW = """\
start: wrote_about
recent_intents:
  wrote_about:
    within_hours: 48
    intents:
      billing: {action: menu, menu: bill}
      cancel: {action: queue, queue: support, priority: 5}
    otherwise: {action: menu, menu: main}
menus:
  bill:
    prompt: [hello]
    options:
      "1": {action: queue, queue: support}
      "2": {action: menu, menu: main}
    on_timeout: {action: menu, menu: main}
    on_max_invalid: {action: menu, menu: main}
  main:
    prompt: [vm-press]
    options:
      "1": {action: queue, queue: sales}
      "9": {action: recent_intent, recent_intent: wrote_about}
    on_timeout: {action: queue, queue: sales}
    on_max_invalid: {action: queue, queue: sales}
"""
CASES = FLOW[FLOW.index("    intents:\n"):FLOW.index("    otherwise:")]
BILLING = IntentAnswer("found", "billing", 0.91, "email", "mail-1")


@pytest.fixture
def flow(tmp_path: Path) -> Flow:
    return load(tmp_path, FLOW)


def test_given_a_recent_intent_check_when_loading_then_its_cases_window_and_fallback(
        flow: Flow, tmp_path: Path) -> None:
    assert flow.kind_of("wrote_about") == "recent_intent"
    check = flow.recent_intents["wrote_about"]
    assert check.within == 48 * 3600.0
    assert check.intents["billing"] == Action("menu", "bill")
    assert (check.intents["cancel"].target, check.intents["cancel"].priority) == ("support", 5)
    assert check.otherwise == Action("menu", "main")
    assert flow.menus["main"].options["9"] == Action("recent_intent", "wrote_about")
    # a week unless told; without intents: in the engine, any intent name may be used
    week = load(tmp_path, FLOW.replace("    within_hours: 48\n", ""))
    assert week.recent_intents["wrote_about"].within == 7 * 24 * 3600.0


BROKEN = [
    # (replace this, with that, the key named, part of the message, a marker of the line)
    ("billing: {action: menu, menu: bill}", "billing: {action: menu, menu: bil}",
     "recent_intents.wrote_about.intents.billing.menu", "unknown menu 'bil'", "billing:"),
    ("    otherwise: {action: menu, menu: main}\n", "",
     "recent_intents.wrote_about.otherwise", "is required", "  wrote_about:"),
    ("otherwise: {action: menu, menu: main}", "otherwise: {action: queue, queue: nowhere}",
     "recent_intents.wrote_about.otherwise.queue", "unknown queue 'nowhere'", "otherwise:"),
    ("within_hours: 48", "within: 48", "recent_intents.wrote_about.within",
     "unknown key", "within:"),
    ("within_hours: 48", "within_hours: 0", "recent_intents.wrote_about.within_hours",
     "from 1 to 2160", "within_hours:"),
    ("within_hours: 48", "within_hours: 2.5", "recent_intents.wrote_about.within_hours",
     "whole number", "within_hours:"),
    (CASES, "", "recent_intents.wrote_about.intents", "is required", "  wrote_about:"),
    (CASES, "    intents: {}\n", "recent_intents.wrote_about.intents",
     "must map intent names", "intents: {}"),
    ("billing: {action: menu", "Billing: {action: menu",
     "recent_intents.wrote_about.intents.Billing", "lower-case", "Billing:"),
    ('"9": {action: recent_intent, recent_intent: wrote_about}',
     '"9": {action: recent_intent, recent_intent: nowhere}',
     "menus.main.options.9.recent_intent", "unknown recent_intent 'nowhere'", '"9":'),
    ("  wrote_about:\n", "  main:\n", "recent_intents.main", "already used by a menu", None),
    ("recent_intents:\n", "recent_intent:\n", "recent_intent", "unknown key", None),
]


@pytest.mark.parametrize(("old", "new", "key", "message", "marker"), BROKEN,
                         ids=[b[2] + ":" + b[3] for b in BROKEN])
def test_given_a_broken_check_when_loading_then_error_names_file_line_and_key(
        tmp_path: Path, old: str, new: str, key: str, message: str, marker: str | None
        ) -> None:
    assert old in FLOW
    text = FLOW.replace(old, new, 1)
    line = line_of(text, marker) if marker else FLOW[:FLOW.index(old)].count("\n") + 1
    with pytest.raises(ConfigError) as e:
        load(tmp_path, text)
    assert (e.value.key, e.value.where) == (key, f"{tmp_path / 'flow.yaml'}:{line}")
    assert message in e.value.message


def test_given_intents_defined_when_a_check_names_another_then_refused_at_its_line(
        tmp_path: Path) -> None:
    assert load(tmp_path, FLOW, intents=("billing", "cancel", "delivery")).recent_intents
    with pytest.raises(ConfigError) as e:
        load(tmp_path, FLOW, intents=("billing", "delivery"))
    assert e.value.key == "recent_intents.wrote_about.intents.cancel"
    assert e.value.where == f"{tmp_path / 'flow.yaml'}:{line_of(FLOW, 'cancel:')}"
    assert "no intent 'cancel'" in e.value.message and "billing, delivery" in e.value.message


@needs_sounds
@pytest.mark.parametrize("defined", [["billing", "delivery"], None])
def test_given_the_engine_config_when_loaded_then_flows_checked_against_its_intents(
        tmp_path: Path, defined: list[str] | None) -> None:
    flows = tmp_path / "ivr"
    flows.mkdir()
    (flows / "main.yaml").write_text((REPO / "ivr" / "main.yaml").read_text())
    (flows / "recent.yaml").write_text(FLOW)
    intents = "" if defined is None else "intents:\n  definitions:\n" + "".join(
        f"    - {{name: {name}, examples: [a, b, c, d, e]}}\n" for name in defined)
    config = tmp_path / "engine.yaml"
    config.write_text(f"ivr: {{dir: {flows}}}\n{intents}")
    if defined is None:     # no intents: defined: whatever the records carry is fine
        settings = Settings.load(load_config(config, env={}))
        assert set(settings.ivr.flows["recent"].recent_intents["wrote_about"].intents) == {
            "billing", "cancel"}
        return
    with pytest.raises(ConfigError) as e:
        Settings.load(load_config(config, env={}))
    assert str(e.value).startswith(
        f"{flows / 'recent.yaml'}:{line_of(FLOW, 'cancel:')}: "
        "recent_intents.wrote_about.intents.cancel: no intent 'cancel'"), e.value


async def test_given_a_billing_email_when_the_check_runs_then_billing_branch_and_intent_kept(
        flow: Flow) -> None:
    services, rec = Services(intents=[BILLING]), Recorder()
    session = IvrSession(caller="+447700900555", interaction_id="call-1", on_step=rec)
    result = await run_flow(flow, Caller(["1"]), services, session)

    assert (result.action.kind, result.action.target) == ("queue", "support")
    assert result.path == ["wrote_about:billing", "bill:1"]
    assert services.intent_windows == [48 * 3600.0]
    assert rec.events == [("ivr_recent_intent", {
        "node": "wrote_about", "outcome": "matched", "intent": "billing",
        "from_interaction": "mail-1", "medium": "email"})]
    # the call carries the intent it was branched on (the pop's "About: billing")
    assert session.attributes()["intent"] == {
        "name": "billing", "confidence": 0.91, "from_interaction": "mail-1",
        "from_medium": "email"}


@pytest.mark.parametrize(("answer", "entry", "intent"), [
    (IntentAnswer("found", "delivery", 0.8, "chat", "chat-1"), "otherwise:not_listed",
     "delivery"),
    (IntentAnswer("none"), "otherwise:none", None),
    (IntentAnswer("unknown_caller"), "otherwise:unknown_caller", None),
    (IntentAnswer("unavailable"), "otherwise:unavailable", None),
])
async def test_given_no_case_for_the_caller_when_the_check_runs_then_otherwise(
        flow: Flow, answer: IntentAnswer, entry: str, intent: str | None) -> None:
    rec = Recorder()
    session = IvrSession(on_step=rec)
    result = await run_flow(flow, Caller(["1"]), Services(intents=[answer]), session)
    assert result.path == [f"wrote_about:{entry}", "main:1"]
    assert result.action == Action("queue", "sales")
    (kind, data), = rec.events
    assert (kind, data["outcome"], data["intent"]) == (
        "ivr_recent_intent", entry.split(":")[1], intent)
    assert "intent" not in session.attributes()


async def test_given_an_agents_label_without_confidence_when_branching_then_certain(
        flow: Flow) -> None:
    session = IvrSession()
    answer = IntentAnswer("found", "cancel", None, "voice", "call-0")
    result = await run_flow(flow, Caller([]), Services(intents=[answer]), session)
    assert (result.action.target, result.action.priority) == ("support", 5)
    assert session.intent is not None and session.intent["confidence"] == 1.0


async def test_given_no_services_when_the_check_runs_then_unavailable_and_otherwise(
        flow: Flow) -> None:
    result = await run_flow(flow, Caller(["1"]))
    assert result.path == ["wrote_about:otherwise:unavailable", "main:1"]


def call_services(finder: Any, customer_id: str | None = "cust-1") -> CallServices:
    """The services of a call whose interaction is linked to ``customer_id``."""
    interaction = Interaction(id="call-1", medium=Medium.VOICE, queue=None, priority=0,
                              required_skills={}, customer_id=customer_id, attributes={},
                              created_at=0.0, enqueued_at=None, sl_target_seconds=None)
    call = SimpleNamespace(interaction=interaction)
    return CallServices(None, call, None, None, {}, intents=finder)  # type: ignore[arg-type]


async def test_given_the_store_when_a_call_asks_then_customer_call_and_window_passed() -> None:
    asked: list[tuple[str, str, float]] = []

    async def finder(customer_id: str, call_id: str, within: float) -> dict[str, Any]:
        asked.append((customer_id, call_id, within))
        return {"name": "billing", "confidence": 0.9, "medium": "email", "at": 1.0,
                "interaction_id": "mail-1"}
    answer = await call_services(finder).recent_intent(3600.0)
    assert answer == IntentAnswer("found", "billing", 0.9, "email", "mail-1")
    assert asked == [("cust-1", "call-1", 3600.0)]


async def test_given_nothing_recent_or_no_customer_when_asked_then_none_or_unknown() -> None:
    async def nothing(customer_id: str, call_id: str, within: float) -> None:
        return None

    async def never(customer_id: str, call_id: str, within: float) -> None:
        raise AssertionError("no customer: the store is not asked")
    assert (await call_services(nothing).recent_intent(1.0)).outcome == "none"
    assert (await call_services(never, None).recent_intent(1.0)).outcome == "unknown_caller"
    assert (await call_services(None).recent_intent(1.0)).outcome == "unavailable"


async def test_given_a_failing_or_slow_store_when_asked_then_unavailable_never_raised(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def failing(customer_id: str, call_id: str, within: float) -> None:
        raise OSError("database is locked")

    async def slow(customer_id: str, call_id: str, within: float) -> None:
        await asyncio.sleep(5)
    monkeypatch.setattr(services_module, "INTENT_LOOKUP_SECONDS", 0.05)
    assert (await call_services(failing).recent_intent(1.0)).outcome == "unavailable"
    started = asyncio.get_running_loop().time()
    assert (await call_services(slow).recent_intent(1.0)).outcome == "unavailable"
    assert asyncio.get_running_loop().time() - started < 1
