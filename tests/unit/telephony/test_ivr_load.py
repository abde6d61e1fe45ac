"""Loading IVR flows with inputs, lookups, hours, languages and transfers: what a good
flow becomes, and every mistake stopped at load with the file, the line and the key."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccengine.config import ConfigError
from ccengine.telephony.ivr.runner import run_flow
from tests.unit.telephony.ivr_fixtures import RICH, Caller, Services, load, touch


def test_given_the_rich_flow_when_loading_then_every_construct_is_there(
        tmp_path: Path) -> None:
    flow = load(tmp_path)
    assert flow.start == "lang" and flow.kind_of("lang") == "menu"
    assert flow.languages == ("en", "fr")
    assert flow.language_skills == {"fr": {"french": 2}}
    account, pin = flow.inputs["account"], flow.inputs["pin"]
    assert (account.variable, account.min_digits, account.max_digits, account.terminator,
            account.digit_timeout) == ("account", 6, 8, "#", 2.0)
    assert (pin.terminator, pin.sensitive) == ("", True)
    assert flow.sensitive == frozenset({"pin"})
    verify = flow.lookups["verify"]
    assert verify.method == "POST" and verify.save == {"tier": "customer.tier"}
    assert verify.branch is not None and set(verify.branch.cases) == {"active", "blocked"}
    assert [s.kind for s in flow.lookups["balance"].say] == [
        "prompt", "number", "digits", "prompt_by"]
    assert flow.hours["office"].hours.timezone == "Europe/Paris"
    transfer = flow.menus["main"].options["0"]
    assert (transfer.kind, transfer.target, transfer.timeout) == ("transfer", "alice", 5.0)
    assert transfer.on_failure is not None and transfer.on_failure.target == "support"
    queue = flow.menus["main"].options["2"]
    assert (queue.priority, dict(queue.skills)) == (3, {"sales": 4})
    assert flow.menus["lang"].on_max_invalid.prompt == ("vm-goodbye",)


def test_given_an_admin_prompt_when_loading_then_it_plays_from_the_admin_dir_per_language(
        tmp_path: Path) -> None:
    flow = load(tmp_path)
    assert flow.media_of(("welcome", "hello"), "fr") == (
        f"sound:{tmp_path}/prompts/fr/welcome", "hello")
    assert flow.media_of(("welcome",), "en") == (f"sound:{tmp_path}/prompts/en/welcome",)


def test_given_a_prompt_missing_in_one_language_when_loading_then_error_names_it(
        tmp_path: Path) -> None:
    flow_text = RICH.replace("prompt: [vm-password]\n    min_digits: 6",
                             "prompt: [only-english]\n    min_digits: 6")
    touch(tmp_path / "sounds" / "en" / "only-english.gsm")
    path = tmp_path / "flow.yaml"
    with pytest.raises(ConfigError) as e:
        load(tmp_path, flow_text)
    assert e.value.key == "inputs.account.prompt"
    assert "'only-english' not found for language 'fr'" in e.value.message
    assert e.value.where == f"{path}:{line_of(flow_text, 'prompt: [only-english]')}"


MONDAY_10 = dt.datetime(2030, 1, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris")).timestamp()


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


BROKEN = [
    # (replace this, with that, the key named, part of the message, a marker of the line
    # named: None for the replaced line)
    ("languages: {en: null, fr: {skills: {french: 2}}}", "languages: [en, 'f r']",
     "languages.f r", "not a language code", "languages:"),
    ("{action: language, language: fr,", "{action: language, language: de,",
     "menus.lang.options.2.language", "flow's languages", '"2": {action: language'),
    ("extension: alice", "extension: bob", "menus.main.options.0.extension",
     "unknown extension 'bob'", '"0": {action: transfer'),
    ("            on_failure: {action: queue, queue: support}}", "            }",
     "menus.main.options.0.on_failure", "is required", '"0": {action: transfer'),
    ("timeout: 5, prompt", "timeout: 500, prompt", "menus.main.options.0.timeout",
     "at most 120", '"0": {action: transfer'),
    ('"1": {action: input, input: account}', '"1": {action: input, input: acount}',
     "menus.main.options.1.input", "unknown input 'acount'", '"1": {action: input'),
    ('"1": {action: input, input: account}', '"1": {action: fax, box: x}',
     "menus.main.options.1.action", "unknown action 'fax'", '"1": {action: fax'),
    ('"1": {action: input, input: account}', '"1": {action: voicemail, queue: nowhere}',
     "menus.main.options.1.queue", "unknown queue 'nowhere'", '"1": {action: voice'),
    ("skills: {sales: 4}", "skills: {sales: 11}", "menus.main.options.2.skills.sales",
     "1-10", '"2": {action: queue'),
    ("    min_digits: 6\n", "    min_digits: 9\n", "inputs.account.min_digits",
     "from 1 to 8", "min_digits: 9"),
    ("    max_digits: 8\n", "", "inputs.account.max_digits", "is required", "  account:"),
    ('pattern: "[0-9]{4}"', 'pattern: "[0-9"', "inputs.pin.pattern",
     "bad regular expression", "pattern:"),
    ("terminator: null", "terminator: '5'", "inputs.pin.terminator", "'#', '*' or null",
     "terminator:"),
    ("sensitive: true", "sensitive: maybe", "inputs.pin.sensitive", "true or false",
     "sensitive:"),
    ("timezone: Europe/Paris", "timezone: Mars/Olympus", "hours.office.timezone",
     "unknown time zone", "timezone:"),
    ('mon: ["09:00-17:00"]', 'mon: ["17:00-09:00"]', "hours.office.open.mon[0]",
     "must end after it starts", "open:"),
    ("    on_open: {action: menu, menu: main}\n", "", "hours.office.on_open", "is required",
     "  office:"),
    ("  balance:\n", "  main:\n", "lookups.main", "already used by a menu", None),
    ("method: POST", "method: GET", "lookups.verify.body", "a GET request has no body",
     "body:"),
    ("method: POST", "method: PUT", "lookups.verify.method", "GET or POST", "method:"),
    ("{{ urls.crm }}/accounts/{{ vars.account | urlencode }}",
     "{{ urls.billing }}/accounts/{{ vars.account | urlencode }}", "lookups.verify.url",
     "urls.billing is not defined", "url:"),
    ("{{ vars.account | urlencode }}", "{{ vars.acount | urlencode }}",
     "lookups.verify.url", "vars.acount is not defined", "url:"),
    ('pin: "{{ vars.pin }}"', 'pin: "{{ pin }}"', "lookups.verify.body.pin",
     "unknown name(s) ['pin']", "body:"),
    ('pin: "{{ vars.pin }}"', 'pin: "{{ vars.pin "', "lookups.verify.body.pin",
     "template error", "body:"),
    ("timeout: 2\n    save", "timeout: 60\n    save", "lookups.verify.timeout",
     "at most 30", "timeout: 60"),
    ("save: {tier: customer.tier}", "save: {tier: 'customer tier'}",
     "lookups.verify.save.tier", "must name a field", "save:"),
    ("    on_failure: {action: queue, queue: support}\n  balance:", "  balance:",
     "lookups.verify.on_failure", "is required", "  verify:"),
    ("      - number: balance", "      - {number: balance, digits: reference}",
     "lookups.balance.say[1]", "exactly one of", "say:"),
    ("        prompts: {up: [auth-thankyou], down: [queue-thankyou]}",
     "        prompts: {up: [no-such-sound]}", "lookups.balance.say[3].prompts.up",
     "'no-such-sound' not found", "prompts: {up"),
    ("        blocked: {action: queue, queue: support, priority: 9}",
     "        blocked: {action: queue, queue: nowhere}",
     "lookups.verify.branch.cases.blocked.queue", "unknown queue 'nowhere'", "blocked:"),
    ("start: lang", "start: nowhere", "start", "must name one of the nodes", "start:"),
    ("lookups:\n", "lookup:\n", "lookup", "unknown key", None),
    ("  account:\n    prompt", "  acc:ount:\n    prompt", "inputs.acc:ount",
     "a name is 1-64 letters", "acc:ount"),
]


@pytest.mark.parametrize(("old", "new", "key", "message", "marker"), BROKEN,
                         ids=[b[2] for b in BROKEN])
def test_given_a_broken_flow_when_loading_then_error_names_file_line_and_key(
        tmp_path: Path, old: str, new: str, key: str, message: str, marker: str | None
        ) -> None:
    assert old in RICH
    text = RICH.replace(old, new, 1)
    line = line_of(text, marker) if marker else RICH[:RICH.index(old)].count("\n") + 1
    with pytest.raises(ConfigError) as e:
        load(tmp_path, text)
    assert e.value.key == key
    assert message in e.value.message
    assert e.value.where == f"{tmp_path / 'flow.yaml'}:{line}"


def test_given_transfer_without_known_extensions_when_loading_then_refused(
        tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load(tmp_path, extensions=())
    assert e.value.key == "menus.main.options.0.extension"


def test_given_a_prompt_name_with_dotdot_when_loading_then_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load(tmp_path, RICH.replace("prompt: [hello]\n    options",
                                    "prompt: [../en/hello]\n    options"))
    assert e.value.key == "menus.main.prompt" and "'..'" in e.value.message


def test_given_another_part_registers_an_action_when_loading_then_it_parses_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ccengine.telephony.ivr import flow as flow_module
    from ccengine.telephony.ivr.model import Action

    def callback(loader, key, doc):  # type: ignore[no-untyped-def]
        d = loader.keys(key, doc, {"action", "within"})
        if not isinstance(d.get("within"), str):
            raise loader.error(f"{key}.within", "is required")
        return Action("callback", d["within"])

    monkeypatch.setattr(flow_module, "EXTRA_ACTIONS", {})
    flow_module.register_action("callback", callback)
    text = RICH.replace('"1": {action: input, input: account}',
                        '"1": {action: callback, within: sales}')
    flow = load(tmp_path, text)
    assert flow.menus["main"].options["1"] == Action("callback", "sales")
    # the runner ends the IVR on it: the voice channel's ivr_actions carries it out
    result = asyncio.run(run_flow(flow, Caller(["1", "1"]), Services(MONDAY_10)))
    assert result.action == Action("callback", "sales")
    with pytest.raises(ConfigError) as e:
        load(tmp_path, text.replace("within: sales", "within: 3"))
    assert e.value.key == "menus.main.options.1.within"
    with pytest.raises(ValueError):
        flow_module.register_action("queue", callback)
