"""The ``ivr`` config section: flows per service number, lookups' base URLs, transfer
extensions, the admin's prompt directory; and the shipped flows load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccengine.config import ConfigError, load_config
from ccengine.telephony.ivr.setup import load_ivr

REPO = Path(__file__).resolve().parents[3]
SOUNDS = Path("/usr/share/asterisk/sounds")
AGENTS = ("alice", "bob")


def config(tmp_path: Path, *overrides: str):  # type: ignore[no-untyped-def]
    ivr = tmp_path / "ivr"
    ivr.mkdir(exist_ok=True)
    shutil.copy(REPO / "ivr" / "main.yaml", ivr / "main.yaml")
    (ivr / "other.yaml").write_text(
        "start: m\nmenus:\n  m:\n    prompt: [hello]\n    options:\n"
        "      '0': {action: transfer, extension: reception, on_failure: {action: hangup}}\n"
        "    on_timeout: {action: hangup}\n    on_max_invalid: {action: hangup}\n")
    return load_config(None, env={}, overrides=[f"ivr.dir={ivr}", *overrides])


needs_sounds = pytest.mark.skipif(not (SOUNDS / "en").exists(),
                                  reason="needs the Asterisk sounds package")


@needs_sounds
def test_given_numbers_when_loading_then_each_number_has_its_flow_and_is_dialable(
        tmp_path: Path) -> None:
    c = config(tmp_path, 'ivr.numbers={"5001": other}',
               "ivr.extensions={reception: PJSIP/frontdesk}",
               "ivr.urls={crm: 'http://127.0.0.1:1/'}")
    setup = load_ivr(c, {"sales", "support"}, AGENTS)
    assert c.service_numbers == ("5000", "5001")
    assert setup.entry.name == "main"
    assert setup.by_number["5001"].name == "other"
    assert setup.endpoints == {"alice": "PJSIP/alice", "bob": "PJSIP/bob",
                               "reception": "PJSIP/frontdesk"}
    assert setup.flows["other"].urls == {"crm": "http://127.0.0.1:1"}


@needs_sounds
@pytest.mark.parametrize(("override", "key", "message"), [
    ('ivr.numbers={"5001": nowhere}', "ivr.numbers.5001", "no flow 'nowhere'"),
    ('ivr.numbers={"50x1": other}', "ivr.numbers.50x1", "not a service number"),
    ("ivr.extensions={reception: frontdesk}", "ivr.extensions.reception",
     "Asterisk endpoint"),
    ("ivr.extensions={alice: PJSIP/x}", "ivr.extensions.alice", "already an agent's"),
    ("ivr.urls={crm: ftp://x}", "ivr.urls.crm", "http:// or https://"),
    ("ivr.sounds_dir=/nonexistent/prompts", "ivr.sounds_dir", "not a directory"),
    ("ivr.entry=nope", "ivr.entry", "no flow 'nope'"),
])
def test_given_a_bad_ivr_setting_when_loading_then_error_names_the_key(
        tmp_path: Path, override: str, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_ivr(config(tmp_path, "ivr.extensions={reception: PJSIP/r}", override),
                 {"sales", "support"}, AGENTS)
    assert e.value.key == key
    assert message in e.value.message


@needs_sounds
def test_given_no_extension_for_a_transfer_when_loading_then_the_flow_is_refused(
        tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_ivr(config(tmp_path), {"sales", "support"}, AGENTS)
    assert e.value.key == "menus.m.options.0.extension"
    assert e.value.where.startswith(str(tmp_path / "ivr" / "other.yaml"))


@pytest.mark.skipif(not (SOUNDS / "fr").exists(),
                    reason="needs the French Asterisk sounds (scripts/install-system.sh)")
def test_given_the_shipped_flows_when_loading_with_defaults_then_they_are_valid() -> None:
    c = load_config(None, env={}, overrides=[f"ivr.dir={REPO / 'ivr'}"])
    assert set(load_ivr(c, {"sales", "support"}, AGENTS).flows) == {"main"}
    # the example of every construct (ivr/examples/), with the default agents
    c = load_config(None, env={}, overrides=[f"ivr.dir={REPO / 'ivr' / 'examples'}",
                                             "ivr.entry=self_service"])
    setup = load_ivr(c, {"sales", "support"}, AGENTS)
    assert set(setup.flows) == {"self_service"}
    rich = setup.flows["self_service"]
    assert rich.languages == ("en", "fr")
    assert rich.inputs and rich.lookups and rich.hours and rich.sensitive == {"pin"}
    kinds = {a.kind for m in rich.menus.values() for a in m.options.values()}
    assert {"language", "queue", "transfer", "input"} <= kinds
