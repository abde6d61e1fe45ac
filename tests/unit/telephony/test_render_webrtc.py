"""WebRTC phones in the rendered Asterisk config: a `phone: webrtc` user's endpoint is a
WebRTC one (DTLS-SRTP with the engine's own certificate, ICE), a `phone: sip` user's is
not; the websocket transport, its modules and ICE settings exist only when someone has a
WebRTC phone; the certificate is made once and kept; bad `webrtc:` keys are refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ccengine.config import ConfigError, load_config
from ccengine.core.agent import AgentProfile
from ccengine.telephony.asterisk.render import render
from ccengine.telephony.asterisk.webrtc import parse_webrtc
from tests.unit.telephony.test_render_supervisors import pjsip_sections

MIXED = ("agents=[{id: alice, name: Alice, skills: {sales: 5}}, "
         "{id: bob, name: Bob, skills: {sales: 5}, phone: sip}]")
NONE = ("agents=[{id: bob, name: Bob, skills: {sales: 5}, phone: sip}]",
        "supervisors=[{id: sam, queues: [sales], phone: sip}]")


def endpoints(etc: Path) -> dict[str, dict[str, str]]:
    return {name: opts for name, opts in pjsip_sections((etc / "pjsip.conf").read_text())
            if opts.get("type") == "endpoint"}


def test_given_webrtc_and_sip_agents_when_rendered_then_only_webrtc_ones_use_dtls(
        tmp_path: Path) -> None:
    rendered = render(load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}", MIXED]))
    found = endpoints(rendered.etc_dir)
    alice, bob, sam = found["alice"], found["bob"], found["sam"]
    assert alice["webrtc"] == "yes" and alice["allow"] == "ulaw,alaw"
    cert, key = Path(alice["dtls_cert_file"]), Path(alice["dtls_private_key"])
    assert cert.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE KEY" in key.read_text()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "webrtc" not in bob and "dtls_cert_file" not in bob
    assert sam["webrtc"] == "yes"  # the embedded supervisor: the desk's phone by default
    transports = {n: o for n, o in pjsip_sections((rendered.etc_dir / "pjsip.conf")
                                                  .read_text()) if o.get("type") == "transport"}
    assert transports["transport-ws"]["protocol"] == "ws"
    modules = (rendered.etc_dir / "modules.conf").read_text()
    assert "load => res_pjsip_transport_websocket.so" in modules
    assert "load => res_srtp.so" in modules
    rtp = (rendered.etc_dir / "rtp.conf").read_text()
    assert "icesupport = yes" in rtp
    # loopback media (the default bind): only 127.0.0.0/8 candidates, the machine's
    # addresses advertised as 127.0.0.1
    assert "ice_deny = 0.0.0.0/0" in rtp and "ice_permit = 127.0.0.0/8" in rtp
    assert "=> 127.0.0.1" in rtp.split("\n[ice_host_candidates]")[1]
    # the certificate is made once: a second render keeps it (browsers saw its fingerprint)
    before = cert.read_bytes()
    render(load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}", MIXED]))
    assert cert.read_bytes() == before


def test_given_nobody_with_webrtc_when_rendered_then_no_websocket_transport_or_ice(
        tmp_path: Path) -> None:
    rendered = render(load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}", *NONE]))
    assert "transport-ws" not in (rendered.etc_dir / "pjsip.conf").read_text()
    assert "res_srtp" not in (rendered.etc_dir / "modules.conf").read_text()
    assert "icesupport" not in (rendered.etc_dir / "rtp.conf").read_text()
    assert not (tmp_path / "keys").exists()


def test_given_public_media_and_nat_settings_when_parsed_then_kept_as_given(
        tmp_path: Path) -> None:
    config = load_config(None, env={}, overrides=[
        "asterisk.bind=192.0.2.10", "webrtc.stun_server=198.51.100.7:3478",
        "webrtc.host_candidates={192.0.2.10: 203.0.113.9}",
        "webrtc.ice_servers=['stun:198.51.100.7:3478', {urls: 'turn:198.51.100.7', "
        "username: u, credential: p}]"])
    settings = parse_webrtc(config)
    assert settings.loopback is False
    assert settings.host_candidates == {"192.0.2.10": "203.0.113.9"}
    assert settings.stun_server == "198.51.100.7:3478"
    assert settings.ice_servers[1] == {"urls": "turn:198.51.100.7", "username": "u",
                                       "credential": "p"}
    rendered = render(load_config(None, env={}, overrides=[
        f"runtime_dir={tmp_path}", "asterisk.bind=192.0.2.10",
        "webrtc.stun_server=198.51.100.7:3478"]))
    rtp = (rendered.etc_dir / "rtp.conf").read_text()
    assert "stunaddr = 198.51.100.7:3478" in rtp and "ice_deny" not in rtp


@pytest.mark.parametrize(("override", "key", "message"), [
    ("webrtc.ice_servers=['http://stun.example']", "webrtc.ice_servers[0]", "is not a stun:"),
    ("webrtc.ice_servers=[{urls: 'stun:x', secret: 1}]", "webrtc.ice_servers[0]",
     "allowed keys"),
    ("webrtc.stun_server=stun.example.com", "webrtc.stun_server", "no host names"),
    ("webrtc.host_candidates={10.0.0.1: nat.example}", "webrtc.host_candidates.10.0.0.1",
     "not an IPv4 address"),
    ("webrtc.turn=1", "webrtc.turn", "unknown key"),
])
def test_given_bad_webrtc_settings_when_loaded_then_error_names_key(
        override: str, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_webrtc(load_config(None, env={}, overrides=[override]))
    assert e.value.key == key and message in e.value.message


def test_given_an_agent_phone_when_built_then_webrtc_by_default_and_sip_on_request() -> None:
    assert AgentProfile.from_mapping({"id": "a"}, "x").phone == "webrtc"
    assert AgentProfile.from_mapping({"id": "a", "phone": "sip"}, "x").phone == "sip"
    with pytest.raises(ConfigError) as e:
        AgentProfile.from_mapping({"id": "a", "phone": "zoiper"}, "engine.yaml: agents[0]")
    assert e.value.key == "phone" and "webrtc, sip" in e.value.message
