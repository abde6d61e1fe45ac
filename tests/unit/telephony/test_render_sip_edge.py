"""The SIP edge in the rendered Asterisk config: callers and carriers on the public port
(``asterisk.sip_port``), SIP phones on their own port (``asterisk.phone_sip_port``), and
no user name that answers differently from another (docs/telephony.md "Security defaults")."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccengine.config import ConfigError, load_config
from ccengine.telephony.asterisk.render import render
from tests.unit.telephony.test_render_supervisors import pjsip_sections

PEOPLE = ("agents=[{id: alice, name: Alice, skills: {sales: 5}}, "
          "{id: bob, name: Bob, skills: {sales: 5}, phone: sip}]",
          "supervisors=[{id: sam, queues: [sales], phone: sip}]")


def by_type(etc: Path) -> dict[tuple[str, str | None], dict[str, str]]:
    return {(name, opts.get("type")): opts
            for name, opts in pjsip_sections((etc / "pjsip.conf").read_text())}


def test_given_the_defaults_when_rendered_then_callers_and_phones_have_their_own_ports(
        tmp_path: Path) -> None:
    config = load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}",
                                                  "asterisk.sip_port=5070",
                                                  "asterisk.phone_sip_port=5072", *PEOPLE])
    sections = by_type(render(config).etc_dir)
    public, phones = sections[("transport-udp", "transport")], \
        sections[("transport-phones", "transport")]
    assert (public["bind"], public["domain"]) == ("127.0.0.1:5070", "callers")
    assert phones["bind"] == "127.0.0.1:5072" and "domain" not in phones
    # carriers by address first; then, on the public port only, everyone is a caller
    assert sections[("global", "global")]["endpoint_identifier_order"] == \
        "ip,anonymous,username"
    # the callers' endpoint exists only for the public port's domain: a request on the
    # phones' port that names nobody gets the artificial endpoint's 401, like one that
    # names somebody
    endpoints = {name for name, kind in sections if kind == "endpoint"}
    assert "anonymous@callers" in endpoints and "anonymous" not in endpoints
    caller = sections[("anonymous@callers", "endpoint")]
    assert caller["context"] == "ccengine-public" and "auth" not in caller
    # SIP phones are called from the phones' port; a WebRTC phone over its websocket
    assert sections[("bob", "endpoint")]["transport"] == "transport-phones"
    assert sections[("sam", "endpoint")]["transport"] == "transport-phones"
    assert "transport" not in sections[("alice", "endpoint")]


def test_given_one_port_for_callers_and_phones_when_loading_then_refused(
        tmp_path: Path) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text("asterisk:\n  sip_port: 5070\n  phone_sip_port: 5070\n")
    with pytest.raises(ConfigError, match="must differ from asterisk.sip_port") as e:
        load_config(f, env={})
    assert (e.value.where, e.value.key) == (f"{f}:1", "asterisk.phone_sip_port")
