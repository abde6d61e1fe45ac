"""The trunks:, outbound: and callbacks: sections: validated at load, errors naming the
file and key; what the Asterisk templates get from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ccengine.config import ConfigError, load_config
from ccengine.telephony.outbound.settings import load_settings, template_trunks

REG = {"name": "carrier", "type": "registration", "host": "203.0.113.10",
       "username": "acme", "password": "s3cret", "dids": {"+442079460100": "5000"}}
OUT = {"trunk": "carrier", "caller_id": "+442079460000"}


def settings(trunks: Any = None, outbound: Any = None, callbacks: Any = None,
             **more: Any):
    overrides = [f"{k}={json.dumps(v)}" for k, v in
                 (("trunks", trunks), ("outbound", outbound), ("callbacks", callbacks),
                  *more.items()) if v is not None]
    return load_settings(load_config(None, env={}, overrides=overrides))


def test_given_no_sections_when_loaded_then_nothing_is_configured() -> None:
    s = settings()
    assert s.trunks == () and s.outbound is None and not s.callbacks_configured


def test_given_a_registration_trunk_and_outbound_when_loaded_then_defaults_fill_in() -> None:
    s = settings([REG], OUT, {"attempts": 5, "interval_seconds": 60})
    trunk = s.trunks[0]
    assert (trunk.port, trunk.match, trunk.codecs) == (5060, ("203.0.113.10",),
                                                       ("alaw", "ulaw"))
    assert s.outbound is not None and s.outbound.trunk is trunk
    assert s.outbound.policy.region == "GB" and s.outbound.policy.format == "e164"
    assert s.outbound.caller_id_header == '"+442079460000" <+442079460000>'
    assert (s.callbacks.attempts, s.callbacks.interval_seconds) == (5, 60.0)
    assert trunk.endpoint("02079460123") == "PJSIP/02079460123@carrier"


def test_given_trunks_when_rendered_then_templates_get_them_without_surprises() -> None:
    config = load_config(None, env={}, overrides=[
        f"trunks={json.dumps([REG, {'name': 'ipc', 'type': 'ip', 'host': '198.51.100.7', 'match': ['198.51.100.0/28', '198.51.100.7:5080']}])}"])  # noqa: E501
    reg, ipc = template_trunks(config)
    assert reg["auth"] and reg["contact_user"] == "acme" and reg["dids"] == {
        "+442079460100": "5000"}
    assert not ipc["auth"] and ipc["match"] == ["198.51.100.0/28", "198.51.100.7:5080"]


@pytest.mark.parametrize(("trunk", "key", "words"), [
    ({**REG, "host": "sip.carrier.example"}, "trunks[0].host", "not an IP address"),
    ({**REG, "type": "sip"}, "trunks[0].type", "registration, ip"),
    ({**REG, "password": None}, "trunks[0].password", "required for a registration"),
    ({**REG, "password": "a;b"}, "trunks[0].password", "without spaces or ';'"),
    ({**REG, "name": "bad name"}, "trunks[0].name", "not a name"),
    ({**REG, "name": "alice"}, "trunks[0].name", "already an agent"),
    ({**REG, "name": "sam"}, "trunks[0].name", "a supervisor"),
    ({**REG, "port": 70000}, "trunks[0].port", "from 1 to 65535"),
    ({**REG, "codecs": ["opus"]}, "trunks[0].codecs", "unknown codec"),
    ({**REG, "match": ["carrier.example"]}, "trunks[0].match", "not an IP address"),
    ({**REG, "match": ["10.0.0.1:99999"]}, "trunks[0].match", "not a port"),
    ({**REG, "dids": {"+4420": "6000"}}, "trunks[0].dids.+4420", "not one of the service"),
    ({**REG, "dids": {"44x": "5000"}}, "trunks[0].dids.44x", "digits"),
    ({**REG, "colour": "red"}, "trunks[0].colour", "unknown key"),
])
def test_given_a_bad_trunk_when_loaded_then_error_names_the_key(
        trunk: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        settings([{k: v for k, v in trunk.items() if v is not None}])
    assert e.value.key == key and words in e.value.message
    assert e.value.where == "embedded defaults"


@pytest.mark.parametrize(("outbound", "key", "words"), [
    ({**OUT, "trunk": "other"}, "outbound.trunk", "no trunk 'other'"),
    ({"trunk": "carrier"}, "outbound.caller_id", "is required"),
    ({**OUT, "caller_id": "ACME"}, "outbound.caller_id", "is not a number"),
    ({**OUT, "format": "local"}, "outbound.format", "e164, e164_digits"),
    ({**OUT, "allow": ["fixed", "moon"]}, "outbound.allow", "unknown destination type"),
    ({**OUT, "deny_prefixes": ["0909"]}, "outbound.deny_prefixes", "start"),
    ({**OUT, "region": "XX"}, "outbound.region", "not a region"),
    ({**OUT, "prefix": "9a"}, "outbound.prefix", "digits"),
    ({**OUT, "queue": "nowhere"}, "outbound.queue", "no queue"),
    ({**OUT, "caller_name": 'A"B'}, "outbound.caller_name", "letters"),
])
def test_given_a_bad_outbound_section_when_loaded_then_error_names_the_key(
        outbound: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        settings([REG], outbound)
    assert e.value.key == key and words in e.value.message


@pytest.mark.parametrize(("callbacks", "key", "words"), [
    ({"attempts": 0}, "callbacks.attempts", "from 1 to 20"),
    ({"interval_seconds": "soon"}, "callbacks.interval_seconds", "a number"),
    ({"prompts": {"offer": ["no-such-sound"]}}, "callbacks.prompts.offer", "not found"),
    ({"prompts": {"hello": ["beep"]}}, "callbacks.prompts.hello", "unknown prompt"),
])
def test_given_bad_callbacks_when_loaded_then_error_names_the_key(
        callbacks: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        settings([REG], OUT, callbacks)
    assert e.value.key == key and words in e.value.message


def test_given_callbacks_without_outbound_when_loaded_then_refused() -> None:
    with pytest.raises(ConfigError, match="configure outbound"):
        settings([REG], None, {"attempts": 2})


def test_given_a_config_file_when_a_trunk_is_wrong_then_the_error_names_file_and_line(
        tmp_path: Path) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text("trunks:\n  - name: carrier\n    type: ip\n    host: carrier.example\n")
    with pytest.raises(ConfigError) as e:
        load_settings(load_config(f, env={}))
    assert e.value.where == f"{f}:4" and e.value.key == "trunks[0].host"


def test_given_an_ivr_callback_to_a_queue_without_callbacks_when_the_engine_is_built_then_refused(  # noqa: E501
        tmp_path: Path) -> None:
    from ccengine.engine import Engine
    flows = tmp_path / "ivr"
    flows.mkdir()
    (flows / "main.yaml").write_text(
        "start: main\nmenus:\n  main:\n    prompt: [hello]\n    options:\n"
        "      '3': {action: callback, queue: sales}\n"
        "    on_timeout: {action: queue, queue: sales}\n"
        "    on_max_invalid: {action: queue, queue: sales}\n")
    base = [f"ivr.dir={flows}", f"trunks={json.dumps([REG])}", f"outbound={json.dumps(OUT)}"]
    voice_only = "queues=[{name: sales, media: [voice]}, {name: support, media: [voice]}]"
    with pytest.raises(ConfigError, match="takes no callbacks") as e:
        Engine(load_config(None, env={}, overrides=[*base, voice_only]))
    assert e.value.where == f"{flows / 'main.yaml'}: menus.main.options.3"
    with pytest.raises(ConfigError, match="needs an outbound trunk"):
        Engine(load_config(None, env={}, overrides=[f"ivr.dir={flows}", voice_only]))
    Engine(load_config(None, env={}, overrides=[*base]))   # sales takes callbacks: fine


def test_given_trunks_when_asterisk_config_is_rendered_then_no_context_dials_a_trunk(
        tmp_path: Path) -> None:
    from ccengine.telephony.asterisk.render import render
    ipc = {"name": "ipc", "type": "ip", "host": "198.51.100.7", "dids": {"4420794601": "5000"}}
    rendered = render(load_config(None, env={}, overrides=[
        f"runtime_dir={tmp_path}", f"trunks={json.dumps([REG, ipc])}",
        f"outbound={json.dumps(OUT)}"]))
    dialplan = (rendered.etc_dir / "extensions.conf").read_text()
    pjsip = (rendered.etc_dir / "pjsip.conf").read_text()
    assert "Dial(" not in dialplan and "Goto(" not in dialplan and "include" not in dialplan
    contexts: dict[str, list[str]] = {}
    current = ""
    for line in dialplan.splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif line.startswith("exten =>"):
            contexts.setdefault(current, []).append(line.split("=>")[1].split(",")[0].strip())
    assert contexts["ccengine-public"] == ["5000"]
    assert contexts["ccengine-trunk-carrier"] == ["+442079460100"]
    assert contexts["ccengine-trunk-ipc"] == ["4420794601"]
    assert "Stasis(ccengine,inbound,5000)" in dialplan
    assert "_X.,1,Stasis(ccengine,dialout,${EXTEN})" in dialplan   # agents: into the engine
    assert "endpoint_identifier_order = ip,anonymous,username" in pjsip
    assert "[carrier-registration]" in pjsip and "[ipc-registration]" not in pjsip
    assert "context = ccengine-trunk-ipc" in pjsip and "match = 198.51.100.7" in pjsip


@pytest.mark.parametrize("endpoint", ["PJSIP/02079460123@carrier", "PJSIP/carrier",
                                      "PJSIP/carrier/sip:02079460123@203.0.113.10"])
def test_given_an_ivr_extension_through_a_trunk_when_loaded_then_refused(endpoint: str) -> None:
    with pytest.raises(ConfigError, match="without the dialling policy") as e:
        load_settings(load_config(None, env={}, overrides=[
            f"trunks={json.dumps([REG])}",
            f"ivr.extensions={json.dumps({'outside': endpoint})}"]))
    assert e.value.key == "ivr.extensions.outside"


def test_given_ivr_extensions_to_phones_when_loaded_then_fine() -> None:
    s = load_settings(load_config(None, env={}, overrides=[
        f"trunks={json.dumps([REG])}",
        f"ivr.extensions={json.dumps({'reception': 'PJSIP/reception'})}"]))
    assert s.trunks[0].name == "carrier"


def test_given_a_waiting_key_for_a_callback_to_a_queue_without_callbacks_then_refused() -> None:
    from ccengine.core.waiting import WaitAction, WaitingConfig
    from ccengine.settings import build_profiles
    from ccengine.telephony.outbound.part import check_waiting_callbacks
    queues, _ = build_profiles(load_config(None, env={}, overrides=[
        "queues=[{name: sales, media: [voice]}, {name: support, media: [voice, callback]}]"]))
    ok = {"sales": WaitingConfig("sales", keys={"1": WaitAction("callback", "support")})}
    check_waiting_callbacks(ok, queues, "engine.yaml")
    bad = {"sales": WaitingConfig("sales", keys={"1": WaitAction("callback")})}
    with pytest.raises(ConfigError, match="takes no callbacks") as e:
        check_waiting_callbacks(bad, queues, "engine.yaml")
    assert (e.value.where, e.value.key) == ("engine.yaml", "waiting.sales.keys.1")
